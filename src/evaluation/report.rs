//! The closing report of a cohort (รายงานผลการดำเนินโครงการ) as data: participants,
//! completion, exam results and credentials, by office, with the evaluation beside them.
//! Every figure comes from the same records the API shows (issue 26).

use std::collections::BTreeMap;

use serde::Serialize;

use super::*;
use crate::credentials::model::CredentialStatus;

/// Holders per scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Credentialed {
    pub product: usize,
    pub service: usize,
}

/// One office's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeFigures {
    pub office_code: String,
    pub office_th: String,
    pub enrolled: usize,
    pub completed: usize,
    pub credentialed: usize,
}

/// One trainee's line of the appendix roster.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportTrainee {
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub office_code: String,
    pub attended_hours: f64,
    pub attendance_percent: Option<f64>,
    pub completed: bool,
    pub passed_exam: bool,
    pub scopes: Vec<String>,
}

/// `GET /api/v1/cohorts/{id}/report`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub cohort_name: String,
    pub fiscal_year: i32,
    pub enrolled: usize,
    /// Met the programme's completion rule (`completion_*` in `programme.toml`; without one,
    /// [`COMPLETION_ATTENDANCE`] % of the scheduled time): the share of the time attended, and
    /// the post-test taken and the survey answered where the rule asks.
    pub completed: usize,
    /// Passed every final assessment the scheme names (its quizzes of no module).
    pub passed_exam: usize,
    pub credentialed: Credentialed,
    pub offices: Vec<OfficeFigures>,
    pub trainees: Vec<ReportTrainee>,
    pub evaluation: Evaluation,
    /// What the officers wrote: background, objectives, problems, suggestions.
    pub narrative: store::Narrative,
}

/// Attendance (share of the scheduled time) that completion needs, in per cent, when the
/// programme names no completion rule.
pub const COMPLETION_ATTENDANCE: f64 = 80.0;

/// The attendance share, post-test and survey that completion asks for.
fn completion_needs(course: &Course) -> (f64, bool, bool) {
    match &course.programme.completion {
        Some(r) => (
            f64::from(r.min_attendance_percent),
            r.posttest && course.programme.posttest.is_some(),
            r.survey && course.programme.survey.is_some(),
        ),
        None => (
            COMPLETION_ATTENDANCE,
            course.programme.posttest.is_some(),
            course.programme.survey.is_some(),
        ),
    }
}

/// The closing report's figures for a cohort (cohort staff).
pub fn cohort_report(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Report, AppError> {
    let evaluation = evaluation(conn, course, cohort_id, user, lang)?;
    let cohort = cohorts::store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    let members = cohorts::store::list_members(conn, cohort_id)?;
    let results = crate::quizzes::scheme_results(conn, cohort_id)?;
    let finals: Vec<&str> = {
        let mut v: Vec<&str> = course
            .programme
            .scopes
            .iter()
            .flat_map(|s| s.required_quizzes.iter())
            .filter(|slug| {
                course
                    .quizzes
                    .iter()
                    .any(|q| &q.slug == *slug && q.module.is_none())
            })
            .map(String::as_str)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let responded: Vec<String> = match course.programme.survey.as_deref() {
        Some(slug) => store::respondents(conn, cohort_id, slug)?,
        None => Vec::new(),
    };
    let now = crate::util::now();
    let (min_attendance, needs_post, needs_survey) = completion_needs(course);
    let creds = crate::credentials::store::of_cohort(conn, cohort_id)?;
    let mut trainees = Vec::new();
    for m in members
        .iter()
        .filter(|m| m.role == MemberRole::Trainee.as_str())
    {
        let hours = evaluation
            .attendance
            .trainees
            .iter()
            .find(|t| t.user_id == m.user_id);
        let attendance_percent = hours.and_then(|h| h.percent);
        let attended_hours = hours.map_or(0.0, |h| h.attended_hours);
        let took_post = !needs_post || hours.is_some_and(|h| h.posttest_percent.is_some());
        let answered = !needs_survey || responded.iter().any(|r| *r == m.user_id.as_str());
        let attended = attendance_percent.is_some_and(|p| p + 1e-9 >= min_attendance);
        let passed_exam = !finals.is_empty()
            && finals.iter().all(|f| {
                results
                    .iter()
                    .any(|r| r.user_id == m.user_id && r.quiz_slug == *f && r.passed)
            });
        let mut scopes: Vec<String> = creds
            .iter()
            .filter(|c| {
                c.user_id == m.user_id
                    && crate::credentials::effective_status(c, now) != CredentialStatus::Revoked
            })
            .map(|c| c.scope.clone())
            .collect();
        scopes.sort();
        scopes.dedup();
        trainees.push(ReportTrainee {
            user_id: m.user_id.clone(),
            name: m.name.clone(),
            office_code: m.office_code.clone(),
            attended_hours,
            attendance_percent,
            completed: attended && took_post && answered,
            passed_exam,
            scopes,
        });
    }
    let mut offices: BTreeMap<String, OfficeFigures> = BTreeMap::new();
    for t in &trainees {
        let o = offices
            .entry(t.office_code.clone())
            .or_insert_with(|| OfficeFigures {
                office_th: crate::offices::find(&t.office_code)
                    .map(|o| o.name_th.to_string())
                    .unwrap_or_default(),
                office_code: t.office_code.clone(),
                enrolled: 0,
                completed: 0,
                credentialed: 0,
            });
        o.enrolled += 1;
        o.completed += usize::from(t.completed);
        o.credentialed += usize::from(!t.scopes.is_empty());
    }
    let holders = |scope: &str| {
        trainees
            .iter()
            .filter(|t| t.scopes.iter().any(|s| s == scope))
            .count()
    };
    Ok(Report {
        cohort_id: cohort_id.clone(),
        cohort_name: if lang == Language::En {
            cohort.name_en.clone()
        } else {
            cohort.name_th.clone()
        },
        fiscal_year: cohort.fiscal_year,
        enrolled: trainees.len(),
        completed: trainees.iter().filter(|t| t.completed).count(),
        passed_exam: trainees.iter().filter(|t| t.passed_exam).count(),
        credentialed: Credentialed {
            product: holders("product"),
            service: holders("service"),
        },
        offices: offices.into_values().collect(),
        trainees,
        evaluation,
        narrative: store::narrative(conn, cohort_id)?.unwrap_or_default(),
    })
}

/// The longest narrative section, in characters.
pub const MAX_NARRATIVE: usize = 8000;

/// Saves the report's narrative sections (cohort staff); each may be empty, none longer than
/// [`MAX_NARRATIVE`] characters.
pub fn save_narrative(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    n: &store::Narrative,
) -> Result<store::Narrative, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let clean = |name: &str, text: &str| -> Result<String, AppError> {
        let t = text.trim();
        if t.chars().count() > MAX_NARRATIVE || t.chars().any(bad) {
            return Err(AppError::from(EvaluationError::Invalid(format!(
                "{name}: at most {MAX_NARRATIVE} characters of text"
            ))));
        }
        Ok(t.to_string())
    };
    let n = store::Narrative {
        background: clean("background", &n.background)?,
        objectives: clean("objectives", &n.objectives)?,
        problems: clean("problems", &n.problems)?,
        suggestions: clean("suggestions", &n.suggestions)?,
    };
    let t = crate::util::now();
    write_tx(conn, |conn| {
        store::save_narrative(conn, cohort_id, &n, &user.id, t)?;
        Ok::<_, AppError>(())
    })?;
    Ok(n)
}

/// One cohort's line in the fiscal-year view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CohortLine {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub cohort_name: String,
    pub enrolled: usize,
    pub completed: usize,
    pub passed_exam: usize,
    pub credentialed: Credentialed,
    pub satisfaction_mean: Option<f64>,
    pub posttest_mean_percent: Option<f64>,
}

