//! The signed-in user's own profile: language preference and password change.

use crate::http::ui::guard::{CsrfForm, PageUser};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::accounts::{self, model::Language, password, User, UserUpdate};
use crate::error::{AppError, PageError};
use crate::http::ui::{lang_of, see_other, strings, Page};
use crate::http::AppState;
use crate::offices;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn render_profile(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    error: Option<String>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let t = strings(lang);
    let mut page = Page::new(req);
    page.flash(req, done);
    page.ctx
        .insert("role_label", &t.get(&format!("role_{}", user.role)));
    page.ctx.insert(
        "office_name",
        &offices::find(&user.office_code).map(|o| {
            if lang == Language::En {
                o.name_en.clone()
            } else {
                o.name_th.clone()
            }
        }),
    );
    page.ctx.insert("user", &user);
    page.ctx.insert("error", &error);
    page.ctx
        .insert("retention", crate::governance::retention::RULES);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render(state, "account/profile.html", status)
}

pub async fn profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    render_profile(&state, &req, user, None, q.done.as_deref()).await
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
}

/// Saves the preferred language (for e-mails and the UI) and switches the UI to it.
pub async fn save_language(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: CsrfForm<LanguageForm>,
) -> Result<HttpResponse, PageError> {
    let language = Language::parse_or_default(&form.language);
    let update = UserUpdate {
        language: Some(language),
        ..Default::default()
    };
    state
        .db
        .run(move |conn| accounts::update_user(conn, &user.id, &update))
        .await?;
    let mut res = see_other("/profile?done=language_saved");
    res.add_cookie(
        &Cookie::build(crate::http::ui::LANG_COOKIE, language.as_str())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish(),
    )
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting cookie: {e}")))?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    password: String,
    confirm: String,
}

/// Changes the password; every sign-in ends, so the user signs in again.
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let t = strings(lang_of(&req));
    if form.password != form.confirm {
        let msg = t.get("passwords_differ").cloned();
        return render_profile(&state, &req, user, msg, None).await;
    }
    let id = user.id.clone();
    let stored = state
        .db
        .run(move |conn| accounts::password_hash_of(conn, &id))
        .await?;
    let current = form.current;
    let ok = web::block(move || password::verify(&current, stored.as_deref()))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("password check: {e}")))?;
    if !ok {
        let msg = t.get("wrong_credentials").cloned();
        return render_profile(&state, &req, user, msg, None).await;
    }
    let hash = match crate::http::api::auth::hash_new_password(&form.password).await {
        Ok(h) => h,
        Err(e @ AppError::Validation { .. }) => {
            let message = crate::http::ui::error_text(lang_of(&req), &e);
            return render_profile(&state, &req, user, Some(message), None).await;
        }
        Err(e) => return Err(PageError(e)),
    };
    let id = user.id.clone();
    state
        .db
        .run(move |conn| accounts::set_password_hash(conn, &id, &hash))
        .await?;
    Ok(see_other("/login?done=password_changed"))
}
