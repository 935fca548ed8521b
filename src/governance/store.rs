//! The governance tables: appeals, certification decisions, conflict-of-interest declarations,
//! scheme versions and reads of the audit trail. The only governance file that touches the
//! schema; what other domains own (attempts, credentials, memberships…) governance asks their
//! stores for.

use crate::ids::AuditSubject;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::model::{AppealId, AppealStatus, DecisionId, DecisionOutcome};
use crate::credentials::model::CredentialId;
use crate::db::schema::{
    appeals, audit_log, certification_decisions, coi_declarations, scheme_versions,
};
use crate::db::DbConnection;

/// An appeal against a quiz result, a certification decision or a credential change.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = appeals)]
pub struct Appeal {
    pub id: AppealId,
    pub user_id: crate::accounts::model::UserId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub subject_type: String,
    pub subject_id: String,
    pub grounds: String,
    #[serde(with = "crate::dates::utc")]
    pub filed_at: NaiveDateTime,
    /// The reviewer's deadline.
    #[serde(with = "crate::dates::utc")]
    pub respond_by: NaiveDateTime,
    pub status: String,
    pub reviewer_id: Option<String>,
    pub outcome: Option<String>,
    pub rationale: Option<String>,
    #[serde(with = "crate::dates::utc::option")]
    pub decided_at: Option<NaiveDateTime>,
}

impl Appeal {
    /// The appeal's status (the row keeps the stored text).
    pub fn appeal_status(&self) -> AppealStatus {
        AppealStatus::of(&self.status)
    }
}

/// A recommendation and, once made, the decision on it.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = certification_decisions)]
pub struct Decision {
    pub id: DecisionId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub user_id: crate::accounts::model::UserId,
    pub scope: String,
    pub recommended_by: String,
    pub recommendation: String,
    #[serde(with = "crate::dates::utc")]
    pub recommended_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub outcome: Option<String>,
    pub rationale: Option<String>,
    #[serde(with = "crate::dates::utc::option")]
    pub decided_at: Option<NaiveDateTime>,
    pub credential_id: Option<CredentialId>,
}

impl Decision {
    /// The outcome; `None` while the recommendation waits for a decision.
    pub fn decision_outcome(&self) -> Option<DecisionOutcome> {
        DecisionOutcome::of(self.outcome.as_deref())
    }
}

// Appeals

pub fn insert_appeal(conn: &mut DbConnection, a: &Appeal) -> QueryResult<usize> {
    diesel::insert_into(appeals::table)
        .values((
            appeals::id.eq(&a.id),
            appeals::user_id.eq(&a.user_id),
            appeals::cohort_id.eq(&a.cohort_id),
            appeals::subject_type.eq(&a.subject_type),
            appeals::subject_id.eq(&a.subject_id),
            appeals::grounds.eq(&a.grounds),
            appeals::filed_at.eq(a.filed_at),
            appeals::respond_by.eq(a.respond_by),
            appeals::status.eq(AppealStatus::Open.as_str()),
        ))
        .execute(conn)
}

/// Every appeal (newest first), or only one person's.
pub fn appeals(conn: &mut DbConnection, of_user: Option<&str>) -> QueryResult<Vec<Appeal>> {
    let mut q = appeals::table
        .order(appeals::filed_at.desc())
        .select(Appeal::as_select())
        .into_boxed();
    if let Some(u) = of_user {
        q = q.filter(appeals::user_id.eq(u.to_string()));
    }
    q.load(conn)
}

/// One person's appeals, oldest first (their certification record).
pub fn appeals_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<Appeal>> {
    appeals::table
        .filter(appeals::user_id.eq(user_id))
        .order(appeals::filed_at.asc())
        .select(Appeal::as_select())
        .load(conn)
}

pub fn find_appeal(
    conn: &mut DbConnection,
    id: &super::model::AppealId,
) -> QueryResult<Option<Appeal>> {
    appeals::table
        .find(id)
        .select(Appeal::as_select())
        .first(conn)
        .optional()
}

/// What a person's open appeals are against.
pub fn open_appeal_subjects(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<String>> {
    appeals::table
        .filter(appeals::user_id.eq(user_id))
        .filter(appeals::status.eq(AppealStatus::Open.as_str()))
        .select(appeals::subject_id)
        .load(conn)
}

/// What the open appeals of a cohort are against.
pub fn open_appeal_subjects_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<String>> {
    appeals::table
        .filter(appeals::cohort_id.eq(cohort_id))
        .filter(appeals::status.eq(AppealStatus::Open.as_str()))
        .select(appeals::subject_id)
        .load(conn)
}

/// Records the reviewer's outcome once: 0 when the appeal was no longer open.
pub fn close_appeal(
    conn: &mut DbConnection,
    id: &super::model::AppealId,
    reviewer_id: &crate::accounts::model::UserId,
    outcome: super::model::AppealOutcome,
    rationale: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        appeals::table
            .filter(appeals::id.eq(id))
            .filter(appeals::status.eq(AppealStatus::Open.as_str())),
    )
    .set((
        appeals::status.eq(AppealStatus::Decided.as_str()),
        appeals::reviewer_id.eq(reviewer_id),
        appeals::outcome.eq(outcome.as_str()),
        appeals::rationale.eq(rationale),
        appeals::decided_at.eq(at),
    ))
    .execute(conn)
}

