//! The training project's own measures (issue 25), as a TISI project officer reports them:
//! the pre-test and post-test (means, gain, share improved, normalised gain, a paired t-test),
//! the satisfaction survey (n, mean, SD and the Thai band per item, section and overall, with
//! the open comments; answers never linked to a person) and the training hours.

pub mod charts;
pub mod completion;
pub mod documents;
pub mod error;
pub mod report;
pub mod stats;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::accounts::{model::Language, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::model::{Course, Survey, SurveyItemKind};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use error::EvaluationError;

fn pick(lang: Language, th: &str, en: &str) -> String {
    if lang == Language::En { en } else { th }.to_string()
}

/// A survey item as a respondent sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyItemView {
    pub id: String,
    pub kind: SurveyItemKind,
    pub text: String,
    pub section: String,
}

/// A survey of a cohort, in one language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub items: Vec<SurveyItemView>,
    /// This person has answered (trainees).
    pub responded: bool,
}

fn survey_of<'c>(course: &'c Course, slug: &str) -> Result<&'c Survey, AppError> {
    course
        .surveys
        .iter()
        .find(|s| s.slug == slug)
        .ok_or(AppError::NotFound)
}

/// The surveys of a cohort's programme (any member).
pub fn cohort_surveys(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Vec<SurveyView>, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Member)?;
    let mut out = Vec::new();
    for s in &course.surveys {
        out.push(SurveyView {
            slug: s.slug.clone(),
            title: pick(lang, &s.title_th, &s.title_en),
            description: pick(lang, &s.description_th, &s.description_en),
            items: s
                .items()
                .map(|(sec, i)| SurveyItemView {
                    id: i.id.clone(),
                    kind: i.kind,
                    text: pick(lang, &i.text_th, &i.text_en),
                    section: pick(lang, &sec.title_th, &sec.title_en),
                })
                .collect(),
            responded: store::has_responded(conn, cohort_id, &s.slug, &user.id)?,
        });
    }
    Ok(out)
}

/// The longest answer to an open question.
pub const MAX_COMMENT: usize = 2000;

/// A trainee's answers to a survey: every five-level item 1–5, open questions optional.
/// Stored without the person; a second response is refused (409).
pub fn respond(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    answers: &BTreeMap<String, Value>,
) -> Result<(), AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Trainee)?;
    let survey = survey_of(course, slug)?;
    let mut problems = Vec::new();
    let mut clean: BTreeMap<String, Value> = BTreeMap::new();
    for (_, item) in survey.items() {
        match (item.kind, answers.get(&item.id)) {
            (SurveyItemKind::Scale, Some(v)) => match v.as_u64().filter(|n| (1..=5).contains(n)) {
                Some(n) => {
                    clean.insert(item.id.clone(), Value::from(n));
                }
                None => problems.push(format!("{}: a whole number from 1 to 5", item.id)),
            },
            (SurveyItemKind::Scale, None) => problems.push(format!("{}: choose 1 to 5", item.id)),
            (SurveyItemKind::Text, Some(Value::String(t))) => {
                let t = t.trim();
                let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
                if t.chars().count() > MAX_COMMENT || t.chars().any(bad) {
                    problems.push(format!(
                        "{}: at most {MAX_COMMENT} characters of text",
                        item.id
                    ));
                } else if !t.is_empty() {
                    clean.insert(item.id.clone(), Value::from(t));
                }
            }
            (SurveyItemKind::Text, Some(Value::Null) | None) => {}
            (SurveyItemKind::Text, Some(_)) => problems.push(format!("{}: text", item.id)),
        }
    }
    for k in answers.keys() {
        if !survey.items().any(|(_, i)| &i.id == k) {
            problems.push(format!("{k}: not an item of this survey"));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::from(EvaluationError::Invalid(
            problems.join("; "),
        )));
    }
    let json = serde_json::to_string(&clean).map_err(|e| AppError::Unexpected(e.into()))?;
    let day = crate::util::now().date().to_string();
    write_tx(conn, |conn| {
        if store::has_responded(conn, cohort_id, slug, &user.id)? {
            return Err(AppError::from(EvaluationError::AlreadyResponded(
                "you have answered this survey; each person answers once".into(),
            )));
        }
        store::insert_response(conn, cohort_id, slug, &user.id, &day, &json)?;
        Ok(())
    })
}

