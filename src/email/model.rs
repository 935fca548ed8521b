//! The state of a mail in the outbox.

use serde::{Deserialize, Serialize};

/// Queued (waiting for its next try), sent, or failed for good (an admin may queue it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Queued,
    Sent,
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    /// A status as a filter names it.
    pub fn parse(raw: &str) -> Result<OutboxStatus, String> {
        match raw {
            "queued" => Ok(OutboxStatus::Queued),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            other => Err(format!(
                "unknown status '{other}': use queued, sent or failed"
            )),
        }
    }
}

crate::id_type!(
    /// A mail's id in the outbox (a UUID).
    OutboxId
);
