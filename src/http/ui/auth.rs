//! Sign-in and sign-out pages.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{check_csrf, see_other, Page};
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
    csrf: String,
}

pub async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    check_csrf(&req, &form.csrf)?;
    let email_shown = form.email.clone();
    match sign_in(&state, form.email, form.password, client_key(&req)).await {
        Ok((token, _expires, _user)) => {
            let secure = state.settings.base_url.scheme() == "https";
            let cookie = Cookie::build(session_cookie_name(&state), token)
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .finish();
            let mut res = see_other("/");
            res.add_cookie(&cookie)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting cookie: {e}")))?;
            Ok(res)
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests { .. })) => {
            let mut page = Page::new(&req);
            let t = super::strings(super::lang_of(&req));
            let (key, status) = match e {
                AppError::TooManyRequests { .. } => {
                    ("too_many_attempts", StatusCode::TOO_MANY_REQUESTS)
                }
                _ => ("wrong_credentials", StatusCode::UNAUTHORIZED),
            };
            page.ctx.insert("error", &t.get(key));
            page.ctx.insert("email", &email_shown);
            page.render(&state, "auth/login.html", status)
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Signs out this browser (and, as the token version is bumped, every other device).
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&req, &form.csrf)?;
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
