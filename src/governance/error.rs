//! What the governance domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// 409 `not_final`.
    #[error("{0}")]
    NotFinal(String),
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 409 `appeal_window_closed`.
    #[error("{0}")]
    AppealWindowClosed(String),
    /// 409 `appeal_open`.
    #[error("{0}")]
    AppealOpen(String),
    /// 409 `already_decided`.
    #[error("{0}")]
    AlreadyDecided(String),
    /// 409 `not_independent`.
    #[error("{0}")]
    NotIndependent(String),
    /// 409 `conflict_of_interest`.
    #[error("{0}")]
    ConflictOfInterest(String),
    /// 409 `scheme_changed`.
    #[error("{0}")]
    SchemeChanged(String),
    /// 409 `own_account`.
    #[error("{0}")]
    OwnAccount(String),
    /// 409 `register_must_keep`.
    #[error("{0}")]
    RegisterMustKeep(String),
}

impl GovernanceError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            GovernanceError::NotFinal(_) => "not_final",
            GovernanceError::Invalid(_) => "invalid_input",
            GovernanceError::AppealWindowClosed(_) => "appeal_window_closed",
            GovernanceError::AppealOpen(_) => "appeal_open",
            GovernanceError::AlreadyDecided(_) => "already_decided",
            GovernanceError::NotIndependent(_) => "not_independent",
            GovernanceError::ConflictOfInterest(_) => "conflict_of_interest",
            GovernanceError::SchemeChanged(_) => "scheme_changed",
            GovernanceError::OwnAccount(_) => "own_account",
            GovernanceError::RegisterMustKeep(_) => "register_must_keep",
        }
    }
}

impl From<GovernanceError> for AppError {
    fn from(e: GovernanceError) -> AppError {
        let code = e.code();
        match e {
            GovernanceError::NotFinal(message) => AppError::Conflict { code, message },
            GovernanceError::Invalid(message) => AppError::Validation { code, message },
            GovernanceError::AppealWindowClosed(message) => AppError::Conflict { code, message },
            GovernanceError::AppealOpen(message) => AppError::Conflict { code, message },
            GovernanceError::AlreadyDecided(message) => AppError::Conflict { code, message },
            GovernanceError::NotIndependent(message) => AppError::Conflict { code, message },
            GovernanceError::ConflictOfInterest(message) => AppError::Conflict { code, message },
            GovernanceError::SchemeChanged(message) => AppError::Conflict { code, message },
            GovernanceError::OwnAccount(message) => AppError::Conflict { code, message },
            GovernanceError::RegisterMustKeep(message) => AppError::Conflict { code, message },
        }
    }
}
