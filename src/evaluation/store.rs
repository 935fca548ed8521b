//! Survey persistence: answers without the person, and who has responded, kept apart.

use diesel::prelude::*;

use crate::db::schema::{cohort_report_texts, survey_respondents, survey_responses};
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
