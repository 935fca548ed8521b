//! Credential persistence: credentials, gapless number series, the audit log.

use super::model::{CredentialId, CredentialStatus, SCOPE_WITHDRAWN};
use crate::ids::AuditSubject;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{audit_log, credential_counters, credentials, signing_keys, users};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credentials)]
pub struct CredentialRow {
    pub id: CredentialId,
    pub number: String,
    pub user_id: crate::accounts::model::UserId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub programme_id: String,
    pub scheme_version: i32,
    pub scope: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_changed_at: Option<NaiveDateTime>,
    pub status_index: i32,
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub kid: String,
    pub credential_jwt: String,
    pub override_reason: Option<String>,
    pub renews_id: Option<CredentialId>,
    pub issued_by: Option<String>,
    pub reminder_sent_at: Option<NaiveDateTime>,
    /// `scope_withdrawn` for a credential revoked by withdrawing its scope.
    pub status_detail: Option<String>,
}

/// What public verification shows of one credential, read in one query.
#[derive(Debug, Queryable)]
pub struct PublicRow {
    pub id: CredentialId,
    pub number: String,
    pub scope: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub scheme_version: i32,
    pub status_detail: Option<String>,
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub name_en: Option<String>,
    pub office_code: String,
}

pub fn find_public(
    conn: &mut DbConnection,
    id: &crate::credentials::model::CredentialId,
) -> QueryResult<Option<PublicRow>> {
    credentials::table
        .inner_join(users::table.on(users::id.eq(credentials::user_id)))
        .filter(credentials::id.eq(id))
        .select((
            credentials::id,
            credentials::number,
            credentials::scope,
            credentials::status,
            credentials::status_reason,
            credentials::issued_at,
            credentials::valid_from,
            credentials::valid_until,
            credentials::scheme_version,
            credentials::status_detail,
            credentials::user_id,
            users::name,
            users::name_en,
            users::office_code,
        ))
        .first(conn)
        .optional()
}

/// A credential with its holder's name, English name and office code.
pub type RegisterRow = (CredentialRow, String, Option<String>, String);
/// An audit record: when, who, what, details as JSON.
pub type AuditRow = (NaiveDateTime, Option<String>, String, String);

pub fn insert(conn: &mut DbConnection, row: &CredentialRow) -> QueryResult<usize> {
    diesel::insert_into(credentials::table)
        .values(row)
        .execute(conn)
}

/// The id of the credential with this number (as printed on its certificate).
pub fn id_by_number(
    conn: &mut DbConnection,
    number: &str,
) -> QueryResult<Option<crate::credentials::model::CredentialId>> {
    credentials::table
        .filter(credentials::number.eq(number))
        .select(credentials::id)
        .first(conn)
        .optional()
}

pub fn find(
    conn: &mut DbConnection,
    id: &crate::credentials::model::CredentialId,
) -> QueryResult<Option<CredentialRow>> {
    credentials::table
        .find(id)
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()
}

/// The live (active or suspended) credential of a person in a scope.
pub fn find_live(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    scope: &str,
) -> QueryResult<Option<CredentialRow>> {
    credentials::table
        .filter(credentials::user_id.eq(user_id))
        .filter(credentials::scope.eq(scope))
        .filter(credentials::status.eq_any(CredentialStatus::strs(&CredentialStatus::LIVE)))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()
}

pub fn of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<CredentialRow>> {
    credentials::table
        .filter(credentials::user_id.eq(user_id))
        .order(credentials::issued_at.desc())
        .select(CredentialRow::as_select())
        .load(conn)
}

pub fn of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<CredentialRow>> {
    credentials::table
        .filter(credentials::cohort_id.eq(cohort_id))
        .order(credentials::number.asc())
        .select(CredentialRow::as_select())
        .load(conn)
}

