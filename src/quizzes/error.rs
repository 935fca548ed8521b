//! What the quizzes domain refuses: one variant per reason, each with the stable `code` the API
//! answers with and the pages translate (`err_<code>` in the i18n tables). Converted into
//! [`AppError`] at the edge of the domain.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    /// 409 `quiz_not_open`.
    #[error("{0}")]
    QuizNotOpen(String),
    /// 409 `quiz_closed`.
    #[error("{0}")]
    QuizClosed(String),
    /// 422 `prerequisites_not_met`.
    #[error("{message}")]
    PrerequisitesNotMet {
        message: String,
        details: serde_json::Value,
    },
    /// 409 `attempts_exhausted`.
    #[error("{0}")]
    AttemptsExhausted(String),
    /// 422 `blueprint_too_small`.
    #[error("{0}")]
    BlueprintTooSmall(String),
    /// 409 `attempt_closed`.
    #[error("{0}")]
    AttemptClosed(String),
    /// 409 `deadline_passed`.
    #[error("{0}")]
    DeadlinePassed(String),
    /// 422 `invalid_answer`.
    #[error("{0}")]
    InvalidAnswer(String),
    /// 422 `invalid_input`.
    #[error("{0}")]
    Invalid(String),
    /// 422 `not_a_trainee`.
    #[error("{0}")]
    NotATrainee(String),
    /// 409 `scheme_quiz`.
    #[error("{0}")]
    SchemeQuiz(String),
    /// 422 `cohort_required`.
    #[error("{0}")]
    CohortRequired(String),
    /// 422 `gift_rejected`.
    #[error("{message}")]
    GiftRejected {
        message: String,
        details: serde_json::Value,
    },
    /// 409 `already_marked`: this person has marked this answer.
    #[error("{0}")]
    AlreadyMarked(String),
    /// 409 `marking_complete`: the answer (or the attempt) has its final mark.
    #[error("{0}")]
    MarkingComplete(String),
    /// 409 `moderator_needed`: the markers disagree and a moderator must decide.
    #[error("{0}")]
    ModeratorNeeded(String),
    /// 409 `conflict_declared`: the marker declared a conflict of interest with the trainee.
    #[error("{0}")]
    ConflictDeclared(String),
    /// 422 `invalid_mark`.
    #[error("{message}")]
    InvalidMark {
        message: String,
        details: serde_json::Value,
    },
}

impl QuizError {
    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            QuizError::QuizNotOpen(_) => "quiz_not_open",
            QuizError::QuizClosed(_) => "quiz_closed",
            QuizError::PrerequisitesNotMet { .. } => "prerequisites_not_met",
            QuizError::AttemptsExhausted(_) => "attempts_exhausted",
            QuizError::BlueprintTooSmall(_) => "blueprint_too_small",
            QuizError::AttemptClosed(_) => "attempt_closed",
            QuizError::DeadlinePassed(_) => "deadline_passed",
            QuizError::InvalidAnswer(_) => "invalid_answer",
            QuizError::Invalid(_) => "invalid_input",
            QuizError::NotATrainee(_) => "not_a_trainee",
            QuizError::SchemeQuiz(_) => "scheme_quiz",
            QuizError::CohortRequired(_) => "cohort_required",
            QuizError::GiftRejected { .. } => "gift_rejected",
            QuizError::AlreadyMarked(_) => "already_marked",
            QuizError::MarkingComplete(_) => "marking_complete",
            QuizError::ModeratorNeeded(_) => "moderator_needed",
            QuizError::ConflictDeclared(_) => "conflict_declared",
            QuizError::InvalidMark { .. } => "invalid_mark",
        }
    }
}

impl From<QuizError> for AppError {
    fn from(e: QuizError) -> AppError {
        let code = e.code();
        match e {
            QuizError::QuizNotOpen(message) => AppError::Conflict { code, message },
            QuizError::QuizClosed(message) => AppError::Conflict { code, message },
            QuizError::PrerequisitesNotMet { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
            QuizError::AttemptsExhausted(message) => AppError::Conflict { code, message },
            QuizError::BlueprintTooSmall(message) => AppError::Validation { code, message },
            QuizError::AttemptClosed(message) => AppError::Conflict { code, message },
            QuizError::DeadlinePassed(message) => AppError::Conflict { code, message },
            QuizError::InvalidAnswer(message) => AppError::Validation { code, message },
            QuizError::Invalid(message) => AppError::Validation { code, message },
            QuizError::NotATrainee(message) => AppError::Validation { code, message },
            QuizError::SchemeQuiz(message) => AppError::Conflict { code, message },
            QuizError::CohortRequired(message) => AppError::Validation { code, message },
            QuizError::GiftRejected { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
            QuizError::AlreadyMarked(message) => AppError::Conflict { code, message },
            QuizError::MarkingComplete(message) => AppError::Conflict { code, message },
            QuizError::ModeratorNeeded(message) => AppError::Conflict { code, message },
            QuizError::ConflictDeclared(message) => AppError::Conflict { code, message },
            QuizError::InvalidMark { message, details } => AppError::Rejected {
                code,
                message,
                details,
            },
        }
    }
}
