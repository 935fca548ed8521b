//! Attempt persistence: attempts, autosaved answers, per-trainee overrides.

use super::model::{AttemptId, AttemptState, QuestionId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{attempt_answers, attempts, essay_marks, quiz_overrides};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attempts)]
pub struct AttemptRow {
    pub id: crate::quizzes::model::AttemptId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub quiz_slug: String,
    pub quiz_revision_id: String,
    pub user_id: crate::accounts::model::UserId,
    pub attempt_no: i32,
    pub state: String,
    pub layout_json: String,
    pub started_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub grading_count: i32,
    /// `pending` while written answers wait for their marks, `complete` once marked; `None`
    /// when nothing is marked by hand.
    pub marking: Option<String>,
}

impl AttemptRow {
    /// The attempt's state (the row keeps the stored text).
    pub fn attempt_state(&self) -> AttemptState {
        AttemptState::of(&self.state)
    }
}

pub fn insert_attempt(conn: &mut DbConnection, row: &AttemptRow) -> QueryResult<usize> {
    diesel::insert_into(attempts::table)
        .values(row)
        .execute(conn)
}

/// Inside a write transaction: the attempt's state, the attempt locked until the transaction
/// ends. On PostgreSQL `FOR UPDATE` locks its row; on SQLite the transaction (`BEGIN
/// IMMEDIATE`) already holds the database's write lock. Saves and the grading of one attempt
/// so run one after the other.
pub fn lock_attempt_state(
    conn: &mut DbConnection,
    id: &crate::quizzes::model::AttemptId,
) -> QueryResult<Option<AttemptState>> {
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    if let DbConnection::Postgres(pg) = conn {
        return diesel::sql_query("SELECT state FROM attempts WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(id)
            .get_result::<State>(pg)
            .optional()
            .map(|s| s.map(|s| AttemptState::of(&s.state)));
    }
    attempts::table
        .find(id)
        .select(attempts::state)
        .first::<String>(conn)
        .optional()
        .map(|s| s.map(|s| AttemptState::of(&s)))
}

pub fn find_attempt(
    conn: &mut DbConnection,
    id: &crate::quizzes::model::AttemptId,
) -> QueryResult<Option<AttemptRow>> {
    attempts::table
        .find(id)
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()
}

pub fn attempts_of(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<AttemptRow>> {
    attempts::table
        .filter(attempts::cohort_id.eq(cohort_id))
        .filter(attempts::quiz_slug.eq(slug))
        .filter(attempts::user_id.eq(user_id))
        .order(attempts::attempt_no.asc())
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Every finished attempt of a cohort (for results, eligibility and analytics).
pub fn finished_attempts_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<AttemptRow>> {
    attempts::table
        .filter(attempts::cohort_id.eq(cohort_id))
        .filter(attempts::state.ne(AttemptState::Open.as_str()))
        .order((attempts::user_id.asc(), attempts::attempt_no.asc()))
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Open attempts whose deadline has passed before `before`.
pub fn overdue_attempts(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<AttemptId>> {
    attempts::table
        .filter(attempts::state.eq(AttemptState::Open.as_str()))
        .filter(attempts::deadline.lt(before))
        .select(attempts::id)
        .limit(limit)
        .load(conn)
}

/// Records the grade once: only an attempt still open is changed, so concurrent submits
/// (or the background finaliser) grade it exactly once. Returns the rows changed.
pub fn finish_attempt(
    conn: &mut DbConnection,
    id: &crate::quizzes::model::AttemptId,
    state: AttemptState,
    now: NaiveDateTime,
    grade: &crate::quizzes::AttemptResult,
) -> QueryResult<usize> {
    diesel::update(
        attempts::table
            .filter(attempts::id.eq(id))
            .filter(attempts::state.eq(AttemptState::Open.as_str())),
    )
    .set((
        attempts::state.eq(state.as_str()),
        attempts::finished_at.eq(Some(now)),
        attempts::score.eq(Some(grade.score)),
        attempts::max_score.eq(Some(grade.max_score)),
        attempts::percent.eq(grade.percent),
        attempts::passed.eq(grade.passed),
        attempts::marking.eq(grade.marking.map(|m| m.as_str())),
        attempts::grading_count.eq(attempts::grading_count + 1),
    ))
    .execute(conn)
}

/// Saves an answer, replacing an earlier one for the same question.
pub fn save_answer(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
    question_id: &QuestionId,
    answer_json: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use diesel::upsert::excluded;
    // One statement whether or not the question was answered before (both backends speak
    // `ON CONFLICT … DO UPDATE`; diesel's multi-backend connection does not, so it runs on
    // the concrete one).
    let upsert = || {
        diesel::insert_into(attempt_answers::table)
            .values((
                attempt_answers::attempt_id.eq(attempt_id),
                attempt_answers::question_id.eq(question_id),
                attempt_answers::answer_json.eq(answer_json),
                attempt_answers::saved_at.eq(now),
            ))
            .on_conflict((attempt_answers::attempt_id, attempt_answers::question_id))
            .do_update()
            .set((
                attempt_answers::answer_json.eq(excluded(attempt_answers::answer_json)),
                attempt_answers::saved_at.eq(excluded(attempt_answers::saved_at)),
            ))
    };
    match conn {
        DbConnection::Sqlite(c) => upsert().execute(c)?,
        DbConnection::Postgres(c) => upsert().execute(c)?,
    };
    Ok(())
}

pub fn answers_of(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
) -> QueryResult<Vec<(String, String)>> {
    attempt_answers::table
        .filter(attempt_answers::attempt_id.eq(attempt_id))
        .select((attempt_answers::question_id, attempt_answers::answer_json))
        .load(conn)
}

/// Answers of many attempts at once (analytics).
pub fn answers_of_many(
    conn: &mut DbConnection,
    ids: &[AttemptId],
) -> QueryResult<Vec<(AttemptId, String, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            attempt_answers::table
                .filter(attempt_answers::attempt_id.eq_any(chunk))
                .select((
                    attempt_answers::attempt_id,
                    attempt_answers::question_id,
                    attempt_answers::answer_json,
                ))
                .load::<(AttemptId, String, String)>(conn)?,
        );
    }
    Ok(out)
}

pub fn find_override(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Option<(i32, i32)>> {
    quiz_overrides::table
        .find((cohort_id, slug, user_id))
        .select((
            quiz_overrides::extra_seconds,
            quiz_overrides::extra_attempts,
        ))
        .first(conn)
        .optional()
}

pub fn save_override(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user_id: &crate::accounts::model::UserId,
    extra_seconds: i32,
    extra_attempts: i32,
) -> QueryResult<()> {
    let n = diesel::update(quiz_overrides::table.find((cohort_id, slug, user_id)))
        .set((
            quiz_overrides::extra_seconds.eq(extra_seconds),
            quiz_overrides::extra_attempts.eq(extra_attempts),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(quiz_overrides::table)
            .values((
                quiz_overrides::cohort_id.eq(cohort_id),
                quiz_overrides::quiz_slug.eq(slug),
                quiz_overrides::user_id.eq(user_id),
                quiz_overrides::extra_seconds.eq(extra_seconds),
                quiz_overrides::extra_attempts.eq(extra_attempts),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every attempt of a person, oldest first (their certification record, their appeals).
pub fn attempts_of_user(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<AttemptRow>> {
    attempts::table
        .filter(attempts::user_id.eq(user_id))
        .order(attempts::started_at.asc())
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Retention: a cohort's attempts and their answers, except those of `keep_users` and the
/// attempts `keep_ids`, counted (`dry_run`) or deleted, in chunks: (answers, attempts).
pub fn purge_cohort_attempts(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    keep_users: &[String],
    keep_ids: &[String],
    dry_run: bool,
) -> QueryResult<Purge> {
    const CHUNK: usize = 500;
    let doomed: Vec<String> = attempts::table
        .filter(attempts::cohort_id.eq(cohort_id))
        .filter(attempts::user_id.ne_all(keep_users))
        .filter(attempts::id.ne_all(keep_ids))
        .select(attempts::id)
        .load(conn)?;
    let (mut answers, mut marks, mut tries) = (0i64, 0i64, 0i64);
    for ids in doomed.chunks(CHUNK) {
        let answer_rows = attempt_answers::table.filter(attempt_answers::attempt_id.eq_any(ids));
        let mark_rows = essay_marks::table.filter(essay_marks::attempt_id.eq_any(ids));
        if dry_run {
            answers += answer_rows.count().get_result::<i64>(conn)?;
            marks += mark_rows.count().get_result::<i64>(conn)?;
            tries += ids.len() as i64;
        } else {
            answers += diesel::delete(answer_rows).execute(conn)? as i64;
            marks += diesel::delete(mark_rows).execute(conn)? as i64;
            tries += diesel::delete(attempts::table.filter(attempts::id.eq_any(ids)))
                .execute(conn)? as i64;
        }
    }
    Ok(Purge {
        answers,
        marks,
        attempts: tries,
    })
}

/// What a purge of a cohort's attempts removed (or would remove).
#[derive(Debug, Clone, Copy, Default)]
pub struct Purge {
    pub answers: i64,
    pub marks: i64,
    pub attempts: i64,
}

/// Attempts by id (chunked: bound-parameter limits).
pub fn find_attempts(conn: &mut DbConnection, ids: &[AttemptId]) -> QueryResult<Vec<AttemptRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            attempts::table
                .filter(attempts::id.eq_any(chunk))
                .select(AttemptRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Marks of written answers

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = essay_marks)]
pub struct MarkRow {
    pub id: String,
    pub attempt_id: AttemptId,
    pub question_id: String,
    pub marker_id: crate::accounts::model::UserId,
    /// `mark` or `moderation` (see [`super::model::MarkStage`]).
    pub stage: String,
    /// `{criterion_id: level_id}`.
    pub levels_json: String,
    pub points: f64,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_mark(conn: &mut DbConnection, row: &MarkRow) -> QueryResult<usize> {
    diesel::insert_into(essay_marks::table)
        .values(row)
        .execute(conn)
}

/// The marks of some attempts, oldest first (chunked: bound-parameter limits).
pub fn marks_of(conn: &mut DbConnection, ids: &[AttemptId]) -> QueryResult<Vec<MarkRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            essay_marks::table
                .filter(essay_marks::attempt_id.eq_any(chunk))
                .order((essay_marks::created_at.asc(), essay_marks::id.asc()))
                .select(MarkRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Finished attempts of a cohort whose written answers wait for marks.
pub fn pending_marking_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<AttemptRow>> {
    attempts::table
        .filter(attempts::cohort_id.eq(cohort_id))
        .filter(attempts::state.ne(AttemptState::Open.as_str()))
        .filter(attempts::marking.eq(super::model::MarkingState::Pending.as_str()))
        .order((attempts::finished_at.asc(), attempts::id.asc()))
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Attempts of a cohort that had written answers (pending or marked).
pub fn marked_attempts_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<AttemptRow>> {
    attempts::table
        .filter(attempts::cohort_id.eq(cohort_id))
        .filter(attempts::marking.is_not_null())
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Gives a pending attempt its grade once every mark is in (once: only from `pending`).
pub fn complete_marking(
    conn: &mut DbConnection,
    id: &AttemptId,
    grade: &crate::quizzes::AttemptResult,
) -> QueryResult<usize> {
    diesel::update(
        attempts::table
            .filter(attempts::id.eq(id))
            .filter(attempts::marking.eq(super::model::MarkingState::Pending.as_str())),
    )
    .set((
        attempts::score.eq(Some(grade.score)),
        attempts::max_score.eq(Some(grade.max_score)),
        attempts::percent.eq(grade.percent),
        attempts::passed.eq(grade.passed),
        attempts::marking.eq(super::model::MarkingState::Complete.as_str()),
        attempts::grading_count.eq(attempts::grading_count + 1),
    ))
    .execute(conn)
}
