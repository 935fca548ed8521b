//! Written answers marked by people (ISO/IEC 17024: valid methods, fair marking): a blind
//! queue, the quiz's number of different markers per answer, a moderator when their totals
//! diverge by more than the quiz allows, and the attempt's grade once every mark is in.
//!
//! Who may mark: an admin or an instructor of the cohort, never twice the same answer, never an
//! answer of a trainee they declared a conflict of interest with. Who moderates: an admin, or an
//! instructor of the cohort who did not mark that answer.

use super::*;
use crate::governance;
use model::{MarkStage, MarkingRule, QuestionBody};
use std::collections::BTreeMap;
use store::MarkRow;

/// The longest comment a marker may write.
pub const MAX_COMMENT: usize = 2000;

/// One written answer waiting for this person's mark (or moderation), without its author.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarkingItem {
    pub attempt_id: AttemptId,
    pub question_id: String,
    pub quiz_slug: String,
    pub quiz_title: String,
    pub prompt: String,
    pub answer: String,
    pub word_count: u32,
    pub word_limit: u32,
    pub points: u32,
    pub rubric: Vec<engine::CriterionView>,
    /// `mark`: one of the markers; `moderation`: the markers disagree, decide between them.
    pub stage: MarkStage,
    /// Marks in so far and marks wanted.
    pub marks_in: usize,
    pub marks_needed: u32,
    /// For moderation: the markers' marks, without their names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<MarkSummary>,
}

/// A mark as a moderator or (once review allows) the trainee sees it: no marker named.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarkSummary {
    pub stage: MarkStage,
    pub points: f64,
    /// `{criterion_id: level_id}`.
    pub levels: BTreeMap<String, String>,
    pub comment: String,
}

/// What a mark did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarkOutcome {
    pub attempt_id: AttemptId,
    pub question_id: String,
    pub stage: MarkStage,
    pub points: f64,
    /// The answer now: `awaiting_marks`, `moderation` (the markers disagree) or `final`.
    pub answer_status: &'static str,
    /// The attempt now: `pending`, or `complete` with its grade.
    pub marking: MarkingState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<AttemptResult>,
}

/// Where one answer's marking stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnswerMarking {
    /// Fewer marks than the quiz wants.
    Waiting,
    /// The markers' totals differ by more than the quiz allows.
    Moderation,
    /// Its final points: the moderator's, else the markers' mean.
    Final(f64),
}

/// The marking of one answer from its marks under the quiz's rule.
pub fn answer_marking(marks: &[&MarkRow], rule: MarkingRule) -> AnswerMarking {
    if let Some(m) = marks
        .iter()
        .find(|m| MarkStage::of(&m.stage) == MarkStage::Moderation)
    {
        return AnswerMarking::Final(m.points);
    }
    let totals: Vec<f64> = marks
        .iter()
        .filter(|m| MarkStage::of(&m.stage) == MarkStage::Mark)
        .map(|m| m.points)
        .collect();
    if totals.len() < rule.markers.max(1) as usize {
        return AnswerMarking::Waiting;
    }
    let hi = totals.iter().cloned().fold(f64::MIN, f64::max);
    let lo = totals.iter().cloned().fold(f64::MAX, f64::min);
    if hi - lo > f64::from(rule.moderation_threshold) + 1e-9 {
        return AnswerMarking::Moderation;
    }
    let mean = totals.iter().sum::<f64>() / totals.len() as f64;
    AnswerMarking::Final((mean * 100.0).round() / 100.0)
}

fn summary(m: &MarkRow) -> MarkSummary {
    MarkSummary {
        stage: MarkStage::of(&m.stage),
        points: m.points,
        levels: serde_json::from_str(&m.levels_json).unwrap_or_default(),
        comment: m.comment.clone(),
    }
}

/// Whether `user` declared a conflict of interest with `trainee`.
fn conflicted(
    conn: &mut DbConnection,
    user: &User,
    trainee: &crate::accounts::model::UserId,
) -> Result<bool, AppError> {
    Ok(governance::store::declarations_about(conn, trainee)?
        .iter()
        .any(|(by, _, _, _)| *by == user.id.as_str()))
}

/// The written questions of an attempt, with their definitions.
fn written_questions<'q>(quiz: &'q Quiz, layout: &Layout) -> Vec<&'q model::Question> {
    layout
        .questions
        .iter()
        .filter_map(|laid| quiz.questions.iter().find(|q| q.id == laid.id))
        .filter(|q| matches!(q.body, QuestionBody::Essay { .. }))
        .collect()
}

