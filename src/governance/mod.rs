//! Certification governance, as ISO/IEC 17024 expects of a body that certifies persons:
//! - the scheme (`programme.toml`) is versioned, and a changed scheme must carry a new version
//!   number: the service refuses to start rather than silently rewrite what older credentials
//!   were granted under;
//! - an instructor of the cohort *recommends*, and an admin who did not teach the cohort
//!   *decides* (grant issues the credential), with the rationale stored and audited;
//!   conflict-of-interest declarations are recorded and stop the declarer from deciding;
//! - a trainee may *appeal* a quiz result or a decision within a window; a reviewer who took no
//!   part in the original decision records the outcome, and the trainee is told by e-mail.

use crate::governance::error::GovernanceError;
mod appeals;
mod decisions;
pub mod error;
pub mod model;
mod records;
pub mod retention;
pub mod store;

pub use appeals::*;
pub use decisions::*;
pub use records::*;
pub use store::{Appeal, Decision};

use crate::ids::AuditSubject;
use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::Digest;

use crate::course::model::Course;
use crate::credentials;
use crate::db::DbConnection;
use crate::error::AppError;

/// How long after a result or a decision a trainee may appeal, and how long the reviewer has.
pub const APPEAL_WINDOW_DAYS: i64 = 30;
pub const APPEAL_RESPONSE_DAYS: i64 = 30;

use crate::util::now;

fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    let bad_control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if v.is_empty() || v.chars().count() > max || v.chars().any(bad_control) {
        return Err(AppError::from(GovernanceError::Invalid(format!(
            "{field}: 1 to {max} characters of text"
        ))));
    }
    Ok(v.to_string())
}

fn audit(
    conn: &mut DbConnection,
    actor: &crate::accounts::model::UserId,
    action: &str,
    subject: AuditSubject<'_>,
    details: serde_json::Value,
) -> Result<(), AppError> {
    credentials::store::audit(conn, Some(actor), action, subject, &details, now())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scheme versions

/// The scheme as recorded and compared: `programme.toml` (scopes, competences, requirements,
/// validity, renewal path) plus the assessment rules of every quiz it names (pass mark,
/// attempts, time limit, grading, blueprint, prerequisites). Question wording is not part of
/// it: questions are content, kept as revisions of their own.
pub fn scheme_definition(course: &Course) -> serde_json::Value {
    let p = &course.programme;
    let assessments: Vec<serde_json::Value> = p
        .scheme_quizzes()
        .into_iter()
        .filter_map(|slug| course.quizzes.iter().find(|q| q.slug == slug))
        .map(|q| {
            serde_json::json!({
                "quiz": q.slug,
                "pass_percent": q.pass_percent,
                "attempts_allowed": q.attempts_allowed,
                "time_limit_s": q.time_limit_s,
                "grading": q.grading,
                "blueprint": q.blueprint,
                "questions": if q.blueprint.is_empty() { q.questions.len() as u32 }
                             else { q.blueprint.iter().map(|b| b.draw).sum() },
                "requires": q.requires,
            })
        })
        .collect();
    let mut definition = serde_json::to_value(p).unwrap_or(serde_json::Value::Null);
    // Older versions were recorded as the programme alone; the assessment rules sit beside it.
    if let Some(obj) = definition.as_object_mut() {
        obj.insert("assessments".into(), serde_json::Value::Array(assessments));
    }
    definition
}

/// Records the scheme version the service runs with. A version seen before must have the same
/// definition ([`scheme_definition`]); a changed scheme with an unchanged `version` is refused.
pub fn record_scheme(conn: &mut DbConnection, course: &Course) -> Result<u32, AppError> {
    let p = &course.programme;
    let definition = serde_json::to_string(&scheme_definition(course))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = hex(&sha2::Sha256::digest(definition.as_bytes()));
    let version = p.version as i32;
    let known = store::scheme_hash(conn, &model::ProgrammeId::from(&p.id), version)?;
    match known {
        Some(h) if h == hash => {}
        Some(_) => {
            return Err(AppError::from(GovernanceError::SchemeChanged(format!(
                "the certification scheme (programme.toml, or the assessment rules of a quiz it \
                     names) changed but its version is still {}: \
                     give the changed scheme a new version (version = {}), so that credentials \
                     granted under version {} keep the rules they were granted under",
                p.version,
                p.version + 1,
                p.version
            ))))
        }
        // Another instance may record it at the same moment; the store accepts that.
        None => store::insert_scheme(
            conn,
            &model::ProgrammeId::from(&p.id),
            version,
            &hash,
            &definition,
            now(),
        )?,
    }
    Ok(p.version)
}

use crate::util::hex;

/// One version of the scheme as first loaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchemeVersion {
    pub programme_id: String,
    pub version: i32,
    pub content_hash: String,
    #[serde(with = "crate::dates::utc")]
    pub first_loaded_at: NaiveDateTime,
    pub definition: serde_json::Value,
}

/// Every scheme version this deployment has run with, newest first (public).
pub fn scheme_versions(conn: &mut DbConnection) -> Result<Vec<SchemeVersion>, AppError> {
    let rows = store::schemes(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(programme_id, version, content_hash, def, first_loaded_at)| SchemeVersion {
                programme_id,
                version,
                content_hash,
                first_loaded_at,
                definition: serde_json::from_str(&def).unwrap_or(serde_json::Value::Null),
            },
        )
        .collect())
}
