//! Results: each trainee's result per quiz under its grading rule (highest, last, first, average).

use super::*;

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

pub(super) fn results_of(
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