/// The status-list index of every credential stored with one of these statuses.
pub fn status_indexes(
    conn: &mut DbConnection,
    statuses: &[CredentialStatus],
) -> QueryResult<Vec<i32>> {
    credentials::table
        .filter(credentials::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .select(credentials::status_index)
        .load(conn)
}

pub fn next_status_index(conn: &mut DbConnection) -> QueryResult<i32> {
    let max: Option<i32> = credentials::table
        .select(diesel::dsl::max(credentials::status_index))
        .first(conn)?;
    Ok(max.map(|m| m + 1).unwrap_or(0))
}

/// Takes the next number of a series inside the caller's transaction: the counter row is
/// updated first, so concurrent issuers queue on its lock and numbers have no gaps.
pub fn next_number(conn: &mut DbConnection, series: &str) -> QueryResult<i32> {
    let n = diesel::update(credential_counters::table.find(series))
        .set(credential_counters::last_number.eq(credential_counters::last_number + 1))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(credential_counters::table)
            .values((
                credential_counters::series.eq(series),
                credential_counters::last_number.eq(1),
            ))
            .execute(conn)?;
        return Ok(1);
    }
    credential_counters::table
        .find(series)
        .select(credential_counters::last_number)
        .first(conn)
}

pub fn set_status(
    conn: &mut DbConnection,
    id: &crate::credentials::model::CredentialId,
    from: &[CredentialStatus],
    to: CredentialStatus,
    reason: Option<&str>,
    detail: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        credentials::table
            .filter(credentials::id.eq(id))
            .filter(credentials::status.eq_any(CredentialStatus::strs(from))),
    )
    .set((
        credentials::status.eq(to.as_str()),
        credentials::status_reason.eq(reason),
        credentials::status_detail.eq(detail),
        credentials::status_changed_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Active credentials with holder name and office, for the public register.
/// With `changes`, also the suspended credentials and the withdrawn scopes, for as long as they
/// would otherwise have been valid.
pub fn register(
    conn: &mut DbConnection,
    changes: bool,
    now: NaiveDateTime,
) -> QueryResult<Vec<RegisterRow>> {
    let mut q = credentials::table
        .inner_join(users::table.on(users::id.eq(credentials::user_id)))
        .into_boxed();
    q = if changes {
        q.filter(
            credentials::status
                .eq_any(CredentialStatus::strs(&CredentialStatus::LIVE))
                .or(credentials::status_detail.eq(SCOPE_WITHDRAWN)),
        )
        .filter(credentials::valid_until.gt(now))
    } else {
        q.filter(credentials::status.eq(CredentialStatus::Active.as_str()))
    };
    q.select((
        CredentialRow::as_select(),
        users::name,
        users::name_en,
        users::office_code,
    ))
    .load(conn)
}

/// Every credential (newest first) with holder name and office, for the admin page; filtered by
/// stored status when given.
pub fn all_with_holders(
    conn: &mut DbConnection,
    status: Option<CredentialStatus>,
    limit: i64,
) -> QueryResult<Vec<RegisterRow>> {
    let mut q = credentials::table
        .inner_join(users::table.on(users::id.eq(credentials::user_id)))
        .select((
            CredentialRow::as_select(),
            users::name,
            users::name_en,
            users::office_code,
        ))
        .order(credentials::issued_at.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(credentials::status.eq(s.as_str()));
    }
    q.load(conn)
}

/// Appends one audit record.
pub fn audit(
    conn: &mut DbConnection,
    actor: Option<&crate::accounts::model::UserId>,
    action: &str,
    subject: AuditSubject<'_>,
    details: &serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::new_v4().to_string()),
            audit_log::at.eq(now),
            audit_log::actor_id.eq(actor),
            audit_log::action.eq(action),
            audit_log::subject_type.eq(subject.kind),
            audit_log::subject_id.eq(subject.id),
            audit_log::details_json.eq(details.to_string()),
        ))
        .execute(conn)
}

