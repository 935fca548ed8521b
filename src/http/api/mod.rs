//! The JSON API under `/api`.

pub mod auth;
pub mod cohorts;
pub mod completions;
pub mod content;
pub mod credentials;
pub mod evaluation;
pub mod governance;
pub mod health;
pub mod marking;
pub mod openapi;
pub mod outbox;
pub mod quizzes;
pub mod users;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::AppError;

/// Largest JSON body accepted by the API.
pub const JSON_LIMIT: usize = 256 * 1024;

/// JSON extraction with the error body of the contract and the right status per failure.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(json_error)
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::PayloadTooLarge(format!("the body is larger than {} KiB", JSON_LIMIT / 1024))
        }
        JsonPayloadError::ContentType => {
            AppError::UnsupportedMediaType("send the body as application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => AppError::Validation {
            code: "invalid_field",
            message: format!("the body does not have the expected fields: {e}"),
        },
        JsonPayloadError::Deserialize(e) => AppError::BadRequest(format!("malformed JSON: {e}")),
        other => AppError::BadRequest(format!("could not read the body: {other}")),
    };
    app.into()
}

pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "bad path parameter");
    AppError::NotFound.into()
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    AppError::BadRequest(format!("bad query string: {err}")).into()
}

/// Reads a text body (CSV, GIFT) of at most `limit` bytes; `text/*` content types only.
pub async fn read_text_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<String, AppError> {
    let ctype = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype.starts_with("text/") {
        return Err(AppError::UnsupportedMediaType(
            "send the file as text (text/csv or text/plain)".into(),
        ));
    }
    let bytes = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| {
            AppError::PayloadTooLarge(format!("the file is larger than {} KiB", limit / 1024))
        })?
        .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| AppError::invalid("the file is not UTF-8 text"))
}
