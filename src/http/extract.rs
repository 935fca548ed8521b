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

/// The client's address, used to count its sign-ins and verifications. It is the peer address,
/// unless the peer is a trusted proxy (`ACADEMY_TRUSTED_PROXIES`): then `X-Forwarded-For` is
/// read from the right, skipping trusted proxies, and the first other address is the client.
/// A client cannot choose its own key by sending the header: untrusted peers' headers are
/// ignored, and the addresses a trusted proxy appends come last.
pub fn client_key(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or(&[]);
    client_address(peer, trusted, req.headers().get_all("x-forwarded-for")).to_string()
}

/// See [`client_key`]: the client behind a chain of trusted proxies.
pub fn client_address<'a>(
    peer: std::net::IpAddr,
    trusted: &[ipnet::IpNet],
    forwarded: impl Iterator<Item = &'a actix_web::http::header::HeaderValue>,
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<std::net::IpAddr> = forwarded
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<std::net::IpAddr>())
        .collect::<Result<_, _>>()
        // A malformed header from the proxy: trust nothing in it.
        .unwrap_or_default();
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = *hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
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

#[cfg(test)]
mod tests {
    use super::client_address;
    use actix_web::http::header::HeaderValue;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_read_from_x_forwarded_for_only_through_trusted_proxies() {
        let trusted = crate::settings::parse_proxies("127.0.0.1, 10.0.0.0/8").unwrap();
        let h = |v: &str| vec![HeaderValue::from_str(v).unwrap()];
        // No trusted proxy in front: the header is the client's own word, ignored.
        assert_eq!(
            client_address(ip("203.0.113.9"), &trusted, h("198.51.100.1").iter()),
            ip("203.0.113.9")
        );
        // Through the proxy: the rightmost address not a proxy, whatever the client prepended.
        assert_eq!(
            client_address(
                ip("127.0.0.1"),
                &trusted,
                h("1.2.3.4, 198.51.100.7, 10.1.2.3").iter()
            ),
            ip("198.51.100.7")
        );
        // Through the proxy without a header: the proxy itself.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, h("").iter().take(0)),
            ip("127.0.0.1")
        );
        // A malformed header is not believed.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, h("nonsense, 1.2.3.4").iter()),
            ip("127.0.0.1")
        );
        assert!(crate::settings::parse_proxies("127.0.0.1, not-an-ip").is_err());
    }
}
