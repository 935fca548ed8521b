//! The mail queue page: what was sent, what waits, what failed, and retrying.

use crate::http::ui::guard::{CsrfForm, NoFields, PageAdmin};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::dates;
use crate::email;
use crate::error::PageError;
use crate::http::ui::{lang_of, see_other, strings, Page};
use crate::http::AppState;

#[derive(Deserialize)]
pub struct MailQuery {
    status: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct MailLine {
    id: String,
    created: String,
    to_name: String,
    to_email: String,
    template: String,
    status: String,
    status_label: String,
    attempts: i32,
    last_error: Option<String>,
}

#[derive(Serialize)]
struct StatusCount {
    status: String,
    label: String,
    n: i64,
}

/// Lists queued, sent and failed mail with the last error, and a retry button for failed ones.
pub async fn mail_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    q: web::Query<MailQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let status = q.status.clone().filter(|s| !s.is_empty());
    let filter = status.clone();
    let (mails, counts) = state
        .db
        .run(move |conn| {
            Ok((
                email::list_outbox(conn, filter.as_deref(), 500)?,
                email::outbox_counts(conn)?,
            ))
        })
        .await?;
    let t = strings(lang);
    let label = |s: &str| {
        t.get(&format!("mail_status_{s}"))
            .cloned()
            .unwrap_or_else(|| s.to_string())
    };
    let lines: Vec<MailLine> = mails
        .into_iter()
        .map(|m| MailLine {
            status_label: label(&m.status),
            created: dates::format_datetime(m.created_at, lang),
            id: m.id,
            to_name: m.to_name,
            to_email: m.to_email,
            // The kind of mail in words; the template's name never shows on the page.
            template: t
                .get(&format!("mail_kind_{}", m.template))
                .cloned()
                .unwrap_or_else(|| t.get("mail_kind_other").cloned().unwrap_or_default()),
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
        })
        .collect();
    let mut page = Page::new(&req);
    page.ctx.insert("user", &user);
    page.ctx.insert("mails", &lines);
    let counts: Vec<StatusCount> = counts
        .into_iter()
        .map(|(s, n)| StatusCount {
            label: label(&s),
            status: s,
            n,
        })
        .collect();
    let statuses: Vec<StatusCount> = ["queued", "sent", "failed"]
        .iter()
        .map(|s| StatusCount {
            status: s.to_string(),
            label: label(s),
            n: 0,
        })
        .collect();
    page.ctx.insert("counts", &counts);
    page.ctx.insert("statuses", &statuses);
    page.ctx.insert("status", &status.unwrap_or_default());
    if let Some(done) = &q.done {
        page.ctx.insert("flash", &t.get(done.as_str()));
    }
    page.render(&state, "admin/mail.html", StatusCode::OK)
}

/// Queues a failed mail again.
pub async fn retry_mail(
    state: web::Data<AppState>,
    PageAdmin(_): PageAdmin,
    path: web::Path<String>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    state
        .db
        .run(move |conn| email::retry_failed(conn, &id.as_str().into()))
        .await?;
    Ok(see_other("/admin/mail?done=mail_requeued"))
}
