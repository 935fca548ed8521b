//! People: the users list, importing users, and one person's page (`people`).

pub mod people;
pub use people::*;

use crate::http::ui::guard::{CsrfForm, PageAdmin};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::error::PageError;
use crate::http::ui::{lang_of, see_other, strings, Page};
use crate::http::AppState;

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
    // Cohorts still taking people, for "add the imported people to a cohort".
    let u = user.clone();
    let cohort_choices: Vec<serde_json::Value> = state
        .db
        .run(move |conn| crate::cohorts::list_cohorts(conn, &u))
        .await?
        .into_iter()
        .filter(|c| {
            matches!(
                c.status,
                crate::cohorts::model::CohortStatus::Open
                    | crate::cohorts::model::CohortStatus::Running
            )
        })
        .map(|c| serde_json::json!({"id": c.id, "name": crate::http::ui::pick(lang, &c.name_th, &c.name_en)}))
        .collect();
    let mut page = Page::new(req);
    page.flash(req, done);
    page.ctx.insert("cohort_choices", &cohort_choices);
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
    /// A cohort the imported people join (trainees as trainees, instructors as instructors),
    /// named in their invitations.
    #[serde(default)]
    cohort_id: String,
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
    let cohort_id = Some(form.cohort_id.trim().to_string()).filter(|c| !c.is_empty());
    let actor = admin.clone();
    let result = state
        .db
        .run(move |conn| {
            let cohort = match &cohort_id {
                Some(id) => Some(crate::cohorts::get_cohort(conn, &id.as_str().into(), &actor)?),
                None => None,
            };
            let to = cohort.as_ref().map(|c| {
                serde_json::json!({
                    "name_th": c.name_th, "name_en": c.name_en,
                    "dates_th": crate::http::ui::pages::date_range(crate::accounts::model::Language::Th, &c.starts_on, &c.ends_on),
                    "dates_en": crate::http::ui::pages::date_range(crate::accounts::model::Language::En, &c.starts_on, &c.ends_on),
                })
            });
            let imported = crate::accounts::import_users(conn, &csv, &base, invite, to.as_ref())?;
            if let Some(c) = &cohort {
                for (role, member) in [
                    (crate::accounts::model::Role::Trainee, crate::cohorts::model::MemberRole::Trainee),
                    (crate::accounts::model::Role::Instructor, crate::cohorts::model::MemberRole::Instructor),
                ] {
                    let emails: Vec<String> = imported
                        .iter()
                        .filter(|(_, r)| *r == role)
                        .map(|(e, _)| e.clone())
                        .collect();
                    if !emails.is_empty() {
                        crate::cohorts::add_members_by_email(conn, &c.id, &emails, member)?;
                    }
                }
            }
            Ok((imported.len(), cohort.map(|c| (c.id, c.name_th, c.name_en))))
        })
        .await;
    let empty = crate::http::api::users::UserListQuery {
        q: None,
        office_code: None,
        role: None,
    };
    match result {
        Ok((n, None)) => Ok(see_other(&format!("/admin/users?done=imported&n={n}"))),
        Ok((n, Some((id, name_th, name_en)))) => Ok(crate::http::ui::see_other_item(
            &format!("/cohorts/{id}?done=imported_into&n={n}#progress"),
            &crate::http::ui::pick(lang_of(&req), &name_th, &name_en),
        )),
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
