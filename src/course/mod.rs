//! Course content: the programme, modules and quizzes authored in `course_content/`,
//! kept as immutable content-hashed revisions and published to cohorts.

use crate::course::error::CourseError;
pub mod error;
pub mod loader;
pub mod model;
pub mod render;
pub mod store;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::accounts::{model::Language, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use crate::quizzes::model::Quiz;
use model::{Course, Module, RevisionId, RevisionStatus};
use store::{ModuleRevisionRow, PublicationRow, QuizRevisionRow};

use crate::util::{now, sha256_hex as sha256};

/// How many revisions a start-up sync created.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyncReport {
    pub new_module_revisions: usize,
    pub new_quiz_revisions: usize,
}

fn module_hash(m: &Module) -> Result<String, AppError> {
    let canonical = serde_json::json!({
        "minutes": m.minutes, "prerequisites": m.prerequisites, "position": m.position,
        "th": m.th, "en": m.en,
    });
    Ok(sha256(&canonical.to_string()))
}

fn render_both(slug: &str, th: &str, en: &str) -> Result<(String, String), AppError> {
    let prefix = format!("/media/{slug}/");
    let a = render::render_markdown(th, &prefix).map_err(AppError::invalid)?;
    let b = render::render_markdown(en, &prefix).map_err(AppError::invalid)?;
    Ok((a, b))
}

/// Records every module and quiz of the loaded content whose content changed as a new
/// immutable revision. Nothing published is altered: cohorts keep their published revision
/// until an instructor publishes the new one.
pub fn sync_course(conn: &mut DbConnection, course: &Course) -> Result<SyncReport, AppError> {
    let mut report = SyncReport::default();
    let t = now();
    write_tx(conn, |conn| {
        for m in &course.modules {
            let hash = module_hash(m)?;
            if store::find_module_revision_by_hash(conn, &m.slug, &hash)?.is_some() {
                continue;
            }
            let (html_th, html_en) = render_both(&m.slug, &m.th.markdown, &m.en.markdown)?;
            store::insert_module_revision(
                conn,
                &ModuleRevisionRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    slug: m.slug.clone(),
                    content_hash: hash,
                    position: m.position as i32,
                    minutes: m.minutes as i32,
                    prerequisites_json: serde_json::to_string(&m.prerequisites)
                        .unwrap_or_else(|_| "[]".into()),
                    title_th: m.th.title.clone(),
                    title_en: m.en.title.clone(),
                    markdown_th: m.th.markdown.clone(),
                    markdown_en: m.en.markdown.clone(),
                    html_th,
                    html_en,
                    source: "file".into(),
                    author_id: None,
                    created_at: t,
                    status: RevisionStatus::Approved.as_str().into(),
                    reviewed_by: None,
                    reviewed_at: None,
                },
            )?;
            report.new_module_revisions += 1;
        }
        for q in &course.quizzes {
            if save_quiz_revision(conn, q, t, None)?.1 {
                report.new_quiz_revisions += 1;
            }
        }
        Ok::<_, AppError>(())
    })?;
    Ok(report)
}

/// Stores a quiz definition as a revision unless identical content exists; returns the
/// revision and whether it is new. `cohort_id` names the one cohort an instructor's own quiz
/// is for; the scheme's quizzes and admins' programme-wide quizzes have none.
pub fn save_quiz_revision(
    conn: &mut DbConnection,
    q: &Quiz,
    t: NaiveDateTime,
    cohort_id: Option<&crate::cohorts::model::CohortId>,
) -> Result<(QuizRevisionRow, bool), AppError> {
    let json = serde_json::to_string(q).map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = sha256(&json);
    if let Some(r) = store::find_quiz_revision_by_hash(conn, &q.slug, &hash, cohort_id)? {
        return Ok((r, false));
    }
    let row = QuizRevisionRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: q.slug.clone(),
        content_hash: hash,
        definition_json: json,
        created_at: t,
        cohort_id: cohort_id.cloned(),
    };
    store::insert_quiz_revision(conn, &row)?;
    Ok((row, true))
}

/// A quiz revision's definition.
pub fn quiz_definition(row: &QuizRevisionRow) -> Result<Quiz, AppError> {
    serde_json::from_str(&row.definition_json)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored quiz {}: {e}", row.slug)))
}

