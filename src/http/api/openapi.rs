//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    auth, cohorts, completions, content, credentials, evaluation, governance, health, marking,
    outbox, quizzes, users,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Gives every operation its error responses: each explicit 4xx/5xx answer and the `4XX` and
/// `5XX` ranges carry the one error body, `{"error": {"code", "message", "details"?}}`.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let body = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiError")))
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (code, response) in op.responses.responses.iter_mut() {
                    if let (Some('4' | '5'), RefOr::T(r)) = (code.chars().next(), response) {
                        if r.content.is_empty() {
                            r.content.insert("application/json".into(), body());
                        }
                    }
                }
                for (range, text) in [
                    ("4XX", "Refused: the body's `code` says why"),
                    ("5XX", "A fault on our side (logged with its request id)"),
                ] {
                    op.responses
                        .responses
                        .entry(range.into())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(text)
                                    .content("application/json", body())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// The API description served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Assessor Academy API", description = "Training and certification of TIS-S assessors"),
    paths(
        health::healthz,
        auth::login, auth::me, auth::change_password, auth::logout_everywhere,
        auth::request_reset, auth::confirm_reset, auth::accept_invitation,
        users::list_offices, users::list_users, users::create_user, users::import_users,
        users::get_user, users::update_user,
        outbox::list_outbox, outbox::retry_mail,
        cohorts::create_cohort, cohorts::list_cohorts, cohorts::get_cohort, cohorts::update_cohort,
        cohorts::join_cohort, cohorts::add_member, cohorts::add_members_bulk, cohorts::remove_member, cohorts::name_lead, cohorts::unname_lead, cohorts::rotate_calendar,
        cohorts::roster, cohorts::create_session, cohorts::list_sessions, cohorts::session_attendance,
        cohorts::mark_attendance, cohorts::checkin_code, cohorts::checkin, cohorts::import_zoom,
        cohorts::zoom_rows, cohorts::match_zoom,
        content::list_modules, content::get_module, content::publish_module, content::unpublish_module,
        content::complete_module, content::module_history, content::save_revision, content::get_revision, content::approve_revision, content::reject_revision,
        content::diff, content::preview,
        quizzes::list_quizzes, quizzes::publish_quiz, quizzes::unpublish_quiz, quizzes::start_attempt,
        quizzes::save_answer, quizzes::submit, quizzes::get_attempt, quizzes::set_override, quizzes::results, quizzes::import_gift, quizzes::export_gift, quizzes::analytics,
        marking::queue, marking::mark, marking::declare_conflict, marking::record_observation, marking::list_observations,
        evaluation::surveys, evaluation::respond, evaluation::evaluation, evaluation::report, evaluation::fiscal_year, evaluation::save_narrative,
        completions::issue, completions::list, completions::zip, completions::signatory, completions::save_signatory, completions::pdf,
        credentials::eligibility, credentials::issue, credentials::issue_eligible, credentials::suspend,
        credentials::reinstate, credentials::revoke, credentials::withdraw, credentials::renew, credentials::recertification, credentials::get, credentials::mine,
        credentials::of_cohort, credentials::verify, credentials::verify_id, credentials::jwks, credentials::key, credentials::register,
        credentials::certificate, credentials::certificates_zip,
        credentials::status_list, credentials::issuer_profile, credentials::credential_url,
        cohorts::calendar_feed, content::media, openapi_json,
        governance::scheme_versions, governance::recommend, governance::list_decisions, governance::decide,
        governance::file_appeal, governance::list_appeals, governance::decide_appeal,
        governance::certification_record, governance::erase_person,
    ),
    components(schemas(crate::error::ApiError, crate::error::ApiErrorDetail)),
    modifiers(&BearerAuth, &ErrorResponses)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of the API", body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
