//! One error type for the whole service, rendered as JSON on the API and as a page on the web.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Everything a request can fail with. The `code` is a stable snake_case string for clients.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (bad JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but a value breaks a rule.
    #[error("{message}")]
    Validation { code: &'static str, message: String },
    /// No such thing, or the caller may not know it exists.
    #[error("not found")]
    NotFound,
    /// Missing, expired or invalid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this role may not do this.
    #[error("you are not allowed to do this")]
    Forbidden,
    /// A cookie-authenticated change that did not come from our own pages (another site, or
    /// no valid CSRF token bound to the session).
    #[error("{0}")]
    CrossSite(String),
    /// The request conflicts with the current state (duplicate, full, closed).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The request was refused as a whole; `details` says why, item by item (e.g. CSV rows).
    #[error("{message}")]
    Rejected {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// The body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body has a content type this endpoint does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Anything unexpected: logged with its cause chain, shown to the user as an opaque message.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error with the generic `invalid_input` code.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Validation {
            code: "invalid_input",
            message: message.into(),
        }
    }

    /// A conflict with a specific code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation { code, .. } => code,
            AppError::NotFound => "not_found",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::CrossSite(_) => "cross_site",
            AppError::Conflict { code, .. } => code,
            AppError::Rejected { code, .. } => code,
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unexpected(_) => "internal_error",
        }
    }

    /// The message shown to the user; never internal details for a 500.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unexpected(_) => {
                "something went wrong on our side; it has been logged, please try again".into()
            }
            other => other.to_string(),
        }
    }

    fn log_if_internal(&self) {
        if let AppError::Unexpected(e) = self {
            tracing::error!(error = %format!("{e:#}"), "request failed with an internal error");
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("already_exists", "that already exists")
            }
            // PostgreSQL refuses text with a NUL character; that is bad input, not a fault.
            Error::DatabaseError(_, ref info)
                if info.message().contains("0x00")
                    || info.message().contains("invalid byte sequence") =>
            {
                AppError::invalid("text must not contain NUL (0x00) characters")
            }
            other => AppError::Unexpected(anyhow::Error::new(other).context("database query")),
        }
    }
}

/// The body of every API error, as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
pub struct ApiError {
    pub error: ApiErrorDetail,
}

/// What went wrong: a stable snake_case `code`, a human message, and for some refusals the
/// `details` (for example the unmet requirements of an eligibility check).
#[derive(utoipa::ToSchema)]
pub struct ApiErrorDetail {
    pub code: String,
    pub message: String,
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CrossSite(_) => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_if_internal();
        let mut builder = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let AppError::Unauthorized(_) = self {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                details: match self {
                    AppError::Rejected { details, .. } => Some(details),
                    _ => None,
                },
            },
        })
    }
}

/// The same error rendered as a readable HTML page, for the web UI.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub AppError);

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        PageError(AppError::Unexpected(e))
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log_if_internal();
        let status = self.status_code();
        if status == StatusCode::UNAUTHORIZED {
            // A page that needs a sign-in sends the browser to the sign-in form.
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        let (title_th, title_en, next_th, next_en) = match status {
            StatusCode::NOT_FOUND => (
                "ไม่พบหน้าที่ต้องการ",
                "Page not found",
                "ตรวจสอบที่อยู่อีกครั้ง หรือกลับไปหน้าแรก",
                "Check the address, or go back to the home page.",
            ),
            StatusCode::UNAUTHORIZED => (
                "กรุณาเข้าสู่ระบบ",
                "Please sign in",
                "เข้าสู่ระบบแล้วลองอีกครั้ง",
                "Sign in, then try again.",
            ),
            StatusCode::FORBIDDEN => (
                "ไม่มีสิทธิ์เข้าถึง",
                "Not allowed",
                "หากคิดว่าควรมีสิทธิ์ โปรดติดต่อผู้ดูแลระบบ",
                "If you think you should have access, contact an administrator.",
            ),
            StatusCode::TOO_MANY_REQUESTS => (
                "พยายามหลายครั้งเกินไป",
                "Too many attempts",
                "รอสักครู่แล้วลองใหม่",
                "Wait a moment, then try again.",
            ),
            s if s.is_server_error() => (
                "เกิดข้อผิดพลาดในระบบ",
                "Something went wrong",
                "เราบันทึกปัญหาไว้แล้ว โปรดลองใหม่ภายหลัง",
                "We logged the problem. Please try again later.",
            ),
            _ => (
                "คำขอไม่ถูกต้อง",
                "The request could not be processed",
                "ตรวจสอบข้อมูลที่กรอกแล้วลองอีกครั้ง",
                "Check what you entered and try again.",
            ),
        };
        // The error in Thai and in English, from the UI strings by its code where they have
        // it (`err_<code>`), else the service's own message; never details of a 500.
        let (detail_th, detail_en) = if status.is_server_error() {
            (String::new(), String::new())
        } else {
            use crate::accounts::model::Language;
            (
                crate::http::ui::error_text(Language::Th, &self.0),
                crate::http::ui::error_text(Language::En, &self.0),
            )
        };
        let mut ctx = tera::Context::new();
        ctx.insert("status", &status.as_u16());
        ctx.insert("title_th", title_th);
        ctx.insert("title_en", title_en);
        ctx.insert("next_th", next_th);
        ctx.insert("next_en", next_en);
        ctx.insert("detail_th", &detail_th);
        ctx.insert("detail_en", &detail_en);
        let body = crate::http::ui::render_error_page(&ctx);
        let mut builder = HttpResponse::build(status);
        if let AppError::TooManyRequests { retry_after } = &self.0 {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        builder.content_type("text/html; charset=utf-8").body(body)
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