/// Audit records of one subject, oldest first.
pub fn audit_of(conn: &mut DbConnection, subject: AuditSubject<'_>) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::subject_type.eq(subject.kind))
        .filter(audit_log::subject_id.eq(subject.id))
        .order(audit_log::at.asc())
        .select((
            audit_log::at,
            audit_log::actor_id,
            audit_log::action,
            audit_log::details_json,
        ))
        .load(conn)
}

/// Active credentials expiring before `before` that have had no reminder yet.
pub fn due_for_reminder(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<CredentialRow>> {
    credentials::table
        .filter(credentials::status.eq(CredentialStatus::Active.as_str()))
        // Not yet expired: a credential that ran out unreminded (the job was not running
        // then) is past renewing; "it expires on <a past day>" would only confuse its holder.
        .filter(credentials::valid_until.gt(now))
        .filter(credentials::valid_until.lt(before))
        .filter(credentials::reminder_sent_at.is_null())
        .limit(limit)
        .select(CredentialRow::as_select())
        .load(conn)
}

/// Marks the reminder sent; 0 when another instance did it first.
pub fn mark_reminded(
    conn: &mut DbConnection,
    id: &crate::credentials::model::CredentialId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        credentials::table
            .filter(credentials::id.eq(id))
            .filter(credentials::reminder_sent_at.is_null()),
    )
    .set(credentials::reminder_sent_at.eq(Some(now)))
    .execute(conn)
}

/// Holders of a live credential granted from a cohort (retention keeps their records).
pub fn live_holders_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<String>> {
    credentials::table
        .filter(credentials::cohort_id.eq(cohort_id))
        .filter(credentials::status.eq_any(CredentialStatus::strs(&CredentialStatus::LIVE)))
        .select(credentials::user_id)
        .load(conn)
}

/// How many live credentials a person holds.
pub fn live_count_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<i64> {
    credentials::table
        .filter(credentials::user_id.eq(user_id))
        .filter(credentials::status.eq_any(CredentialStatus::strs(&CredentialStatus::LIVE)))
        .count()
        .get_result(conn)
}

/// Credentials that ended before `cutoff`: validity over, or revoked or expired then.
pub fn ended_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<Vec<String>> {
    use CredentialStatus::{Active, Expired, Revoked};
    credentials::table
        .filter(credentials::status.eq_any(CredentialStatus::strs(&[Revoked, Expired, Active])))
        .filter(
            credentials::valid_until.lt(cutoff).or(credentials::status
                .eq_any(CredentialStatus::strs(&[Revoked, Expired]))
                .and(credentials::status_changed_at.lt(cutoff))),
        )
        .select(credentials::id)
        .load(conn)
}

/// Deletes credentials (a later credential that renewed one keeps its own record, without the
/// link); returns how many went.
pub fn delete_credentials(conn: &mut DbConnection, ids: &[String]) -> QueryResult<usize> {
    diesel::update(credentials::table.filter(credentials::renews_id.eq_any(ids)))
        .set(credentials::renews_id.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(credentials::table.filter(credentials::id.eq_any(ids))).execute(conn)
}

/// A stored signing key (the private key never leaves the service).
#[derive(Queryable, Selectable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub kid: String,
    pub private_pem: String,
    pub public_jwk: String,
}

/// Makes this key the only active one (earlier keys stay, for verifying what they signed).
pub fn insert_active_key(
    conn: &mut DbConnection,
    kid: &str,
    private_pem: &str,
    public_jwk: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(signing_keys::table)
        .set(signing_keys::active.eq(false))
        .execute(conn)?;
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(kid),
            signing_keys::algorithm.eq("RS256"),
            signing_keys::private_pem.eq(private_pem),
            signing_keys::public_jwk.eq(public_jwk),
            signing_keys::active.eq(true),
            signing_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest active key.
pub fn active_key(conn: &mut DbConnection) -> QueryResult<Option<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::active.eq(true))
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// Every key, newest first.
pub fn keys(conn: &mut DbConnection) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .load(conn)
}
