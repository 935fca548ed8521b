//! Attempts: starting, autosaving, submitting, grading once, the review a trainee may see, per-trainee overrides.

use super::*;
use crate::quizzes::error::QuizError;

/// What a trainee gets when an attempt starts (or resumes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptStart {
    pub attempt_id: AttemptId,
    pub attempt_no: i32,
    #[serde(with = "crate::dates::utc")]
    pub deadline: NaiveDateTime,
    pub questions: Vec<QuestionView>,
    /// Answers saved so far (when resuming on another device).
    pub answers: HashMap<String, Value>,
}

pub(super) fn layout_of(row: &AttemptRow) -> Result<Layout, AppError> {
    serde_json::from_str(&row.layout_json).map_err(bad_state)
}

pub(super) fn quiz_of(
    conn: &mut DbConnection,
    row: &AttemptRow,
) -> Result<std::sync::Arc<Quiz>, AppError> {
    course::quiz_by_revision(conn, &(&row.quiz_revision_id).into())
}

pub(super) fn views(quiz: &Quiz, layout: &Layout, lang: Language) -> Vec<QuestionView> {
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

pub(super) fn saved_answers(
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
            return Err(AppError::from(QuizError::QuizNotOpen(
                "this quiz is not open yet".into(),
            )));
        }
        if publication.closes_at.is_some_and(|c| t >= c) {
            return Err(AppError::from(QuizError::QuizClosed(
                "this quiz is closed".into(),
            )));
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
                return Err(AppError::from(QuizError::PrerequisitesNotMet {
                    message: format!(
                        "this exam opens once these are done: {}",
                        missing.join("; ")
                    ),
                    details: serde_json::json!({ "checklist": list }),
                }));
            }
        }
        let (extra_s, extra_n) =
            store::find_override(conn, cohort_id, slug, &user.id)?.unwrap_or((0, 0));
        let allowed = quiz.attempts_allowed as i32 + extra_n;
        let number = existing.iter().map(|a| a.attempt_no).max().unwrap_or(0) + 1;
        if number > allowed {
            return Err(AppError::from(QuizError::AttemptsExhausted(format!(
                "all {allowed} attempts of this quiz are used"
            ))));
        }
        let mut deadline = if quiz.time_limit_s == 0 {
            t + Duration::days(UNTIMED_DAYS)
        } else {
            t + Duration::seconds(i64::from(quiz.time_limit_s) + i64::from(extra_s))
        };
        if let Some(c) = publication.closes_at {
            deadline = deadline.min(c);
        }
        let layout =
            engine::draw(&quiz).map_err(|m| AppError::from(QuizError::BlueprintTooSmall(m)))?;
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
            marking: None,
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
                .ok_or_else(|| {
                    AppError::from(QuizError::AttemptsExhausted("no attempt is left".into()))
                })?;
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

pub(super) fn own_attempt(
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

/// The result of a finished attempt. With written answers still to be marked, `score` is what
/// the automatically graded questions earned, and `percent` and `passed` are `null` until every
/// mark is in (`marking: "pending"`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptResult {
    pub score: f64,
    pub max_score: f64,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    /// Only for attempts with written answers: `pending` or `complete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marking: Option<MarkingState>,
}

impl AttemptResult {
    /// Passed, marks all in.
    pub fn has_passed(&self) -> bool {
        self.passed == Some(true)
    }
}

pub(super) fn result_of(row: &AttemptRow) -> Option<AttemptResult> {
    let marking = row.marking.as_deref().map(MarkingState::of);
    Some(AttemptResult {
        score: row.score?,
        max_score: row.max_score?,
        percent: row.percent,
        passed: row.passed,
        marking,
    })
}

/// The grade for `score` of `max` points under a pass mark.
pub(super) fn grade_of(
    score: f64,
    max: f64,
    pass_percent: u8,
    marking: Option<MarkingState>,
) -> AttemptResult {
    let percent = if max > 0.0 {
        (100.0 * score / max * 100.0).round() / 100.0
    } else {
        0.0
    };
    AttemptResult {
        score: (score * 100.0).round() / 100.0,
        max_score: max,
        percent: Some(percent),
        passed: Some(percent + 1e-9 >= f64::from(pass_percent)),
        marking,
    }
}