/// `GET /api/v1/reports/fiscal-years/{fy}`: every cohort of a Buddhist-era fiscal year, the
/// totals, the offices reached and how many of the 76 Provincial Industry Offices that is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FiscalYearReport {
    pub fiscal_year: i32,
    pub cohorts: Vec<CohortLine>,
    pub enrolled: usize,
    pub completed: usize,
    pub passed_exam: usize,
    pub credentialed: Credentialed,
    pub offices: Vec<OfficeFigures>,
    /// Provincial Industry Offices with at least one trainee this year, of all of them.
    pub provincial_offices_reached: usize,
    pub provincial_offices: usize,
}

/// The fiscal-year view (admins): the cohorts' reports added up.
pub fn fiscal_year_report(
    conn: &mut DbConnection,
    course: &Course,
    fiscal_year: i32,
    user: &User,
    lang: Language,
) -> Result<FiscalYearReport, AppError> {
    if user.role != crate::accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if !(2500..=2700).contains(&fiscal_year) {
        return Err(AppError::from(EvaluationError::Invalid(format!(
            "fiscal year: a Buddhist-era year such as 2565, not {fiscal_year}"
        ))));
    }
    let ids: Vec<crate::cohorts::model::CohortId> = cohorts::store::list_cohorts(conn)?
        .into_iter()
        .filter(|c| c.fiscal_year == fiscal_year)
        .map(|c| c.id)
        .collect();
    let mut lines = Vec::new();
    let mut offices: BTreeMap<String, OfficeFigures> = BTreeMap::new();
    for id in &ids {
        let r = cohort_report(conn, course, id, user, lang)?;
        for o in &r.offices {
            let t = offices
                .entry(o.office_code.clone())
                .or_insert_with(|| OfficeFigures {
                    office_code: o.office_code.clone(),
                    office_th: o.office_th.clone(),
                    enrolled: 0,
                    completed: 0,
                    credentialed: 0,
                });
            t.enrolled += o.enrolled;
            t.completed += o.completed;
            t.credentialed += o.credentialed;
        }
        lines.push(CohortLine {
            cohort_id: r.cohort_id.clone(),
            cohort_name: r.cohort_name.clone(),
            enrolled: r.enrolled,
            completed: r.completed,
            passed_exam: r.passed_exam,
            credentialed: r.credentialed.clone(),
            satisfaction_mean: r.evaluation.satisfaction.as_ref().and_then(|s| s.mean),
            posttest_mean_percent: r.evaluation.posttest.mean_percent,
        });
    }
    let provincial: Vec<&crate::offices::Office> = crate::offices::all()
        .iter()
        .filter(|o| o.kind == "provincial_industry_office")
        .collect();
    let reached = provincial
        .iter()
        .filter(|p| offices.get(&p.code).is_some_and(|o| o.enrolled > 0))
        .count();
    let sum = |f: &dyn Fn(&CohortLine) -> usize| lines.iter().map(f).sum::<usize>();
    Ok(FiscalYearReport {
        fiscal_year,
        enrolled: sum(&|l| l.enrolled),
        completed: sum(&|l| l.completed),
        passed_exam: sum(&|l| l.passed_exam),
        credentialed: Credentialed {
            product: sum(&|l| l.credentialed.product),
            service: sum(&|l| l.credentialed.service),
        },
        cohorts: lines,
        offices: offices.into_values().collect(),
        provincial_offices_reached: reached,
        provincial_offices: provincial.len(),
    })
}
