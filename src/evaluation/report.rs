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

/// One region's figures: its Provincial Industry Offices and how many had trainees.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionFigures {
    #[schema(value_type = String)]
    pub region: crate::offices::Region,
    pub name_th: &'static str,
    pub offices: usize,
    pub offices_reached: usize,
    pub enrolled: usize,
    pub completed: usize,
    pub credentialed: usize,
}

/// Whether the office had at least one trainee in these figures.
pub fn reached(offices: &[OfficeFigures], code: &str) -> bool {
    offices
        .iter()
        .any(|o| o.office_code == code && o.enrolled > 0)
}

/// The Provincial Industry Offices that had no trainee in these figures.
pub fn not_reached(offices: &[OfficeFigures]) -> Vec<&'static crate::offices::Office> {
    crate::offices::provincial()
        .filter(|o| !reached(offices, &o.code))
        .collect()
}

/// The offices' figures added up by region (every region, also those with no trainee).
pub fn by_region(offices: &[OfficeFigures]) -> Vec<RegionFigures> {
    crate::offices::Region::ALL
        .iter()
        .map(|&region| {
            let in_region: Vec<&OfficeFigures> = offices
                .iter()
                .filter(|o| crate::offices::region(&o.office_code) == Some(region))
                .collect();
            RegionFigures {
                region,
                name_th: region.name_th(),
                offices: crate::offices::provincial()
                    .filter(|o| crate::offices::region(&o.code) == Some(region))
                    .count(),
                offices_reached: in_region.iter().filter(|o| o.enrolled > 0).count(),
                enrolled: in_region.iter().map(|o| o.enrolled).sum(),
                completed: in_region.iter().map(|o| o.completed).sum(),
                credentialed: in_region.iter().map(|o| o.credentialed).sum(),
            }
        })
        .collect()
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

/// One indicator of the project (ตัวชี้วัด): its target and the result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Indicator {
    /// `enrolment_percent`, `completion_percent`, `improved_percent`, `satisfaction_mean`,
    /// `credentialed_percent` or `offices`.
    pub id: &'static str,
    pub name_th: &'static str,
    pub name_en: &'static str,
    /// The result must be at least this.
    pub target: f64,
    /// `None` while there is nothing to measure.
    pub result: Option<f64>,
    pub met: Option<bool>,
}

impl Indicator {
    /// A value of this indicator as reports print it: the mean with two decimals, a count of
    /// offices whole, a share with one decimal.
    pub fn shown(&self, v: f64) -> String {
        match self.id {
            "satisfaction_mean" => format!("{v:.2}"),
            "offices" => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        }
    }
}

fn indicator(
    id: &'static str,
    name_th: &'static str,
    name_en: &'static str,
    target: Option<f64>,
    result: Option<f64>,
) -> Option<Indicator> {
    let target = target?;
    Some(Indicator {
        id,
        name_th,
        name_en,
        target,
        result,
        met: result.map(|r| r + 1e-9 >= target),
    })
}

fn percent_of(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (10000.0 * part as f64 / whole as f64).round() / 100.0)
}

