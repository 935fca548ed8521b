//! The training project's own measures: surveys and their anonymous responses, and the
//! cohort's evaluation (pre/post, satisfaction, hours).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::model::Language;
use crate::cohorts::model::CohortId;
use crate::error::AppError;
use crate::evaluation::{self, Evaluation, SurveyView};
use crate::http::api::content::LangQuery;
use crate::http::extract::CurrentUser;
use crate::http::AppState;

fn lang(q: &LangQuery, user: &crate::accounts::User) -> Language {
    q.lang
        .as_deref()
        .map(Language::parse_or_default)
        .unwrap_or(user.language)
}

/// The programme's surveys, with whether this person has answered (members).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/surveys", tag = "evaluation", params(LangQuery),
    responses((status = 200, body = [SurveyView])), security(("bearer" = [])))]
pub async fn surveys(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, course, l) = (path.into_inner(), state.course.clone(), lang(&q, &user.0));
    let list = state
        .db
        .read(move |conn| evaluation::cohort_surveys(conn, &course, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A survey response: every five-level item 1–5, open questions as text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SurveyResponse {
    pub answers: BTreeMap<String, Value>,
}

/// Answers a survey (a trainee of the cohort, once). Stored without the person.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/surveys/{slug}/responses", tag = "evaluation",
    request_body = SurveyResponse,
    responses((status = 201), (status = 409, body = crate::error::ApiError), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn respond(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(CohortId, String)>,
    body: web::Json<SurveyResponse>,
) -> Result<HttpResponse, AppError> {
    let ((id, slug), course, body) = (path.into_inner(), state.course.clone(), body.into_inner());
    state
        .db
        .run(move |conn| evaluation::respond(conn, &course, &id, &slug, &user.0, &body.answers))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"recorded": true})))
}

/// The cohort's evaluation as the project reports it (cohort staff).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/evaluation", tag = "evaluation", params(LangQuery),
    responses((status = 200, body = Evaluation)), security(("bearer" = [])))]
pub async fn evaluation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, course, l) = (path.into_inner(), state.course.clone(), lang(&q, &user.0));
    let e = state
        .db
        .read(move |conn| evaluation::evaluation(conn, &course, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}