/// Grades an open attempt on the answers saved so far and closes it (once, whoever wins).
pub(super) fn finalise(
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
        let mut written = false;
        for laid in &layout.questions {
            if let Some(q) = quiz.questions.iter().find(|q| q.id == laid.id) {
                max += f64::from(q.points);
                score += engine::grade(q, laid, answers.get(&q.id));
                written |= matches!(q.body, model::QuestionBody::Essay { .. });
            }
        }
        let grade = if written {
            // People mark the written answers; the grade waits for them (see `marking`).
            AttemptResult {
                score: (score * 100.0).round() / 100.0,
                max_score: max,
                percent: None,
                passed: None,
                marking: Some(MarkingState::Pending),
            }
        } else {
            grade_of(score, max, quiz.pass_percent, None)
        };
        store::finish_attempt(conn, &row.id, state, now(), &grade)?;
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
        return Err(AppError::from(QuizError::AttemptClosed(
            "this attempt is already submitted".into(),
        )));
    }
    let t = now();
    if t > row.deadline + Duration::seconds(GRACE_SECONDS) {
        finalise(conn, &row, AttemptState::Expired)?;
        return Err(AppError::from(QuizError::DeadlinePassed("the time for this attempt is over; it was submitted with the answers saved before the deadline".into())));
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
    engine::validate_answer(q, laid, answer)
        .map_err(|m| AppError::from(QuizError::InvalidAnswer(m)))?;
    let json = serde_json::to_string(answer).map_err(bad_state)?;
    write_tx(conn, |conn| {
        // Re-read under the attempt's lock: a concurrent submit may have closed it, and a
        // submit that comes after waits for this save and grades it.
        let still_open =
            store::lock_attempt_state(conn, attempt_id)?.is_some_and(|s| s == AttemptState::Open);
        if !still_open {
            return Err(AppError::from(QuizError::AttemptClosed(
                "this attempt is already submitted".into(),
            )));
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
            return Err(AppError::from(QuizError::DeadlinePassed("the time for this attempt was over; it was graded with the answers saved before the deadline".into())));
        }
        return result_of(&row).ok_or_else(|| bad_state("finished attempt without a result"));
    }
    if now() > row.deadline + Duration::seconds(GRACE_SECONDS) {
        finalise(conn, &row, AttemptState::Expired)?;
        return Err(AppError::from(QuizError::DeadlinePassed("the time for this attempt is over; it was graded with the answers saved before the deadline".into())));
    }
    let done = finalise(conn, &row, AttemptState::Submitted)?;
    if done.attempt_state() == AttemptState::Expired {
        return Err(AppError::from(QuizError::DeadlinePassed(
            "the time for this attempt was over".into(),
        )));
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
    /// A written answer's marks: levels and comments, no marker named (once every mark is in,
    /// for the trainee).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<super::marking::MarkSummary>,
}

/// An attempt with its saved answers; keys and feedback only when review is allowed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub id: AttemptId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub quiz_slug: String,
    /// Whose attempt it is; `null` for staff while its written answers wait for their marks
    /// (marking is blind: the queue gives markers the attempt's id, and this view must not
    /// name the writer behind it).
    pub user_id: Option<crate::accounts::model::UserId>,
    /// Whose attempt it is, for the service's own pages (never sent).
    #[serde(skip)]
    pub owner: crate::accounts::model::UserId,
    pub attempt_no: i32,
    /// `open`, `submitted` or `expired` (closed by the deadline).
    pub state: AttemptState,
    #[serde(with = "crate::dates::utc")]
    pub started_at: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
    pub deadline: NaiveDateTime,
    pub questions: Vec<QuestionView>,
    pub answers: HashMap<String, Value>,
    pub result: Option<AttemptResult>,
    /// Present only when the review policy allows (always for staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Vec<ReviewItem>>,
}

pub(super) fn review_allowed(
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
        user.role == Role::Admin || role == Some(crate::cohorts::model::MemberRole::Instructor)
    };
    if !owner && !staff {
        return Err(AppError::NotFound);
    }
    let quiz = quiz_of(conn, &row)?;
    let layout = layout_of(&row)?;
    let answers = saved_answers(conn, &row.id)?;
    let show = staff || review_allowed(conn, &row, &quiz)?;
    // Written answers: their marks (staff see them as they come; the trainee once complete).
    let marked = row.marking.as_deref().map(MarkingState::of);
    let mark_rows = if show && (staff || marked == Some(MarkingState::Complete)) {
        store::marks_of(conn, std::slice::from_ref(&row.id))?
    } else {
        Vec::new()
    };
    let mut finals: HashMap<String, f64> = HashMap::new();
    for q in &quiz.questions {
        let these: Vec<&store::MarkRow> =
            mark_rows.iter().filter(|m| m.question_id == q.id).collect();
        if let super::marking::AnswerMarking::Final(p) =
            super::marking::answer_marking(&these, quiz.marking)
        {
            finals.insert(q.id.clone(), p);
        }
    }
    let mut marks = super::marking::summaries(&mark_rows);
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
                    points: finals
                        .get(&q.id)
                        .copied()
                        .unwrap_or_else(|| engine::grade(q, laid, answers.get(&q.id))),
                    max_points: q.points,
                    marks: marks.remove(&q.id).unwrap_or_default(),
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
        user_id: (!(staff && marked == Some(MarkingState::Pending))).then(|| row.user_id.clone()),
        owner: row.user_id,
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
        return Err(AppError::from(QuizError::Invalid(
            "extra_seconds must be 0–86400 and extra_attempts 0–20".into(),
        )));
    }
    if cohorts::store::find_member_role(conn, cohort_id, trainee_id)?
        != Some(crate::cohorts::model::MemberRole::Trainee)
    {
        return Err(AppError::from(QuizError::NotATrainee(
            "the user is not a trainee of this cohort".into(),
        )));
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
