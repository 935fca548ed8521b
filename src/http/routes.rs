//! The route table: every route of the service in one place. The same list registers the
//! routes and is what the authorization-matrix test checks against, so no route can be
//! added without a row in that matrix.

use actix_web::web;

use super::{api, ui};

macro_rules! route_table {
    ($( $method:ident $path:literal => $handler:path; )*) => {
        /// Every route as (method, path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Each route's handler, in the order of `ROUTES`: `api::…` for the JSON API and the
        /// public machine-readable routes (all in the OpenAPI document), `ui::…` for pages.
        pub const HANDLERS: &[&str] = &[$(stringify!($handler)),*];

        /// Registers every route.
        pub fn register(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )*
        }
    };
}

route_table! {
    get "/healthz" => api::health::healthz;
    // The hottest routes first: actix tries routes in this order.
    put "/api/v1/attempts/{id}/answers/{question_id}" => api::quizzes::save_answer;
    get "/api/v1/verify/{id}" => api::credentials::verify_id;
    get "/verify/{id}" => ui::credentials::public::verify_page;
    get "/cohorts/{id}/quizzes/{slug}" => ui::quizzes::quiz_page;
    get "/api/openapi.json" => api::openapi::openapi_json;
    post "/api/v1/auth/login" => api::auth::login;
    post "/api/v1/auth/logout-everywhere" => api::auth::logout_everywhere;
    post "/api/v1/auth/password-reset" => api::auth::request_reset;
    post "/api/v1/auth/password-reset/confirm" => api::auth::confirm_reset;
    post "/api/v1/auth/invitation/accept" => api::auth::accept_invitation;
    get "/api/v1/me" => api::auth::me;
    post "/api/v1/me/password" => api::auth::change_password;
    get "/api/v1/offices" => api::users::list_offices;
    get "/api/v1/users" => api::users::list_users;
    post "/api/v1/users" => api::users::create_user;
    post "/api/v1/users/import" => api::users::import_users;
    get "/api/v1/users/{id}" => api::users::get_user;
    patch "/api/v1/users/{id}" => api::users::update_user;
    get "/api/v1/cohorts" => api::cohorts::list_cohorts;
    post "/api/v1/cohorts" => api::cohorts::create_cohort;
    post "/api/v1/cohorts/join" => api::cohorts::join_cohort;
    get "/api/v1/cohorts/{id}" => api::cohorts::get_cohort;
    patch "/api/v1/cohorts/{id}" => api::cohorts::update_cohort;
    post "/api/v1/cohorts/{id}/members" => api::cohorts::add_member;
    post "/api/v1/cohorts/{id}/members/bulk" => api::cohorts::add_members_bulk;
    delete "/api/v1/cohorts/{id}/members/{user_id}" => api::cohorts::remove_member;
    put "/api/v1/cohorts/{id}/leads/{user_id}" => api::cohorts::name_lead;
    delete "/api/v1/cohorts/{id}/leads/{user_id}" => api::cohorts::unname_lead;
    post "/api/v1/cohorts/{id}/calendar/rotate" => api::cohorts::rotate_calendar;
    get "/api/v1/cohorts/{id}/roster" => api::cohorts::roster;
    get "/api/v1/cohorts/{id}/sessions" => api::cohorts::list_sessions;
    post "/api/v1/cohorts/{id}/sessions" => api::cohorts::create_session;
    get "/api/v1/cohorts/{id}/modules" => api::content::list_modules;
    get "/api/v1/cohorts/{id}/modules/{slug}" => api::content::get_module;
    post "/api/v1/cohorts/{id}/modules/{slug}/publish" => api::content::publish_module;
    post "/api/v1/cohorts/{id}/modules/{slug}/unpublish" => api::content::unpublish_module;
    post "/api/v1/cohorts/{id}/modules/{slug}/complete" => api::content::complete_module;
    get "/api/v1/cohorts/{id}/quizzes" => api::quizzes::list_quizzes;
    post "/api/v1/cohorts/{id}/quizzes/{slug}/publish" => api::quizzes::publish_quiz;
    post "/api/v1/cohorts/{id}/quizzes/{slug}/unpublish" => api::quizzes::unpublish_quiz;
    post "/api/v1/cohorts/{id}/quizzes/{slug}/attempts" => api::quizzes::start_attempt;
    put "/api/v1/cohorts/{id}/quizzes/{slug}/overrides/{user_id}" => api::quizzes::set_override;
    get "/api/v1/cohorts/{id}/results" => api::quizzes::results;
    get "/api/v1/cohorts/{id}/quizzes/{slug}/analytics" => api::quizzes::analytics;
    get "/cohorts/{id}/quizzes/{slug}/analytics" => ui::quizzes::analytics_page;
    post "/api/v1/attempts/{id}/submit" => api::quizzes::submit;
    get "/api/v1/cohorts/{id}/marking" => api::marking::queue;
    post "/api/v1/attempts/{id}/marks/{question_id}" => api::marking::mark;
    post "/api/v1/cohorts/{id}/conflicts" => api::marking::declare_conflict;
    get "/api/v1/cohorts/{id}/observations" => api::marking::list_observations;
    get "/api/v1/cohorts/{id}/surveys" => api::evaluation::surveys;
    post "/api/v1/cohorts/{id}/surveys/{slug}/responses" => api::evaluation::respond;
    get "/api/v1/cohorts/{id}/evaluation" => api::evaluation::evaluation;
    get "/api/v1/cohorts/{id}/report" => api::evaluation::report;
    put "/api/v1/cohorts/{id}/report/narrative" => api::evaluation::save_narrative;
    post "/api/v1/cohorts/{id}/completions" => api::completions::issue;
    get "/api/v1/cohorts/{id}/completions" => api::completions::list;
    get "/api/v1/cohorts/{id}/completions.zip" => api::completions::zip;
    get "/api/v1/cohorts/{id}/signatory" => api::completions::signatory;
    put "/api/v1/cohorts/{id}/signatory" => api::completions::save_signatory;
    get "/api/v1/completions/{id}/certificate.pdf" => api::completions::pdf;
    get "/api/v1/reports/fiscal-years/{fy}" => api::evaluation::fiscal_year;
    post "/api/v1/cohorts/{id}/observations" => api::marking::record_observation;
    get "/api/v1/attempts/{id}" => api::quizzes::get_attempt;
    post "/api/v1/quizzes/import-gift" => api::quizzes::import_gift;
    get "/api/v1/quizzes/{slug}/gift" => api::quizzes::export_gift;
    get "/api/v1/modules/{slug}/revisions" => api::content::module_history;
    post "/api/v1/modules/{slug}/revisions" => api::content::save_revision;
    get "/api/v1/modules/{slug}/diff" => api::content::diff;
    get "/api/v1/module-revisions/{id}" => api::content::get_revision;
    post "/api/v1/module-revisions/{id}/approve" => api::content::approve_revision;
    post "/api/v1/module-revisions/{id}/reject" => api::content::reject_revision;
    post "/api/v1/preview" => api::content::preview;
    get "/media/{slug}/{file}" => api::content::media;
    get "/api/v1/sessions/{id}/attendance" => api::cohorts::session_attendance;
    put "/api/v1/sessions/{id}/attendance/{user_id}" => api::cohorts::mark_attendance;
    get "/api/v1/sessions/{id}/checkin-code" => api::cohorts::checkin_code;
    post "/api/v1/sessions/{id}/checkin" => api::cohorts::checkin;
    get "/api/v1/sessions/{id}/zoom-report" => api::cohorts::zoom_rows;
    post "/api/v1/sessions/{id}/zoom-report" => api::cohorts::import_zoom;
    post "/api/v1/sessions/{id}/zoom-report/{row_id}/match" => api::cohorts::match_zoom;
    get "/calendar/{id}/{file}" => api::cohorts::calendar_feed;
    get "/api/v1/cohorts/{id}/eligibility" => api::credentials::eligibility;
    get "/api/v1/cohorts/{id}/credentials" => api::credentials::of_cohort;
    post "/api/v1/cohorts/{id}/credentials/issue-eligible" => api::credentials::issue_eligible;
    post "/api/v1/credentials" => api::credentials::issue;
    get "/api/v1/credentials/{id}" => api::credentials::get;
    get "/api/v1/credentials/{id}/certificate.pdf" => api::credentials::certificate;
    get "/api/v1/cohorts/{id}/certificates.zip" => api::credentials::certificates_zip;
    post "/api/v1/credentials/{id}/suspend" => api::credentials::suspend;
    post "/api/v1/credentials/{id}/reinstate" => api::credentials::reinstate;
    post "/api/v1/credentials/{id}/revoke" => api::credentials::revoke;
    post "/api/v1/credentials/{id}/withdraw" => api::credentials::withdraw;
    post "/api/v1/credentials/{id}/renew" => api::credentials::renew;
    get "/api/v1/credentials/{id}/recertification" => api::credentials::recertification;
    get "/api/v1/me/credentials" => api::credentials::mine;
    post "/api/v1/verify" => api::credentials::verify;
    get "/api/v1/register" => api::credentials::register;
    get "/api/v1/scheme/versions" => api::governance::scheme_versions;
    post "/api/v1/cohorts/{id}/recommendations" => api::governance::recommend;
    get "/api/v1/cohorts/{id}/decisions" => api::governance::list_decisions;
    post "/api/v1/decisions/{id}/decide" => api::governance::decide;
    post "/api/v1/appeals" => api::governance::file_appeal;
    get "/api/v1/appeals" => api::governance::list_appeals;
    post "/api/v1/appeals/{id}/decide" => api::governance::decide_appeal;
    get "/api/v1/users/{id}/certification-record" => api::governance::certification_record;
    post "/api/v1/users/{id}/erase" => api::governance::erase_person;
    get "/.well-known/jwks.json" => api::credentials::jwks;
    get "/keys/{name}" => api::credentials::key;
    get "/status/{purpose}" => api::credentials::status_list;
    get "/issuer" => api::credentials::issuer_profile;
    get "/credentials/{id}" => api::credentials::credential_url;
    get "/verify" => ui::credentials::public::paste_page;
    post "/verify" => ui::credentials::public::paste_submit;
    get "/register" => ui::credentials::public::register_page;
    get "/api/v1/admin/outbox" => api::outbox::list_outbox;
    post "/api/v1/admin/outbox/{id}/retry" => api::outbox::retry_mail;

    get "/" => ui::home::home;
    get "/static/app.css" => ui::app_css;
    get "/static/fonts/{file}" => ui::font;
    get "/lang/{code}" => ui::switch_language;
    get "/login" => ui::auth::login_page;
    post "/login" => ui::auth::login_submit;
    post "/logout" => ui::auth::logout;
    get "/forgot" => ui::auth::forgot_page;
    post "/forgot" => ui::auth::forgot_submit;
    get "/reset/{token}" => ui::auth::reset_page;
    post "/reset/{token}" => ui::auth::reset_submit;
    get "/invitation/{token}" => ui::auth::invitation_page;
    post "/invitation/{token}" => ui::auth::invitation_submit;
    get "/profile" => ui::auth::account::profile;
    post "/profile/language" => ui::auth::account::save_language;
    post "/profile/password" => ui::auth::account::change_password;
    get "/static/quiz.js" => ui::quizzes::quiz_js;
    get "/static/forms.js" => ui::cohorts::forms_js;
    post "/join" => ui::cohorts::join;
    get "/cohorts/{id}" => ui::cohorts::cohort_page;
    post "/cohorts/{id}/publish" => ui::cohorts::publish;
    post "/cohorts/{id}/publish-scheme" => ui::cohorts::publish_scheme;
    post "/cohorts/{id}/members" => ui::cohorts::members::add_member;
    post "/cohorts/{id}/leads" => ui::cohorts::members::set_lead;
    post "/cohorts/{id}/issue" => ui::credentials::issue;
    post "/cohorts/{id}/issue-all" => ui::credentials::issue_all;
    get "/reports/fiscal-years/{fy}" => ui::evaluation::fiscal_year_page;
    post "/cohorts/{id}/completions" => ui::completions::issue;
    post "/cohorts/{id}/signatory" => ui::completions::save_signatory;
    get "/cohorts/{id}/signature.png" => ui::completions::signature;
    post "/cohorts/{id}/sessions" => ui::cohorts::sessions::create;
    post "/cohorts/{id}/observations" => ui::cohorts::sessions::record_observation;
    get "/sessions/{id}" => ui::cohorts::sessions::page;
    post "/sessions/{id}/attendance" => ui::cohorts::sessions::save_attendance;
    post "/sessions/{id}/checkin" => ui::cohorts::sessions::checkin;
    post "/sessions/{id}/zoom" => ui::cohorts::sessions::zoom;
    post "/sessions/{id}/zoom/{row_id}" => ui::cohorts::sessions::match_row;
    get "/cohorts/{id}/modules/{slug}" => ui::content::module_page;
    post "/cohorts/{id}/modules/{slug}/complete" => ui::content::complete;
    post "/cohorts/{id}/quizzes/{slug}/start" => ui::quizzes::start;
    get "/attempts/{id}" => ui::quizzes::attempt_page;
    post "/attempts/{id}/submit" => ui::quizzes::submit;
    get "/cohorts/{id}/marking" => ui::marking::queue_page;
    get "/cohorts/{id}/conflicts" => ui::marking::conflicts_page;
    post "/cohorts/{id}/conflicts" => ui::marking::declare_conflict;
    get "/cohorts/{id}/surveys/{slug}" => ui::evaluation::survey_page;
    get "/cohorts/{id}/report" => ui::evaluation::report_page;
    post "/cohorts/{id}/report" => ui::evaluation::save_report;
    post "/cohorts/{id}/surveys/{slug}" => ui::evaluation::survey_submit;
    get "/marking/{attempt}/{question}" => ui::marking::mark_page;
    post "/marking/{attempt}/{question}" => ui::marking::mark_submit;
    get "/static/editor.js" => ui::content::editor_js;
    get "/modules/{slug}/edit" => ui::content::edit_page;
    post "/modules/{slug}/edit" => ui::content::save;
    post "/module-revisions/{id}/review" => ui::content::review_draft;
    get "/modules/{slug}/diff" => ui::content::diff_page;
    get "/admin/cohorts" => ui::cohorts::admin_cohorts;
    post "/admin/cohorts" => ui::cohorts::create_cohort;
    get "/admin/users" => ui::users::users_page;
    post "/admin/users/import" => ui::users::import_users;
    get "/admin/credentials" => ui::credentials::credentials_page;
    post "/admin/credentials/{id}" => ui::credentials::change_credential;
    get "/admin/users/{id}" => ui::users::person_page;
    post "/admin/users/{id}/erase" => ui::users::erase;
    get "/admin/decisions" => ui::governance::decisions_page;
    post "/admin/decisions/{id}" => ui::governance::decide_recommendation;
    get "/cohorts/{id}/recommend" => ui::governance::recommend_page;
    post "/cohorts/{id}/recommend" => ui::governance::create_recommendation;
    get "/appeals" => ui::governance::appeals_page;
    post "/appeals" => ui::governance::file_appeal;
    post "/appeals/{id}/decide" => ui::governance::decide_appeal;
    get "/admin/mail" => ui::outbox::mail_page;
    post "/admin/mail/{id}/retry" => ui::outbox::retry_mail;
}
