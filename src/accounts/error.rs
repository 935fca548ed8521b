//! What the accounts domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// 422 `unknown_office`.
    #[error("{0}")]
    UnknownOffice(String),
    /// 409 `email_taken`.
    #[error("{0}")]
    EmailTaken(String),
    /// 422 `invalid_token`.
    #[error("{0}")]
    InvalidToken(String),
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 422 `import_rejected`.
    #[error("{message}")]
    ImportRejected {
        message: String,
        details: serde_json::Value,
    },
}

impl AccountError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::UnknownOffice(_) => "unknown_office",
            AccountError::EmailTaken(_) => "email_taken",
            AccountError::InvalidToken(_) => "invalid_token",
            AccountError::Invalid(_) => "invalid_input",
            AccountError::ImportRejected { .. } => "import_rejected",
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> AppError {
        let code = e.code();
        match e {
            AccountError::UnknownOffice(message) => AppError::Validation { code, message },
            AccountError::EmailTaken(message) => AppError::Conflict { code, message },
            AccountError::InvalidToken(message) => AppError::Validation { code, message },
            AccountError::Invalid(message) => AppError::Validation { code, message },
            AccountError::ImportRejected { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
        }
    }
}
