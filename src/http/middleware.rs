//! Cross-cutting middleware: request ids with request logging, and security headers.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use tracing::Instrument;

/// Content Security Policy: no inline script anywhere, no framing.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'";

/// Headers every response carries unless a handler set its own.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ))
        // Pages and API answers may be personal: never store them; static files override this.
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Gives each request an id (echoed in `X-Request-Id`), a tracing span and one log line.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // A NUL character can never be part of an id, a slug or a search: refused for every route
    // alike (PostgreSQL cannot store it, SQLite would; the hostile-input corpus found it).
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
    if target.to_ascii_lowercase().contains("%00") {
        return Err(crate::error::AppError::invalid(
            "the address contains a NUL character (%00), which is never valid",
        )
        .into());
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    async move {
        let mut res = next.call(req).await?;
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), v);
        }
        tracing::info!(
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
        Ok(res)
    }
    .instrument(span)
    .await
}

/// Refuses a state-changing request that a browser says comes from another site: with
/// `Sec-Fetch-Site` other than `same-origin` or `none`, or an `Origin` that is neither this
/// request's host nor the configured base URL's. Requests with an `Authorization` header are
/// left to the token (no other site can send one); programs that send neither header are not
/// browsers and pass on to the CSRF and sign-in checks.
pub async fn same_origin_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !req.method().is_safe() && !req.headers().contains_key(header::AUTHORIZATION) {
        if let Some(why) = foreign(&req) {
            let err = crate::error::AppError::CrossSite(why);
            return Err(if req.path().starts_with("/api/") {
                err.into()
            } else {
                crate::error::PageError(err).into()
            });
        }
    }
    next.call(req).await
}

fn foreign(req: &ServiceRequest) -> Option<String> {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!(
                "this request came from another site (Sec-Fetch-Site: {site}) and was refused"
            ));
        }
    }
    let origin = h.get(header::ORIGIN)?.to_str().unwrap_or("null");
    let authority = url::Url::parse(origin).ok().and_then(|u| authority_of(&u));
    let own_host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let base = req
        .app_data::<actix_web::web::Data<crate::http::AppState>>()
        .and_then(|s| authority_of(&s.settings.base_url));
    match authority {
        Some(a) if Some(a.as_str()) == own_host || Some(&a) == base.as_ref() => None,
        _ => Some(format!(
            "this request came from another site (Origin: {origin}) and was refused"
        )),
    }
}

/// `host` or `host:port` of a URL (the port only when it is not the scheme's default), as a
/// browser writes it in the `Host` header.
fn authority_of(u: &url::Url) -> Option<String> {
    u.host_str().map(|host| match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}