/// n, mean and SD of a set of five-level answers, with the band.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rating {
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub band_th: Option<&'static str>,
    pub band_en: Option<&'static str>,
}

fn rating(xs: &[f64]) -> Rating {
    let mean = stats::mean(xs);
    Rating {
        n: xs.len(),
        mean: mean.map(round2),
        sd: stats::sd(xs).map(round2),
        band_th: mean.map(stats::band_th),
        band_en: mean.map(stats::band_en),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub id: String,
    pub text: String,
    #[serde(flatten)]
    pub rating: Rating,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SectionResult {
    pub id: String,
    pub title: String,
    #[serde(flatten)]
    pub rating: Rating,
    pub items: Vec<ItemResult>,
}

/// Satisfaction: respondents (n), overall mean, SD and band over every rating, per section and
/// per item, and the open comments (in no particular order, never with a name).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    pub slug: String,
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub band_th: Option<&'static str>,
    pub band_en: Option<&'static str>,
    pub sections: Vec<SectionResult>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub item_id: String,
    pub question: String,
    pub text: String,
}

/// Results of a survey in a cohort from its stored answers.
pub fn satisfaction(
    conn: &mut DbConnection,
    survey: &Survey,
    cohort_id: &crate::cohorts::model::CohortId,
    lang: Language,
) -> Result<Satisfaction, AppError> {
    let rows: Vec<BTreeMap<String, Value>> = store::responses(conn, cohort_id, &survey.slug)?
        .iter()
        .filter_map(|j| serde_json::from_str(j).ok())
        .collect();
    let ratings_of = |id: &str| -> Vec<f64> {
        rows.iter()
            .filter_map(|r| r.get(id).and_then(Value::as_f64))
            .collect()
    };
    let mut all = Vec::new();
    let mut sections = Vec::new();
    let mut comments = Vec::new();
    for sec in &survey.sections {
        let mut in_section = Vec::new();
        let mut items = Vec::new();
        for item in &sec.items {
            match item.kind {
                SurveyItemKind::Scale => {
                    let xs = ratings_of(&item.id);
                    in_section.extend(xs.iter().copied());
                    items.push(ItemResult {
                        id: item.id.clone(),
                        text: pick(lang, &item.text_th, &item.text_en),
                        rating: rating(&xs),
                    });
                }
                SurveyItemKind::Text => {
                    for r in &rows {
                        if let Some(t) = r.get(&item.id).and_then(Value::as_str) {
                            comments.push(Comment {
                                item_id: item.id.clone(),
                                question: pick(lang, &item.text_th, &item.text_en),
                                text: t.to_string(),
                            });
                        }
                    }
                }
            }
        }
        if !items.is_empty() {
            all.extend(in_section.iter().copied());
            sections.push(SectionResult {
                id: sec.id.clone(),
                title: pick(lang, &sec.title_th, &sec.title_en),
                rating: rating(&in_section),
                items,
            });
        }
    }
    let overall = rating(&all);
    Ok(Satisfaction {
        slug: survey.slug.clone(),
        n: rows.len(),
        mean: overall.mean,
        sd: overall.sd,
        band_th: overall.band_th,
        band_en: overall.band_en,
        sections,
        comments,
    })
}

/// A test's takers and mean.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestSummary {
    pub slug: Option<String>,
    pub n: usize,
    pub mean_percent: Option<f64>,
}

/// Pre/post for the trainees who took both.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Paired {
    pub n: usize,
    pub mean_gain: Option<f64>,
    /// Share of them whose post-test is above their pre-test, in per cent.
    pub improved_percent: Option<f64>,
    /// Hake's class-average normalised gain: (post − pre) / (100 − pre) on the means.
    pub normalised_gain: Option<f64>,
    pub t: Option<f64>,
    pub df: Option<f64>,
    pub p: Option<f64>,
}

/// One trainee's pre/post and hours.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraineeFigures {
    pub user_id: crate::accounts::model::UserId,
    pub pretest_percent: Option<f64>,
    pub posttest_percent: Option<f64>,
    pub attended_hours: f64,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attendance {
    pub scheduled_hours: f64,
    pub trainees: Vec<TraineeFigures>,
}

