//! `GET /healthz`: 200 only when the database answers.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::db;
use crate::http::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

/// Liveness and readiness in one: the database must answer a query.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.backend().name();
    let ok = state
        .db
        .run(|conn| Ok(db::ping(conn)))
        .await
        .unwrap_or(false);
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: backend,
    };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
