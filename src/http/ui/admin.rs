//! Admin pages: the mail queue.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{check_csrf, lang_of, page_user, see_other, strings, Page};
use crate::accounts::model::Role;
use crate::dates;
use crate::email;
use crate::error::PageError;
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
    q: web::Query<MailQuery>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Admin)).await?;
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
            template: m.template,
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

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Queues a failed mail again.
pub async fn retry_mail(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    state
        .db
        .run(move |conn| email::retry_failed(conn, &id))
        .await?;
    Ok(see_other("/admin/mail?done=mail_requeued"))
}
