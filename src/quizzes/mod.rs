//! Quizzes: publication to cohorts, timed attempts that survive flaky connections, fair
//! grading, and no answer key before the review policy allows.

use crate::quizzes::error::QuizError;
pub mod agreement;
pub mod analytics;
mod attempts;
pub mod engine;
pub mod error;
pub mod gift;
pub mod lint;
pub mod marking;
pub mod model;
mod results;
mod stats;
pub mod store;
mod transfer;

pub use attempts::*;
pub use results::*;
pub use stats::*;
pub use transfer::*;

use crate::ids::AuditSubject;
use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use serde_json::Value;

use crate::accounts::{model::Language, model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::{self, store as content};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use engine::{Layout, QuestionView};
use model::{AttemptId, AttemptState, MarkingState, QuestionId};
use model::{Grading, Quiz, ReviewPolicy};
use store::AttemptRow;

/// Submissions and autosaves this long after the deadline are still accepted (network delay).
pub const GRACE_SECONDS: i64 = 10;
/// An attempt of a quiz without a time limit or close time stays open this long.
pub const UNTIMED_DAYS: i64 = 30;

use crate::util::now;

fn bad_state(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("stored quiz data: {e}"))
}

/// A quiz in a cohort's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuizListItem {
    pub slug: String,
    pub title: String,
    pub module: Option<String>,
    pub time_limit_s: u32,
    pub attempts_allowed: u32,
    pub pass_percent: u8,
    pub published: bool,
    #[serde(with = "crate::dates::utc::option")]
    pub opens_at: Option<NaiveDateTime>,
    #[serde(with = "crate::dates::utc::option")]
    pub closes_at: Option<NaiveDateTime>,
    /// Questions per attempt.
    pub questions: usize,
}

fn per_attempt(q: &Quiz) -> usize {
    if q.blueprint.is_empty() {
        q.questions.len()
    } else {
        q.blueprint.iter().map(|b| b.draw as usize).sum()
    }
}

/// Quizzes of a cohort: trainees see the published ones, staff every quiz.
#[tracing::instrument(level = "debug", skip_all)]
pub fn cohort_quizzes(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Vec<QuizListItem>, AppError> {
    let (_, role) = cohorts::authorize(conn, cohort_id, user, Access::Member)?;
    let trainee = role == Some(MemberRole::Trainee);
    let published = content::publications_of(conn, cohort_id, "quiz")?;
    let mut out = Vec::new();
    for (current_id, current_slug) in content::current_quiz_revision_ids(conn, Some(cohort_id))? {
        let publication = published.iter().find(|p| p.slug == current_slug);
        let revision_id = match publication {
            Some(p) => p.revision_id.clone(),
            None if trainee => continue,
            None => current_id,
        };
        let q = course::quiz_by_revision(conn, &(&revision_id).into())?;
        out.push(QuizListItem {
            title: if lang == Language::En {
                q.title_en.clone()
            } else {
                q.title_th.clone()
            },
            questions: per_attempt(&q),
            slug: q.slug.clone(),
            module: q.module.clone(),
            time_limit_s: q.time_limit_s,
            attempts_allowed: q.attempts_allowed,
            pass_percent: q.pass_percent,
            published: publication.is_some(),
            opens_at: publication.and_then(|p| p.opens_at),
            closes_at: publication.and_then(|p| p.closes_at),
        });
    }
    // In the order a trainee takes them: module quizzes by module (module folders are named
    // in programme order), then quizzes of no module (the final exam) by slug.
    out.sort_by(|a, b| {
        (a.module.is_none(), &a.module, &a.slug).cmp(&(b.module.is_none(), &b.module, &b.slug))
    });
    Ok(out)
}

/// One prerequisite of a quiz and whether the trainee has met it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistItem {
    /// `module` (read it) or `quiz` (pass it).
    pub kind: &'static str,
    pub slug: String,
    pub title: String,
    pub met: bool,
}

/// The trainee's checklist for a quiz's prerequisites (the scheme's exam eligibility).
pub fn checklist(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    requires: &model::Prerequisites,
    lang: Language,
) -> Result<Vec<ChecklistItem>, AppError> {
    let mut out = Vec::new();
    if !requires.modules.is_empty() {
        let modules = course::cohort_modules(conn, cohort_id, user, lang)?;
        for slug in &requires.modules {
            let m = modules.iter().find(|m| &m.slug == slug);
            out.push(ChecklistItem {
                kind: "module",
                slug: slug.clone(),
                title: m.map_or_else(|| slug.clone(), |m| m.title.clone()),
                met: m.is_some_and(|m| m.completed),
            });
        }
    }
    if !requires.quizzes.is_empty() {
        let quizzes = cohort_quizzes(conn, cohort_id, user, lang)?;
        for slug in &requires.quizzes {
            let passed = store::attempts_of(conn, cohort_id, slug, &user.id)?
                .iter()
                .any(|a| a.passed == Some(true));
            out.push(ChecklistItem {
                kind: "quiz",
                slug: slug.clone(),
                title: quizzes
                    .iter()
                    .find(|q| &q.slug == slug)
                    .map_or_else(|| slug.clone(), |q| q.title.clone()),
                met: passed,
            });
        }
    }
    Ok(out)
}

/// The checklist of a published quiz for a trainee (empty when it has no prerequisites).
pub fn quiz_checklist(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    lang: Language,
) -> Result<Vec<ChecklistItem>, AppError> {
    let Some(p) = content::find_publication(conn, cohort_id, "quiz", slug)? else {
        return Ok(Vec::new());
    };
    let quiz = course::quiz_by_revision(conn, &(&p.revision_id).into())?;
    if quiz.requires.is_empty() {
        return Ok(Vec::new());
    }
    checklist(conn, cohort_id, user, &quiz.requires, lang)
}

/// Opens the newest revision of a quiz to a cohort, optionally between two times. Refused
/// when a blueprint pool holds fewer questions than it must supply.
#[tracing::instrument(level = "debug", skip_all)]
pub fn publish_quiz(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    opens_at: Option<NaiveDateTime>,
    closes_at: Option<NaiveDateTime>,
) -> Result<QuizListItem, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let row = content::current_quiz_revisions(conn, Some(cohort_id))?
        .into_iter()
        .find(|r| r.slug == slug)
        .ok_or(AppError::NotFound)?;
    let q = course::quiz_definition(&row)?;
    engine::check_blueprint(&q).map_err(|m| AppError::from(QuizError::BlueprintTooSmall(m)))?;
    if let (Some(o), Some(c)) = (opens_at, closes_at) {
        if c <= o {
            return Err(AppError::from(QuizError::Invalid(
                "closes_at must be after opens_at".into(),
            )));
        }
    }
    let p = content::PublicationRow {
        cohort_id: cohort_id.into(),
        kind: "quiz".into(),
        slug: slug.into(),
        revision_id: row.id.clone(),
        opens_at,
        closes_at,
        published_by: Some(user.id.to_string()),
        published_at: now(),
    };
    write_tx(conn, |conn| content::save_publication(conn, &p))?;
    Ok(QuizListItem {
        title: q.title_th.clone(),
        questions: per_attempt(&q),
        slug: q.slug,
        module: q.module,
        time_limit_s: q.time_limit_s,
        attempts_allowed: q.attempts_allowed,
        pass_percent: q.pass_percent,
        published: true,
        opens_at,
        closes_at,
    })
}
