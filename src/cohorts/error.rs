//! What the cohorts domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 422 `not_a_trainee`.
    #[error("{0}")]
    NotATrainee(String),
    /// 409 `checkin_closed`.
    #[error("{0}")]
    CheckinClosed(String),
    /// 422 `wrong_code`.
    #[error("{0}")]
    WrongCode(String),
    /// 422 `unknown_join_code`.
    #[error("{0}")]
    UnknownJoinCode(String),
    /// 409 `already_member`.
    #[error("{0}")]
    AlreadyMember(String),
    /// 409 `cohort_closed`.
    #[error("{0}")]
    CohortClosed(String),
    /// 409 `cohort_full`.
    #[error("{0}")]
    CohortFull(String),
    /// 422 `unknown_user`.
    #[error("{0}")]
    UnknownUser(String),
    /// 422 `role_mismatch`.
    #[error("{0}")]
    RoleMismatch(String),
    /// 409 `bad_transition`.
    #[error("{0}")]
    BadTransition(String),
    /// 409 `capacity_below_members`.
    #[error("{0}")]
    CapacityBelowMembers(String),
    /// 409 `generation_taken`.
    #[error("{0}")]
    GenerationTaken(String),
}

impl CohortError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            CohortError::Invalid(_) => "invalid_input",
            CohortError::NotATrainee(_) => "not_a_trainee",
            CohortError::CheckinClosed(_) => "checkin_closed",
            CohortError::WrongCode(_) => "wrong_code",
            CohortError::UnknownJoinCode(_) => "unknown_join_code",
            CohortError::AlreadyMember(_) => "already_member",
            CohortError::CohortClosed(_) => "cohort_closed",
            CohortError::CohortFull(_) => "cohort_full",
            CohortError::UnknownUser(_) => "unknown_user",
            CohortError::RoleMismatch(_) => "role_mismatch",
            CohortError::BadTransition(_) => "bad_transition",
            CohortError::CapacityBelowMembers(_) => "capacity_below_members",
            CohortError::GenerationTaken(_) => "generation_taken",
        }
    }
}

impl From<CohortError> for AppError {
    fn from(e: CohortError) -> AppError {
        let code = e.code();
        match e {
            CohortError::Invalid(message) => AppError::Validation { code, message },
            CohortError::NotATrainee(message) => AppError::Validation { code, message },
            CohortError::CheckinClosed(message) => AppError::Conflict { code, message },
            CohortError::WrongCode(message) => AppError::Validation { code, message },
            CohortError::UnknownJoinCode(message) => AppError::Validation { code, message },
            CohortError::AlreadyMember(message) => AppError::Conflict { code, message },
            CohortError::CohortClosed(message) => AppError::Conflict { code, message },
            CohortError::CohortFull(message) => AppError::Conflict { code, message },
            CohortError::UnknownUser(message) => AppError::Validation { code, message },
            CohortError::RoleMismatch(message) => AppError::Validation { code, message },
            CohortError::BadTransition(message) => AppError::Conflict { code, message },
            CohortError::CapacityBelowMembers(message) => AppError::Conflict { code, message },
            CohortError::GenerationTaken(message) => AppError::Conflict { code, message },
        }
    }
}
