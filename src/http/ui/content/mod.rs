//! The module editor for instructors: Markdown with live preview, saved as a new revision;
//! revision history with a diff between any two.

pub mod modules;
pub use modules::*;

use crate::course::model::RevisionStatus;
use crate::http::ui::guard::{CsrfForm, PageAdmin, PageStaff};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{lang_of, see_other, Page};
use crate::accounts::{model::Role, User};
use crate::course::{self, ModuleEdit};
use crate::dates;
use crate::error::{AppError, PageError};
use crate::http::AppState;

async fn render(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    slug: String,
    draft: Option<ModuleEdit>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let s = slug.clone();
    let (history, latest, base_id) = state
        .db
        .run(move |conn| {
            let h = course::module_history(conn, &s)?;
            // The editor starts from the newest approved text, never from a pending draft.
            let base = h
                .iter()
                .find(|r| r.status == RevisionStatus::Approved)
                .map_or_else(|| h[0].id.clone(), |r| r.id.clone());
            let latest = course::revision_source(conn, &base.as_str().into())?;
            Ok((h, latest, base))
        })
        .await?;
    let rev = match draft {
        Some(d) => {
            json!({"title_th": d.title_th, "title_en": d.title_en, "markdown_th": d.markdown_th, "markdown_en": d.markdown_en})
        }
        None => {
            json!({"title_th": latest.title_th, "title_en": latest.title_en, "markdown_th": latest.markdown_th, "markdown_en": latest.markdown_en})
        }
    };
    let history: Vec<serde_json::Value> = history
        .iter()
        .map(|r| json!({"id": r.id, "created": dates::format_datetime(r.created_at, lang), "source": super::strings(lang).get(&format!("revision_source_{}", r.source)).cloned().unwrap_or_else(|| r.source.to_string()), "title_th": r.title_th,
                        "status": r.status, "status_label": super::strings(lang).get(&format!("revision_status_{}", r.status)).cloned().unwrap_or_else(|| r.status.to_string())}))
        .collect();
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("slug", &slug);
    page.ctx
        .insert("module_title", &module_title(state, &slug, lang));
    page.ctx.insert("rev", &rev);
    page.ctx.insert("history", &history);
    page.ctx.insert("error", &error);
    page.ctx.insert("is_admin", &(user.role == Role::Admin));
    page.ctx.insert("approved_id", &base_id);
    page.ctx.insert("user", &user);
    page.render(
        state,
        "modules/edit.html",
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
    )
}

pub async fn edit_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageStaff(user): PageStaff,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&state, &req, user, path.into_inner(), None, None).await
}

#[derive(Deserialize)]
pub struct EditForm {
    title_th: String,
    title_en: String,
    markdown_th: String,
    markdown_en: String,
}

