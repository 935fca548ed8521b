//! Survey persistence: answers without the person, and who has responded, kept apart; the
//! completion certificates and who signs them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::completion::{CompletionId, Signatory};
use crate::accounts::model::UserId;
use crate::cohorts::model::CohortId;
use crate::db::schema::{
    cohort_report_texts, cohort_signatories, completions, survey_respondents, survey_responses,
};
use crate::db::DbConnection;

/// Whether this person has answered this survey in this cohort.
pub fn has_responded(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<bool> {
    survey_respondents::table
        .filter(survey_respondents::cohort_id.eq(cohort_id))
        .filter(survey_respondents::survey_slug.eq(slug))
        .filter(survey_respondents::user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// Records that a person responded (the day only) and, separately, their answers under a
/// random id with no person and no time, so the two cannot be joined.
pub fn insert_response(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user_id: &crate::accounts::model::UserId,
    day: &str,
    answers_json: &str,
) -> QueryResult<()> {
    diesel::insert_into(survey_respondents::table)
        .values((
            survey_respondents::cohort_id.eq(cohort_id),
            survey_respondents::survey_slug.eq(slug),
            survey_respondents::user_id.eq(user_id),
            survey_respondents::responded_on.eq(day),
        ))
        .execute(conn)?;
    let id = uuid::Uuid::new_v4().to_string();
    if let DbConnection::Sqlite(sqlite) = conn {
        // A random rowid: SQLite stores (and the export lists) rows by rowid, which would
        // otherwise follow the order of answering, and so the order of the respondents.
        use diesel::sql_types::Text;
        diesel::sql_query(
            "INSERT INTO survey_responses (rowid, id, cohort_id, survey_slug, answers_json) \
             VALUES (abs(random() % 4611686018427387903) + 1, ?, ?, ?, ?)",
        )
        .bind::<Text, _>(&id)
        .bind::<Text, _>(cohort_id.as_str())
        .bind::<Text, _>(slug)
        .bind::<Text, _>(answers_json)
        .execute(sqlite)?;
        return Ok(());
    }
    diesel::insert_into(survey_responses::table)
        .values((
            survey_responses::id.eq(id),
            survey_responses::cohort_id.eq(cohort_id),
            survey_responses::survey_slug.eq(slug),
            survey_responses::answers_json.eq(answers_json),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every response's answers to a survey in a cohort, in the order of their random ids.
pub fn responses(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
) -> QueryResult<Vec<String>> {
    survey_responses::table
        .filter(survey_responses::cohort_id.eq(cohort_id))
        .filter(survey_responses::survey_slug.eq(slug))
        .order(survey_responses::id.asc())
        .select(survey_responses::answers_json)
        .load(conn)
}

/// Who responded to a survey in a cohort (for completion rules and reminders).
pub fn respondents(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
) -> QueryResult<Vec<String>> {
    survey_respondents::table
        .filter(survey_respondents::cohort_id.eq(cohort_id))
        .filter(survey_respondents::survey_slug.eq(slug))
        .select(survey_respondents::user_id)
        .load(conn)
}

/// The narrative sections of a cohort's report: background, objectives, problems, suggestions.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Queryable,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct Narrative {
    pub background: String,
    pub objectives: String,
    pub problems: String,
    pub suggestions: String,
}

pub fn narrative(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Option<Narrative>> {
    cohort_report_texts::table
        .filter(cohort_report_texts::cohort_id.eq(cohort_id))
        .select((
            cohort_report_texts::background,
            cohort_report_texts::objectives,
            cohort_report_texts::problems,
            cohort_report_texts::suggestions,
        ))
        .first::<Narrative>(conn)
        .optional()
}

/// Saves (replaces) the narrative sections.
pub fn save_narrative(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    n: &Narrative,
    by: &crate::accounts::model::UserId,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(cohort_report_texts::table.filter(cohort_report_texts::cohort_id.eq(cohort_id)))
        .execute(conn)?;
    diesel::insert_into(cohort_report_texts::table)
        .values((
            cohort_report_texts::cohort_id.eq(cohort_id),
            cohort_report_texts::background.eq(&n.background),
            cohort_report_texts::objectives.eq(&n.objectives),
            cohort_report_texts::problems.eq(&n.problems),
            cohort_report_texts::suggestions.eq(&n.suggestions),
            cohort_report_texts::updated_by.eq(by),
            cohort_report_texts::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Retention: forgets who responded to a cohort's surveys (the answers themselves name no one
/// and stay with the cohort's results), except people the rules keep.
pub fn purge_cohort_respondents(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    keep_users: &[String],
    dry_run: bool,
) -> QueryResult<i64> {
    let rows = survey_respondents::table
        .filter(survey_respondents::cohort_id.eq(cohort_id))
        .filter(survey_respondents::user_id.ne_all(keep_users));
    if dry_run {
        rows.count().get_result(conn)
    } else {
        diesel::delete(rows).execute(conn).map(|n| n as i64)
    }
}

/// One stored completion certificate.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = completions)]
pub struct CompletionRow {
    pub id: CompletionId,
    pub number: String,
    pub user_id: UserId,
    pub cohort_id: CohortId,
    pub minutes: i32,
    pub issued_at: NaiveDateTime,
    pub issued_by: Option<String>,
    pub signatory_name: String,
    pub signatory_position: String,
    pub kid: String,
    pub credential_jwt: String,
}

/// The cohort's signatory, if one was named.
pub fn signatory(conn: &mut DbConnection, cohort_id: &CohortId) -> QueryResult<Option<Signatory>> {
    let row: Option<(String, String, String, String, Option<String>)> = cohort_signatories::table
        .find(cohort_id)
        .select((
            cohort_signatories::name_th,
            cohort_signatories::name_en,
            cohort_signatories::position_th,
            cohort_signatories::position_en,
            cohort_signatories::signature_png,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(name_th, name_en, position_th, position_en, signature_png)| Signatory {
            name_th,
            name_en,
            position_th,
            position_en,
            signature_png,
        },
    ))
}

/// Saves (replaces) the cohort's signatory.
pub fn replace_signatory(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    s: &Signatory,
    by: &UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(cohort_signatories::table.find(cohort_id)).execute(conn)?;
    diesel::insert_into(cohort_signatories::table)
        .values((
            cohort_signatories::cohort_id.eq(cohort_id),
            cohort_signatories::name_th.eq(&s.name_th),
            cohort_signatories::name_en.eq(&s.name_en),
            cohort_signatories::position_th.eq(&s.position_th),
            cohort_signatories::position_en.eq(&s.position_en),
            cohort_signatories::signature_png.eq(&s.signature_png),
            cohort_signatories::updated_by.eq(by),
            cohort_signatories::updated_at.eq(at),
        ))
        .execute(conn)
}

/// The cohort's certificates, by number.
pub fn completions_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
) -> QueryResult<Vec<CompletionRow>> {
    completions::table
        .filter(completions::cohort_id.eq(cohort_id))
        .order(completions::number.asc())
        .select(CompletionRow::as_select())
        .load(conn)
}

/// The certificate of one trainee in a cohort, if issued.
pub fn completion_of_trainee(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    user_id: &UserId,
) -> QueryResult<Option<CompletionRow>> {
    completions::table
        .filter(completions::cohort_id.eq(cohort_id))
        .filter(completions::user_id.eq(user_id))
        .select(CompletionRow::as_select())
        .first(conn)
        .optional()
}

/// A certificate by its id.
pub fn find_completion(
    conn: &mut DbConnection,
    id: &CompletionId,
) -> QueryResult<Option<CompletionRow>> {
    completions::table
        .find(id)
        .select(CompletionRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new certificate.
pub fn insert_completion(conn: &mut DbConnection, row: &CompletionRow) -> QueryResult<usize> {
    diesel::insert_into(completions::table)
        .values(row)
        .execute(conn)
}

/// The id of the certificate with this number (as stored).
pub fn completion_id_by_number(
    conn: &mut DbConnection,
    number: &str,
) -> QueryResult<Option<String>> {
    completions::table
        .filter(completions::number.eq(number))
        .select(completions::id)
        .first::<String>(conn)
        .optional()
}

/// Removes (or, on a dry run, counts) the certificates issued before `cutoff` (retention).
pub fn purge_completions_issued_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    dry_run: bool,
) -> QueryResult<i64> {
    let old = completions::table.filter(completions::issued_at.lt(cutoff));
    if dry_run {
        old.count().get_result(conn)
    } else {
        diesel::delete(old).execute(conn).map(|n| n as i64)
    }
}
