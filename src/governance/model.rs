//! The states of appeals and certification decisions, and their rules.

use serde::{Deserialize, Serialize};

/// An appeal is open until a reviewer decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    Open,
    Decided,
}

impl AppealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealStatus::Open => "open",
            AppealStatus::Decided => "decided",
        }
    }

    /// The status of a stored value (anything but `open` has been decided).
    pub fn of(stored: &str) -> AppealStatus {
        if stored == "open" {
            AppealStatus::Open
        } else {
            AppealStatus::Decided
        }
    }
}

/// What the reviewer of an appeal found: the appellant is right (`upheld`) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    Upheld,
    Dismissed,
}

impl AppealOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealOutcome::Upheld => "upheld",
            AppealOutcome::Dismissed => "dismissed",
        }
    }

    /// A reviewer's choice, as the API and the page send it.
    pub fn parse(raw: &str) -> Result<AppealOutcome, String> {
        match raw.trim() {
            "upheld" => Ok(AppealOutcome::Upheld),
            "dismissed" => Ok(AppealOutcome::Dismissed),
            _ => Err("outcome: upheld or dismissed".into()),
        }
    }
}

/// The certification decision on a recommendation: grant (the credential is issued) or refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Grant,
    Refuse,
}

impl DecisionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionOutcome::Grant => "grant",
            DecisionOutcome::Refuse => "refuse",
        }
    }

    /// A decider's choice, as the API and the page send it.
    pub fn parse(raw: &str) -> Result<DecisionOutcome, String> {
        match raw.trim() {
            "grant" => Ok(DecisionOutcome::Grant),
            "refuse" => Ok(DecisionOutcome::Refuse),
            _ => Err("outcome: grant or refuse".into()),
        }
    }

    /// The outcome of a stored decision; `None` while it waits for a decision.
    pub fn of(stored: Option<&str>) -> Option<DecisionOutcome> {
        stored.and_then(|s| DecisionOutcome::parse(s).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_back_and_anything_else_is_refused() {
        for o in [AppealOutcome::Upheld, AppealOutcome::Dismissed] {
            assert_eq!(AppealOutcome::parse(o.as_str()), Ok(o));
        }
        for o in [DecisionOutcome::Grant, DecisionOutcome::Refuse] {
            assert_eq!(DecisionOutcome::parse(o.as_str()), Ok(o));
        }
        assert!(AppealOutcome::parse("maybe").is_err());
        assert!(DecisionOutcome::parse("GRANT").is_err());
        assert_eq!(DecisionOutcome::of(None), None);
        assert_eq!(AppealStatus::of("open"), AppealStatus::Open);
        assert_eq!(AppealStatus::of("decided"), AppealStatus::Decided);
    }
}

crate::id_type!(
    /// A recommendation's (and its decision's) id.
    DecisionId
);
crate::id_type!(
    /// An appeal's id.
    AppealId
);

crate::id_type!(
    /// A certification programme's id (`programme.toml`'s `id`).
    ProgrammeId
);
crate::audited!(DecisionId, "decision");
crate::audited!(AppealId, "appeal");
