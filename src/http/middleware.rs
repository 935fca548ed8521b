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
