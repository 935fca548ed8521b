//! Quizzes: publication to cohorts, timed attempts that survive flaky connections, fair
//! grading, and no answer key before the review policy allows.

pub mod analytics;
pub mod engine;
pub mod gift;
pub mod lint;
pub mod model;
pub mod store;

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
use model::{AttemptId, AttemptState, QuestionId};
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
    pub opens_at: Option<NaiveDateTime>,
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
    engine::check_blueprint(&q).map_err(|m| AppError::Validation {
        code: "blueprint_too_small",
        message: m,
    })?;
    if let (Some(o), Some(c)) = (opens_at, closes_at) {
        if c <= o {
            return Err(AppError::invalid("closes_at must be after opens_at"));
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

/// What a trainee gets when an attempt starts (or resumes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptStart {
    pub attempt_id: AttemptId,
    pub attempt_no: i32,
    pub deadline: NaiveDateTime,
    pub questions: Vec<QuestionView>,
    /// Answers saved so far (when resuming on another device).
    pub answers: HashMap<String, Value>,
}

fn layout_of(row: &AttemptRow) -> Result<Layout, AppError> {
    serde_json::from_str(&row.layout_json).map_err(bad_state)
}

fn quiz_of(conn: &mut DbConnection, row: &AttemptRow) -> Result<std::sync::Arc<Quiz>, AppError> {
    course::quiz_by_revision(conn, &(&row.quiz_revision_id).into())
}

fn views(quiz: &Quiz, layout: &Layout, lang: Language) -> Vec<QuestionView> {
    layout
        .questions
        .iter()
        .filter_map(|laid| {
            quiz.questions
                .iter()
                .find(|q| q.id == laid.id)
                .map(|q| engine::view(q, laid, lang == Language::En))
        })
        .collect()
}

fn saved_answers(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
) -> Result<HashMap<String, Value>, AppError> {
    Ok(store::answers_of(conn, attempt_id)?
        .into_iter()
        .filter_map(|(q, a)| serde_json::from_str(&a).ok().map(|v| (q, v)))
        .collect())
}

/// Starts an attempt, or resumes the open one. The attempt limit holds under concurrent
/// starts: attempt numbers are unique per trainee and quiz in the database, so two starts
/// racing for the same number cannot both insert. Returns the attempt and whether it is new.
#[tracing::instrument(level = "debug", skip_all)]
pub fn start_attempt(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    lang: Language,
) -> Result<(AttemptStart, bool), AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Trainee)?;
    let attempt_id = AttemptId::random();
    let t = now();
    let created = write_tx(conn, |conn| -> Result<Option<AttemptRow>, AppError> {
        let publication =
            content::find_publication(conn, cohort_id, "quiz", slug)?.ok_or(AppError::NotFound)?;
        let existing = store::attempts_of(conn, cohort_id, slug, &user.id)?;
        if existing.iter().any(|a| {
            a.attempt_state() == AttemptState::Open
                && t <= a.deadline + Duration::seconds(GRACE_SECONDS)
        }) {
            return Ok(None);
        }
        if publication.opens_at.is_some_and(|o| t < o) {
            return Err(AppError::conflict(
                "quiz_not_open",
                "this quiz is not open yet",
            ));
        }
        if publication.closes_at.is_some_and(|c| t >= c) {
            return Err(AppError::conflict("quiz_closed", "this quiz is closed"));
        }
        let quiz = course::quiz_by_revision(conn, &(&publication.revision_id).into())?;
        if !quiz.requires.is_empty() {
            let list = checklist(conn, cohort_id, user, &quiz.requires, lang)?;
            let missing: Vec<&str> = list
                .iter()
                .filter(|i| !i.met)
                .map(|i| i.title.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(AppError::Rejected {
                    code: "prerequisites_not_met",
                    message: format!(
                        "this exam opens once these are done: {}",
                        missing.join("; ")
                    ),
                    details: serde_json::json!({ "checklist": list }),
                });
            }
        }
        let (extra_s, extra_n) =
            store::find_override(conn, cohort_id, slug, &user.id)?.unwrap_or((0, 0));
        let allowed = quiz.attempts_allowed as i32 + extra_n;
        let number = existing.iter().map(|a| a.attempt_no).max().unwrap_or(0) + 1;
        if number > allowed {
            return Err(AppError::conflict(
                "attempts_exhausted",
                format!("all {allowed} attempts of this quiz are used"),
            ));
        }
        let mut deadline = if quiz.time_limit_s == 0 {
            t + Duration::days(UNTIMED_DAYS)
        } else {
            t + Duration::seconds(i64::from(quiz.time_limit_s) + i64::from(extra_s))
        };
        if let Some(c) = publication.closes_at {
            deadline = deadline.min(c);
        }
        let layout = engine::draw(&quiz).map_err(|m| AppError::Validation {
            code: "blueprint_too_small",
            message: m,
        })?;
        let row = AttemptRow {
            id: attempt_id.clone(),
            cohort_id: cohort_id.into(),
            quiz_slug: slug.into(),
            quiz_revision_id: publication.revision_id.clone(),
            user_id: user.id.clone(),
            attempt_no: number,
            state: AttemptState::Open.as_str().into(),
            layout_json: serde_json::to_string(&layout).map_err(bad_state)?,
            started_at: t,
            deadline,
            finished_at: None,
            score: None,
            max_score: None,
            percent: None,
            passed: None,
            grading_count: 0,
        };
        store::insert_attempt(conn, &row)?;
        Ok(Some(row))
    });
    let (row, is_new) = match created {
        Ok(Some(row)) => (row, true),
        // Another start won the race for this attempt number, or one is already open: resume it.
        Ok(None)
        | Err(AppError::Conflict {
            code: "already_exists",
            ..
        }) => {
            let open = store::attempts_of(conn, cohort_id, slug, &user.id)?
                .into_iter()
                .find(|a| a.attempt_state() == AttemptState::Open)
                .ok_or_else(|| AppError::conflict("attempts_exhausted", "no attempt is left"))?;
            (open, false)
        }
        Err(e) => return Err(e),
    };
    let quiz = quiz_of(conn, &row)?;
    let layout = layout_of(&row)?;
    Ok((
        AttemptStart {
            attempt_id: row.id.clone(),
            attempt_no: row.attempt_no,
            deadline: row.deadline,
            questions: views(&quiz, &layout, lang),
            answers: saved_answers(conn, &row.id)?,
        },
        is_new,
    ))
}