// Decisions

pub fn insert_decision(conn: &mut DbConnection, d: &Decision) -> QueryResult<usize> {
    diesel::insert_into(certification_decisions::table)
        .values(d)
        .execute(conn)
}

pub fn find_decision(
    conn: &mut DbConnection,
    id: &super::model::DecisionId,
) -> QueryResult<Option<Decision>> {
    certification_decisions::table
        .find(id)
        .select(Decision::as_select())
        .first(conn)
        .optional()
}

/// A cohort's recommendations and decisions, newest first.
pub fn decisions_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<Decision>> {
    certification_decisions::table
        .filter(certification_decisions::cohort_id.eq(cohort_id))
        .order(certification_decisions::recommended_at.desc())
        .select(Decision::as_select())
        .load(conn)
}

/// A person's recommendations and decisions, oldest first.
pub fn decisions_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<Decision>> {
    certification_decisions::table
        .filter(certification_decisions::user_id.eq(user_id))
        .order(certification_decisions::recommended_at.asc())
        .select(Decision::as_select())
        .load(conn)
}

/// A person's decided recommendations, newest decision first.
pub fn decided_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<Decision>> {
    certification_decisions::table
        .filter(certification_decisions::user_id.eq(user_id))
        .filter(certification_decisions::decided_at.is_not_null())
        .order(certification_decisions::decided_at.desc())
        .select(Decision::as_select())
        .load(conn)
}

/// Recommendations still waiting, oldest first.
pub fn pending_decisions(conn: &mut DbConnection) -> QueryResult<Vec<Decision>> {
    certification_decisions::table
        .filter(certification_decisions::decided_at.is_null())
        .order(certification_decisions::recommended_at.asc())
        .select(Decision::as_select())
        .load(conn)
}

