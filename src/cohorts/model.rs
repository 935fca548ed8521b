//! Cohort domain rules: statuses and their transitions, member roles, attendance, check-in codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Life cycle of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CohortStatus {
    Draft,
    Open,
    Running,
    Closed,
    Archived,
}

impl CohortStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CohortStatus::Draft => "draft",
            CohortStatus::Open => "open",
            CohortStatus::Running => "running",
            CohortStatus::Closed => "closed",
            CohortStatus::Archived => "archived",
        }
    }

    /// Only forward moves make sense, plus re-opening a closed cohort for late corrections.
    pub fn can_become(self, next: CohortStatus) -> bool {
        use CohortStatus::*;
        matches!(
            (self, next),
            (Draft, Open)
                | (Open, Running)
                | (Open, Closed)
                | (Running, Closed)
                | (Closed, Running)
                | (Closed, Archived)
                | (Draft, Archived)
        ) || self == next
    }

    /// Closed or archived: the training is over, its quizzes are closed.
    pub fn is_over(self) -> bool {
        matches!(self, CohortStatus::Closed | CohortStatus::Archived)
    }

    /// Trainees may join with the code only while open or running.
    pub fn accepts_joins(self) -> bool {
        matches!(self, CohortStatus::Open | CohortStatus::Running)
    }
}

impl FromStr for CohortStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "draft" => CohortStatus::Draft,
            "open" => CohortStatus::Open,
            "running" => CohortStatus::Running,
            "closed" => CohortStatus::Closed,
            "archived" => CohortStatus::Archived,
            other => {
                return Err(format!(
                    "unknown status '{other}': use draft, open, running, closed or archived"
                ))
            }
        })
    }
}

impl fmt::Display for CohortStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member's role within one cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Trainee,
    Instructor,
}

impl MemberRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Trainee => "trainee",
            MemberRole::Instructor => "instructor",
        }
    }
}

impl FromStr for MemberRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "trainee" => Ok(MemberRole::Trainee),
            "instructor" => Ok(MemberRole::Instructor),
            other => Err(format!(
                "unknown member role '{other}': use trainee or instructor"
            )),
        }
    }
}

/// Who recorded an attendance mark: staff on the session page, the trainee with the check-in
/// code, or the Zoom participant report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceSource {
    Instructor,
    SelfCheckin,
    Zoom,
}

impl AttendanceSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceSource::Instructor => "instructor",
            AttendanceSource::SelfCheckin => "self",
            AttendanceSource::Zoom => "zoom",
        }
    }

    /// The source of a stored mark (an unknown name counts as the trainee's own).
    pub fn of(stored: &str) -> AttendanceSource {
        match stored {
            "instructor" => AttendanceSource::Instructor,
            "zoom" => AttendanceSource::Zoom,
            _ => AttendanceSource::SelfCheckin,
        }
    }
}

/// How a trainee attended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    Present,
    Late,
    Absent,
    Excused,
}

impl AttendanceStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Late => "late",
            AttendanceStatus::Absent => "absent",
            AttendanceStatus::Excused => "excused",
        }
    }

    /// Present or late: the session counts as attended.
    pub fn attended(self) -> bool {
        matches!(self, AttendanceStatus::Present | AttendanceStatus::Late)
    }
}

impl FromStr for AttendanceStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "present" => AttendanceStatus::Present,
            "late" => AttendanceStatus::Late,
            "absent" => AttendanceStatus::Absent,
            "excused" => AttendanceStatus::Excused,
            other => {
                return Err(format!(
                    "unknown attendance '{other}': use present, late, absent or excused"
                ))
            }
        })
    }
}

/// Where a session takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    Onsite,
    Online,
    Hybrid,
}

impl SessionMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::Onsite => "onsite",
            SessionMode::Online => "online",
            SessionMode::Hybrid => "hybrid",
        }
    }
}

impl FromStr for SessionMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "onsite" => SessionMode::Onsite,
            "online" => SessionMode::Online,
            "hybrid" => SessionMode::Hybrid,
            other => {
                return Err(format!(
                    "unknown mode '{other}': use onsite, online or hybrid"
                ))
            }
        })
    }
}

/// How a trainee attended a session: in the room or online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceVia {
    Room,
    Online,
}

impl AttendanceVia {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceVia::Room => "room",
            AttendanceVia::Online => "online",
        }
    }

    /// The way of a stored mark, if it has one.
    pub fn of(stored: Option<&str>) -> Option<AttendanceVia> {
        stored.and_then(|s| s.parse().ok())
    }
}

impl FromStr for AttendanceVia {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "room" => Ok(AttendanceVia::Room),
            "online" => Ok(AttendanceVia::Online),
            other => Err(format!("unknown way '{other}': use room or online")),
        }
    }
}

/// Seconds a check-in code stays valid (the displayed code changes this often).
pub const CHECKIN_PERIOD_S: i64 = 60;
/// Check-in opens this long before a session starts.
pub const CHECKIN_OPENS_BEFORE_S: i64 = 15 * 60;
/// Arriving later than this after the start counts as late.
pub const LATE_AFTER_S: i64 = 15 * 60;

/// The 6-digit check-in code of a session for the minute that contains `unix_s`.
pub fn checkin_code(secret: &str, unix_s: i64) -> String {
    let window = unix_s.div_euclid(CHECKIN_PERIOD_S);
    let digest = Sha256::new()
        .chain_update(secret.as_bytes())
        .chain_update(b":")
        .chain_update(window.to_string().as_bytes())
        .finalize();
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
    format!("{n:06}")
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A random join code of 8 characters, without look-alike characters (0/O, 1/I).
pub fn new_join_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Normalises a typed join code: upper case, no spaces or dashes.
pub fn normalise_join_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Default Thai and English names: `รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2565`, `Generation 1, fiscal year 2565`.
pub fn default_names(generation: i32, fiscal_year_be: i32) -> (String, String) {
    (
        format!("รุ่นที่ {generation} ประจำปีงบประมาณ พ.ศ. {fiscal_year_be}"),
        format!("Generation {generation}, fiscal year {fiscal_year_be}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_sensibly() {
        use CohortStatus::*;
        assert!(Draft.can_become(Open));
        assert!(Open.can_become(Running));
        assert!(Running.can_become(Closed));
        assert!(Closed.can_become(Archived));
        assert!(!Archived.can_become(Open));
        assert!(!Running.can_become(Draft));
        assert!(!Draft.can_become(Running));
    }

    #[test]
    fn the_checkin_code_changes_every_minute() {
        let a = checkin_code("s", 1_000_020);
        assert_eq!(a, checkin_code("s", 1_000_039));
        assert_ne!(a, checkin_code("s", 1_000_080));
        assert_ne!(a, checkin_code("t", 1_000_020));
        assert_eq!(a.len(), 6);
    }

    #[test]
    fn join_codes_are_normalised_and_names_defaulted() {
        assert_eq!(normalise_join_code(" abcd-efgh "), "ABCDEFGH");
        assert_eq!(new_join_code().len(), 8);
        assert_eq!(default_names(1, 2565).0, "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2565");
    }
}

crate::id_type!(
    /// A session's id (a UUID).
    SessionId
);

crate::id_type!(
    /// A cohort's id (a UUID).
    CohortId
);

crate::id_type!(
    /// A row of an imported Zoom participant report.
    ZoomRowId
);
crate::audited!(CohortId, "cohort");