fn own_attempt(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
    user: &User,
) -> Result<AttemptRow, AppError> {
    let row = store::find_attempt(conn, attempt_id)?.ok_or(AppError::NotFound)?;
    // Anyone else's attempt is a 404, exactly like one that does not exist.
    if row.user_id != user.id {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// The result of a graded attempt.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptResult {
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub passed: bool,
}

fn result_of(row: &AttemptRow) -> Option<AttemptResult> {
    Some(AttemptResult {
        score: row.score?,
        max_score: row.max_score?,
        percent: row.percent?,
        passed: row.passed?,
    })
}

/// Grades an open attempt on the answers saved so far and closes it (once, whoever wins).
fn finalise(
    conn: &mut DbConnection,
    row: &AttemptRow,
    state: AttemptState,
) -> Result<AttemptRow, AppError> {
    let quiz = quiz_of(conn, row)?;
    let layout = layout_of(row)?;
    write_tx(conn, |conn| {
        // The answers are read under the attempt's lock: a save that was acknowledged before
        // is in the grade, and one that comes after finds the attempt closed.
        let still_open =
            store::lock_attempt_state(conn, &row.id)?.is_some_and(|s| s == AttemptState::Open);
        if !still_open {
            return Ok(());
        }
        let answers = saved_answers(conn, &row.id)?;
        let mut score = 0.0;
        let mut max = 0.0;
        for laid in &layout.questions {
            if let Some(q) = quiz.questions.iter().find(|q| q.id == laid.id) {
                max += f64::from(q.points);
                score += engine::grade(q, laid, answers.get(&q.id));
            }
        }
        let percent = if max > 0.0 {
            (100.0 * score / max * 100.0).round() / 100.0
        } else {
            0.0
        };
        let passed = percent + 1e-9 >= f64::from(quiz.pass_percent);
        store::finish_attempt(
            conn,
            &row.id,
            state,
            now(),
            (score * 100.0).round() / 100.0,
            max,
            percent,
            passed,
        )?;
        Ok::<_, AppError>(())
    })?;
    store::find_attempt(conn, &row.id)?.ok_or(AppError::NotFound)
}

/// Autosaves one answer. Refused (409) once the attempt is closed or its deadline (plus a
/// short grace) has passed; an overdue attempt is finalised on the spot.
#[tracing::instrument(level = "debug", skip_all)]
pub fn save_answer(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
    question_id: &QuestionId,
    user: &User,
    answer: &Value,
) -> Result<NaiveDateTime, AppError> {
    let row = own_attempt(conn, attempt_id, user)?;
    if row.attempt_state() != AttemptState::Open {
        return Err(AppError::conflict(
            "attempt_closed",
            "this attempt is already submitted",
        ));
    }
    let t = now();
    if t > row.deadline + Duration::seconds(GRACE_SECONDS) {
        finalise(conn, &row, AttemptState::Expired)?;
        return Err(AppError::conflict("deadline_passed", "the time for this attempt is over; it was submitted with the answers saved before the deadline"));
    }
    let quiz = quiz_of(conn, &row)?;
    let layout = layout_of(&row)?;
    let laid = layout
        .questions
        .iter()
        .find(|l| *question_id == l.id)
        .ok_or(AppError::NotFound)?;
    let q = quiz
        .questions
        .iter()
        .find(|q| *question_id == q.id)
        .ok_or(AppError::NotFound)?;
    engine::validate_answer(q, laid, answer).map_err(|m| AppError::Validation {
        code: "invalid_answer",
        message: m,
    })?;
    let json = serde_json::to_string(answer).map_err(bad_state)?;
    write_tx(conn, |conn| {
        // Re-read under the attempt's lock: a concurrent submit may have closed it, and a
        // submit that comes after waits for this save and grades it.
        let still_open =
            store::lock_attempt_state(conn, attempt_id)?.is_some_and(|s| s == AttemptState::Open);
        if !still_open {
            return Err(AppError::conflict(
                "attempt_closed",
                "this attempt is already submitted",
            ));
        }
        store::save_answer(conn, attempt_id, question_id, &json, t)?;
        Ok(())
    })?;
    Ok(t)
}

/// Submits an attempt. Idempotent: a repeated or concurrent submit grades once and returns
/// the same result. After the deadline and grace it answers 409, having finalised the
/// attempt with the answers saved before the deadline.
#[tracing::instrument(level = "debug", skip_all)]
pub fn submit(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
    user: &User,
) -> Result<AttemptResult, AppError> {
    let row = own_attempt(conn, attempt_id, user)?;
    if row.attempt_state() != AttemptState::Open {
        if row.attempt_state() == AttemptState::Expired {
            return Err(AppError::conflict("deadline_passed", "the time for this attempt was over; it was graded with the answers saved before the deadline"));
        }
        return result_of(&row).ok_or_else(|| bad_state("finished attempt without a result"));
    }
    if now() > row.deadline + Duration::seconds(GRACE_SECONDS) {
        finalise(conn, &row, AttemptState::Expired)?;
        return Err(AppError::conflict("deadline_passed", "the time for this attempt is over; it was graded with the answers saved before the deadline"));
    }
    let done = finalise(conn, &row, AttemptState::Submitted)?;
    if done.attempt_state() == AttemptState::Expired {
        return Err(AppError::conflict(
            "deadline_passed",
            "the time for this attempt was over",
        ));
    }
    result_of(&done).ok_or_else(|| bad_state("finished attempt without a result"))
}

/// Finalises attempts left open past their deadline (and grace); safe to run in every
/// instance at once. Returns how many it closed.
#[tracing::instrument(level = "debug", skip_all)]
pub fn finalise_overdue(conn: &mut DbConnection) -> Result<usize, AppError> {
    let ids = store::overdue_attempts(conn, now() - Duration::seconds(GRACE_SECONDS), 100)?;
    let mut n = 0;
    for id in ids {
        if let Some(row) = store::find_attempt(conn, &id)? {
            if row.attempt_state() == AttemptState::Open
                && finalise(conn, &row, AttemptState::Expired)?.attempt_state()
                    == AttemptState::Expired
            {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// One question of an attempt under review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub question_id: String,
    pub correct_answer: Value,
    pub feedback: String,
    pub points: f64,
    pub max_points: u32,
}

/// An attempt with its saved answers; keys and feedback only when review is allowed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub id: AttemptId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub quiz_slug: String,
    pub user_id: crate::accounts::model::UserId,
    pub attempt_no: i32,
    /// `open`, `submitted` or `expired` (closed by the deadline).
    pub state: AttemptState,
    pub started_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub questions: Vec<QuestionView>,
    pub answers: HashMap<String, Value>,
    pub result: Option<AttemptResult>,
    /// Present only when the review policy allows (always for staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Vec<ReviewItem>>,
}

fn review_allowed(
    conn: &mut DbConnection,
    row: &AttemptRow,
    quiz: &Quiz,
) -> Result<bool, AppError> {
    if row.attempt_state() == AttemptState::Open {
        return Ok(false);
    }
    Ok(match quiz.review {
        ReviewPolicy::Never => false,
        ReviewPolicy::AfterSubmit => true,
        ReviewPolicy::AfterClose => {
            let publication =
                content::find_publication(conn, &row.cohort_id, "quiz", &row.quiz_slug)?;
            let closed_by_time = publication
                .and_then(|p| p.closes_at)
                .is_some_and(|c| now() >= c);
            let cohort_closed = cohorts::store::find_cohort(conn, &row.cohort_id)?
                .and_then(|c| c.status.parse::<cohorts::model::CohortStatus>().ok())
                .is_some_and(cohorts::model::CohortStatus::is_over);
            closed_by_time || cohort_closed
        }
    })
}

/// An attempt for its owner, a cohort instructor or an admin (others: 404).
#[tracing::instrument(level = "debug", skip_all)]
pub fn get_attempt(
    conn: &mut DbConnection,
    attempt_id: &crate::quizzes::model::AttemptId,
    user: &User,
    lang: Language,
) -> Result<AttemptView, AppError> {
    let row = store::find_attempt(conn, attempt_id)?.ok_or(AppError::NotFound)?;
    let owner = row.user_id == user.id;
    let staff = !owner && {
        let role = cohorts::store::find_member_role(conn, &row.cohort_id, &user.id)?;
        user.role == Role::Admin || role.as_deref() == Some("instructor")
    };
    if !owner && !staff {
        return Err(AppError::NotFound);
    }
    let quiz = quiz_of(conn, &row)?;
    let layout = layout_of(&row)?;
    let answers = saved_answers(conn, &row.id)?;
    let show = staff || review_allowed(conn, &row, &quiz)?;
    let review = show.then(|| {
        layout
            .questions
            .iter()
            .filter_map(|laid| {
                let q = quiz.questions.iter().find(|q| q.id == laid.id)?;
                Some(ReviewItem {
                    question_id: q.id.clone(),
                    correct_answer: engine::key(q, laid),
                    feedback: if lang == Language::En {
                        q.feedback_en.clone()
                    } else {
                        q.feedback_th.clone()
                    },
                    points: engine::grade(q, laid, answers.get(&q.id)),
                    max_points: q.points,
                })
            })
            .collect()
    });
    Ok(AttemptView {
        questions: views(&quiz, &layout, lang),
        result: result_of(&row),
        state: row.attempt_state(),
        id: row.id,
        cohort_id: row.cohort_id,
        quiz_slug: row.quiz_slug,
        user_id: row.user_id,
        attempt_no: row.attempt_no,
        started_at: row.started_at,
        deadline: row.deadline,
        answers,
        review,
    })
}

/// Gives a trainee extra time and/or attempts on a quiz (cohort instructor or admin).
pub fn set_override(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    trainee_id: &crate::accounts::model::UserId,
    user: &User,
    extra_seconds: i32,
    extra_attempts: i32,
) -> Result<(), AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    if !(0..=86_400).contains(&extra_seconds) || !(0..=20).contains(&extra_attempts) {
        return Err(AppError::invalid(
            "extra_seconds must be 0–86400 and extra_attempts 0–20",
        ));
    }
    if cohorts::store::find_member_role(conn, cohort_id, trainee_id)?.as_deref() != Some("trainee")
    {
        return Err(AppError::Validation {
            code: "not_a_trainee",
            message: "the user is not a trainee of this cohort".into(),
        });
    }
    write_tx(conn, |conn| {
        store::save_override(
            conn,
            cohort_id,
            slug,
            trainee_id,
            extra_seconds,
            extra_attempts,
        )
    })?;
    Ok(())
}

/// A trainee's result on a quiz, chosen among finished attempts by the quiz's grading method.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuizResult {
    pub quiz_slug: String,
    pub user_id: crate::accounts::model::UserId,
    pub percent: f64,
    pub passed: bool,
    pub attempts: usize,
}

/// Results per (user, quiz) of a cohort, from every finished attempt.
pub fn cohort_results(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<QuizResult>, AppError> {
    results_of(conn, cohort_id, false)
}

/// Results per (user, quiz) of a cohort that count for certification: attempts on the
/// scheme's programme-wide revisions only, never on a quiz imported for one cohort.
#[tracing::instrument(level = "debug", skip_all)]
pub fn scheme_results(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<QuizResult>, AppError> {
    results_of(conn, cohort_id, true)
}

fn results_of(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    scheme_only: bool,
) -> Result<Vec<QuizResult>, AppError> {
    let mut rows = store::finished_attempts_of_cohort(conn, cohort_id)?;
    if scheme_only {
        let local: std::collections::HashSet<String> =
            content::cohort_scoped_quiz_revision_ids(conn)?
                .into_iter()
                .collect();
        rows.retain(|r| !local.contains(&r.quiz_revision_id));
    }
    let mut by: HashMap<(crate::accounts::model::UserId, String), Vec<AttemptRow>> = HashMap::new();
    for r in rows {
        by.entry((r.user_id.clone(), r.quiz_slug.clone()))
            .or_default()
            .push(r);
    }
    let mut defs: HashMap<String, std::sync::Arc<Quiz>> = HashMap::new();
    let mut out = Vec::new();
    for ((user_id, slug), list) in by {
        let Some(first) = list.first() else { continue };
        if !defs.contains_key(&slug) {
            let q = quiz_of(conn, first)?;
            defs.insert(slug.clone(), q);
        }
        let Some(q) = defs.get(&slug) else { continue };
        let pct: Vec<f64> = list.iter().filter_map(|a| a.percent).collect();
        let percent = match q.grading {
            Grading::Highest => pct.iter().cloned().fold(0.0, f64::max),
            Grading::Last => pct.last().copied().unwrap_or(0.0),
            Grading::First => pct.first().copied().unwrap_or(0.0),
            Grading::Average => {
                if pct.is_empty() {
                    0.0
                } else {
                    pct.iter().sum::<f64>() / pct.len() as f64
                }
            }
        };
        out.push(QuizResult {
            passed: percent + 1e-9 >= f64::from(q.pass_percent),
            percent,
            attempts: list.len(),
            quiz_slug: slug,
            user_id,
        });
    }
    out.sort_by(|a, b| (&a.user_id, &a.quiz_slug).cmp(&(&b.user_id, &b.quiz_slug)));
    Ok(out)
}

/// Settings of a quiz imported from GIFT (GIFT carries only questions). Rules left out take
/// the defaults (15 minutes, 3 attempts, 70 %, review after submit), or for a scheme quiz the
/// scheme's own.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    pub slug: String,
    pub title_th: Option<String>,
    pub title_en: Option<String>,
    pub time_limit_s: Option<u32>,
    pub attempts_allowed: Option<u32>,
    pub pass_percent: Option<u8>,
    pub review: Option<ReviewPolicy>,
    /// The one cohort the quiz is for (an instructor's own quiz); `None`: programme-wide
    /// (admins only).
    pub cohort_id: Option<crate::cohorts::model::CohortId>,
}

fn scheme_quiz_refused(slug: &str) -> AppError {
    AppError::conflict(
        "scheme_quiz",
        format!(
            "'{slug}' is an assessment of the certification scheme: only an admin may give it new \
             questions, programme-wide, under the scheme's own rules; a changed rule (pass mark, \
             attempts, time limit, review) needs a new scheme version in course_content. \
             Import your own quiz under another slug with cohort_id"
        ),
    )
}

/// Imports a GIFT file as a new revision of a quiz, all or nothing; errors carry line numbers.
///
/// Who may import what: an instructor imports only for a cohort they teach, under a slug the
/// scheme does not name; the revision is seen by that cohort only. An admin imports
/// programme-wide or for one cohort. A slug the scheme names (its module quizzes, final exam,
/// recertification) gets 409 `scheme_quiz`, except for an admin importing programme-wide
/// who keeps every assessment rule of the scheme (new wording, same rules). Every import is
/// audited.
#[tracing::instrument(level = "debug", skip_all)]
pub fn import_gift(
    conn: &mut DbConnection,
    settings: &ImportSettings,
    text: &str,
    user: &User,
    scheme_slugs: &[&str],
) -> Result<QuizListItem, AppError> {
    let admin = user.role == Role::Admin;
    if !admin && user.role != Role::Instructor {
        return Err(AppError::Forbidden);
    }
    let cohort_id = settings.cohort_id.as_ref();
    let scheme = scheme_slugs.contains(&settings.slug.as_str());
    if scheme && (!admin || cohort_id.is_some()) {
        return Err(scheme_quiz_refused(&settings.slug));
    }
    match cohort_id {
        Some(c) => {
            cohorts::authorize(conn, c, user, Access::Staff)?;
        }
        None if !admin => {
            return Err(AppError::Validation {
                code: "cohort_required",
                message: "cohort_id: instructors import quizzes for a cohort they teach".into(),
            })
        }
        None => {}
    }
    let base: Option<Quiz> = if scheme {
        let row = content::current_quiz_revisions(conn, None)?
            .into_iter()
            .find(|r| r.slug == settings.slug)
            .ok_or_else(|| scheme_quiz_refused(&settings.slug))?;
        let q = course::quiz_definition(&row)?;
        let changes_rules = settings.time_limit_s.is_some_and(|v| v != q.time_limit_s)
            || settings
                .attempts_allowed
                .is_some_and(|v| v != q.attempts_allowed)
            || settings.pass_percent.is_some_and(|v| v != q.pass_percent)
            || settings.review.is_some_and(|v| v != q.review);
        if changes_rules {
            return Err(scheme_quiz_refused(&settings.slug));
        }
        Some(q)
    } else {
        None
    };
    let questions = gift::import(text).map_err(|errors| AppError::Rejected {
        code: "gift_rejected",
        message: format!("nothing was imported: {} problem(s), the first on line {}", errors.len(), errors.first().map(|e| e.line).unwrap_or(0)),
        details: serde_json::json!({ "errors": errors.iter().map(|e| serde_json::json!({"line": e.line, "message": e.message})).collect::<Vec<_>>() }),
    })?;
    let quiz = match base {
        // New questions under the scheme's own rules (blueprint and prerequisites included).
        Some(b) => Quiz {
            title_th: settings.title_th.clone().unwrap_or(b.title_th),
            title_en: settings.title_en.clone().unwrap_or(b.title_en),
            questions,
            ..b
        },
        None => Quiz {
            slug: settings.slug.clone(),
            title_th: settings
                .title_th
                .clone()
                .unwrap_or_else(|| settings.slug.clone()),
            title_en: settings
                .title_en
                .clone()
                .unwrap_or_else(|| settings.slug.clone()),
            module: None,
            time_limit_s: settings.time_limit_s.unwrap_or(900),
            attempts_allowed: settings.attempts_allowed.unwrap_or(3).max(1),
            pass_percent: settings.pass_percent.unwrap_or(70).min(100),
            grading: Grading::Highest,
            shuffle_questions: true,
            shuffle_options: true,
            review: settings.review.unwrap_or(ReviewPolicy::AfterSubmit),
            blueprint: vec![],
            requires: Default::default(),
            questions,
        },
    };
    engine::check_blueprint(&quiz).map_err(AppError::invalid)?;
    write_tx(conn, |conn| {
        let saved = course::save_quiz_revision(conn, &quiz, now(), cohort_id)?;
        crate::credentials::store::audit(
            conn,
            Some(&user.id),
            if scheme {
                "scheme_quiz_revised"
            } else {
                "quiz_imported"
            },
            AuditSubject::stored("quiz_revision", &saved.0.id),
            &serde_json::json!({"slug": quiz.slug, "cohort_id": cohort_id, "questions": quiz.questions.len(),
                                "pass_percent": quiz.pass_percent, "new": saved.1}),
            now(),
        )?;
        Ok::<_, AppError>(saved)
    })?;
    Ok(QuizListItem {
        title: quiz.title_th.clone(),
        questions: per_attempt(&quiz),
        slug: quiz.slug,
        module: quiz.module,
        time_limit_s: quiz.time_limit_s,
        attempts_allowed: quiz.attempts_allowed,
        pass_percent: quiz.pass_percent,
        published: false,
        opens_at: None,
        closes_at: None,
    })
}

/// The newest revision of a quiz as GIFT text: programme-wide, or as a cohort sees it.
pub fn export_gift(
    conn: &mut DbConnection,
    slug: &str,
    cohort_id: Option<&crate::cohorts::model::CohortId>,
) -> Result<String, AppError> {
    let row = content::current_quiz_revisions(conn, cohort_id)?
        .into_iter()
        .find(|r| r.slug == slug)
        .ok_or(AppError::NotFound)?;
    Ok(gift::export(&course::quiz_definition(&row)?.questions))
}

/// One finished attempt's scores: user, attempt number, percent, points per question id.
pub type AttemptScores = (
    crate::accounts::model::UserId,
    i32,
    f64,
    HashMap<String, f64>,
);

/// Item statistics of a quiz in a cohort, plus per-attempt scores keyed by question id.
pub fn cohort_analytics(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
) -> Result<(analytics::QuizStats, Vec<AttemptScores>), AppError> {
    let rows: Vec<AttemptRow> = store::finished_attempts_of_cohort(conn, cohort_id)?
        .into_iter()
        .filter(|a| a.quiz_slug == slug)
        .collect();
    let ids: Vec<AttemptId> = rows.iter().map(|a| a.id.clone()).collect();
    let mut answers: HashMap<AttemptId, HashMap<String, Value>> = HashMap::new();
    for (attempt, q, a) in store::answers_of_many(conn, &ids)? {
        if let Ok(v) = serde_json::from_str(&a) {
            answers.entry(attempt).or_default().insert(q, v);
        }
    }
    let mut defs: HashMap<String, std::sync::Arc<Quiz>> = HashMap::new();
    let mut graded = Vec::new();
    let mut table = Vec::new();
    let mut order: Vec<String> = Vec::new();
    for row in &rows {
        if !defs.contains_key(&row.quiz_revision_id) {
            let q = quiz_of(conn, row)?;
            for qq in &q.questions {
                if !order.contains(&qq.id) {
                    order.push(qq.id.clone());
                }
            }
            defs.insert(row.quiz_revision_id.clone(), q);
        }
        let Some(quiz) = defs.get(&row.quiz_revision_id) else {
            continue;
        };
        let layout = layout_of(row)?;
        let mine = answers.get(&row.id);
        let mut items = HashMap::new();
        let mut scores = HashMap::new();
        for laid in &layout.questions {
            if let Some(q) = quiz.questions.iter().find(|q| q.id == laid.id) {
                let s = engine::grade(q, laid, mine.and_then(|m| m.get(&q.id)));
                items.insert(q.id.clone(), (s, f64::from(q.points)));
                scores.insert(q.id.clone(), s);
            }
        }
        let percent = row.percent.unwrap_or(0.0);
        graded.push(analytics::GradedAttempt { percent, items });
        table.push((row.user_id.clone(), row.attempt_no, percent, scores));
    }
    Ok((analytics::compute(&graded, &order), table))
}
