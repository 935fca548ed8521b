//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, cohorts, content, credentials, governance, health, outbox, quizzes, users};

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
        cohorts::join_cohort, cohorts::add_member, cohorts::add_members_bulk, cohorts::remove_member, cohorts::rotate_calendar,
        cohorts::roster, cohorts::create_session, cohorts::list_sessions, cohorts::session_attendance,
        cohorts::mark_attendance, cohorts::checkin_code, cohorts::checkin, cohorts::import_zoom,
        cohorts::zoom_rows, cohorts::match_zoom,
        content::list_modules, content::get_module, content::publish_module, content::unpublish_module,
        content::complete_module, content::module_history, content::save_revision, content::get_revision, content::approve_revision, content::reject_revision,
        content::diff, content::preview,
        quizzes::list_quizzes, quizzes::publish_quiz, quizzes::unpublish_quiz, quizzes::start_attempt,
        quizzes::save_answer, quizzes::submit, quizzes::get_attempt, quizzes::set_override, quizzes::results, quizzes::import_gift, quizzes::export_gift, quizzes::analytics,
        credentials::eligibility, credentials::issue, credentials::issue_eligible, credentials::suspend,
        credentials::reinstate, credentials::revoke, credentials::withdraw, credentials::renew, credentials::recertification, credentials::get, credentials::mine,
        credentials::of_cohort, credentials::verify, credentials::verify_id, credentials::jwks, credentials::register,
        credentials::certificate, credentials::certificates_zip,
        governance::scheme_versions, governance::recommend, governance::list_decisions, governance::decide,
        governance::file_appeal, governance::list_appeals, governance::decide_appeal,
        governance::certification_record, governance::erase_person,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
