//! Cohort persistence: cohorts, members, sessions, attendance, Zoom report rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    attendance, cohort_leads, cohort_members, cohort_sessions, cohort_staff_history, cohorts,
    users, zoom_rows,
};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohorts)]
pub struct CohortRow {
    pub id: crate::cohorts::model::CohortId,
    pub programme_id: String,
    pub generation: i32,
    pub fiscal_year: i32,
    pub name_th: String,
    pub name_en: String,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: i32,
    pub trainee_count: i32,
    pub enrol_opens_at: Option<NaiveDateTime>,
    pub enrol_closes_at: Option<NaiveDateTime>,
    pub join_code: String,
    pub status: String,
    pub feed_secret: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_cohort(conn: &mut DbConnection, row: &CohortRow) -> QueryResult<usize> {
    diesel::insert_into(cohorts::table)
        .values(row)
        .execute(conn)
}

pub fn find_cohort(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
) -> QueryResult<Option<CohortRow>> {
    cohorts::table
        .find(id)
        .select(CohortRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<CohortRow>> {
    cohorts::table
        .filter(cohorts::join_code.eq(code))
        .select(CohortRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_cohorts(conn: &mut DbConnection) -> QueryResult<Vec<CohortRow>> {
    cohorts::table
        .select(CohortRow::as_select())
        .order((cohorts::fiscal_year.desc(), cohorts::generation.desc()))
        .load(conn)
}

pub fn list_cohorts_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<(CohortRow, String)>> {
    cohorts::table
        .inner_join(cohort_members::table)
        .filter(cohort_members::user_id.eq(user_id))
        .select((CohortRow::as_select(), cohort_members::role))
        .order((cohorts::fiscal_year.desc(), cohorts::generation.desc()))
        .load(conn)
}

/// Fields that may change on a cohort.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = cohorts)]
pub struct CohortChanges {
    pub name_th: Option<String>,
    pub name_en: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub capacity: Option<i32>,
    pub enrol_opens_at: Option<Option<NaiveDateTime>>,
    pub enrol_closes_at: Option<Option<NaiveDateTime>>,
    pub status: Option<String>,
    pub join_code: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update_cohort(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
    changes: &CohortChanges,
) -> QueryResult<usize> {
    diesel::update(cohorts::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Takes one trainee seat if the cohort is under capacity; 0 rows means full.
/// A single conditional UPDATE, so concurrent joins cannot overfill the cohort.
pub fn take_seat(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
) -> QueryResult<usize> {
    diesel::update(
        cohorts::table
            .filter(cohorts::id.eq(id))
            .filter(cohorts::trainee_count.lt(cohorts::capacity)),
    )
    .set(cohorts::trainee_count.eq(cohorts::trainee_count + 1))
    .execute(conn)
}

/// Adds a trainee seat regardless of capacity (an admin's decision).
pub fn add_seat(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
    delta: i32,
) -> QueryResult<usize> {
    diesel::update(cohorts::table.find(id))
        .set(cohorts::trainee_count.eq(cohorts::trainee_count + delta))
        .execute(conn)
}

/// A user's role in a cohort (`None`: not a member).
pub fn find_member_role(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Option<crate::cohorts::model::MemberRole>> {
    Ok(cohort_members::table
        .find((cohort_id, user_id))
        .select(cohort_members::role)
        .first::<String>(conn)
        .optional()?
        .and_then(|r| r.parse().ok()))
}

/// Whether an instructor is one of the cohort's lead instructors.
pub fn is_lead(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<bool> {
    Ok(cohort_leads::table
        .find((cohort_id, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The cohort's lead instructors.
pub fn leads_of(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<crate::accounts::model::UserId>> {
    cohort_leads::table
        .filter(cohort_leads::cohort_id.eq(cohort_id))
        .select(cohort_leads::user_id)
        .order(cohort_leads::named_at.asc())
        .load(conn)
}

/// Names a lead instructor (once; naming again changes nothing).
pub fn insert_lead(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    named_by: &crate::accounts::model::UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if is_lead(conn, cohort_id, user_id)? {
        return Ok(0);
    }
    diesel::insert_into(cohort_leads::table)
        .values((
            cohort_leads::cohort_id.eq(cohort_id),
            cohort_leads::user_id.eq(user_id),
            cohort_leads::named_by.eq(named_by),
            cohort_leads::named_at.eq(at),
        ))
        .execute(conn)
}

/// Ends a lead instructor's naming.
pub fn delete_lead(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<usize> {
    diesel::delete(cohort_leads::table.find((cohort_id, user_id))).execute(conn)
}

pub fn insert_member(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    role: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(cohort_members::table)
        .values((
            cohort_members::cohort_id.eq(cohort_id),
            cohort_members::user_id.eq(user_id),
            cohort_members::role.eq(role),
            cohort_members::joined_at.eq(now),
        ))
        .execute(conn)
}

/// Replaces a cohort's calendar-feed secret (the old feed link stops working).
pub fn set_feed_secret(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    secret: &str,
) -> QueryResult<usize> {
    diesel::update(cohorts::table.find(cohort_id))
        .set(cohorts::feed_secret.eq(secret))
        .execute(conn)
}

/// Starts a row of teaching history (an instructor joined the cohort's staff).
pub fn start_staff_history(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    role: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(cohort_staff_history::table)
        .values((
            cohort_staff_history::cohort_id.eq(cohort_id),
            cohort_staff_history::user_id.eq(user_id),
            cohort_staff_history::role.eq(role),
            cohort_staff_history::started_at.eq(at),
        ))
        .execute(conn)
}

/// Ends the open teaching-history rows of a person in a cohort (the rows stay).
pub fn end_staff_history(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    by: &crate::accounts::model::UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        cohort_staff_history::table
            .filter(cohort_staff_history::cohort_id.eq(cohort_id))
            .filter(cohort_staff_history::user_id.eq(user_id))
            .filter(cohort_staff_history::ended_at.is_null()),
    )
    .set((
        cohort_staff_history::ended_at.eq(at),
        cohort_staff_history::ended_by.eq(by),
    ))
    .execute(conn)
}

/// A person's teaching periods in a cohort: (role, started, ended), oldest first.
pub fn staff_history(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>> {
    cohort_staff_history::table
        .filter(cohort_staff_history::cohort_id.eq(cohort_id))
        .filter(cohort_staff_history::user_id.eq(user_id))
        .order(cohort_staff_history::started_at.asc())
        .select((
            cohort_staff_history::role,
            cohort_staff_history::started_at,
            cohort_staff_history::ended_at,
        ))
        .load(conn)
}

pub fn delete_member(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<usize> {
    diesel::delete(cohort_members::table.find((cohort_id, user_id))).execute(conn)
}

/// A member with the user fields a roster needs.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub user_id: crate::accounts::model::UserId,
    pub email: String,
    pub name: String,
    pub name_en: Option<String>,
    pub office_code: String,
    pub role: String,
    pub joined_at: NaiveDateTime,
}

impl MemberRow {
    /// The member's role in the cohort.
    pub fn member_role(&self) -> Option<crate::cohorts::model::MemberRole> {
        self.role.parse().ok()
    }
}

pub fn list_members(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<MemberRow>> {
    cohort_members::table
        .inner_join(users::table)
        .filter(cohort_members::cohort_id.eq(cohort_id))
        .select((
            users::id,
            users::email,
            users::name,
            users::name_en,
            users::office_code,
            cohort_members::role,
            cohort_members::joined_at,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohort_sessions)]
pub struct SessionRow {
    pub id: crate::cohorts::model::SessionId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub title_th: String,
    pub title_en: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub venue: String,
    pub meeting_url: Option<String>,
    pub mode: String,
    pub checkin_secret: String,
    pub created_at: NaiveDateTime,
}

impl SessionRow {
    /// The session's scheduled length in minutes (never negative).
    pub fn minutes(&self) -> i64 {
        (self.ends_at - self.starts_at).num_minutes().max(0)
    }
}

pub fn insert_session(conn: &mut DbConnection, row: &SessionRow) -> QueryResult<usize> {
    diesel::insert_into(cohort_sessions::table)
        .values(row)
        .execute(conn)
}

pub fn find_session(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::SessionId,
) -> QueryResult<Option<SessionRow>> {
    cohort_sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_sessions(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<SessionRow>> {
    cohort_sessions::table
        .filter(cohort_sessions::cohort_id.eq(cohort_id))
        .order(cohort_sessions::starts_at.asc())
        .select(SessionRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attendance)]
pub struct AttendanceRow {
    pub session_id: crate::cohorts::model::SessionId,
    pub user_id: crate::accounts::model::UserId,
    pub status: String,
    pub via: Option<String>,
    pub minutes: Option<i32>,
    pub source: String,
    pub updated_at: NaiveDateTime,
}

/// Writes a trainee's attendance of a session, replacing an earlier mark.
pub fn save_attendance(conn: &mut DbConnection, row: &AttendanceRow) -> QueryResult<()> {
    let n = diesel::update(attendance::table.find((&row.session_id, &row.user_id)))
        .set((
            attendance::status.eq(&row.status),
            attendance::via.eq(&row.via),
            attendance::minutes.eq(row.minutes),
            attendance::source.eq(&row.source),
            attendance::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(attendance::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_attendance(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Option<AttendanceRow>> {
    attendance::table
        .find((session_id, user_id))
        .select(AttendanceRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_attendance_of_session(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
) -> QueryResult<Vec<AttendanceRow>> {
    attendance::table
        .filter(attendance::session_id.eq(session_id))
        .select(AttendanceRow::as_select())
        .load(conn)
}

pub fn list_attendance_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<AttendanceRow>> {
    attendance::table
        .inner_join(cohort_sessions::table)
        .filter(cohort_sessions::cohort_id.eq(cohort_id))
        .select(AttendanceRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = zoom_rows)]
pub struct ZoomRow {
    pub id: String,
    pub session_id: crate::cohorts::model::SessionId,
    pub name: String,
    pub email: String,
    pub minutes: i32,
    pub matched_user_id: Option<crate::accounts::model::UserId>,
    pub created_at: NaiveDateTime,
    /// A trainee whose name matches the row's display name: only a suggestion, since
    /// participants choose their display names; an instructor confirms it.
    pub suggested_user_id: Option<crate::accounts::model::UserId>,
}

pub fn insert_zoom_row(conn: &mut DbConnection, row: &ZoomRow) -> QueryResult<usize> {
    diesel::insert_into(zoom_rows::table)
        .values(row)
        .execute(conn)
}

pub fn list_zoom_rows(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
) -> QueryResult<Vec<ZoomRow>> {
    zoom_rows::table
        .filter(zoom_rows::session_id.eq(session_id))
        .order(zoom_rows::created_at.asc())
        .select(ZoomRow::as_select())
        .load(conn)
}

pub fn match_zoom_row(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::ZoomRowId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<usize> {
    diesel::update(zoom_rows::table.find(id))
        .set(zoom_rows::matched_user_id.eq(Some(user_id)))
        .execute(conn)
}

/// A person's memberships: (cohort, role, joined at).
pub fn memberships_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    cohort_members::table
        .filter(cohort_members::user_id.eq(user_id))
        .select((
            cohort_members::cohort_id,
            cohort_members::role,
            cohort_members::joined_at,
        ))
        .load(conn)
}

/// Cohorts that ended before a day (`YYYY-MM-DD`).
pub fn ended_before(
    conn: &mut DbConnection,
    day: &str,
) -> QueryResult<Vec<crate::cohorts::model::CohortId>> {
    cohorts::table
        .filter(cohorts::ends_on.lt(day))
        .select(cohorts::id)
        .load(conn)
}

/// Retention: a cohort's attendance except that of `keep_users`, counted or deleted.
pub fn purge_cohort_attendance(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    keep_users: &[String],
    dry_run: bool,
) -> QueryResult<i64> {
    let sessions: Vec<String> = cohort_sessions::table
        .filter(cohort_sessions::cohort_id.eq(cohort_id))
        .select(cohort_sessions::id)
        .load(conn)?;
    let rows = attendance::table
        .filter(attendance::session_id.eq_any(&sessions))
        .filter(attendance::user_id.ne_all(keep_users));
    if dry_run {
        rows.count().get_result(conn)
    } else {
        diesel::delete(rows).execute(conn).map(|n| n as i64)
    }
}

// ---------------------------------------------------------------------------------------------
// Observed joint assessments

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::observed_assessments)]
pub struct ObservationRow {
    pub id: String,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub user_id: crate::accounts::model::UserId,
    pub scope: String,
    /// `YYYY-MM-DD`.
    pub observed_on: String,
    pub business: String,
    /// The programme's competences shown, as a JSON array of ids.
    pub competences_json: String,
    /// `competent` or `not_yet`.
    pub outcome: String,
    pub observer_id: crate::accounts::model::UserId,
    pub notes: String,
    pub recorded_by: crate::accounts::model::UserId,
    pub recorded_at: NaiveDateTime,
}

pub fn insert_observation(conn: &mut DbConnection, row: &ObservationRow) -> QueryResult<usize> {
    diesel::insert_into(crate::db::schema::observed_assessments::table)
        .values(row)
        .execute(conn)
}

/// A cohort's observed assessments, oldest first.
pub fn observations_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<ObservationRow>> {
    use crate::db::schema::observed_assessments as o;
    o::table
        .filter(o::cohort_id.eq(cohort_id))
        .order((o::observed_on.asc(), o::recorded_at.asc()))
        .select(ObservationRow::as_select())
        .load(conn)
}
