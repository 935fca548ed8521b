//! The HTTP layer: shared state, middleware and the route table.

pub mod api;
pub mod extract;
pub mod middleware;
pub mod ratelimit;
pub mod routes;
pub mod ui;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::accounts::tokens::TokenKeys;
use crate::db::Db;
use crate::error::{AppError, PageError};
use crate::settings::Settings;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tokens: TokenKeys,
    pub templates: std::sync::Arc<tera::Tera>,
    /// Ids of the programmes in the content folder.
    pub programmes: Vec<String>,
    /// The course as loaded from the content folder at start-up.
    pub course: std::sync::Arc<crate::course::model::Course>,
    /// Who issues credentials, and how numbers look.
    pub issuer: crate::credentials::Issuer,
    /// Limits public verification requests per client.
    pub verify_limiter: ratelimit::RateLimiter,
    /// Key of the CSRF tokens (an HMAC of the session), derived from the sign-in secret.
    pub csrf_key: [u8; 32],
}

/// Mounts every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(api::json_config())
        .app_data(web::PathConfig::default().error_handler(api::path_error))
        .app_data(web::QueryConfig::default().error_handler(api::query_error))
        .app_data(ui::form_config())
        .configure(routes::register)
        .default_service(web::to(not_found));
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    if req.path().starts_with("/api/") || req.path() == "/api" {
        AppError::NotFound.error_response()
    } else {
        PageError(AppError::NotFound).error_response()
    }
}