/// Saves the edit as a new revision.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageStaff(user): PageStaff,
    path: web::Path<String>,
    form: CsrfForm<EditForm>,
) -> Result<HttpResponse, PageError> {
    let slug = path.into_inner();
    let f = form.into_inner();
    let edit = ModuleEdit {
        title_th: f.title_th.trim().into(),
        title_en: f.title_en.trim().into(),
        markdown_th: f.markdown_th.replace("\r\n", "\n"),
        markdown_en: f.markdown_en.replace("\r\n", "\n"),
    };
    if edit.title_th.is_empty() || edit.title_en.is_empty() {
        return render(
            &state,
            &req,
            user,
            slug,
            Some(edit),
            Some("both titles are required".into()),
        )
        .await;
    }
    let (s, e, u) = (slug.clone(), edit.clone(), user.clone());
    match state
        .db
        .run(move |conn| course::save_module_edit(conn, &s, &e, &u))
        .await
    {
        Ok(r) if r.status == RevisionStatus::Draft => {
            Ok(see_other(&format!("/modules/{slug}/edit?done=draft_saved")))
        }
        Ok(_) => Ok(see_other(&format!(
            "/modules/{slug}/edit?done=revision_saved"
        ))),
        Err(e @ AppError::Validation { .. }) => {
            let message = super::error_text(lang_of(&req), &e);
            render(&state, &req, user, slug, Some(edit), Some(message)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
}

/// An admin approves or rejects an instructor's draft from the editor's history.
pub async fn review_draft(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<String>,
    form: CsrfForm<ReviewForm>,
) -> Result<HttpResponse, PageError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(PageError(AppError::invalid("decision: approve or reject"))),
    };
    let id = path.into_inner();
    let r = state
        .db
        .run(move |conn| {
            let r = course::review_module_draft(conn, &id.as_str().into(), approve, &user)?;
            Ok(course::revision_source(conn, &r.id.as_str().into())?.slug)
        })
        .await?;
    Ok(see_other(&format!(
        "/modules/{r}/edit?done={}",
        if approve {
            "draft_approved"
        } else {
            "draft_rejected"
        }
    )))
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The line diff between two revisions (Thai text, or English with the English UI).
pub async fn diff_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageStaff(user): PageStaff,
    path: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let slug = path.into_inner();
    let q = q.into_inner();
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return Err(PageError(AppError::invalid(
            "choose two revisions to compare",
        )));
    };
    let lines = state
        .db
        .run(move |conn| course::diff_revisions(conn, &from, &to, lang))
        .await?;
    let skipped = super::strings(lang)
        .get("diff_unchanged")
        .cloned()
        .unwrap_or_default();
    let lines = fold_unchanged(lines, DIFF_CONTEXT, &skipped);
    let mut page = Page::new(&req);
    page.ctx.insert("slug", &slug);
    page.ctx
        .insert("module_title", &module_title(&state, &slug, lang));
    page.ctx.insert("lines", &lines);
    page.ctx.insert("user", &user);
    page.render(&state, "modules/diff.html", StatusCode::OK)
}

/// A module named by its title in the reader's language (headings never show the slug).
fn module_title(state: &AppState, slug: &str, lang: crate::accounts::model::Language) -> String {
    state
        .course
        .modules
        .iter()
        .find(|m| m.slug == slug)
        .map(|m| crate::http::ui::pick(lang, &m.th.title, &m.en.title))
        .unwrap_or_else(|| slug.to_string())
}

/// Unchanged lines kept around each change on the diff page.
const DIFF_CONTEXT: usize = 3;

/// The changes with `context` unchanged lines around each; every longer unchanged run is one
/// line saying how many lines it hides (`{n}` in `skipped`). The whole file was shown, an "="
/// on every line, and a one-line change was hard to find in a 300-line module.
fn fold_unchanged(
    lines: Vec<course::DiffLine>,
    context: usize,
    skipped: &str,
) -> Vec<course::DiffLine> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.op != "=")
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= context);
    let mut out = Vec::new();
    let mut hidden = 0usize;
    for (i, l) in lines.into_iter().enumerate() {
        if l.op != "=" || near(i) {
            if hidden > 0 {
                out.push(course::DiffLine {
                    op: "…",
                    text: skipped.replace("{n}", &hidden.to_string()),
                });
                hidden = 0;
            }
            out.push(l);
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        out.push(course::DiffLine {
            op: "…",
            text: skipped.replace("{n}", &hidden.to_string()),
        });
    }
    out
}

/// The editor's preview script.
pub async fn editor_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../../static/editor.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(op: &'static str, text: &str) -> course::DiffLine {
        course::DiffLine {
            op,
            text: text.into(),
        }
    }

    #[test]
    fn a_one_line_change_shows_three_lines_around_it_and_counts_the_rest() {
        let mut lines: Vec<course::DiffLine> =
            (0..20).map(|i| line("=", &format!("l{i}"))).collect();
        lines[10] = line("-", "old");
        lines.insert(11, line("+", "new"));
        let out = fold_unchanged(lines, 3, "{n} hidden");
        let shown: Vec<String> = out.iter().map(|l| format!("{}{}", l.op, l.text)).collect();
        assert_eq!(
            shown,
            [
                "…7 hidden",
                "=l7",
                "=l8",
                "=l9",
                "-old",
                "+new",
                "=l11",
                "=l12",
                "=l13",
                "…6 hidden"
            ]
        );
        assert!(fold_unchanged(Vec::new(), 3, "{n}").is_empty());
    }
}
