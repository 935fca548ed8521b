//! Completion certificates (วุฒิบัตร): who signs them, issuing them to those who met the
//! completion rule, and their PDFs.

use actix_web::{web, HttpResponse};

use crate::cohorts::model::CohortId;
use crate::error::AppError;
use crate::evaluation::completion::{self, CompletionId, CompletionView, Signatory};
use crate::http::extract::{AdminUser, CurrentUser};
use crate::http::AppState;

/// Issues the completion certificate to every trainee of the cohort who met the programme's
/// completion rule and has none yet (admins): 201 when any was issued, else 200; the body lists
/// every certificate of the cohort.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/completions", tag = "evaluation",
    responses((status = 201, body = [CompletionView]), (status = 200, body = [CompletionView]),
        (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn issue(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<CohortId>,
) -> Result<HttpResponse, AppError> {
    let (id, course, issuer) = (
        path.into_inner(),
        state.course.clone(),
        state.issuer.clone(),
    );
    let (list, issued) = state
        .db
        .run(move |conn| completion::issue(conn, &issuer, &course, &id, &admin.0))
        .await?;
    Ok(if issued > 0 {
        HttpResponse::Created().json(list)
    } else {
        HttpResponse::Ok().json(list)
    })
}

/// The cohort's completion certificates (cohort staff).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/completions", tag = "evaluation",
    responses((status = 200, body = [CompletionView])), security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let list = state
        .db
        .read(move |conn| completion::list(conn, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Who signs the cohort's certificates (admins).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/signatory", tag = "evaluation",
    responses((status = 200, body = Signatory), (status = 404)), security(("bearer" = [])))]
pub async fn signatory(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let s = state
        .db
        .read(move |conn| completion::signatory(conn, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(s))
}

/// Names who signs the cohort's certificates (admins): names and positions in Thai and
/// English, and optionally the signature as a PNG in base64.
#[utoipa::path(put, path = "/api/v1/cohorts/{id}/signatory", tag = "evaluation",
    request_body = Signatory,
    responses((status = 200, body = Signatory), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn save_signatory(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<CohortId>,
    body: web::Json<Signatory>,
) -> Result<HttpResponse, AppError> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let s = state
        .db
        .run(move |conn| completion::save_signatory(conn, &id, &admin.0, &body))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// One completion certificate as PDF (A4 landscape), for its holder and the cohort's staff.
#[utoipa::path(get, path = "/api/v1/completions/{id}/certificate.pdf", tag = "evaluation",
    responses((status = 200, content_type = "application/pdf"), (status = 404)),
    security(("bearer" = [])))]
pub async fn pdf(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CompletionId>,
) -> Result<HttpResponse, AppError> {
    let (id, course, issuer) = (
        path.into_inner(),
        state.course.clone(),
        state.issuer.clone(),
    );
    let (name, bytes) = state
        .db
        .read(move |conn| completion::pdf(conn, &issuer, &course, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            format!("inline; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// Every completion certificate of the cohort as PDFs in one ZIP (cohort staff).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/completions.zip", tag = "evaluation",
    responses((status = 200, content_type = "application/zip")), security(("bearer" = [])))]
pub async fn zip(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
) -> Result<HttpResponse, AppError> {
    let (id, course, issuer) = (
        path.into_inner(),
        state.course.clone(),
        state.issuer.clone(),
    );
    let name = format!("completions-{id}.zip");
    let bytes = state
        .db
        .read(move |conn| completion::zip(conn, &issuer, &course, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
