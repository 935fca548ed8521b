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
}

#[derive(Serialize)]
struct CredentialLine {
    id: String,
    number: String,
    holder: String,
    office: String,
    scope: String,
    status: String,
    status_label: String,
    reason: Option<String>,
    withdrawn: bool,
    issued: String,
    until: String,
}

/// Every credential with its holder, filterable by status and text, with suspend, reinstate and
/// revoke forms (each asks for a reason).
pub async fn credentials_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    q: web::Query<CredentialsQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let status = q
        .status
        .as_deref()
        .and_then(CredentialStatus::parse)
        .filter(|s| CredentialStatus::STORED.contains(s));
    let needle =
        q.q.as_deref()
            .map(crate::quizzes::engine::normalise_text)
            .filter(|s| !s.is_empty());
    let filter = status;
    let rows = state
        .db
        .run(move |conn| Ok(credentials::store::all_with_holders(conn, filter, 2000)?))
        .await?;
    let t = strings(lang);
    let now = state.db.clock().now();
    let lines: Vec<CredentialLine> = rows
        .into_iter()
        .filter_map(|(row, name, name_en, office_code)| {
            let office = crate::offices::find(&office_code)
                .map(|o| match lang {
                    crate::accounts::model::Language::En => o.name_en.clone(),
                    crate::accounts::model::Language::Th => o.name_th.clone(),
                })
                .unwrap_or_else(|| office_code.clone());
            let holder = match (&name_en, lang) {
                (Some(en), crate::accounts::model::Language::En) => en.clone(),
                _ => name,
            };
            let text = crate::quizzes::engine::normalise_text(&format!(
                "{holder} {} {} {office}",
                name_en.unwrap_or_default(),
                row.number
            ));
            if needle.as_ref().is_some_and(|n| !text.contains(n.as_str())) {
                return None;
            }
            let effective = credentials::effective_status(&row, now).to_string();
            Some(CredentialLine {
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
            })
        })
        .collect();
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert("user", &user);
    page.ctx.insert("credentials", &lines);
    let statuses: Vec<Choice> = ["active", "suspended", "revoked", "expired"]
        .iter()
        .map(|s| Choice {
            value: s.to_string(),
            label: t.get(&format!("cred_{s}")).cloned().unwrap_or_default(),
        })
        .collect();
    page.ctx.insert("statuses", &statuses);
    page.ctx.insert(
        "status",
        &status.map(CredentialStatus::as_str).unwrap_or_default(),
    );
    page.ctx.insert("q", &q.q.clone().unwrap_or_default());
    page.render(&state, "admin/credentials.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
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
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let cred = state
        .db
        .run(move |conn| {
            credentials::change_status(conn, &issuer, &course, &admin, &id, action, &reason)
        })
        .await?;
    Ok(see_other_item(
        &format!("/admin/credentials?done={done}#cred-{}", cred.id),
        &format!("{} · {}", cred.number, cred.holder_name),
    ))
}