/// The parsed quiz of a revision. A revision never changes once written, so each process
/// parses it once: autosaves, submits and quiz pages then skip loading and parsing the whole
/// definition (the profile of the exam burst showed that as the largest cost).
pub fn quiz_by_revision(
    conn: &mut DbConnection,
    revision_id: &crate::course::model::QuizRevisionId,
) -> Result<std::sync::Arc<Quiz>, AppError> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Quiz>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(q) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(revision_id.as_str()).cloned())
    {
        return Ok(q);
    }
    let row = store::find_quiz_revision(conn, revision_id)?.ok_or(AppError::NotFound)?;
    let quiz = Arc::new(quiz_definition(&row)?);
    if let Ok(mut c) = cache.lock() {
        // Bounded: a long-running service with many edited quizzes starts the cache afresh.
        if c.len() >= 1024 {
            c.clear();
        }
        c.insert(revision_id.to_string(), quiz.clone());
    }
    Ok(quiz)
}

/// A module in a cohort's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModuleListItem {
    pub slug: String,
    pub title: String,
    pub position: i32,
    pub minutes: i32,
    pub completed: bool,
    pub published: bool,
    /// The revision trainees see (the published one), or the newest for staff.
    pub revision: String,
    pub prerequisites: Vec<String>,
    /// True when every prerequisite is completed (always true for staff).
    pub unlocked: bool,
}

/// A module's text for reading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModuleView {
    pub slug: String,
    pub title: String,
    pub html: String,
    pub revision: String,
    pub minutes: i32,
    pub prerequisites: Vec<String>,
    pub completed: bool,
    pub published: bool,
}

fn prereqs(row: &ModuleRevisionRow) -> Vec<String> {
    serde_json::from_str(&row.prerequisites_json).unwrap_or_default()
}

fn title(row: &ModuleRevisionRow, lang: Language) -> String {
    match lang {
        Language::Th => row.title_th.clone(),
        Language::En => row.title_en.clone(),
    }
}

/// The modules of a cohort: trainees see what is published to it; staff see every module.
pub fn cohort_modules(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Vec<ModuleListItem>, AppError> {
    let (_, role) = cohorts::authorize(conn, cohort_id, user, Access::Member)?;
    let trainee = role == Some(MemberRole::Trainee);
    let published = store::publications_of(conn, cohort_id, "module")?;
    let done = store::completed_slugs(conn, cohort_id, &user.id)?;
    let mut items = Vec::new();
    for current in store::current_module_revisions(conn)? {
        let publication = published.iter().find(|p| p.slug == current.slug);
        let row = match publication {
            Some(p) => store::find_module_revision(conn, &RevisionId::from(&p.revision_id))?
                .unwrap_or(current),
            None if trainee => continue,
            None => current,
        };
        let pre = prereqs(&row);
        items.push(ModuleListItem {
            unlocked: !trainee || pre.iter().all(|p| done.contains(p)),
            completed: done.contains(&row.slug),
            published: publication.is_some(),
            title: title(&row, lang),
            position: row.position,
            minutes: row.minutes,
            revision: row.id.clone(),
            slug: row.slug.clone(),
            prerequisites: pre,
        });
    }
    items.sort_by_key(|i| i.position);
    Ok(items)
}

fn visible_revision(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    trainee: bool,
) -> Result<(ModuleRevisionRow, bool), AppError> {
    match store::find_publication(conn, cohort_id, "module", slug)? {
        Some(p) => Ok((
            store::find_module_revision(conn, &RevisionId::from(&p.revision_id))?
                .ok_or(AppError::NotFound)?,
            true,
        )),
        // Drafts are a uniform 404 to trainees.
        None if trainee => Err(AppError::NotFound),
        None => Ok((
            store::approved_module_revisions_of(conn, slug)?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound)?,
            false,
        )),
    }
}

fn check_prerequisites(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    row: &ModuleRevisionRow,
) -> Result<(), AppError> {
    let done = store::completed_slugs(conn, cohort_id, user_id)?;
    let missing: Vec<String> = prereqs(row)
        .into_iter()
        .filter(|p| !done.contains(p))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::from(CourseError::PrerequisitesNotMet(format!(
            "complete these modules first: {}",
            missing.join(", ")
        ))));
    }
    Ok(())
}

/// A module to read: trainees get the published revision once its prerequisites are done.
pub fn module_for(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    lang: Language,
) -> Result<ModuleView, AppError> {
    let (_, role) = cohorts::authorize(conn, cohort_id, user, Access::Member)?;
    let trainee = role == Some(MemberRole::Trainee);
    let (row, published) = visible_revision(conn, cohort_id, slug, trainee)?;
    if trainee {
        check_prerequisites(conn, cohort_id, &user.id, &row)?;
    }
    let completed = store::completed_slugs(conn, cohort_id, &user.id)?.contains(&row.slug);
    Ok(ModuleView {
        title: title(&row, lang),
        html: match lang {
            Language::Th => row.html_th.clone(),
            Language::En => row.html_en.clone(),
        },
        revision: row.id.clone(),
        minutes: row.minutes,
        prerequisites: prereqs(&row),
        slug: row.slug,
        completed,
        published,
    })
}