/// The `limit` most recent decisions, newest first.
pub fn recent_decisions(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Decision>> {
    certification_decisions::table
        .filter(certification_decisions::decided_at.is_not_null())
        .order(certification_decisions::decided_at.desc())
        .select(Decision::as_select())
        .limit(limit)
        .load(conn)
}

/// Recommendations of `user_id` in a cohort made by `by` that `by` did not also decide.
pub fn recommendations_by(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    by: &crate::accounts::model::UserId,
) -> QueryResult<i64> {
    certification_decisions::table
        .filter(certification_decisions::cohort_id.eq(cohort_id))
        .filter(certification_decisions::user_id.eq(user_id))
        .filter(certification_decisions::recommended_by.eq(by))
        .filter(
            certification_decisions::decided_by
                .is_null()
                .or(certification_decisions::decided_by.ne(by)),
        )
        .count()
        .get_result(conn)
}

/// Records the decision once: 0 when it had been decided meanwhile.
pub fn record_outcome(
    conn: &mut DbConnection,
    id: &super::model::DecisionId,
    admin_id: &crate::accounts::model::UserId,
    outcome: DecisionOutcome,
    rationale: &str,
    at: NaiveDateTime,
    credential_id: Option<&crate::credentials::model::CredentialId>,
) -> QueryResult<usize> {
    diesel::update(
        certification_decisions::table
            .filter(certification_decisions::id.eq(id))
            .filter(certification_decisions::decided_at.is_null()),
    )
    .set((
        certification_decisions::decided_by.eq(admin_id),
        certification_decisions::outcome.eq(outcome.as_str()),
        certification_decisions::rationale.eq(rationale),
        certification_decisions::decided_at.eq(at),
        certification_decisions::credential_id.eq(credential_id),
    ))
    .execute(conn)
}

/// Decisions that granted credentials about to be deleted keep their record, without the link.
pub fn unlink_credentials(
    conn: &mut DbConnection,
    credential_ids: &[String],
) -> QueryResult<usize> {
    diesel::update(
        certification_decisions::table
            .filter(certification_decisions::credential_id.eq_any(credential_ids)),
    )
    .set(certification_decisions::credential_id.eq(None::<String>))
    .execute(conn)
}

// Conflict-of-interest declarations

pub fn insert_declaration(
    conn: &mut DbConnection,
    declared_by: &str,
    cohort_id: &crate::cohorts::model::CohortId,
    subject_user_id: &crate::accounts::model::UserId,
    statement: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(coi_declarations::table)
        .values((
            coi_declarations::id.eq(uuid::Uuid::new_v4().to_string()),
            coi_declarations::declared_by.eq(declared_by),
            coi_declarations::cohort_id.eq(cohort_id),
            coi_declarations::subject_user_id.eq(subject_user_id),
            coi_declarations::statement.eq(statement),
            coi_declarations::declared_at.eq(at),
        ))
        .execute(conn)
}

/// Declarations about a person: (declared by, cohort, statement, when).
pub fn declarations_about(
    conn: &mut DbConnection,
    subject_user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<(String, String, String, NaiveDateTime)>> {
    coi_declarations::table
        .filter(coi_declarations::subject_user_id.eq(subject_user_id))
        .select((
            coi_declarations::declared_by,
            coi_declarations::cohort_id,
            coi_declarations::statement,
            coi_declarations::declared_at,
        ))
        .load(conn)
}

// Scheme versions

/// The content hash recorded for a scheme version, if it was seen before.
pub fn scheme_hash(
    conn: &mut DbConnection,
    programme_id: &super::model::ProgrammeId,
    version: i32,
) -> QueryResult<Option<String>> {
    scheme_versions::table
        .filter(scheme_versions::programme_id.eq(programme_id))
        .filter(scheme_versions::version.eq(version))
        .select(scheme_versions::content_hash)
        .first(conn)
        .optional()
}

/// Records a scheme version; another instance recording it at the same moment is not an error.
pub fn insert_scheme(
    conn: &mut DbConnection,
    programme_id: &super::model::ProgrammeId,
    version: i32,
    hash: &str,
    definition: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(scheme_versions::table)
        .values((
            scheme_versions::programme_id.eq(programme_id),
            scheme_versions::version.eq(version),
            scheme_versions::content_hash.eq(hash),
            scheme_versions::definition_json.eq(definition),
            scheme_versions::first_loaded_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
        .or_else(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Ok(()),
            other => Err(other),
        })
}

/// Every scheme version: (programme, version, hash, definition JSON, first loaded), newest
/// version first per programme.
#[allow(clippy::type_complexity)]
pub fn schemes(
    conn: &mut DbConnection,
) -> QueryResult<Vec<(String, i32, String, String, NaiveDateTime)>> {
    scheme_versions::table
        .order((
            scheme_versions::programme_id.asc(),
            scheme_versions::version.desc(),
        ))
        .select((
            scheme_versions::programme_id,
            scheme_versions::version,
            scheme_versions::content_hash,
            scheme_versions::definition_json,
            scheme_versions::first_loaded_at,
        ))
        .load(conn)
}

// The audit trail

/// Who acted on a subject (every audit row's actor).
pub fn audit_actors(
    conn: &mut DbConnection,
    subject: AuditSubject<'_>,
) -> QueryResult<Vec<Option<String>>> {
    audit_log::table
        .filter(audit_log::subject_type.eq(subject.kind))
        .filter(audit_log::subject_id.eq(subject.id))
        .select(audit_log::actor_id)
        .load(conn)
}

/// The audit rows about any of these subjects, oldest first: (at, actor, action, subject type,
/// subject id, details JSON).
#[allow(clippy::type_complexity)]
pub fn audit_trail(
    conn: &mut DbConnection,
    subjects: &[String],
) -> QueryResult<
    Vec<(
        NaiveDateTime,
        Option<String>,
        String,
        String,
        String,
        String,
    )>,
> {
    audit_log::table
        .filter(audit_log::subject_id.eq_any(subjects))
        .order(audit_log::at.asc())
        .select((
            audit_log::at,
            audit_log::actor_id,
            audit_log::action,
            audit_log::subject_type,
            audit_log::subject_id,
            audit_log::details_json,
        ))
        .load(conn)
}

/// Evidence older than `cutoff` (decisions, decided appeals, declarations, audit rows), counted
/// or deleted: (decisions, appeals, declarations, audit rows).
pub fn purge_evidence(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    dry_run: bool,
) -> QueryResult<(i64, i64, i64, i64)> {
    let decisions = certification_decisions::table
        .filter(certification_decisions::recommended_at.lt(cutoff))
        .filter(
            certification_decisions::decided_at
                .is_null()
                .or(certification_decisions::decided_at.lt(cutoff)),
        );
    let appeal_rows = appeals::table
        .filter(appeals::status.eq(AppealStatus::Decided.as_str()))
        .filter(appeals::decided_at.lt(cutoff));
    let declarations = coi_declarations::table.filter(coi_declarations::declared_at.lt(cutoff));
    let audit_rows = audit_log::table.filter(audit_log::at.lt(cutoff));
    Ok(if dry_run {
        (
            decisions.count().get_result::<i64>(conn)?,
            appeal_rows.count().get_result::<i64>(conn)?,
            declarations.count().get_result::<i64>(conn)?,
            audit_rows.count().get_result::<i64>(conn)?,
        )
    } else {
        (
            diesel::delete(decisions).execute(conn)? as i64,
            diesel::delete(appeal_rows).execute(conn)? as i64,
            diesel::delete(declarations).execute(conn)? as i64,
            diesel::delete(audit_rows).execute(conn)? as i64,
        )
    })
}
