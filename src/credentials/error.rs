//! What the credentials domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// 422 `unknown_scope`.
    #[error("{0}")]
    UnknownScope(String),
    /// 409 `not_independent`.
    #[error("{0}")]
    NotIndependent(String),
    /// 422 `not_a_trainee`.
    #[error("{0}")]
    NotATrainee(String),
    /// 422 `not_eligible`.
    #[error("{message}")]
    NotEligible {
        message: String,
        details: serde_json::Value,
    },
    /// 409 `already_active`.
    #[error("{0}")]
    AlreadyActive(String),
    /// 409 `bad_transition`.
    #[error("{0}")]
    BadTransition(String),
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 422 `recertification_not_met`.
    #[error("{message}")]
    RecertificationNotMet {
        message: String,
        details: serde_json::Value,
    },
}

impl CredentialError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::UnknownScope(_) => "unknown_scope",
            CredentialError::NotIndependent(_) => "not_independent",
            CredentialError::NotATrainee(_) => "not_a_trainee",
            CredentialError::NotEligible { .. } => "not_eligible",
            CredentialError::AlreadyActive(_) => "already_active",
            CredentialError::BadTransition(_) => "bad_transition",
            CredentialError::Invalid(_) => "invalid_input",
            CredentialError::RecertificationNotMet { .. } => "recertification_not_met",
        }
    }
}

impl From<CredentialError> for AppError {
    fn from(e: CredentialError) -> AppError {
        let code = e.code();
        match e {
            CredentialError::UnknownScope(message) => AppError::Validation { code, message },
            CredentialError::NotIndependent(message) => AppError::Conflict { code, message },
            CredentialError::NotATrainee(message) => AppError::Validation { code, message },
            CredentialError::NotEligible { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
            CredentialError::AlreadyActive(message) => AppError::Conflict { code, message },
            CredentialError::BadTransition(message) => AppError::Conflict { code, message },
            CredentialError::Invalid(message) => AppError::Validation { code, message },
            CredentialError::RecertificationNotMet { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
        }
    }
}
