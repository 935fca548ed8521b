//! Request extractors: who is calling, and with which role.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::accounts::{self, model::Role, User};
use crate::error::AppError;
use crate::http::AppState;

/// Name of the session cookie of the web UI (over HTTPS the `__Host-` prefixed one is used).
pub const SESSION_COOKIE: &str = "academy_session";
/// Session cookie name when the service is served over HTTPS.
pub const SECURE_SESSION_COOKIE: &str = "__Host-academy_session";

/// The signed-in user, from `Authorization: Bearer` or the session cookie.
pub struct CurrentUser(pub User);

/// A signed-in admin.
pub struct AdminUser(pub User);

/// A request whose sign-in token is genuine and current by its signature and dates. The
/// account itself (not disabled, the token's version still valid) is checked with
/// [`SignedIn::user`] on the database connection the handler uses anyway: the hottest write
/// (autosave) then takes one pooled connection instead of two.
pub struct SignedIn(accounts::tokens::Claims);

impl SignedIn {
    /// The signed-in user; 401 when the account was disabled or signed out everywhere.
    pub fn user(&self, conn: &mut crate::db::DbConnection) -> Result<User, AppError> {
        accounts::user_for_token(conn, &self.0)
    }
}

/// The address used to count failed sign-ins of one client.
pub fn client_key(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The session cookie's value, when the request carries one.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(SECURE_SESSION_COOKIE)
        .or_else(|| req.cookie(SESSION_COOKIE))
        .map(|c| c.value().to_string())
}

/// Whether the request names its caller in an `Authorization` header (a bearer token): such a
/// request cannot come from another site's form or script, so it needs no CSRF token.
pub fn has_authorization(req: &HttpRequest) -> bool {
    req.headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// The CSRF token of a request: an HMAC, under a server key, of its session cookie, or before
/// sign-in of its pre-session cookie `pre`. A planted cookie does not help another site: the
/// token cannot be computed without the key, and it changes with every sign-in.
pub fn csrf_token(req: &HttpRequest, pre: Option<&str>) -> String {
    use hmac::Mac;
    let key = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.csrf_key)
        .unwrap_or([0; 32]);
    let binding = match session_cookie(req) {
        Some(s) => format!("session:{s}"),
        None => format!("pre:{}", pre.unwrap_or("")),
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(binding.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `submitted` is this request's CSRF token (compared in constant time). A request
/// with neither a session nor a pre-session cookie has no token.
pub fn csrf_ok(req: &HttpRequest, submitted: &str) -> bool {
    let pre = req
        .cookie(crate::http::ui::CSRF_COOKIE)
        .map(|c| c.value().to_string());
    if session_cookie(req).is_none() && pre.as_deref().is_none_or(|p| p.len() != 64) {
        return false;
    }
    let expected = csrf_token(req, pre.as_deref());
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    a.len() == 64
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_from(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    session_cookie(req)
}

/// Resolves the signed-in user of a request (token from header or cookie).
pub async fn resolve(req: HttpRequest) -> Result<User, AppError> {
    let claims = claims_of(&req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))?
        .clone();
    // A primary-key read on every signed-in request: on SQLite it runs without the hand-off to
    // the blocking pool (see `Db::read`).
    state
        .db
        .read(move |conn| accounts::user_for_token(conn, &claims))
        .await
}

fn claims_of(req: &HttpRequest) -> Result<accounts::tokens::Claims, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))?;
    let token = token_from(req).ok_or_else(|| AppError::Unauthorized("sign in first".into()))?;
    // The JSON API authenticates by bearer token. Our own pages' scripts call it with the
    // session cookie, and then an unsafe request must carry the session's CSRF token in
    // `X-CSRF-Token` (a header no other site's form can send).
    if !has_authorization(req) && req.path().starts_with("/api/") && !req.method().is_safe() {
        let sent = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !csrf_ok(req, sent) {
            return Err(AppError::CrossSite(
                "the API takes a bearer token; a signed-in page must send its X-CSRF-Token".into(),
            ));
        }
    }
    state
        .tokens
        .verify(&token)
        .map_err(|_| AppError::Unauthorized("sign-in is not valid".into()))
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(claims_of(req).map(SignedIn))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(req).await.map(CurrentUser) })
    }
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = resolve(req).await?;
            if user.role != Role::Admin {
                return Err(AppError::Forbidden);
            }
            Ok(AdminUser(user))
        })
    }
}
