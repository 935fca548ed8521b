//! Sign-in and sign-out pages.

pub mod account;

use crate::http::ui::guard::{CsrfForm, NoFields};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{see_other, Page};
use crate::error::{AppError, PageError};
use crate::http::api::auth::sign_in;
use crate::http::extract::{client_key, resolve, SECURE_SESSION_COOKIE, SESSION_COOKIE};
use crate::http::AppState;

fn session_cookie_name(state: &AppState) -> &'static str {
    if state.settings.base_url.scheme() == "https" {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    Page::new(&req).render(&state, "auth/login.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let email_shown = form.email.clone();
    match sign_in(&state, form.email, form.password, client_key(&req)).await {
        Ok((token, _expires, user)) => {
            let mut res = see_other("/");
            res.add_cookie(&session_cookie(&state, token))
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting cookie: {e}")))?;
            // The UI follows the user's preferred language from now on.
            let lang = Cookie::build(super::LANG_COOKIE, user.language.as_str())
                .path("/")
                .same_site(SameSite::Lax)
                .max_age(actix_web::cookie::time::Duration::days(365))
                .finish();
            res.add_cookie(&lang)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting cookie: {e}")))?;
            Ok(res)
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests { .. })) => {
            let mut page = Page::new(&req);
            let t = super::strings(super::lang_of(&req));
            let (key, status, retry) = match e {
                AppError::TooManyRequests { retry_after } => (
                    "too_many_attempts",
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(retry_after),
                ),
                _ => ("wrong_credentials", StatusCode::UNAUTHORIZED, None),
            };
            page.ctx.insert("error", &t.get(key));
            page.ctx.insert("email", &email_shown);
            let mut res = page.render(&state, "auth/login.html", status)?;
            if let Some(secs) = retry {
                res.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(secs),
                );
            }
            Ok(res)
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Signs out this browser (and, as the token version is bumped, every other device).
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    if let Ok(user) = resolve(req.clone()).await {
        let id = user.id;
        state
            .db
            .run(move |conn| crate::accounts::sign_out_everywhere(conn, &id))
            .await?;
    }
    let mut res = see_other("/login");
    let mut gone = Cookie::build(session_cookie_name(&state), "")
        .path("/")
        .finish();
    gone.make_removal();
    res.add_cookie(&gone)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("clearing cookie: {e}")))?;
    Ok(res)
}

pub async fn forgot_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    Page::new(&req).render(&state, "auth/forgot.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

/// Queues a reset link if the address has an account; the answer is the same either way.
pub async fn forgot_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    if let Ok(email) = crate::accounts::model::EmailAddress::parse(&form.email) {
        let base = state.settings.base_url.clone();
        state
            .db
            .run(move |conn| crate::accounts::request_password_reset(conn, &email, &base))
            .await?;
    }
    let mut page = Page::new(&req);
    page.ctx.insert("sent", &true);
    page.render(&state, "auth/forgot.html", StatusCode::OK)
}

fn link_purpose(kind: &str) -> (&'static str, &'static str, &'static str) {
    if kind == "invitation" {
        ("invitation", "invitation_title", "/invitation/")
    } else {
        ("password_reset", "reset_title", "/reset/")
    }
}

async fn link_page(
    state: &AppState,
    req: &HttpRequest,
    kind: &str,
    token: String,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let (purpose, heading, prefix) = link_purpose(kind);
    let mut page = Page::new(req);
    let t = super::strings(super::lang_of(req));
    page.ctx.insert("heading", &t.get(heading));
    page.ctx.insert("action", &format!("{prefix}{token}"));
    page.ctx.insert("error", &error);
    let found = state
        .db
        .run(move |conn| crate::accounts::user_for_link(conn, &token, purpose))
        .await;
    match found {
        Ok(user) => {
            page.ctx
                .insert("who", &format!("{} ({})", user.name, user.email));
            page.render(state, "auth/set_password.html", StatusCode::OK)
        }
        Err(AppError::Validation { .. }) => {
            page.ctx.insert("invalid", &true);
            page.render(state, "auth/set_password.html", StatusCode::NOT_FOUND)
        }
        Err(e) => Err(PageError(e)),
    }
}

pub async fn reset_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    link_page(&state, &req, "reset", path.into_inner(), None).await
}

pub async fn invitation_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    link_page(&state, &req, "invitation", path.into_inner(), None).await
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    password: String,
    confirm: String,
}

async fn link_submit(
    state: &AppState,
    req: &HttpRequest,
    kind: &str,
    token: String,
    form: SetPasswordForm,
) -> Result<HttpResponse, PageError> {
    let t = super::strings(super::lang_of(req));
    if form.password != form.confirm {
        let msg = t.get("passwords_differ").cloned();
        return link_page(state, req, kind, token, msg).await;
    }
    let hash = match crate::http::api::auth::hash_new_password(&form.password).await {
        Ok(h) => h,
        Err(e @ AppError::Validation { .. }) => {
            let message = super::error_text(super::lang_of(req), &e);
            return link_page(state, req, kind, token, Some(message)).await;
        }
        Err(e) => return Err(PageError(e)),
    };
    let (purpose, _, _) = link_purpose(kind);
    let tok = token.clone();
    let redeemed = state
        .db
        .run(move |conn| crate::accounts::redeem_link(conn, &tok, purpose, &hash))
        .await;
    let user = match redeemed {
        Ok(u) => u,
        Err(AppError::Validation { .. }) => return link_page(state, req, kind, token, None).await,
        Err(e) => return Err(PageError(e)),
    };
    if kind == "invitation" {
        let (jwt, _) = state
            .tokens
            .issue(&user.id, user.token_version, chrono::Utc::now())?;
        let mut res = see_other("/");
        res.add_cookie(&session_cookie(state, jwt))
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting cookie: {e}")))?;
        return Ok(res);
    }
    Ok(see_other("/login?done=password_set"))
}

pub async fn reset_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<SetPasswordForm>,
) -> Result<HttpResponse, PageError> {
    link_submit(&state, &req, "reset", path.into_inner(), form.into_inner()).await
}

pub async fn invitation_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<SetPasswordForm>,
) -> Result<HttpResponse, PageError> {
    link_submit(
        &state,
        &req,
        "invitation",
        path.into_inner(),
        form.into_inner(),
    )
    .await
}

/// The session cookie carrying a sign-in token: HttpOnly, SameSite=Lax, `__Host-` and Secure over HTTPS.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    let secure = state.settings.base_url.scheme() == "https";
    Cookie::build(session_cookie_name(state), token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}