/// The figures of `GET /api/v1/cohorts/{id}/evaluation`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub pretest: TestSummary,
    pub posttest: TestSummary,
    pub paired: Paired,
    pub satisfaction: Option<Satisfaction>,
    pub attendance: Attendance,
}

/// Each trainee's first graded attempt at a quiz, in per cent, from the cohort's finished
/// attempts.
fn first_percents(
    rows: &[crate::quizzes::store::AttemptRow],
    slug: Option<&str>,
) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let Some(slug) = slug else { return out };
    let mut mine: Vec<&crate::quizzes::store::AttemptRow> = rows
        .iter()
        .filter(|a| a.quiz_slug == slug && a.percent.is_some())
        .collect();
    mine.sort_by_key(|a| a.attempt_no);
    for a in mine {
        if let Some(p) = a.percent {
            out.entry(a.user_id.to_string()).or_insert(p);
        }
    }
    out
}

/// The cohort's evaluation (cohort staff): pre/post, satisfaction and hours.
pub fn evaluation(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Evaluation, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let p = &course.programme;
    let finished = crate::quizzes::store::finished_attempts_of_cohort(conn, cohort_id)?;
    let pre = first_percents(&finished, p.pretest.as_deref());
    let post = first_percents(&finished, p.posttest.as_deref());
    let summary = |slug: &Option<String>, m: &HashMap<String, f64>| {
        let xs: Vec<f64> = m.values().copied().collect();
        TestSummary {
            slug: slug.clone(),
            n: xs.len(),
            mean_percent: stats::mean(&xs).map(round2),
        }
    };
    let mut pairs: Vec<(f64, f64)> = pre
        .iter()
        .filter_map(|(u, a)| post.get(u).map(|b| (*a, *b)))
        .collect();
    pairs.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    let gains: Vec<f64> = pairs.iter().map(|(a, b)| b - a).collect();
    let test = stats::paired_t(&gains);
    let mean_pre = stats::mean(&pairs.iter().map(|(a, _)| *a).collect::<Vec<_>>());
    let mean_post = stats::mean(&pairs.iter().map(|(_, b)| *b).collect::<Vec<_>>());
    let paired = Paired {
        n: pairs.len(),
        mean_gain: stats::mean(&gains).map(round2),
        improved_percent: (!pairs.is_empty()).then(|| {
            round2(100.0 * pairs.iter().filter(|(a, b)| b > a).count() as f64 / pairs.len() as f64)
        }),
        normalised_gain: match (mean_pre, mean_post) {
            (Some(a), Some(b)) if a < 100.0 => Some(round2((b - a) / (100.0 - a))),
            _ => None,
        },
        t: test.map(|(t, _, _)| (t * 10_000.0).round() / 10_000.0),
        df: test.map(|(_, df, _)| df),
        p: test.map(|(_, _, p)| p),
    };
    let satisfaction = match p.survey.as_deref() {
        Some(slug) => Some(satisfaction(
            conn,
            survey_of(course, slug)?,
            cohort_id,
            lang,
        )?),
        None => None,
    };
    // Hours: the scheduled time of the sessions held so far, and each trainee's attended
    // minutes (check-in, Zoom durations, staff corrections; see `cohorts::attended_minutes`).
    let time = cohorts::training_time(conn, cohort_id)?;
    let rule = course.programme.excused_absence;
    let scheduled = time.scheduled as f64 / 60.0;
    let mut trainees = Vec::new();
    for m in cohorts::store::list_members(conn, cohort_id)?
        .into_iter()
        .filter(|m| m.member_role() == Some(MemberRole::Trainee))
    {
        let mine = time.attended_by(&m.user_id) as f64 / 60.0;
        trainees.push(TraineeFigures {
            pretest_percent: pre.get(m.user_id.as_str()).copied(),
            posttest_percent: post.get(m.user_id.as_str()).copied(),
            attended_hours: round2(mine),
            percent: time.percent(&m.user_id, rule).map(round2),
            user_id: m.user_id,
        });
    }
    Ok(Evaluation {
        pretest: summary(&p.pretest, &pre),
        posttest: summary(&p.posttest, &post),
        paired,
        satisfaction,
        attendance: Attendance {
            scheduled_hours: round2(scheduled),
            trainees,
        },
    })
}
