//! What the evaluation domain refuses: one variant per reason, each with its stable `code`
//! (translated on pages as `err_<code>`). Converted into [`AppError`] at the domain's edge.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 409 `already_responded`: each person answers a survey once.
    #[error("{0}")]
    AlreadyResponded(String),
}

impl EvaluationError {
    pub fn code(&self) -> &'static str {
        match self {
            EvaluationError::Invalid(_) => "invalid_input",
            EvaluationError::AlreadyResponded(_) => "already_responded",
        }
    }
}

impl From<EvaluationError> for AppError {
    fn from(e: EvaluationError) -> AppError {
        let code = e.code();
        match e {
            EvaluationError::Invalid(message) => AppError::Validation { code, message },
            EvaluationError::AlreadyResponded(message) => AppError::Conflict { code, message },
        }
    }
}
