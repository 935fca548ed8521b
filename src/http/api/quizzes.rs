//! Quizzes: listing and publishing per cohort, attempts, autosave, submit, review, overrides.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::model::Language;
use crate::cohorts::model::CohortId;
use crate::error::AppError;
use crate::http::api::content::LangQuery;
use crate::http::extract::{CurrentUser, SignedIn};
use crate::http::AppState;
use crate::quizzes::{self, AttemptResult, AttemptStart, AttemptView, QuizListItem};

fn lang(q: &LangQuery, user: &crate::accounts::User) -> Language {
    q.lang
        .as_deref()
        .map(Language::parse_or_default)
        .unwrap_or(user.language)
}

fn parse_time(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| Some(d.naive_utc()))
            .map_err(|_| AppError::Validation {
                code: "invalid_time",
                message: format!("{name}: '{s}' is not a time like 2022-02-15T09:30:00+07:00"),
            }),
    }
}

/// Quizzes of the cohort (trainees: published ones).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/quizzes", tag = "quizzes", params(LangQuery),
    responses((status = 200, body = [QuizListItem])), security(("bearer" = [])))]
pub async fn list_quizzes(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let l = lang(&q, &user.0);
    let list = state
        .db
        .run(move |conn| quizzes::cohort_quizzes(conn, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct PublishQuizRequest {
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
}

/// Opens the quiz to the cohort, optionally between two times.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/quizzes/{slug}/publish", tag = "quizzes", request_body = PublishQuizRequest,
    responses((status = 200, body = QuizListItem), (status = 422, description = "a pool is too small")), security(("bearer" = [])))]
pub async fn publish_quiz(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    body: Option<web::Json<PublishQuizRequest>>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let b = body.map(|b| b.into_inner()).unwrap_or_default();
    let opens = parse_time("opens_at", b.opens_at.as_deref())?;
    let closes = parse_time("closes_at", b.closes_at.as_deref())?;
    let item = state
        .db
        .run(move |conn| quizzes::publish_quiz(conn, &id, &slug, &user.0, opens, closes))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Withdraws the quiz from the cohort.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/quizzes/{slug}/unpublish", tag = "quizzes", responses((status = 204)), security(("bearer" = [])))]
pub async fn unpublish_quiz(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    state
        .db
        .run(move |conn| crate::course::unpublish(conn, &id, "quiz", &slug, &user.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts an attempt (201) or resumes the open one (200). Never contains an answer key.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/quizzes/{slug}/attempts", tag = "quizzes", params(LangQuery),
    responses((status = 201, body = AttemptStart), (status = 200, body = AttemptStart, description = "resumed"), (status = 409, description = "no attempts left, or closed")),
    security(("bearer" = [])))]
pub async fn start_attempt(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let l = lang(&q, &user.0);
    let (start, created) = state
        .db
        .run(move |conn| quizzes::start_attempt(conn, &id, &slug, &user.0, l))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(start)
    } else {
        HttpResponse::Ok().json(start)
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerRequest {
    /// Shape by kind: single "id"; multiple ["id"]; true_false bool; short_text "text"; numeric number; matching {"left": "right"}.
    pub answer: Value,
}

/// Autosaves one answer; 409 once the attempt is closed.
#[utoipa::path(put, path = "/api/v1/attempts/{id}/answers/{question_id}", tag = "quizzes", request_body = AnswerRequest,
    responses((status = 200), (status = 409, description = "attempt closed"), (status = 422, description = "answer of the wrong shape")), security(("bearer" = [])))]
pub async fn save_answer(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(
        crate::quizzes::model::AttemptId,
        crate::quizzes::model::QuestionId,
    )>,
    body: web::Json<AnswerRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, question) = path.into_inner();
    let answer = body.into_inner().answer;
    if answer.to_string().len() > 8 * 1024 {
        return Err(AppError::invalid("the answer is too long"));
    }
    // The account check and the save share one pooled connection.
    let saved_at = state
        .db
        .run(move |conn| {
            let user = who.user(conn)?;
            quizzes::save_answer(conn, &id, &question, &user, &answer)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "saved_at": crate::dates::utc::to_string(&saved_at) })))
}