/// The queue of written answers this person may mark (or moderate) in a cohort, oldest first.
/// Blind: no name, office, e-mail or user id of the author.
#[tracing::instrument(level = "debug", skip_all)]
pub fn queue(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Vec<MarkingItem>, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    // Answers whose markers disagree go only to those who may decide them.
    let moderator = cohorts::may_moderate(conn, cohort_id, user)?;
    let pending = store::pending_marking_of_cohort(conn, cohort_id)?;
    let ids: Vec<AttemptId> = pending.iter().map(|a| a.id.clone()).collect();
    let marks = store::marks_of(conn, &ids)?;
    let english = lang == Language::En;
    // Whom this person declared a conflict with, asked once per trainee, not per attempt.
    let mut conflicts: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    for row in &pending {
        if row.user_id == user.id {
            continue;
        }
        let declared = match conflicts.get(row.user_id.as_str()) {
            Some(d) => *d,
            None => {
                let d = conflicted(conn, user, &row.user_id)?;
                conflicts.insert(row.user_id.to_string(), d);
                d
            }
        };
        if declared {
            continue;
        }
        let quiz = quiz_of(conn, row)?;
        let layout = layout_of(row)?;
        let answers = saved_answers(conn, &row.id)?;
        for q in written_questions(&quiz, &layout) {
            let QuestionBody::Essay { word_limit, rubric } = &q.body else {
                continue;
            };
            let mine: Vec<&MarkRow> = marks
                .iter()
                .filter(|m| m.attempt_id == row.id && m.question_id == q.id)
                .collect();
            if mine.iter().any(|m| m.marker_id == user.id) {
                continue;
            }
            let stage = match answer_marking(&mine, quiz.marking) {
                AnswerMarking::Waiting => MarkStage::Mark,
                AnswerMarking::Moderation if moderator => MarkStage::Moderation,
                AnswerMarking::Moderation | AnswerMarking::Final(_) => continue,
            };
            let text = answers
                .get(&q.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            out.push(MarkingItem {
                attempt_id: row.id.clone(),
                question_id: q.id.clone(),
                quiz_slug: row.quiz_slug.clone(),
                quiz_title: if english {
                    quiz.title_en.clone()
                } else {
                    quiz.title_th.clone()
                },
                prompt: if english {
                    q.prompt_en.clone()
                } else {
                    q.prompt_th.clone()
                },
                word_count: engine::word_count(&text),
                answer: text,
                word_limit: *word_limit,
                points: q.points,
                rubric: engine::rubric_view(rubric, english),
                marks_in: mine.len(),
                marks_needed: quiz.marking.markers,
                marks: if stage == MarkStage::Moderation {
                    mine.iter().map(|m| summary(m)).collect()
                } else {
                    Vec::new()
                },
                stage,
            });
        }
    }
    Ok(out)
}

/// One item of the queue, for the marking page (404 when it is not this person's to mark).
pub fn queue_item(
    conn: &mut DbConnection,
    attempt_id: &AttemptId,
    question_id: &str,
    user: &User,
    lang: Language,
) -> Result<(crate::cohorts::model::CohortId, MarkingItem), AppError> {
    let row = store::find_attempt(conn, attempt_id)?.ok_or(AppError::NotFound)?;
    let item = queue(conn, &row.cohort_id, user, lang)?
        .into_iter()
        .find(|i| i.attempt_id == *attempt_id && i.question_id == question_id)
        .ok_or(AppError::NotFound)?;
    Ok((row.cohort_id, item))
}

/// Records one person's mark of one written answer: a level for every criterion of the rubric
/// and a comment. The answer's marking moves on (waiting → moderation or final); when every
/// written answer of the attempt is final, the attempt is graded and the trainee e-mailed.
#[tracing::instrument(level = "debug", skip_all)]
pub fn mark(
    conn: &mut DbConnection,
    attempt_id: &AttemptId,
    question_id: &str,
    user: &User,
    levels: &BTreeMap<String, String>,
    comment: &str,
    link: &str,
) -> Result<MarkOutcome, AppError> {
    let row = store::find_attempt(conn, attempt_id)?.ok_or(AppError::NotFound)?;
    cohorts::authorize(conn, &row.cohort_id, user, Access::Staff)?;
    if row.user_id == user.id {
        return Err(AppError::Forbidden);
    }
    let Some(state) = row.marking.as_deref().map(MarkingState::of) else {
        return Err(AppError::NotFound);
    };
    if state == MarkingState::Complete {
        return Err(AppError::from(QuizError::MarkingComplete(
            "every written answer of this attempt has its final mark".into(),
        )));
    }
    let quiz = quiz_of(conn, &row)?;
    let layout = layout_of(&row)?;
    let written = written_questions(&quiz, &layout);
    let q = written
        .iter()
        .find(|q| q.id == question_id)
        .ok_or(AppError::NotFound)?;
    let QuestionBody::Essay { rubric, .. } = &q.body else {
        return Err(AppError::NotFound);
    };
    if conflicted(conn, user, &row.user_id)? {
        return Err(AppError::from(QuizError::ConflictDeclared(
            "you declared a conflict of interest with the author of this answer: another \
             marker marks it"
                .into(),
        )));
    }
    // A level for every criterion, and nothing else.
    let mut problems = Vec::new();
    let mut points = 0u32;
    for c in rubric {
        match levels.get(&c.id) {
            None => problems.push(format!("{}: choose a level", c.id)),
            Some(level) => match c.levels.iter().find(|l| &l.id == level) {
                Some(l) => points += l.points,
                None => problems.push(format!("{}: \"{level}\" is not one of its levels", c.id)),
            },
        }
    }
    for k in levels.keys() {
        if !rubric.iter().any(|c| &c.id == k) {
            problems.push(format!("{k}: not a criterion of this rubric"));
        }
    }
    let comment = comment.trim();
    let bad_control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if comment.is_empty()
        || comment.chars().count() > MAX_COMMENT
        || comment.chars().any(bad_control)
    {
        problems.push(format!("comment: 1 to {MAX_COMMENT} characters of text"));
    }
    if !problems.is_empty() {
        return Err(AppError::from(QuizError::InvalidMark {
            message: format!("the mark is incomplete: {}", problems.join("; ")),
            details: serde_json::json!({ "problems": problems }),
        }));
    }
    let levels_json = serde_json::to_string(levels).map_err(bad_state)?;
    let lead = cohorts::may_moderate(conn, &row.cohort_id, user)?;
    let t = now();
    let (stage, answer_status, graded) = write_tx(conn, |conn| {
        // Marks of one attempt are taken one at a time (the attempt's lock), so two markers
        // finishing at once grade it once.
        store::lock_attempt_state(conn, attempt_id)?;
        let fresh = store::find_attempt(conn, attempt_id)?.ok_or(AppError::NotFound)?;
        if fresh.marking.as_deref().map(MarkingState::of) != Some(MarkingState::Pending) {
            return Err(AppError::from(QuizError::MarkingComplete(
                "every written answer of this attempt has its final mark".into(),
            )));
        }
        let all = store::marks_of(conn, std::slice::from_ref(attempt_id))?;
        let these: Vec<&MarkRow> = all.iter().filter(|m| m.question_id == q.id).collect();
        if these.iter().any(|m| m.marker_id == user.id) {
            return Err(AppError::from(QuizError::AlreadyMarked(
                "you have marked this answer; a different person gives the next mark".into(),
            )));
        }
        let stage = match answer_marking(&these, quiz.marking) {
            AnswerMarking::Waiting => MarkStage::Mark,
            AnswerMarking::Moderation if lead => MarkStage::Moderation,
            AnswerMarking::Moderation => {
                return Err(AppError::from(QuizError::ModeratorNeeded(
                    "the markers disagree: an admin or a lead instructor who did not mark it \
                     decides"
                        .into(),
                )))
            }
            AnswerMarking::Final(_) => {
                return Err(AppError::from(QuizError::MarkingComplete(
                    "this answer has its final mark".into(),
                )))
            }
        };
        let mark = MarkRow {
            id: uuid::Uuid::new_v4().to_string(),
            attempt_id: attempt_id.clone(),
            question_id: q.id.clone(),
            marker_id: user.id.clone(),
            stage: stage.as_str().into(),
            levels_json: levels_json.clone(),
            points: f64::from(points),
            comment: comment.to_string(),
            created_at: t,
        };
        store::insert_mark(conn, &mark)?;
        crate::credentials::store::audit(
            conn,
            Some(&user.id),
            if stage == MarkStage::Moderation {
                "essay_moderated"
            } else {
                "essay_marked"
            },
            crate::ids::AuditSubject::stored("attempt", attempt_id.as_str()),
            &serde_json::json!({"question_id": q.id, "points": points, "levels": levels}),
            t,
        )?;
        // Where this answer and the attempt stand now.
        let mut all = all.clone();
        all.push(mark);
        let mut finals = Vec::new();
        let mut status = "final";
        for w in &written {
            let ms: Vec<&MarkRow> = all.iter().filter(|m| m.question_id == w.id).collect();
            let s = answer_marking(&ms, quiz.marking);
            if w.id == q.id {
                status = match s {
                    AnswerMarking::Waiting => "awaiting_marks",
                    AnswerMarking::Moderation => "moderation",
                    AnswerMarking::Final(_) => "final",
                };
            }
            if let AnswerMarking::Final(p) = s {
                finals.push(p);
            }
        }
        if finals.len() < written.len() {
            return Ok((stage, status, None));
        }
        let auto = fresh.score.unwrap_or(0.0);
        let max = fresh.max_score.unwrap_or(0.0);
        let grade = grade_of(
            auto + finals.iter().sum::<f64>(),
            max,
            quiz.pass_percent,
            Some(MarkingState::Complete),
        );
        if store::complete_marking(conn, attempt_id, &grade)? == 1 {
            crate::credentials::store::audit(
                conn,
                Some(&user.id),
                "attempt_graded",
                crate::ids::AuditSubject::stored("attempt", attempt_id.as_str()),
                &serde_json::json!({"percent": grade.percent, "passed": grade.passed}),
                t,
            )?;
            // The trainee hears once: only the transition from pending gets here.
            let trainee = crate::accounts::get_user(conn, &fresh.user_id)?;
            if let Ok(to) = crate::accounts::model::EmailAddress::parse(&trainee.email) {
                crate::email::enqueue(
                    conn,
                    crate::email::Outgoing {
                        template: "attempt_marked",
                        to: &to,
                        to_name: &trainee.name,
                        language: trainee.language,
                        context: serde_json::json!({
                            "name": trainee.name,
                            "quiz_th": quiz.title_th,
                            "quiz_en": quiz.title_en,
                            "percent": format!("{:.0}", grade.percent.unwrap_or(0.0)),
                            "passed": grade.passed == Some(true),
                            "link": format!("{link}/attempts/{attempt_id}"),
                        }),
                    },
                )?;
            }
            return Ok((stage, status, Some(grade)));
        }
        Ok((stage, status, None))
    })?;
    Ok(MarkOutcome {
        attempt_id: attempt_id.clone(),
        question_id: q.id.clone(),
        stage,
        points: f64::from(points),
        answer_status,
        marking: if graded.is_some() {
            MarkingState::Complete
        } else {
            MarkingState::Pending
        },
        result: graded,
    })
}

/// Marks per question, without markers' names (for the trainee's review once the policy
/// allows, and for staff).
pub fn summaries(rows: &[MarkRow]) -> BTreeMap<String, Vec<MarkSummary>> {
    let mut out: BTreeMap<String, Vec<MarkSummary>> = BTreeMap::new();
    for m in rows {
        out.entry(m.question_id.clone())
            .or_default()
            .push(summary(m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stage: MarkStage, points: f64) -> MarkRow {
        MarkRow {
            id: uuid::Uuid::new_v4().to_string(),
            attempt_id: "a".into(),
            question_id: "q".into(),
            marker_id: uuid::Uuid::new_v4().to_string().into(),
            stage: stage.as_str().into(),
            levels_json: "{}".into(),
            points,
            comment: "c".into(),
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn an_answer_is_final_at_the_markers_mean_unless_they_diverge() {
        let rule = MarkingRule {
            markers: 2,
            moderation_threshold: 2,
        };
        let (a, b, c, m) = (
            row(MarkStage::Mark, 7.0),
            row(MarkStage::Mark, 9.0),
            row(MarkStage::Mark, 10.0),
            row(MarkStage::Moderation, 8.0),
        );
        assert_eq!(answer_marking(&[], rule), AnswerMarking::Waiting);
        assert_eq!(answer_marking(&[&a], rule), AnswerMarking::Waiting);
        // 7 and 9 differ by 2, not more than the threshold: the mean.
        assert_eq!(answer_marking(&[&a, &b], rule), AnswerMarking::Final(8.0));
        // 7 and 10 differ by 3: a moderator decides, and then their mark is final.
        assert_eq!(answer_marking(&[&a, &c], rule), AnswerMarking::Moderation);
        assert_eq!(
            answer_marking(&[&a, &c, &m], rule),
            AnswerMarking::Final(8.0)
        );
        // One marker is enough where the quiz says so.
        let single = MarkingRule {
            markers: 1,
            moderation_threshold: 0,
        };
        assert_eq!(answer_marking(&[&c], single), AnswerMarking::Final(10.0));
    }
}
