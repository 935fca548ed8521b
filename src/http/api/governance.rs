//! Certification governance: scheme versions, recommendations, independent decisions, appeals.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::governance::{
    self, Appeal, AppealDecision, AppealRequest, DecideRequest, Decision, RecommendRequest,
    SchemeVersion,
};
use crate::http::extract::{AdminUser, CurrentUser};
use crate::http::AppState;

/// Every version of the certification scheme this deployment has run with (public).
#[utoipa::path(get, path = "/api/v1/scheme/versions", tag = "governance",
    responses((status = 200, body = [SchemeVersion])))]
pub async fn scheme_versions(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let v = state.db.run(governance::scheme_versions).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// An instructor of the cohort (or an admin) recommends a trainee for a scope.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/recommendations", tag = "governance",
    request_body = RecommendRequest, responses((status = 201, body = Decision)), security(("bearer" = [])))]
pub async fn recommend(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<RecommendRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, course) = (path.into_inner(), state.course.clone());
    let d = state
        .db
        .run(move |conn| governance::recommend(conn, &course, &id, &user.0, &body))
        .await?;
    Ok(HttpResponse::Created().json(d))
}

/// Recommendations and decisions of a cohort (its staff).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/decisions", tag = "governance",
    responses((status = 200, body = [Decision])), security(("bearer" = [])))]
pub async fn list_decisions(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let d = state
        .db
        .run(move |conn| governance::cohort_decisions(conn, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The decision on a recommendation, by an admin who did not teach the cohort; `grant` issues
/// the credential. Refused (409 `not_independent`) for the cohort's instructors and the
/// recommender; a declared conflict of interest is recorded and refused (409).
#[utoipa::path(post, path = "/api/v1/decisions/{id}/decide", tag = "governance",
    request_body = DecideRequest, responses((status = 200, body = Decision), (status = 409)), security(("bearer" = [])))]
pub async fn decide(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::governance::model::DecisionId>,
    body: web::Json<DecideRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, issuer, course) = (
        path.into_inner(),
        state.issuer.clone(),
        state.course.clone(),
    );
    let d = state
        .db
        .run(move |conn| governance::decide(conn, &issuer, &course, &id, &admin.0, &body))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// A trainee appeals their quiz result or certification decision (within 30 days).
#[utoipa::path(post, path = "/api/v1/appeals", tag = "governance",
    request_body = AppealRequest, responses((status = 201, body = Appeal)), security(("bearer" = [])))]
pub async fn file_appeal(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<AppealRequest>,
) -> Result<HttpResponse, AppError> {
    let a = state
        .db
        .run(move |conn| governance::file_appeal(conn, &user.0, &body))
        .await?;
    Ok(HttpResponse::Created().json(a))
}

/// Appeals: all of them for admins, one's own for everyone else.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "governance",
    responses((status = 200, body = [Appeal])), security(("bearer" = [])))]
pub async fn list_appeals(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let a = state
        .db
        .run(move |conn| governance::list_appeals(conn, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// The outcome of an appeal, by a reviewer who took no part in what is appealed; the appellant
/// is e-mailed.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/decide", tag = "governance",
    request_body = AppealDecision, responses((status = 200, body = Appeal), (status = 409)), security(("bearer" = [])))]
pub async fn decide_appeal(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::governance::model::AppealId>,
    body: web::Json<AppealDecision>,
) -> Result<HttpResponse, AppError> {
    let (id, issuer) = (path.into_inner(), state.issuer.clone());
    let a = state
        .db
        .run(move |conn| governance::decide_appeal(conn, &issuer, &id, &admin.0, &body))
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// One person's whole certification history as JSON with a JWS signature over it (admins, and
/// the person themself: their personal-data export).
#[utoipa::path(get, path = "/api/v1/users/{id}/certification-record", tag = "governance",
    responses((status = 200, description = "{record, signed}: the record and a compact JWS (RS256) whose payload is the record")), security(("bearer" = [])))]
pub async fn certification_record(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::accounts::model::UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let issuer = state.issuer.clone();
    let r = state
        .db
        .run(move |conn| governance::certification_record(conn, &issuer, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Erases a person's identity (PDPA), keeping what the register and the certification evidence
/// must keep; refused while they hold a live credential.
#[utoipa::path(post, path = "/api/v1/users/{id}/erase", tag = "governance",
    request_body = governance::EraseRequest, responses((status = 204), (status = 409)), security(("bearer" = [])))]
pub async fn erase_person(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::accounts::model::UserId>,
    body: web::Json<governance::EraseRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state
        .db
        .run(move |conn| governance::erase_person(conn, &id, &admin.0, &body))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
