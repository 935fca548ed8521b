//! An admin's page about one person: identity, credentials, the signed certification record,
//! and PDPA erasure (which keeps what the register and the certification evidence must keep).

use crate::http::ui::guard::{CsrfForm, PageAdmin};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::credentials;
use crate::credentials::model::{CredentialStatus, SCOPE_WITHDRAWN};
use crate::dates;
use crate::error::PageError;
use crate::governance;
use crate::http::ui::{form_status, lang_of, pick, see_other, strings, Page};
use crate::http::AppState;

#[derive(Serialize)]
struct HeldLine {
    id: String,
    number: String,
    scope: String,
    status: CredentialStatus,
    status_label: String,
    until: String,
}

async fn render_person(
    state: &AppState,
    req: &HttpRequest,
    admin: User,
    id: crate::accounts::model::UserId,
    error: Option<(StatusCode, String, String)>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let t = strings(lang);
    let (issuer, course, who) = (state.issuer.clone(), state.course.clone(), id.clone());
    let (person, held) = state
        .db
        .run(move |conn| {
            let person = crate::accounts::get_user(conn, &who)?;
            let held = credentials::mine(conn, &issuer, &person)?;
            Ok((person, held))
        })
        .await?;
    let lines: Vec<HeldLine> = held
        .into_iter()
        .map(|c| HeldLine {
            scope: credentials::scope_title(&course, &c.scope, lang),
            status_label: match c.status_detail.as_deref() {
                Some(SCOPE_WITHDRAWN) => t.get("scope_withdrawn"),
                _ => t.get(&format!("status_{}", c.status)),
            }
            .cloned()
            .unwrap_or_else(|| c.status.to_string()),
            until: dates::format_date(c.expires_at.date(), lang),
            id: c.id.into(),
            number: c.number,
            status: c.status,
        })
        .collect();
    let live = lines.iter().any(|l| l.status.is_live());
    let office = crate::offices::find(&person.office_code)
        .map(|o| pick(lang, &o.name_th, &o.name_en))
        .unwrap_or_else(|| person.office_code.clone());
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("person", &person);
    page.ctx
        .insert("role_label", &t.get(&format!("role_{}", person.role)));
    page.ctx.insert("office_name", &office);
    page.ctx.insert("held", &lines);
    page.ctx.insert("live", &live);
    page.ctx.insert("is_self", &(person.id == admin.id));
    page.ctx.insert("user", &admin);
    let erased = person.email.ends_with("@erased.invalid");
    page.ctx.insert("erased", &erased);
    let status = match error {
        Some((status, message, reason)) => {
            page.ctx.insert("error", &message);
            page.ctx.insert("reason", &reason);
            status
        }
        None => {
            page.ctx.insert("error", &Option::<String>::None);
            page.ctx.insert("reason", "");
            StatusCode::OK
        }
    };
    page.render(state, "admin/person.html", status)
}

/// One person, for admins.
pub async fn person_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::accounts::model::UserId>,
) -> Result<HttpResponse, PageError> {
    render_person(&state, &req, admin, path.into_inner(), None).await
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    reason: String,
}

/// Erases the person's identity (PDPA); a refusal (a live credential, one's own account, no
/// reason) is shown on the page.
pub async fn erase(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::accounts::model::UserId>,
    form: CsrfForm<EraseForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let reason = form.into_inner().reason;
    let (who, by, why) = (id.clone(), admin.clone(), reason.clone());
    let done = state
        .db
        .run(move |conn| {
            governance::erase_person(conn, &who, &by, &governance::EraseRequest { reason: why })
        })
        .await;
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done=person_erased"))),
        Err(e) => match form_status(&e) {
            Some(status) => {
                let message = crate::http::ui::error_text(lang_of(&req), &e);
                render_person(&state, &req, admin, id, Some((status, message, reason))).await
            }
            None => Err(e.into()),
        },
    }
}
