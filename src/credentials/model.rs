//! The credential's states and their rules.

use serde::{Deserialize, Serialize};

/// A credential's status. Stored as `active`, `suspended`, `revoked` or `expired`; a verifier
/// may also see `not_yet_valid` (a renewal that starts later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    Active,
    Suspended,
    Revoked,
    Expired,
    NotYetValid,
}

impl CredentialStatus {
    /// Every status a credential can be stored with.
    pub const STORED: [CredentialStatus; 4] = [
        CredentialStatus::Active,
        CredentialStatus::Suspended,
        CredentialStatus::Revoked,
        CredentialStatus::Expired,
    ];
    /// The statuses of a live credential: one the public register names.
    pub const LIVE: [CredentialStatus; 2] = [CredentialStatus::Active, CredentialStatus::Suspended];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Suspended => "suspended",
            CredentialStatus::Revoked => "revoked",
            CredentialStatus::Expired => "expired",
            CredentialStatus::NotYetValid => "not_yet_valid",
        }
    }

    /// The status of a stored value; `None` for anything else.
    pub fn parse(s: &str) -> Option<CredentialStatus> {
        [
            CredentialStatus::Active,
            CredentialStatus::Suspended,
            CredentialStatus::Revoked,
            CredentialStatus::Expired,
            CredentialStatus::NotYetValid,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Live: the holder still holds it (valid, or suspended for now); the register names it,
    /// it blocks a second credential of its scope and keeps the person's identity.
    pub fn is_live(self) -> bool {
        matches!(self, CredentialStatus::Active | CredentialStatus::Suspended)
    }

    /// Final: it can never become valid again.
    pub fn is_final(self) -> bool {
        matches!(self, CredentialStatus::Revoked | CredentialStatus::Expired)
    }

    /// The statuses as stored strings, for a query.
    pub fn strs(set: &[CredentialStatus]) -> Vec<&'static str> {
        set.iter().map(|s| s.as_str()).collect()
    }
}

impl std::fmt::Display for CredentialStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stored status change says besides the status: `scope_withdrawn` when a credential
/// was revoked by withdrawing its scope.
pub const SCOPE_WITHDRAWN: &str = "scope_withdrawn";

#[cfg(test)]
mod tests {
    use super::CredentialStatus;

    #[test]
    fn statuses_read_back_and_the_live_ones_are_active_and_suspended() {
        for s in CredentialStatus::STORED {
            assert_eq!(CredentialStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CredentialStatus::parse("valid"), None);
        let live: Vec<_> = CredentialStatus::STORED
            .into_iter()
            .filter(|s| s.is_live())
            .collect();
        assert_eq!(live, CredentialStatus::LIVE);
        assert!(CredentialStatus::Revoked.is_final() && !CredentialStatus::Suspended.is_final());
    }
}

/// How the public register shows a credential: valid, suspended, or a scope withdrawn from its
/// holder (revoked by scope reduction; shown for as long as it would have been valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterStatus {
    Active,
    Suspended,
    Withdrawn,
}

impl std::fmt::Display for RegisterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RegisterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegisterStatus::Active => "active",
            RegisterStatus::Suspended => "suspended",
            RegisterStatus::Withdrawn => "withdrawn",
        }
    }

    /// How the register shows a credential of this status and detail; `None`: not at all.
    pub fn of(status: CredentialStatus, detail: Option<&str>) -> Option<RegisterStatus> {
        match (status, detail) {
            (CredentialStatus::Active, _) => Some(RegisterStatus::Active),
            (CredentialStatus::Suspended, _) => Some(RegisterStatus::Suspended),
            (CredentialStatus::Revoked, Some(SCOPE_WITHDRAWN)) => Some(RegisterStatus::Withdrawn),
            _ => None,
        }
    }

    /// The register's `status` filter: empty means `active`; `all` is every shown status
    /// (`None`).
    pub fn parse_filter(raw: Option<&str>) -> Result<Option<RegisterStatus>, String> {
        match raw
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("active")
        {
            "active" => Ok(Some(RegisterStatus::Active)),
            "suspended" => Ok(Some(RegisterStatus::Suspended)),
            "withdrawn" => Ok(Some(RegisterStatus::Withdrawn)),
            "all" => Ok(None),
            _ => Err("status: one of active, suspended, withdrawn, all".into()),
        }
    }
}

crate::id_type!(
    /// A credential's id (a UUID; its verification URL ends with it).
    CredentialId
);
crate::audited!(CredentialId, "credential");