/// The programme's targets against a cohort's (or a year's) results.
fn indicators(
    t: &crate::course::model::Targets,
    seats: usize,
    enrolled: usize,
    completed: usize,
    credentialed: usize,
    improved_percent: Option<f64>,
    satisfaction_mean: Option<f64>,
) -> Vec<Indicator> {
    [
        indicator(
            "enrolment_percent",
            "ผู้เข้าอบรมต่อจำนวนที่รับ (ร้อยละ)",
            "Seats filled (%)",
            t.enrolment_percent,
            percent_of(enrolled, seats),
        ),
        indicator(
            "completion_percent",
            "ผู้ผ่านเกณฑ์การอบรม (ร้อยละ)",
            "Trainees who completed the training (%)",
            t.completion_percent,
            percent_of(completed, enrolled),
        ),
        indicator(
            "improved_percent",
            "ผู้มีคะแนนหลังการอบรมสูงขึ้น (ร้อยละ)",
            "Trainees who improved from pre- to post-test (%)",
            t.improved_percent,
            improved_percent,
        ),
        indicator(
            "satisfaction_mean",
            "ความพึงพอใจเฉลี่ย (เต็ม 5)",
            "Mean satisfaction (of 5)",
            t.satisfaction_mean,
            satisfaction_mean,
        ),
        indicator(
            "credentialed_percent",
            "ผู้ได้รับหนังสือรับรองผู้ตรวจประเมิน (ร้อยละ)",
            "Trainees credentialed as assessors (%)",
            t.credentialed_percent,
            percent_of(credentialed, enrolled),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
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
    /// The seats of the cohort (its capacity).
    pub seats: usize,
    /// The programme's targets against these results.
    pub indicators: Vec<Indicator>,
    /// Each held session: trainees in the room, online, excused and absent.
    pub sessions: Vec<crate::cohorts::SessionAttendance>,
    pub offices: Vec<OfficeFigures>,
    /// The offices' figures by region of Thailand.
    pub regions: Vec<RegionFigures>,
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
        .filter(|m| m.member_role() == Some(MemberRole::Trainee))
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
    let completed = trainees.iter().filter(|t| t.completed).count();
    let credentialed = trainees.iter().filter(|t| !t.scopes.is_empty()).count();
    let seats = usize::try_from(cohort.capacity).unwrap_or(0);
    let indicators = indicators(
        &course.programme.targets,
        seats,
        trainees.len(),
        completed,
        credentialed,
        evaluation.paired.improved_percent,
        evaluation.satisfaction.as_ref().and_then(|s| s.mean),
    );
    let offices: Vec<OfficeFigures> = offices.into_values().collect();
    Ok(Report {
        sessions: cohorts::attendance_by_session(conn, cohort_id)?,
        regions: by_region(&offices),
        seats,
        indicators,
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
        offices,
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
    pub seats: usize,
    /// The programme's targets against the year's results (the shares over every trainee of
    /// the year; the satisfaction mean over every response).
    pub indicators: Vec<Indicator>,
    pub offices: Vec<OfficeFigures>,
    pub regions: Vec<RegionFigures>,
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
    let (mut seats, mut people_credentialed) = (0usize, 0usize);
    let (mut paired_n, mut improved_n) = (0.0f64, 0.0f64);
    let (mut rating_n, mut rating_sum) = (0.0f64, 0.0f64);
    for id in &ids {
        let r = cohort_report(conn, course, id, user, lang)?;
        seats += r.seats;
        people_credentialed += r.trainees.iter().filter(|t| !t.scopes.is_empty()).count();
        if let Some(p) = r.evaluation.paired.improved_percent {
            paired_n += r.evaluation.paired.n as f64;
            improved_n += p * r.evaluation.paired.n as f64 / 100.0;
        }
        if let Some(s) = &r.evaluation.satisfaction {
            if let Some(m) = s.mean {
                rating_n += s.n as f64;
                rating_sum += m * s.n as f64;
            }
        }
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
    let offices: Vec<OfficeFigures> = offices.into_values().collect();
    let provincial = crate::offices::provincial().count();
    let reached = provincial - not_reached(&offices).len();
    let sum = |f: &dyn Fn(&CohortLine) -> usize| lines.iter().map(f).sum::<usize>();
    let t = &course.programme.targets;
    let mut indicators = indicators(
        t,
        seats,
        sum(&|l| l.enrolled),
        sum(&|l| l.completed),
        people_credentialed,
        (paired_n > 0.0).then(|| (10000.0 * improved_n / paired_n).round() / 100.0),
        (rating_n > 0.0).then(|| (100.0 * rating_sum / rating_n).round() / 100.0),
    );
    if let Some(i) = indicator(
        "offices",
        "สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม (แห่ง)",
        "Provincial Industry Offices reached",
        t.offices_per_year,
        Some(reached as f64),
    ) {
        indicators.push(i);
    }
    Ok(FiscalYearReport {
        seats,
        indicators,
        fiscal_year,
        enrolled: sum(&|l| l.enrolled),
        completed: sum(&|l| l.completed),
        passed_exam: sum(&|l| l.passed_exam),
        credentialed: Credentialed {
            product: sum(&|l| l.credentialed.product),
            service: sum(&|l| l.credentialed.service),
        },
        cohorts: lines,
        regions: by_region(&offices),
        offices,
        provincial_offices_reached: reached,
        provincial_offices: provincial,
    })
}
