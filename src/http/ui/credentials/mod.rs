//! Credentials: the admins' list and status changes, issuing from the cohort page (`issue`), and
//! the public verification pages and register (`public`).

pub mod issue;
pub mod public;
pub use issue::*;
pub use public::*;

use crate::credentials::model::CredentialStatus;
use crate::http::ui::guard::{CsrfForm, PageAdmin};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::credentials;
use crate::dates;
use crate::error::PageError;
use crate::http::ui::{lang_of, see_other_item, strings, Page};
use crate::http::AppState;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Deserialize)]
pub struct CredentialsQuery {
    status: Option<String>,
    q: Option<String>,
    /// The page of the list, from 1.
    page: Option<String>,
    /// A credential the page must show (after a status change): its page is opened, and the
    /// filters are dropped if it no longer matches them.
    at: Option<String>,
}

/// Rows per page of the credentials list (a phone shows about three rows a screen).
const PER_PAGE: usize = 25;

/// The list's address with its filters and a page (the pager's links, a changed row's return).
fn list_url(status: &str, q: &str, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if !status.is_empty() {
        s.append_pair("status", status);
    }
    if !q.is_empty() {
        s.append_pair("q", q);
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let query = s.finish();
    if query.is_empty() {
        "/admin/credentials".into()
    } else {
        format!("/admin/credentials?{query}")
    }
}

#[derive(Serialize)]
struct CredentialLine {
    id: String,
    number: String,
    holder: String,
    office: String,
    scope: String,
    status: String,
    /// The status as shown (a credential past its date is expired whatever is stored).
    effective: String,
    status_label: String,
    reason: Option<String>,
    withdrawn: bool,
    issued: String,
    until: String,
}

/// Every credential with its holder, filterable by status (as shown: a credential past its date
/// is "expired") and text, 25 to a page, with suspend, reinstate and revoke forms (each asks
/// for a reason).
pub async fn credentials_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    q: web::Query<CredentialsQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let mut status = q
        .status
        .as_deref()
        .and_then(CredentialStatus::parse)
        .filter(|s| CredentialStatus::STORED.contains(s));
    let mut typed = q.q.clone().unwrap_or_default();
    let rows = state
        .db
        .run(move |conn| Ok(credentials::store::all_with_holders(conn, None, 100_000)?))
        .await?;
    let t = strings(lang);
    let now = state.db.clock().now();
    let mut lines: Vec<(CredentialLine, String)> = rows
        .into_iter()
        .map(|(row, name, name_en, office_code)| {
            let office = crate::offices::find(&office_code)
                .map(|o| match lang {
                    crate::accounts::model::Language::En => o.name_en.clone(),
                    crate::accounts::model::Language::Th => o.name_th.clone(),
                })
                .unwrap_or_else(|| office_code.clone());
            // Shown by its province, as on the other lists; found by its full name too.
            let province = crate::http::ui::province(lang, &office_code);
            let holder = match (&name_en, lang) {
                (Some(en), crate::accounts::model::Language::En) => en.clone(),
                _ => name,
            };
            let text = crate::quizzes::engine::normalise_text(&format!(
                "{holder} {} {} {office} {province}",
                name_en.unwrap_or_default(),
                row.number
            ));
            let office = province;
            let effective = credentials::effective_status(&row, now).to_string();
            let line = CredentialLine {
                status_label: t
                    .get(&format!("cred_{effective}"))
                    .cloned()
                    .unwrap_or_else(|| effective.clone()),
                scope: credentials::scope_title(&state.course, &row.scope, lang),
                issued: dates::format_date(row.issued_at.date(), lang),
                until: dates::format_date(row.valid_until.date(), lang),
                reason: row.status_reason,
                withdrawn: row.status_detail.is_some(),
                id: row.id.into(),
                number: row.number,
                holder,
                office,
                status: row.status,
                effective,
            };
            (line, text)
        })
        .collect();
    let matches = |(line, text): &(CredentialLine, String),
                   status: Option<CredentialStatus>,
                   needle: &str| {
        status.is_none_or(|s| line.effective == s.as_str())
            && (needle.is_empty() || text.contains(needle))
    };
    let needle = |typed: &str| crate::quizzes::engine::normalise_text(typed);
    // A changed credential that no longer matches the filters (suspended while "valid" was
    // chosen) is still shown: the status filter gives way, then the search.
    let at = q.at.clone().unwrap_or_default();
    if let Some(changed) = lines.iter().find(|(l, _)| !at.is_empty() && l.id == at) {
        if !matches(changed, status, &needle(&typed)) {
            status = None;
            if !matches(changed, None, &needle(&typed)) {
                typed.clear();
            }
        }
    }
    let wanted = needle(&typed);
    lines.retain(|x| matches(x, status, &wanted));
    let total = lines.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let number = match lines.iter().position(|(l, _)| !at.is_empty() && l.id == at) {
        Some(i) => i / PER_PAGE + 1,
        None => q
            .page
            .as_deref()
            .and_then(|p| p.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, pages),
    };
    let shown: Vec<CredentialLine> = lines
        .into_iter()
        .skip((number - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|(l, _)| l)
        .collect();
    let status_str = status.map(CredentialStatus::as_str).unwrap_or_default();
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert("user", &user);
    if total > 0 {
        page.ctx.insert(
            "showing",
            &t.get("list_showing")
                .cloned()
                .unwrap_or_default()
                .replace("{from}", &((number - 1) * PER_PAGE + 1).to_string())
                .replace("{to}", &((number - 1) * PER_PAGE + shown.len()).to_string())
                .replace("{total}", &total.to_string()),
        );
    }
    if pages > 1 {
        page.ctx.insert(
            "pager",
            &serde_json::json!({
                "prev": (number > 1).then(|| list_url(status_str, &typed, number - 1)),
                "next": (number < pages).then(|| list_url(status_str, &typed, number + 1)),
                "label": t.get("page_of").cloned().unwrap_or_default()
                    .replace("{page}", &number.to_string())
                    .replace("{pages}", &pages.to_string()),
            }),
        );
    }
    page.ctx.insert("credentials", &shown);
    let statuses: Vec<Choice> = ["active", "suspended", "revoked", "expired"]
        .iter()
        .map(|s| Choice {
            value: s.to_string(),
            label: t.get(&format!("cred_{s}")).cloned().unwrap_or_default(),
        })
        .collect();
    page.ctx.insert("statuses", &statuses);
    page.ctx.insert("status", status_str);
    page.ctx.insert("q", &typed);
    page.render(&state, "admin/credentials.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    /// The list's filters the form was sent from, to return to them.
    #[serde(default)]
    back_status: String,
    #[serde(default)]
    back_q: String,
}

/// Suspends, reinstates, revokes or withdraws the scope of one credential from the admin page.
pub async fn change_credential(
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::credentials::model::CredentialId>,
    form: CsrfForm<StatusForm>,
) -> Result<HttpResponse, PageError> {
    let action = match form.action.as_str() {
        "suspend" => credentials::StatusAction::Suspend,
        "reinstate" => credentials::StatusAction::Reinstate,
        "revoke" => credentials::StatusAction::Revoke,
        "withdraw" => credentials::StatusAction::Withdraw,
        _ => {
            return Err(crate::error::AppError::invalid(
                "action: one of suspend, reinstate, revoke, withdraw",
            )
            .into())
        }
    };
    // The flash names the new state ("suspend" + "d" gave credential_suspendd: no message).
    let done = match action {
        credentials::StatusAction::Suspend => "credential_suspended",
        credentials::StatusAction::Reinstate => "credential_reinstated",
        credentials::StatusAction::Revoke => "credential_revoked",
        credentials::StatusAction::Withdraw => "credential_withdrawn",
    };
    let (id, reason) = (path.into_inner(), form.reason.clone());
    let back = list_url(
        CredentialStatus::parse(&form.back_status)
            .map(CredentialStatus::as_str)
            .unwrap_or_default(),
        // A search is a name or a number: a longer one is not carried into the address.
        &form.back_q.trim().chars().take(200).collect::<String>(),
        1,
    );
    let sep = if back.contains('?') { '&' } else { '?' };
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let cred = state
        .db
        .run(move |conn| {
            credentials::change_status(conn, &issuer, &course, &admin, &id, action, &reason)
        })
        .await?;
    Ok(see_other_item(
        &format!("{back}{sep}done={done}&at={}#cred-{}", cred.id, cred.id),
        &format!("{} · {}", cred.number, cred.holder_name),
    ))
}
