//! Eligibility: which trainees meet every criterion of a scope, criterion by criterion.

use super::*;
use crate::credentials::error::CredentialError;

/// One criterion of a scope and whether the trainee meets it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Criterion {
    pub name: String,
    pub met: bool,
}

/// A trainee's eligibility for one scope of a cohort's programme.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub scope: String,
    pub eligible: bool,
    pub criteria: Vec<Criterion>,
}

pub(super) fn scope_of<'a>(course: &'a Course, scope: &str) -> Result<&'a Scope, AppError> {
    course
        .programme
        .scopes
        .iter()
        .find(|s| s.id == scope)
        .ok_or_else(|| {
            AppError::from(CredentialError::UnknownScope(format!(
                "'{scope}' is not a scope of this programme"
            )))
        })
}

/// Eligibility of every trainee of a cohort for every scope (or one scope).
#[tracing::instrument(level = "debug", skip_all)]
pub fn eligibility(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    course: &Course,
    only_user: Option<&crate::accounts::model::UserId>,
) -> Result<Vec<Eligibility>, AppError> {
    let members = cohorts::store::list_members(conn, cohort_id)?;
    let completions = crate::course::completions(conn, cohort_id)?;
    let results = crate::quizzes::scheme_results(conn, cohort_id)?;
    let rates = cohorts::attendance_rates(conn, cohort_id, course.programme.excused_absence)?;
    let observed = cohorts::observations::competent(conn, cohort_id)?;
    let mut out = Vec::new();
    for m in members.iter().filter(|m| {
        m.member_role() == Some(crate::cohorts::model::MemberRole::Trainee)
            && only_user.is_none_or(|u| *u == m.user_id)
    }) {
        for scope in &course.programme.scopes {
            let mut criteria = Vec::new();
            for module in &scope.required_modules {
                let met = completions
                    .iter()
                    .any(|(u, s)| u == &m.user_id && s == module);
                criteria.push(Criterion {
                    name: format!("module:{module}"),
                    met,
                });
            }
            for quiz in &scope.required_quizzes {
                let met = results
                    .iter()
                    .any(|r| r.user_id == m.user_id && &r.quiz_slug == quiz && r.passed);
                criteria.push(Criterion {
                    name: format!("quiz:{quiz}"),
                    met,
                });
            }
            let rate = rates.get(&m.user_id).copied().flatten();
            // Before any session is held there is nothing to miss.
            let met = rate.is_none_or(|r| r + 1e-9 >= f64::from(scope.min_attendance_percent));
            criteria.push(Criterion {
                name: format!("attendance>={}%", scope.min_attendance_percent),
                met,
            });
            if scope.requires_observation {
                criteria.push(Criterion {
                    name: format!("observation:{}", scope.id),
                    met: observed
                        .iter()
                        .any(|(u, s)| u == &m.user_id && s == &scope.id),
                });
            }
            out.push(Eligibility {
                user_id: m.user_id.clone(),
                name: m.name.clone(),
                scope: scope.id.clone(),
                eligible: criteria.iter().all(|c| c.met),
                criteria,
            });
        }
    }
    Ok(out)
}
