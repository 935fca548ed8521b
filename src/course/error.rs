//! What the course domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum CourseError {
    /// 409 `prerequisites_not_met`.
    #[error("{0}")]
    PrerequisitesNotMet(String),
    /// 409 `not_a_draft`.
    #[error("{0}")]
    NotADraft(String),
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
}

impl CourseError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            CourseError::PrerequisitesNotMet(_) => "prerequisites_not_met",
            CourseError::NotADraft(_) => "not_a_draft",
            CourseError::Invalid(_) => "invalid_input",
        }
    }
}

impl From<CourseError> for AppError {
    fn from(e: CourseError) -> AppError {
        let code = e.code();
        match e {
            CourseError::PrerequisitesNotMet(message) => AppError::Conflict { code, message },
            CourseError::NotADraft(message) => AppError::Conflict { code, message },
            CourseError::Invalid(message) => AppError::Validation { code, message },
        }
    }
}