/// Publishes the newest approved revision of a module to a cohort (staff); drafts waiting
/// for an admin are never published.
#[tracing::instrument(level = "debug", skip_all)]
pub fn publish_module(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
) -> Result<ModuleListItem, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let row = store::approved_module_revisions_of(conn, slug)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let publication = PublicationRow {
        cohort_id: cohort_id.into(),
        kind: "module".into(),
        slug: slug.into(),
        revision_id: row.id.clone(),
        opens_at: None,
        closes_at: None,
        published_by: Some(user.id.to_string()),
        published_at: now(),
    };
    write_tx(conn, |conn| store::save_publication(conn, &publication))?;
    Ok(ModuleListItem {
        title: row.title_th.clone(),
        position: row.position,
        minutes: row.minutes,
        completed: false,
        published: true,
        prerequisites: prereqs(&row),
        unlocked: true,
        revision: row.id,
        slug: row.slug,
    })
}

/// Withdraws a module or quiz from a cohort (staff); trainees then get a 404 for it.
pub fn unpublish(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    kind: &str,
    slug: &str,
    user: &User,
) -> Result<(), AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let n = write_tx(conn, |conn| {
        store::delete_publication(conn, cohort_id, kind, slug)
    })?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A trainee marks a published module as read; prerequisites must be done first.
pub fn complete_module(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
) -> Result<(), AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Trainee)?;
    write_tx(conn, |conn| {
        let (row, _) = visible_revision(conn, cohort_id, slug, true)?;
        check_prerequisites(conn, cohort_id, &user.id, &row)?;
        if !store::completed_slugs(conn, cohort_id, &user.id)?.contains(&row.slug) {
            store::insert_completion(
                conn,
                cohort_id,
                &user.id,
                slug,
                &RevisionId::from(&row.id),
                now(),
            )?;
        }
        Ok(())
    })
}

/// Completed module slugs per user of a cohort.
pub fn completions(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(store::completions_of_cohort(conn, cohort_id)?)
}

/// One revision in a module's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionInfo {
    pub id: String,
    pub source: String,
    pub author_id: Option<String>,
    #[serde(with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    pub title_th: String,
    pub title_en: String,
    /// `approved`, `draft` (an instructor's edit waiting for an admin) or `rejected`.
    pub status: RevisionStatus,
    pub reviewed_by: Option<String>,
}

impl From<ModuleRevisionRow> for RevisionInfo {
    fn from(r: ModuleRevisionRow) -> Self {
        RevisionInfo {
            id: r.id,
            source: r.source,
            author_id: r.author_id,
            created_at: r.created_at,
            title_th: r.title_th,
            title_en: r.title_en,
            status: RevisionStatus::of(&r.status),
            reviewed_by: r.reviewed_by,
        }
    }
}

/// A module's revisions, newest first.
pub fn module_history(conn: &mut DbConnection, slug: &str) -> Result<Vec<RevisionInfo>, AppError> {
    let rows = store::module_revisions_of(conn, slug)?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(rows.into_iter().map(RevisionInfo::from).collect())
}

/// Text of a new revision written in the browser.
#[derive(Debug, Clone)]
pub struct ModuleEdit {
    pub title_th: String,
    pub title_en: String,
    pub markdown_th: String,
    pub markdown_en: String,
}

fn audit(
    conn: &mut DbConnection,
    actor: &crate::accounts::model::UserId,
    action: &str,
    revision: &RevisionId,
    details: serde_json::Value,
) -> Result<(), AppError> {
    crate::credentials::store::audit(
        conn,
        Some(actor),
        action,
        crate::ids::AuditSubject::of(revision),
        &details,
        now(),
    )?;
    Ok(())
}

