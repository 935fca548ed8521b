//! Admin pages: the mail queue and the credentials.

use crate::credentials::model::CredentialStatus;
use crate::http::ui::guard::{CsrfForm, NoFields, PageAdmin};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{lang_of, see_other, strings, Page};
use crate::accounts::User;
use crate::credentials;
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

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    office_code: Option<String>,
    role: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct UserLine {
    id: String,
    name: String,
    name_en: Option<String>,
    email: String,
    role_label: String,
    office: String,
    disabled: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct OfficeChoice {
    code: String,
    label: String,
}

async fn render_users(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    query: crate::http::api::users::UserListQuery,
    done: Option<&str>,
    import_problem: Option<(String, serde_json::Value, String)>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let t = strings(lang);
    let filter = crate::http::api::users::parse_filter(&query)?;
    let users = state
        .db
        .run(move |conn| crate::accounts::list_users(conn, &filter))
        .await?;
    let office_label = |code: &str| {
        crate::offices::find(code)
            .map(|o| match lang {
                crate::accounts::model::Language::Th => o.province_th.clone(),
                crate::accounts::model::Language::En => o.province_en.clone(),
            })
            .map(|p| {
                if code == "TISI" {
                    "สมอ. / TISI".to_string()
                } else {
                    format!("{p} ({code})")
                }
            })
            .unwrap_or_else(|| code.to_string())
    };
    let lines: Vec<UserLine> = users
        .into_iter()
        .map(|u| UserLine {
            role_label: t
                .get(&format!("role_{}", u.role))
                .cloned()
                .unwrap_or_default(),
            office: office_label(&u.office_code),
            id: u.id.into(),
            name: u.name,
            name_en: u.name_en,
            email: u.email,
            disabled: u.disabled,
        })
        .collect();
    let mut offices: Vec<OfficeChoice> = crate::offices::all()
        .iter()
        .map(|o| OfficeChoice {
            code: o.code.clone(),
            label: office_label(&o.code),
        })
        .collect();
    offices[1..].sort_by_cached_key(|o| crate::thai::sort_key(&o.label));
    let roles: Vec<Choice> = ["trainee", "instructor", "admin"]
        .iter()
        .map(|r| Choice {
            value: r.to_string(),
            label: t.get(&format!("role_{r}")).cloned().unwrap_or_default(),
        })
        .collect();
    let mut page = Page::new(req);
    page.flash(req, done);
    page.ctx.insert("user", &user);
    page.ctx.insert("users", &lines);
    page.ctx.insert("offices", &offices);
    page.ctx.insert("roles", &roles);
    page.ctx.insert("q", &query.q.clone().unwrap_or_default());
    page.ctx.insert(
        "office_code",
        &query.office_code.clone().unwrap_or_default(),
    );
    page.ctx
        .insert("role", &query.role.clone().unwrap_or_default());
    let status = if let Some((message, details, csv)) = import_problem {
        page.ctx.insert("import_error", &message);
        page.ctx.insert(
            "import_rows",
            // A refusal without per-row problems (e.g. an empty file) lists none.
            &details
                .get("rows")
                .filter(|r| r.is_array())
                .cloned()
                .unwrap_or_else(|| serde_json::json!([])),
        );
        page.ctx.insert("csv", &csv);
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render(state, "admin/users.html", status)
}

/// The user list with search (inside words, Thai too) and filters by office and role.
pub async fn users_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    q: web::Query<UsersQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let query = crate::http::api::users::UserListQuery {
        q: q.q,
        office_code: q.office_code,
        role: q.role,
    };
    render_users(&state, &req, user, query, q.done.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct ImportForm {
    csv: String,
    invite: Option<String>,
}

/// Imports pasted CSV, all or nothing; shows the bad lines when it refuses.
pub async fn import_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(admin): PageAdmin,
    form: CsrfForm<ImportForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let base = state.settings.base_url.clone();
    let invite = form.invite.is_some();
    let csv = form.csv.clone();
    let result = state
        .db
        .run(move |conn| crate::accounts::import_users(conn, &csv, &base, invite))
        .await;
    let empty = crate::http::api::users::UserListQuery {
        q: None,
        office_code: None,
        role: None,
    };
    match result {
        Ok(_) => Ok(see_other("/admin/users?done=imported")),
        Err(
            e @ (crate::error::AppError::Rejected { .. }
            | crate::error::AppError::Validation { .. }),
        ) => {
            let message = super::error_text(lang_of(&req), &e);
            let details = match e {
                crate::error::AppError::Rejected { details, .. } => details,
                _ => serde_json::json!({}),
            };
            render_users(
                &state,
                &req,
                admin.clone(),
                empty,
                None,
                Some((message, details, form.csv)),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
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
    state
        .db
        .run(move |conn| {
            credentials::change_status(conn, &issuer, &course, &admin, &id, action, &reason)
        })
        .await?;
    Ok(see_other(&format!("/admin/credentials?done={done}")))
}
