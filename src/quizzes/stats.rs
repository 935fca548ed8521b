//! Item statistics of a cohort's attempts (facility, discrimination, reliability).

use super::*;

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
    // Attempts waiting for their written answers' marks have no grade yet: left out.
    let rows: Vec<AttemptRow> = store::finished_attempts_of_cohort(conn, cohort_id)?
        .into_iter()
        .filter(|a| a.quiz_slug == slug && a.percent.is_some())
        .collect();
    let ids: Vec<AttemptId> = rows.iter().map(|a| a.id.clone()).collect();
    let marks = store::marks_of(conn, &ids)?;
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
                let s = if matches!(q.body, model::QuestionBody::Essay { .. }) {
                    let these: Vec<&store::MarkRow> = marks
                        .iter()
                        .filter(|m| m.attempt_id == row.id && m.question_id == q.id)
                        .collect();
                    match marking::answer_marking(&these, quiz.marking) {
                        marking::AnswerMarking::Final(p) => p,
                        _ => 0.0,
                    }
                } else {
                    engine::grade(q, laid, mine.and_then(|m| m.get(&q.id)))
                };
                items.insert(q.id.clone(), (s, f64::from(q.points)));
                scores.insert(q.id.clone(), s);
            }
        }
        let percent = row.percent.unwrap_or(0.0);
        graded.push(analytics::GradedAttempt { percent, items });
        table.push((row.user_id.clone(), row.attempt_no, percent, scores));
    }
    let mut stats = analytics::compute(&graded, &order);
    let points: std::collections::BTreeMap<String, u32> = defs
        .values()
        .flat_map(|q| q.questions.iter().map(|qq| (qq.id.clone(), qq.points)))
        .collect();
    stats.marker_agreement = agreement::agreement(&marks, &points);
    stats.question_agreement = agreement::per_question(&marks, &points);
    Ok((stats, table))
}
