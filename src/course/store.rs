//! Content persistence: module and quiz revisions, publications, reading progress.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::RevisionStatus;
use crate::db::schema::{module_progress, module_revisions, publications, quiz_revisions};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = module_revisions)]
pub struct ModuleRevisionRow {
    pub id: String,
    pub slug: String,
    pub content_hash: String,
    pub position: i32,
    pub minutes: i32,
    pub prerequisites_json: String,
    pub title_th: String,
    pub title_en: String,
    pub markdown_th: String,
    pub markdown_en: String,
    pub html_th: String,
    pub html_en: String,
    pub source: String,
    pub author_id: Option<String>,
    pub created_at: NaiveDateTime,
    /// `approved` (file and admin revisions), `draft` (an instructor's edit waiting for an
    /// admin) or `rejected`.
    pub status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
}

pub fn find_module_revision_by_hash(
    conn: &mut DbConnection,
    slug: &str,
    hash: &str,
) -> QueryResult<Option<ModuleRevisionRow>> {
    module_revisions::table
        .filter(module_revisions::slug.eq(slug))
        .filter(module_revisions::content_hash.eq(hash))
        .select(ModuleRevisionRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_module_revision(
    conn: &mut DbConnection,
    row: &ModuleRevisionRow,
) -> QueryResult<usize> {
    diesel::insert_into(module_revisions::table)
        .values(row)
        .execute(conn)
}

pub fn find_module_revision(
    conn: &mut DbConnection,
    id: &crate::course::model::RevisionId,
) -> QueryResult<Option<ModuleRevisionRow>> {
    module_revisions::table
        .find(id)
        .select(ModuleRevisionRow::as_select())
        .first(conn)
        .optional()
}

/// Every revision of a module, newest first.
pub fn module_revisions_of(
    conn: &mut DbConnection,
    slug: &str,
) -> QueryResult<Vec<ModuleRevisionRow>> {
    module_revisions::table
        .filter(module_revisions::slug.eq(slug))
        .order(module_revisions::created_at.desc())
        .select(ModuleRevisionRow::as_select())
        .load(conn)
}

/// The newest approved revision of every module.
pub fn current_module_revisions(conn: &mut DbConnection) -> QueryResult<Vec<ModuleRevisionRow>> {
    let all: Vec<ModuleRevisionRow> = module_revisions::table
        .filter(module_revisions::status.eq(RevisionStatus::Approved.as_str()))
        .order((
            module_revisions::slug.asc(),
            module_revisions::created_at.desc(),
        ))
        .select(ModuleRevisionRow::as_select())
        .load(conn)?;
    let mut out: Vec<ModuleRevisionRow> = Vec::new();
    for r in all {
        if out.last().is_none_or(|l| l.slug != r.slug) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Approved revisions of a module, newest first (what may be published).
pub fn approved_module_revisions_of(
    conn: &mut DbConnection,
    slug: &str,
) -> QueryResult<Vec<ModuleRevisionRow>> {
    module_revisions::table
        .filter(module_revisions::slug.eq(slug))
        .filter(module_revisions::status.eq(RevisionStatus::Approved.as_str()))
        .order(module_revisions::created_at.desc())
        .select(ModuleRevisionRow::as_select())
        .load(conn)
}

/// Decides a draft: approved drafts take the decision's time, so they become the newest
/// approved revision. Returns the rows changed (0 when it was not a draft).
pub fn review_module_draft(
    conn: &mut DbConnection,
    id: &crate::course::model::RevisionId,
    status: RevisionStatus,
    reviewer: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = module_revisions::table
        .filter(module_revisions::id.eq(id))
        .filter(module_revisions::status.eq(RevisionStatus::Draft.as_str()));
    if status == RevisionStatus::Approved {
        diesel::update(target)
            .set((
                module_revisions::status.eq(status.as_str()),
                module_revisions::reviewed_by.eq(reviewer),
                module_revisions::reviewed_at.eq(at),
                module_revisions::created_at.eq(at),
            ))
            .execute(conn)
    } else {
        diesel::update(target)
            .set((
                module_revisions::status.eq(status.as_str()),
                module_revisions::reviewed_by.eq(reviewer),
                module_revisions::reviewed_at.eq(at),
            ))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = quiz_revisions)]
pub struct QuizRevisionRow {
    pub id: String,
    pub slug: String,
    pub content_hash: String,
    pub definition_json: String,
    pub created_at: NaiveDateTime,
    /// The cohort an instructor's own quiz was imported for; `None` for the scheme's and
    /// admins' programme-wide quizzes.
    pub cohort_id: Option<crate::cohorts::model::CohortId>,
}

pub fn find_quiz_revision_by_hash(
    conn: &mut DbConnection,
    slug: &str,
    hash: &str,
    cohort_id: Option<&crate::cohorts::model::CohortId>,
) -> QueryResult<Option<QuizRevisionRow>> {
    let q = quiz_revisions::table
        .filter(quiz_revisions::slug.eq(slug))
        .filter(quiz_revisions::content_hash.eq(hash))
        .into_boxed();
    let q = match cohort_id {
        Some(c) => q.filter(quiz_revisions::cohort_id.eq(c)),
        None => q.filter(quiz_revisions::cohort_id.is_null()),
    };
    q.select(QuizRevisionRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_quiz_revision(conn: &mut DbConnection, row: &QuizRevisionRow) -> QueryResult<usize> {
    diesel::insert_into(quiz_revisions::table)
        .values(row)
        .execute(conn)
}

pub fn find_quiz_revision(
    conn: &mut DbConnection,
    id: &crate::course::model::QuizRevisionId,
) -> QueryResult<Option<QuizRevisionRow>> {
    quiz_revisions::table
        .find(id)
        .select(QuizRevisionRow::as_select())
        .first(conn)
        .optional()
}

/// Id and slug of the newest revision of every quiz a cohort may use (the programme-wide ones
/// and its own; programme-wide only when `cohort_id` is `None`), without the definitions.
pub fn current_quiz_revision_ids(
    conn: &mut DbConnection,
    cohort_id: Option<&crate::cohorts::model::CohortId>,
) -> QueryResult<Vec<(String, String)>> {
    let all: Vec<(String, String)> = scoped(cohort_id)
        .order((
            quiz_revisions::slug.asc(),
            quiz_revisions::created_at.desc(),
        ))
        .select((quiz_revisions::id, quiz_revisions::slug))
        .load(conn)?;
    let mut out: Vec<(String, String)> = Vec::new();
    for r in all {
        if out.last().is_none_or(|l| l.1 != r.1) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The quiz revisions a cohort may use: programme-wide ones and its own.
fn scoped<'a>(
    cohort_id: Option<&'a crate::cohorts::model::CohortId>,
) -> quiz_revisions::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let q = quiz_revisions::table.into_boxed();
    match cohort_id {
        Some(c) => q.filter(
            quiz_revisions::cohort_id
                .is_null()
                .or(quiz_revisions::cohort_id.eq(c)),
        ),
        None => q.filter(quiz_revisions::cohort_id.is_null()),
    }
}

/// Ids of every revision imported for one cohort only (never the scheme's).
pub fn cohort_scoped_quiz_revision_ids(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    quiz_revisions::table
        .filter(quiz_revisions::cohort_id.is_not_null())
        .select(quiz_revisions::id)
        .load(conn)
}

/// The newest revision of every quiz a cohort may use (see [`current_quiz_revision_ids`]).
pub fn current_quiz_revisions(
    conn: &mut DbConnection,
    cohort_id: Option<&crate::cohorts::model::CohortId>,
) -> QueryResult<Vec<QuizRevisionRow>> {
    let all: Vec<QuizRevisionRow> = scoped(cohort_id)
        .order((
            quiz_revisions::slug.asc(),
            quiz_revisions::created_at.desc(),
        ))
        .select(QuizRevisionRow::as_select())
        .load(conn)?;
    let mut out: Vec<QuizRevisionRow> = Vec::new();
    for r in all {
        if out.last().is_none_or(|l| l.slug != r.slug) {
            out.push(r);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = publications)]
pub struct PublicationRow {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub kind: String,
    pub slug: String,
    pub revision_id: String,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
    pub published_at: NaiveDateTime,
}

pub fn publications_of(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    kind: &str,
) -> QueryResult<Vec<PublicationRow>> {
    publications::table
        .filter(publications::cohort_id.eq(cohort_id))
        .filter(publications::kind.eq(kind))
        .select(PublicationRow::as_select())
        .load(conn)
}

pub fn find_publication(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    kind: &str,
    slug: &str,
) -> QueryResult<Option<PublicationRow>> {
    publications::table
        .find((cohort_id, kind, slug))
        .select(PublicationRow::as_select())
        .first(conn)
        .optional()
}

/// Publishes (or re-publishes) a revision to a cohort.
pub fn save_publication(conn: &mut DbConnection, row: &PublicationRow) -> QueryResult<()> {
    let n = diesel::update(publications::table.find((&row.cohort_id, &row.kind, &row.slug)))
        .set((
            publications::revision_id.eq(&row.revision_id),
            publications::opens_at.eq(row.opens_at),
            publications::closes_at.eq(row.closes_at),
            publications::published_by.eq(&row.published_by),
            publications::published_at.eq(row.published_at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(publications::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_publication(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    kind: &str,
    slug: &str,
) -> QueryResult<usize> {
    diesel::delete(publications::table.find((cohort_id, kind, slug))).execute(conn)
}

pub fn completed_slugs(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> QueryResult<Vec<String>> {
    module_progress::table
        .filter(module_progress::cohort_id.eq(cohort_id))
        .filter(module_progress::user_id.eq(user_id))
        .select(module_progress::slug)
        .load(conn)
}

/// All (user, slug) completions of a cohort.
pub fn completions_of_cohort(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> QueryResult<Vec<(String, String)>> {
    module_progress::table
        .filter(module_progress::cohort_id.eq(cohort_id))
        .select((module_progress::user_id, module_progress::slug))
        .load(conn)
}

pub fn insert_completion(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    slug: &str,
    revision_id: &crate::course::model::RevisionId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(module_progress::table)
        .values((
            module_progress::cohort_id.eq(cohort_id),
            module_progress::user_id.eq(user_id),
            module_progress::slug.eq(slug),
            module_progress::revision_id.eq(revision_id),
            module_progress::completed_at.eq(now),
        ))
        .execute(conn)
}

/// Retention: a cohort's reading progress except that of `keep_users`, counted or deleted.
pub fn purge_cohort_progress(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    keep_users: &[String],
    dry_run: bool,
) -> QueryResult<i64> {
    let rows = module_progress::table
        .filter(module_progress::cohort_id.eq(cohort_id))
        .filter(module_progress::user_id.ne_all(keep_users));
    if dry_run {
        rows.count().get_result(conn)
    } else {
        diesel::delete(rows).execute(conn).map(|n| n as i64)
    }
}

/// The modules a person has read (in any cohort) since a moment.
pub fn modules_read_since(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    since: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    module_progress::table
        .filter(module_progress::user_id.eq(user_id))
        .filter(module_progress::completed_at.ge(since))
        .select(module_progress::slug)
        .load(conn)
}
