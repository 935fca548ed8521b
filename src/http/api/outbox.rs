//! Admin view of the mail queue.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::email::{self, OutboxEntry};
use crate::error::AppError;
use crate::http::extract::AdminUser;
use crate::http::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OutboxQuery {
    /// `queued`, `sent` or `failed`; all when omitted.
    pub status: Option<String>,
    /// At most this many, newest first (default 200).
    pub limit: Option<i64>,
}

/// Lists queued, sent and failed mails with their last error.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "mail", params(OutboxQuery),
    responses((status = 200, body = [OutboxEntry])), security(("bearer" = [])))]
pub async fn list_outbox(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let rows = state
        .db
        .run(move |conn| email::list_outbox(conn, q.status.as_deref(), q.limit.unwrap_or(200)))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Queues a failed mail again.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "mail",
    responses((status = 204), (status = 404, description = "no failed mail with this id")), security(("bearer" = [])))]
pub async fn retry_mail(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state
        .db
        .run(move |conn| email::retry_failed(conn, &id.as_str().into()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
