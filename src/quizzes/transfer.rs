//! GIFT import and export, with the rules on who may change which assessment.

use super::*;
use crate::quizzes::error::QuizError;

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
    /// Leave out questions of a kind the service cannot take yet (listed in the report).
    pub skip_unsupported: bool,
}

/// An imported quiz and what the import made of each question.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GiftImported {
    #[serde(flatten)]
    pub quiz: QuizListItem,
    pub report: gift::ImportReport,
}

pub(super) fn scheme_quiz_refused(slug: &str) -> AppError {
    AppError::from(QuizError::SchemeQuiz(format!(
        "'{slug}' is an assessment of the certification scheme: only an admin may give it new \
             questions, programme-wide, under the scheme's own rules; a changed rule (pass mark, \
             attempts, time limit, review) needs a new scheme version in course_content. \
             Import your own quiz under another slug with cohort_id"
    )))
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
) -> Result<GiftImported, AppError> {
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
            return Err(AppError::from(QuizError::CohortRequired(
                "cohort_id: instructors import quizzes for a cohort they teach".into(),
            )))
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
    let options = gift::ImportOptions {
        skip_unsupported: settings.skip_unsupported,
    };
    let (questions, report) = gift::import_with(text, options).map_err(|errors| AppError::from(QuizError::GiftRejected { message: format!("nothing was imported: {} problem(s), the first on line {}", errors.len(), errors.first().map(|e| e.line).unwrap_or(0)), details: serde_json::json!({ "errors": errors.iter().map(|e| serde_json::json!({"line": e.line, "message": e.message})).collect::<Vec<_>>() }) }))?;
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
            marking: Default::default(),
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
    let item = QuizListItem {
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
    };
    Ok(GiftImported { quiz: item, report })
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
