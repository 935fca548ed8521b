//! Course modules: reading, publishing, progress, and editing revisions in the browser.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::accounts::model::{Language, Role};
use crate::course::{self, DiffLine, ModuleEdit, ModuleListItem, ModuleView, RevisionInfo};
use crate::error::AppError;
use crate::http::extract::{AdminUser, CurrentUser};
use crate::http::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LangQuery {
    /// `th` or `en`; defaults to the user's preferred language.
    pub lang: Option<String>,
}

fn lang_of(q: &LangQuery, user: &crate::accounts::User) -> Language {
    q.lang
        .as_deref()
        .map(Language::parse_or_default)
        .unwrap_or(user.language)
}

fn require_staff(user: &crate::accounts::User) -> Result<(), AppError> {
    if matches!(user.role, Role::Instructor | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Modules published to the cohort (staff see every module, with `published`).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/modules", tag = "content", params(LangQuery),
    responses((status = 200, body = [ModuleListItem])), security(("bearer" = [])))]
pub async fn list_modules(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = lang_of(&q, &user.0);
    let list = state
        .db
        .run(move |conn| course::cohort_modules(conn, &id, &user.0, lang))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A module's text as sanitised HTML; drafts are a 404 to trainees; prerequisites first.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/modules/{slug}", tag = "content", params(LangQuery),
    responses((status = 200, body = ModuleView), (status = 404), (status = 409, description = "prerequisites not met")), security(("bearer" = [])))]
pub async fn get_module(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let lang = lang_of(&q, &user.0);
    let m = state
        .db
        .run(move |conn| course::module_for(conn, &id, &slug, &user.0, lang))
        .await?;
    Ok(HttpResponse::Ok().json(m))
}

/// Publishes the module's newest revision to the cohort.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/modules/{slug}/publish", tag = "content",
    responses((status = 200, body = ModuleListItem)), security(("bearer" = [])))]
pub async fn publish_module(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let m = state
        .db
        .run(move |conn| course::publish_module(conn, &id, &slug, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(m))
}

/// Withdraws the module from the cohort.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/modules/{slug}/unpublish", tag = "content",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn unpublish_module(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    state
        .db
        .run(move |conn| course::unpublish(conn, &id, "module", &slug, &user.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A trainee marks the module as read.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/modules/{slug}/complete", tag = "content",
    responses((status = 204), (status = 409, description = "prerequisites not met")), security(("bearer" = [])))]
pub async fn complete_module(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    state
        .db
        .run(move |conn| course::complete_module(conn, &id, &slug, &user.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The revision history of a module (instructors and admins).
#[utoipa::path(get, path = "/api/v1/modules/{slug}/revisions", tag = "content",
    responses((status = 200, body = [RevisionInfo])), security(("bearer" = [])))]
pub async fn module_history(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user.0)?;
    let slug = path.into_inner();
    let h = state
        .db
        .run(move |conn| course::module_history(conn, &slug))
        .await?;
    Ok(HttpResponse::Ok().json(h))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    pub title_th: String,
    pub title_en: String,
    pub markdown_th: String,
    pub markdown_en: String,
}

/// Saves a browser edit of a module: an admin's is a new approved revision, an instructor's a
/// draft waiting for an admin (`status` says which); publish it separately.
#[utoipa::path(post, path = "/api/v1/modules/{slug}/revisions", tag = "content", request_body = EditRequest,
    responses((status = 201, body = RevisionInfo)), security(("bearer" = [])))]
pub async fn save_revision(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<EditRequest>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user.0)?;
    let b = body.into_inner();
    for (name, v, max) in [
        ("title_th", &b.title_th, 300),
        ("title_en", &b.title_en, 300),
    ] {
        if v.trim().is_empty() || v.chars().count() > max || v.chars().any(|c| c.is_control()) {
            return Err(AppError::invalid(format!(
                "{name}: 1 to {max} characters, one line"
            )));
        }
    }
    let edit = ModuleEdit {
        title_th: b.title_th.trim().into(),
        title_en: b.title_en.trim().into(),
        markdown_th: b.markdown_th,
        markdown_en: b.markdown_en,
    };
    let slug = path.into_inner();
    let r = state
        .db
        .run(move |conn| course::save_module_edit(conn, &slug, &edit, &user.0))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// A revision with its Markdown (instructors and admins).
