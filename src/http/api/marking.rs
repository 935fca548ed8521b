//! Marking written answers: the blind queue of a cohort, marks per answer, and declarations of a
//! conflict of interest with a trainee (which keep that person's answers from the declarer).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::cohorts::model::CohortId;
use crate::error::AppError;
use crate::governance::{self, ConflictDeclaration};
use crate::http::api::content::LangQuery;
use crate::http::extract::CurrentUser;
use crate::http::AppState;
use crate::quizzes::marking::{self, MarkOutcome, MarkingItem};
use crate::quizzes::model::AttemptId;

/// Written answers waiting for this person's mark (or moderation), oldest first, without the
/// names, offices or ids of their authors.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/marking", tag = "marking", params(LangQuery),
    responses((status = 200, body = [MarkingItem]), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let l = q
        .lang
        .as_deref()
        .map(crate::accounts::model::Language::parse_or_default)
        .unwrap_or(user.0.language);
    let items = state
        .db
        .read(move |conn| marking::queue(conn, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// A mark: a level for every criterion of the rubric, and a comment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MarkRequest {
    /// `{criterion_id: level_id}`, one for every criterion.
    pub levels: BTreeMap<String, String>,
    pub comment: String,
}

/// Marks one written answer. A second marker's total that differs from the first by more than
/// the quiz's threshold sends the answer to a moderator; when every answer has its final mark,
/// the attempt is graded and the trainee e-mailed (once).
#[utoipa::path(post, path = "/api/v1/attempts/{id}/marks/{question_id}", tag = "marking",
    request_body = MarkRequest,
    responses((status = 201, body = MarkOutcome), (status = 409, body = crate::error::ApiError), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn mark(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(AttemptId, String)>,
    body: web::Json<MarkRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, question) = path.into_inner();
    let link = state.issuer.url("");
    let body = body.into_inner();
    let outcome = state
        .db
        .run(move |conn| {
            marking::mark(
                conn,
                &id,
                &question,
                &user.0,
                &body.levels,
                &body.comment,
                &link,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(outcome))
}

/// Declares a conflict of interest with a trainee of the cohort (cohort staff): their written
/// answers leave this person's marking queue, and the declaration is audited.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/conflicts", tag = "marking",
    request_body = ConflictDeclaration,
    responses((status = 201), (status = 422, body = crate::error::ApiError)), security(("bearer" = [])))]
pub async fn declare_conflict(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    body: web::Json<ConflictDeclaration>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = body.into_inner();
    state
        .db
        .run(move |conn| governance::declare_conflict(conn, &id, &user.0, &body))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"declared": true})))
}

/// Records an observed joint assessment of a trainee (cohort staff).
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/observations", tag = "marking",
    request_body = crate::cohorts::observations::ObservationRequest,
    responses((status = 201, body = crate::cohorts::observations::Observation), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn record_observation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    body: web::Json<crate::cohorts::observations::ObservationRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let course = state.course.clone();
    let body = body.into_inner();
    let o = state
        .db
        .run(move |conn| crate::cohorts::observations::record(conn, &course, &id, &user.0, &body))
        .await?;
    Ok(HttpResponse::Created().json(o))
}

/// The cohort's observed assessments (cohort staff).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/observations", tag = "marking",
    responses((status = 200, body = [crate::cohorts::observations::Observation])), security(("bearer" = [])))]
pub async fn list_observations(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let list = state
        .db
        .read(move |conn| crate::cohorts::observations::list(conn, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