/// Submits and grades the attempt; repeated submits return the same result.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "quizzes",
    responses((status = 200, body = AttemptResult), (status = 409, description = "the deadline passed")), security(("bearer" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<crate::quizzes::model::AttemptId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let r = state
        .db
        .run(move |conn| {
            let user = who.user(conn)?;
            quizzes::submit(conn, &id, &user)
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The attempt with its saved answers, state and deadline; review only when allowed.
#[utoipa::path(get, path = "/api/v1/attempts/{id}", tag = "quizzes", params(LangQuery),
    responses((status = 200, body = AttemptView), (status = 404)), security(("bearer" = [])))]
pub async fn get_attempt(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::quizzes::model::AttemptId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let l = lang(&q, &user.0);
    let v = state
        .db
        .run(move |conn| quizzes::get_attempt(conn, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OverrideRequest {
    pub extra_seconds: i32,
    pub extra_attempts: i32,
}

/// Extra time or attempts for one trainee.
#[utoipa::path(put, path = "/api/v1/cohorts/{id}/quizzes/{slug}/overrides/{user_id}", tag = "quizzes", request_body = OverrideRequest,
    responses((status = 204)), security(("bearer" = [])))]
pub async fn set_override(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(CohortId, String, crate::accounts::model::UserId)>,
    body: web::Json<OverrideRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, slug, trainee) = path.into_inner();
    let b = body.into_inner();
    state
        .db
        .run(move |conn| {
            quizzes::set_override(
                conn,
                &id,
                &slug,
                &trainee,
                &user.0,
                b.extra_seconds,
                b.extra_attempts,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every trainee's result per quiz (by the quiz's grading method), for staff.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/results", tag = "quizzes",
    responses((status = 200, body = [quizzes::QuizResult])), security(("bearer" = [])))]
pub async fn results(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let r = state
        .db
        .run(move |conn| {
            crate::cohorts::authorize(conn, &id, &user.0, crate::cohorts::Access::Staff)?;
            quizzes::cohort_results(conn, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct GiftImportQuery {
    /// The quiz's id, `[a-z0-9-]{1,64}`; importing again makes a new revision.
    pub slug: String,
    pub title_th: Option<String>,
    pub title_en: Option<String>,
    pub time_limit_s: Option<u32>,
    pub attempts_allowed: Option<u32>,
    pub pass_percent: Option<u8>,
    /// `never`, `after_submit` (default) or `after_close`.
    pub review: Option<String>,
    /// The cohort the quiz is for (required for instructors, who import for a cohort they
    /// teach; admins may leave it out for a programme-wide quiz).
    pub cohort_id: Option<String>,
    /// `true`: import the file without the questions this service cannot take yet (essays),
    /// listed in the report's `skipped`, instead of refusing the file.
    #[serde(default)]
    pub skip_unsupported: bool,
}

/// Imports a Moodle GIFT question bank (text/plain) as a quiz, all or nothing.
#[utoipa::path(post, path = "/api/v1/quizzes/import-gift", tag = "quizzes", params(GiftImportQuery),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 201, body = quizzes::GiftImported, description = "the quiz, and `report`: what each question became (`imported`: line, id, kind, notes) and what was left out (`skipped`)"), (status = 422, description = "nothing imported; error.details.errors has line numbers")),
    security(("bearer" = [])))]
pub async fn import_gift(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: actix_web::HttpRequest,
    q: web::Query<GiftImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    if !matches!(
        user.0.role,
        crate::accounts::model::Role::Instructor | crate::accounts::model::Role::Admin
    ) {
        return Err(AppError::Forbidden);
    }
    let q = q.into_inner();
    let valid_slug = !q.slug.is_empty()
        && q.slug.len() <= 64
        && q.slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_slug {
        return Err(AppError::invalid("slug: use 1–64 of a-z, 0-9 and -"));
    }
    let review = match q.review.as_deref() {
        None => None,
        Some("after_submit") => Some(quizzes::model::ReviewPolicy::AfterSubmit),
        Some("after_close") => Some(quizzes::model::ReviewPolicy::AfterClose),
        Some("never") => Some(quizzes::model::ReviewPolicy::Never),
        Some(o) => {
            return Err(AppError::invalid(format!(
                "review: '{o}' is not never, after_submit or after_close"
            )))
        }
    };
    if q.pass_percent.is_some_and(|p| p > 100) {
        return Err(AppError::invalid("pass_percent: 0 to 100"));
    }
    if q.attempts_allowed == Some(0) {
        return Err(AppError::invalid("attempts_allowed: at least 1"));
    }
    let text = crate::http::api::read_text_body(&req, payload, 2 * 1024 * 1024).await?;
    let settings = quizzes::ImportSettings {
        title_th: q.title_th,
        title_en: q.title_en,
        slug: q.slug,
        time_limit_s: q.time_limit_s,
        attempts_allowed: q.attempts_allowed,
        pass_percent: q.pass_percent,
        review,
        cohort_id: q.cohort_id.filter(|c| !c.is_empty()).map(CohortId::from),
        skip_unsupported: q.skip_unsupported,
    };
    let course = state.course.clone();
    let item = state
        .db
        .run(move |conn| {
            let scheme = course.programme.scheme_quizzes();
            quizzes::import_gift(conn, &settings, &text, &user.0, &scheme)
        })
        .await?;
    Ok(HttpResponse::Created().json(item))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct GiftExportQuery {
    /// A cohort whose own quiz to export (its staff only); without it, the programme-wide quiz.
    pub cohort_id: Option<String>,
}

/// The quiz's questions as GIFT (instructors and admins).
#[utoipa::path(get, path = "/api/v1/quizzes/{slug}/gift", tag = "quizzes", params(GiftExportQuery), responses((status = 200, content_type = "text/plain")), security(("bearer" = [])))]
pub async fn export_gift(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<GiftExportQuery>,
) -> Result<HttpResponse, AppError> {
    if !matches!(
        user.0.role,
        crate::accounts::model::Role::Instructor | crate::accounts::model::Role::Admin
    ) {
        return Err(AppError::Forbidden);
    }
    let slug = path.into_inner();
    let cohort = q
        .into_inner()
        .cohort_id
        .filter(|c| !c.is_empty())
        .map(CohortId::from);
    let text = state
        .db
        .run(move |conn| {
            if let Some(c) = &cohort {
                crate::cohorts::authorize(conn, c, &user.0, crate::cohorts::Access::Staff)?;
            }
            quizzes::export_gift(conn, &slug, cohort.as_ref())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AnalyticsQuery {
    /// `json` (default) or `csv` (results per attempt, one column per question id).
    pub format: Option<String>,
}

/// Item analysis of the quiz in the cohort (cohort instructors and admins).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/quizzes/{slug}/analytics", tag = "quizzes", params(AnalyticsQuery),
    responses((status = 200, body = quizzes::analytics::QuizStats)), security(("bearer" = [])))]
pub async fn analytics(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    q: web::Query<AnalyticsQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let (stats, table) = state
        .db
        .run(move |conn| {
            crate::cohorts::authorize(conn, &id, &user.0, crate::cohorts::Access::Staff)?;
            quizzes::cohort_analytics(conn, &id, &slug)
        })
        .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok().json(stats)),
        Some(format @ ("csv" | "xlsx")) => {
            let qids: Vec<String> = stats
                .questions
                .iter()
                .map(|q| q.question_id.clone())
                .collect();
            let mut header: Vec<&str> = vec!["user_id", "attempt", "percent"];
            header.extend(qids.iter().map(String::as_str));
            let rows: Vec<Vec<String>> = table
                .iter()
                .map(|(u, n, p, scores)| {
                    let mut r = vec![u.to_string(), n.to_string(), format!("{p:.2}")];
                    r.extend(
                        qids.iter()
                            .map(|q| scores.get(q).map(|s| format!("{s:.2}")).unwrap_or_default()),
                    );
                    r
                })
                .collect();
            if format == "xlsx" {
                return Ok(crate::http::api::cohorts::xlsx_response(
                    "results.xlsx",
                    crate::http::api::cohorts::xlsx("results", &header, &rows)?,
                ));
            }
            let body = crate::http::api::cohorts::csv_with_bom(&header, &rows)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "content-disposition",
                    "attachment; filename=\"results.csv\"",
                ))
                .body(body))
        }
        Some(o) => Err(AppError::invalid(format!(
            "format: '{o}' is not json or csv"
        ))),
    }
}