#[utoipa::path(get, path = "/api/v1/module-revisions/{id}", tag = "content", responses((status = 200)), security(("bearer" = [])))]
pub async fn get_revision(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user.0)?;
    let id = path.into_inner();
    let r = state
        .db
        .run(move |conn| course::revision_source(conn, &id.as_str().into()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": r.id, "slug": r.slug, "source": r.source, "created_at": crate::dates::utc::to_string(&r.created_at), "status": r.status,
        "title_th": r.title_th, "title_en": r.title_en, "markdown_th": r.markdown_th, "markdown_en": r.markdown_en,
        "html_th": r.html_th, "html_en": r.html_en,
    })))
}

/// An admin approves an instructor's draft: it becomes the module's newest revision (audited).
#[utoipa::path(post, path = "/api/v1/module-revisions/{id}/approve", tag = "content",
    responses((status = 200, body = RevisionInfo), (status = 409, description = "not a draft")), security(("bearer" = [])))]
pub async fn approve_revision(
    state: web::Data<AppState>,
    user: AdminUser,
    path: web::Path<crate::course::model::RevisionId>,
) -> Result<HttpResponse, AppError> {
    review_draft(&state, user, path.into_inner(), true).await
}

async fn review_draft(
    state: &AppState,
    user: AdminUser,
    id: crate::course::model::RevisionId,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let r = state
        .db
        .run(move |conn| course::review_module_draft(conn, &id, approve, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// An admin rejects an instructor's draft (audited); it is kept in the history.
#[utoipa::path(post, path = "/api/v1/module-revisions/{id}/reject", tag = "content",
    responses((status = 200, body = RevisionInfo), (status = 409, description = "not a draft")), security(("bearer" = [])))]
pub async fn reject_revision(
    state: web::Data<AppState>,
    user: AdminUser,
    path: web::Path<crate::course::model::RevisionId>,
) -> Result<HttpResponse, AppError> {
    review_draft(&state, user, path.into_inner(), false).await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub lang: Option<String>,
}

/// Line diff between two revisions of a module.
#[utoipa::path(get, path = "/api/v1/modules/{slug}/diff", tag = "content", params(DiffQuery),
    responses((status = 200, body = [DiffLine])), security(("bearer" = [])))]
pub async fn diff(
    state: web::Data<AppState>,
    user: CurrentUser,
    _path: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user.0)?;
    let q = q.into_inner();
    let lang = q
        .lang
        .as_deref()
        .map(Language::parse_or_default)
        .unwrap_or(Language::Th);
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return Err(AppError::invalid(
            "give the two revisions as ?from=ID&to=ID",
        ));
    };
    let d = state
        .db
        .run(move |conn| course::diff_revisions(conn, &from, &to, lang))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewRequest {
    pub markdown: String,
}

/// Renders Markdown the way trainees will see it (live preview while editing).
#[utoipa::path(post, path = "/api/v1/preview", tag = "content", request_body = PreviewRequest,
    responses((status = 200)), security(("bearer" = [])))]
pub async fn preview(
    user: CurrentUser,
    body: web::Json<PreviewRequest>,
) -> Result<HttpResponse, AppError> {
    require_staff(&user.0)?;
    let md = body.into_inner().markdown;
    let html = web::block(move || course::render::render_markdown(&md, "/media/preview/"))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("render: {e}")))?
        .map_err(AppError::invalid)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "html": html })))
}

/// Images beside a module's Markdown in the content folder.
#[utoipa::path(get, path = "/media/{slug}/{file}", tag = "content",
    params(("slug" = String, Path, description = "The module's slug"),
        ("file" = String, Path, description = "The image's file name")),
    responses((status = 200, description = "The image", content_type = "image/*"),
        (status = 404, description = "No such image")))]
pub async fn media(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, file) = path.into_inner();
    let ok_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !s.starts_with('.')
    };
    if !ok_name(&slug) || !ok_name(&file) {
        return Err(AppError::NotFound);
    }
    let ctype = match file
        .rsplit('.')
        .next()
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => return Err(AppError::NotFound),
    };
    let p = state
        .settings
        .content_dir
        .join("modules")
        .join(&slug)
        .join(&file);
    let bytes = web::block(move || std::fs::read(p))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?
        .map_err(|_| AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(bytes))
}