/// Saves a browser edit of a module. The modules belong to the certification scheme: an
/// admin's edit is a new approved revision at once; an instructor's edit is a draft that no
/// cohort sees until an admin approves it. Both are audited. Identical content keeps the
/// existing revision.
#[tracing::instrument(level = "debug", skip_all)]
pub fn save_module_edit(
    conn: &mut DbConnection,
    slug: &str,
    edit: &ModuleEdit,
    author: &User,
) -> Result<RevisionInfo, AppError> {
    let base = store::approved_module_revisions_of(conn, slug)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let canonical = serde_json::json!({
        "minutes": base.minutes, "prerequisites": prereqs(&base), "position": base.position,
        "th": {"title": edit.title_th, "markdown": edit.markdown_th},
        "en": {"title": edit.title_en, "markdown": edit.markdown_en},
    });
    let hash = sha256(&canonical.to_string());
    if let Some(existing) = store::find_module_revision_by_hash(conn, slug, &hash)? {
        if RevisionStatus::of(&existing.status) != RevisionStatus::Rejected {
            return Ok(existing.into());
        }
    }
    let (html_th, html_en) = render_both(slug, &edit.markdown_th, &edit.markdown_en)?;
    let admin = author.role == crate::accounts::model::Role::Admin;
    let t = now();
    let row = ModuleRevisionRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.into(),
        content_hash: hash,
        position: base.position,
        minutes: base.minutes,
        prerequisites_json: base.prerequisites_json.clone(),
        title_th: edit.title_th.clone(),
        title_en: edit.title_en.clone(),
        markdown_th: edit.markdown_th.clone(),
        markdown_en: edit.markdown_en.clone(),
        html_th,
        html_en,
        source: "web".into(),
        author_id: Some(author.id.to_string()),
        created_at: t,
        status: if admin {
            RevisionStatus::Approved
        } else {
            RevisionStatus::Draft
        }
        .as_str()
        .into(),
        reviewed_by: admin.then(|| author.id.to_string()),
        reviewed_at: admin.then_some(t),
    };
    write_tx(conn, |conn| {
        store::insert_module_revision(conn, &row)?;
        audit(
            conn,
            &author.id,
            if admin {
                "module_revised"
            } else {
                "module_draft_saved"
            },
            &RevisionId::from(&row.id),
            serde_json::json!({"slug": slug, "based_on": base.id}),
        )
    })?;
    Ok(row.into())
}

/// An admin approves or rejects an instructor's draft (audited). An approved draft becomes
/// the module's newest revision, which staff then publish to cohorts as usual.
#[tracing::instrument(level = "debug", skip_all)]
pub fn review_module_draft(
    conn: &mut DbConnection,
    revision_id: &crate::course::model::RevisionId,
    approve: bool,
    reviewer: &User,
) -> Result<RevisionInfo, AppError> {
    if reviewer.role != crate::accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    write_tx(conn, |conn| {
        let row = store::find_module_revision(conn, revision_id)?.ok_or(AppError::NotFound)?;
        if RevisionStatus::of(&row.status) != RevisionStatus::Draft {
            return Err(AppError::from(CourseError::NotADraft(format!(
                "this revision is {}, not a draft",
                row.status
            ))));
        }
        let status = if approve {
            RevisionStatus::Approved
        } else {
            RevisionStatus::Rejected
        };
        store::review_module_draft(conn, revision_id, status, reviewer.id.as_str(), now())?;
        audit(
            conn,
            &reviewer.id,
            if approve {
                "module_draft_approved"
            } else {
                "module_draft_rejected"
            },
            revision_id,
            serde_json::json!({"slug": row.slug, "author_id": row.author_id}),
        )?;
        store::find_module_revision(conn, revision_id)?
            .map(RevisionInfo::from)
            .ok_or(AppError::NotFound)
    })
}

/// A revision's Markdown in both languages (staff).
pub fn revision_source(
    conn: &mut DbConnection,
    id: &crate::course::model::RevisionId,
) -> Result<ModuleRevisionRow, AppError> {
    store::find_module_revision(conn, id)?.ok_or(AppError::NotFound)
}

/// One line of a diff between two revisions: `=` same, `-` removed, `+` added.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    pub op: &'static str,
    pub text: String,
}

/// Line diff of the Markdown of two revisions of the same module, in one language.
pub fn diff_revisions(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    lang: Language,
) -> Result<Vec<DiffLine>, AppError> {
    let a = store::find_module_revision(conn, &from.into())?.ok_or(AppError::NotFound)?;
    let b = store::find_module_revision(conn, &to.into())?.ok_or(AppError::NotFound)?;
    if a.slug != b.slug {
        return Err(AppError::from(CourseError::Invalid(
            "both revisions must belong to the same module".into(),
        )));
    }
    let pick = |r: &ModuleRevisionRow| match lang {
        Language::Th => format!("# {}\n\n{}", r.title_th, r.markdown_th),
        Language::En => format!("# {}\n\n{}", r.title_en, r.markdown_en),
    };
    let (old, new) = (pick(&a), pick(&b));
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(diff
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                similar::ChangeTag::Equal => "=",
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
            },
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect())
}
