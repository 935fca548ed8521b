//! Certification governance in the browser: an instructor recommends, an admin who took no part
//! in the training decides (declaring any conflict of interest), a trainee appeals, and a
//! reviewer who took no part in what is appealed decides the appeal.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use super::{check_csrf, lang_of, page_user, see_other, strings, Page};
use crate::accounts::model::{Language, Role};
use crate::accounts::{self, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::model::Course;
use crate::credentials;
use crate::dates;
use crate::db::DbConnection;
use crate::error::{AppError, PageError};
use crate::governance::{
    self, AppealDecision, AppealRequest, AppealSubject, DecideRequest, Decision, RecommendRequest,
    APPEAL_WINDOW_DAYS,
};
use crate::http::AppState;

/// How many decided recommendations, and closed appeals, the admin pages show.
const RECENT: i64 = 100;

fn pick(lang: Language, th: &str, en: &str) -> String {
    if lang == Language::En {
        en.to_string()
    } else {
        th.to_string()
    }
}

fn label(lang: Language, key: &str) -> String {
    strings(lang).get(key).cloned().unwrap_or_default()
}

/// A stored UTC time as a Bangkok calendar day (B.E. in Thai).
fn day(t: NaiveDateTime, lang: Language) -> String {
    let local = chrono::Utc
        .from_utc_datetime(&t)
        .with_timezone(&dates::bangkok());
    dates::format_date(local.date_naive(), lang)
}

/// Free text split into lines, so the template can keep the line breaks without `|safe`.
fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// `grant`, `refuse`, `upheld`, `dismissed` as words; nothing yet is "pending".
fn outcome_label(lang: Language, outcome: Option<&str>) -> String {
    match outcome {
        Some(o) => strings(lang)
            .get(&format!("gov_outcome_{o}"))
            .cloned()
            .unwrap_or_else(|| o.to_string()),
        None => label(lang, "gov_status_pending"),
    }
}

/// The status a refused form is shown again with, or `None` when the error is not about the
/// form (not found, not allowed, internal) and goes to the error page.
fn form_status(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::Validation { .. } | AppError::Rejected { .. } => {
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        }
        AppError::Conflict { .. } => Some(StatusCode::CONFLICT),
        _ => None,
    }
}

/// A refusal from the governance service as text for the page, in the page's language where
/// the string tables have it (`gov_err_field_<field>` for invalid input,
/// `gov_err_<context>_<code>`, `gov_err_<code>`), else the service's own message.
fn refusal(lang: Language, context: &str, e: &AppError) -> String {
    let t = strings(lang);
    let code = e.code();
    let mut keys = Vec::new();
    if let AppError::Validation { message, .. } = e {
        if let Some((field, _)) = message.split_once(':') {
            keys.push(format!("gov_err_field_{}", field.trim()));
        }
    }
    keys.push(format!("gov_err_{context}_{code}"));
    keys.push(format!("gov_err_{code}"));
    keys.iter()
        .find_map(|k| t.get(k).cloned())
        .unwrap_or_else(|| e.public_message())
}

/// Names of people and cohorts for one page, each looked up once.
struct Labels {
    lang: Language,
    people: HashMap<String, String>,
    cohorts: HashMap<String, (String, Option<MemberRole>)>,
}

impl Labels {
    fn new(lang: Language) -> Labels {
        Labels {
            lang,
            people: HashMap::new(),
            cohorts: HashMap::new(),
        }
    }

    /// A person's name in the page's language (the English name when there is one); the id
    /// when the account is gone.
    fn person(&mut self, conn: &mut DbConnection, id: &str) -> Result<String, AppError> {
        if let Some(n) = self.people.get(id) {
            return Ok(n.clone());
        }
        let name = match accounts::get_user(conn, id) {
            Ok(u) => match (&u.name_en, self.lang) {
                (Some(en), Language::En) if !en.trim().is_empty() => en.clone(),
                _ => u.name,
            },
            Err(AppError::NotFound) => id.to_string(),
            Err(e) => return Err(e),
        };
        self.people.insert(id.to_string(), name.clone());
        Ok(name)
    }

    /// A cohort's name and the viewer's role in it; the id when the viewer may not see it.
    fn cohort(
        &mut self,
        conn: &mut DbConnection,
        id: &str,
        viewer: &User,
    ) -> Result<(String, Option<MemberRole>), AppError> {
        if let Some(c) = self.cohorts.get(id) {
            return Ok(c.clone());
        }
        let c = match cohorts::get_cohort(conn, id, viewer) {
            Ok(c) => (pick(self.lang, &c.name_th, &c.name_en), c.my_role),
            Err(AppError::NotFound | AppError::Forbidden) => (id.to_string(), None),
            Err(e) => return Err(e),
        };
        self.cohorts.insert(id.to_string(), c.clone());
        Ok(c)
    }
}

// ---------------------------------------------------------------------------------------------
// Decisions (admins) and recommendations (cohort staff)

#[derive(Serialize)]
struct DecisionLine {
    id: String,
    cohort_id: String,
    cohort: String,
    trainee: String,
    scope: String,
    recommended_by: String,
    recommendation: Vec<String>,
    recommended: String,
    /// The viewer recommended this or taught the cohort, so another admin must decide.
    not_independent: bool,
    outcome: Option<String>,
    outcome_label: String,
    decided_by: String,
    rationale: Vec<String>,
    decided: String,
    credential_id: Option<String>,
}

fn decision_line(
    conn: &mut DbConnection,
    labels: &mut Labels,
    viewer: &User,
    course: &Course,
    d: Decision,
) -> Result<DecisionLine, AppError> {
    let lang = labels.lang;
    let (cohort, role) = labels.cohort(conn, &d.cohort_id, viewer)?;
    let decided_by = match &d.decided_by {
        Some(id) => labels.person(conn, id)?,
        None => String::new(),
    };
    Ok(DecisionLine {
        not_independent: d.recommended_by == viewer.id || role == Some(MemberRole::Instructor),
        trainee: labels.person(conn, &d.user_id)?,
        recommended_by: labels.person(conn, &d.recommended_by)?,
        scope: credentials::scope_title(course, &d.scope, lang),
        recommendation: lines(&d.recommendation),
        recommended: dates::format_datetime(d.recommended_at, lang),
        outcome_label: outcome_label(lang, d.outcome.as_deref()),
        rationale: d.rationale.as_deref().map(lines).unwrap_or_default(),
        decided: d
            .decided_at
            .map(|t| dates::format_datetime(t, lang))
            .unwrap_or_default(),
        decided_by,
        cohort,
        id: d.id,
        cohort_id: d.cohort_id,
        outcome: d.outcome,
        credential_id: d.credential_id,
    })
}

/// What the admin typed into the decide form that was refused, to show it again.
#[derive(Default, Serialize)]
struct DecideEcho {
    id: String,
    outcome: String,
    rationale: String,
    conflict: String,
    conflict_statement: String,
}

async fn render_decisions(
    state: &AppState,
    req: &HttpRequest,
    admin: User,
    error: Option<String>,
    echo: DecideEcho,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let (u, course) = (admin.clone(), state.course.clone());
    let (pending, decided) = state
        .db
        .run(move |conn| {
            let (pending, decided) = governance::all_decisions(conn, &u, RECENT)?;
            let mut labels = Labels::new(lang);
            let mut pending_lines = Vec::new();
            for d in pending {
                pending_lines.push(decision_line(conn, &mut labels, &u, &course, d)?);
            }
            let mut decided_lines = Vec::new();
            for d in decided {
                decided_lines.push(decision_line(conn, &mut labels, &u, &course, d)?);
            }
            Ok((pending_lines, decided_lines))
        })
        .await?;
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("user", &admin);
    page.ctx.insert("pending", &pending);
    page.ctx.insert("decided", &decided);
    page.ctx.insert("error", &error);
    page.ctx.insert("echo", &echo);
    page.render(state, "governance/decisions.html", status)
}

/// Admins: recommendations waiting for a decision, each with a decide form (outcome, rationale,
/// conflict-of-interest declaration), and the recent decisions.
pub async fn decisions_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let admin = page_user(&req, Some(Role::Admin)).await?;
    render_decisions(
        &state,
        &req,
        admin,
        None,
        DecideEcho::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    rationale: String,
    /// `yes` or `no`: the decider's conflict-of-interest declaration.
    #[serde(default)]
    conflict: String,
    #[serde(default)]
    conflict_statement: String,
}

/// Records an admin's decision on a recommendation; a declared conflict of interest is
/// recorded and leaves the decision to another admin.
pub async fn decide_recommendation(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<DecideForm>,
) -> Result<HttpResponse, PageError> {
    let admin = page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let body = DecideRequest {
        outcome: f.outcome.clone(),
        rationale: f.rationale.clone(),
        conflict_of_interest: match f.conflict.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        conflict_statement: f.conflict_statement.clone(),
    };
    let (u, did, issuer, course) = (
        admin.clone(),
        id.clone(),
        state.issuer.clone(),
        state.course.clone(),
    );
    let result = state
        .db
        .run(move |conn| governance::decide(conn, &issuer, &course, &did, &u, &body))
        .await;
    match result {
        Ok(d) => {
            let done = if d.outcome.as_deref() == Some("grant") {
                "gov_granted"
            } else {
                "gov_refused"
            };
            Ok(see_other(&format!("/admin/decisions?done={done}")))
        }
        // The declaration is what the admin asked to record: it is kept, and the page says so.
        Err(AppError::Conflict {
            code: "conflict_of_interest",
            ..
        }) => Ok(see_other("/admin/decisions?done=gov_coi_recorded")),
        Err(e) => match form_status(&e) {
            Some(status) => {
                let error = refusal(lang_of(&req), "decide", &e);
                let echo = DecideEcho {
                    id,
                    outcome: f.outcome,
                    rationale: f.rationale,
                    conflict: f.conflict,
                    conflict_statement: f.conflict_statement,
                };
                render_decisions(&state, &req, admin, Some(error), echo, status).await
            }
            None => Err(PageError(e)),
        },
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// What the instructor typed into the recommend form that was refused, to show it again.
#[derive(Default, Serialize)]
struct RecommendEcho {
    user_id: String,
    scope: String,
    rationale: String,
}

async fn render_recommend(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    cohort_id: String,
    error: Option<String>,
    echo: RecommendEcho,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let (u, course, cid) = (user.clone(), state.course.clone(), cohort_id.clone());
    let (cohort_name, trainees, decisions) = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &u, Access::Staff)?;
            let cohort = cohorts::get_cohort(conn, &cid, &u)?;
            let trainees: Vec<Choice> = cohorts::roster(conn, &cid)?
                .into_iter()
                .filter(|r| r.role == MemberRole::Trainee)
                .map(|r| Choice {
                    label: match (&r.name_en, lang) {
                        (Some(en), Language::En) if !en.trim().is_empty() => en.clone(),
                        _ => r.name.clone(),
                    },
                    value: r.user_id,
                })
                .collect();
            let mut labels = Labels::new(lang);
            let mut decisions = Vec::new();
            for d in governance::cohort_decisions(conn, &cid, &u)? {
                decisions.push(decision_line(conn, &mut labels, &u, &course, d)?);
            }
            Ok((
                pick(lang, &cohort.name_th, &cohort.name_en),
                trainees,
                decisions,
            ))
        })
        .await?;
    let scopes: Vec<Choice> = state
        .course
        .programme
        .scopes
        .iter()
        .map(|s| Choice {
            value: s.id.clone(),
            label: credentials::scope_title(&state.course, &s.id, lang),
        })
        .collect();
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cohort_id);
    page.ctx.insert("cohort_name", &cohort_name);
    page.ctx.insert("trainees", &trainees);
    page.ctx.insert("scopes", &scopes);
    page.ctx.insert("decisions", &decisions);
    page.ctx.insert("error", &error);
    page.ctx.insert("echo", &echo);
    page.render(state, "governance/recommend.html", status)
}

/// The cohort's instructors (and admins): a form to recommend a trainee for a scope, and the
/// cohort's recommendations with their decisions.
pub async fn recommend_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    render_recommend(
        &state,
        &req,
        user,
        path.into_inner(),
        None,
        RecommendEcho::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct RecommendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    rationale: String,
}

/// Records an instructor's recommendation (the service checks the cohort role first).
pub async fn create_recommendation(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<RecommendForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let body = RecommendRequest {
        user_id: f.user_id.clone(),
        scope: f.scope.clone(),
        rationale: f.rationale.clone(),
    };
    let (u, cid, course) = (user.clone(), id.clone(), state.course.clone());
    let result = state
        .db
        .run(move |conn| governance::recommend(conn, &course, &cid, &u, &body))
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/cohorts/{id}/recommend?done=gov_recommended"
        ))),
        Err(e) => match form_status(&e) {
            Some(status) => {
                let error = refusal(lang_of(&req), "recommend", &e);
                let echo = RecommendEcho {
                    user_id: f.user_id,
                    scope: f.scope,
                    rationale: f.rationale,
                };
                render_recommend(&state, &req, user, id, Some(error), echo, status).await
            }
            None => Err(PageError(e)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Appeals

#[derive(Serialize)]
struct AppealLine {
    id: String,
    appellant: String,
    cohort: String,
    subject: String,
    subject_link: Option<String>,
    grounds: Vec<String>,
    filed: String,
    respond_by: String,
    open: bool,
    overdue: bool,
    status_label: String,
    outcome: Option<String>,
    outcome_label: String,
    reviewer: String,
    rationale: Vec<String>,
    decided: String,
    /// The viewer took part in what is appealed, so another reviewer must decide.
    involved: bool,
}

/// A quiz result, decision or credential change in words, for a list or a select option.
fn describe(s: &AppealSubject, course: &Course, lang: Language) -> String {
    match s.subject_type {
        "attempt" => {
            let title = course
                .quizzes
                .iter()
                .find(|q| q.slug == s.what)
                .map(|q| pick(lang, &q.title_th, &q.title_en))
                .unwrap_or_else(|| s.what.clone());
            let result = match (s.percent, s.passed) {
                (Some(p), Some(true)) => format!(" · {p:.0}% ({})", label(lang, "passed")),
                (Some(p), _) => format!(" · {p:.0}% ({})", label(lang, "not_passed")),
                _ => String::new(),
            };
            format!(
                "{title} · {} {}{result}",
                label(lang, "attempt"),
                s.attempt_no.unwrap_or(0)
            )
        }
        "decision" => format!(
            "{}: {} · {}",
            label(lang, "gov_subject_decision"),
            credentials::scope_title(course, &s.what, lang),
            outcome_label(lang, s.outcome.as_deref())
        ),
        _ => format!(
            "{}: {} · {}",
            label(lang, "gov_subject_credential"),
            credentials::scope_title(course, &s.what, lang),
            s.outcome
                .as_deref()
                .and_then(|st| strings(lang).get(&format!("cred_{st}")).cloned())
                .unwrap_or_default()
        ),
    }
}

fn subject_link(s: &AppealSubject) -> Option<String> {
    match s.subject_type {
        "attempt" => Some(format!("/attempts/{}", s.subject_id)),
        "credential" => Some(format!("/verify/{}", s.subject_id)),
        _ => None,
    }
}

/// What was typed into a refused appeal or appeal-decision form, to show it again.
#[derive(Default, Serialize)]
struct AppealEcho {
    subject: String,
    grounds: String,
    /// The appeal whose decide form was refused.
    id: String,
    outcome: String,
    rationale: String,
}

async fn render_appeals(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    error: Option<String>,
    echo: AppealEcho,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let is_admin = user.role == Role::Admin;
    let (u, course) = (user.clone(), state.course.clone());
    let (appeal_lines, appealable) = state
        .db
        .run(move |conn| {
            let all = governance::list_appeals(conn, &u)?;
            let mut subjects: HashMap<String, AppealSubject> = HashMap::new();
            let mut appealable: Vec<Choice> = Vec::new();
            if is_admin {
                let mut appellants: Vec<&str> = all.iter().map(|a| a.user_id.as_str()).collect();
                appellants.sort_unstable();
                appellants.dedup();
                for id in appellants {
                    for s in governance::appeal_subjects(conn, &u, id)? {
                        subjects.insert(s.subject_id.clone(), s);
                    }
                }
            } else {
                for s in governance::appeal_subjects(conn, &u, &u.id)? {
                    if s.appealable {
                        appealable.push(Choice {
                            value: format!("{}:{}", s.subject_type, s.subject_id),
                            label: format!(
                                "{} · {} {}",
                                describe(&s, &course, lang),
                                label(lang, "gov_appeal_until"),
                                day(s.final_at + Duration::days(APPEAL_WINDOW_DAYS), lang)
                            ),
                        });
                    }
                    subjects.insert(s.subject_id.clone(), s);
                }
            }
            let now = chrono::Utc::now().naive_utc();
            let mut labels = Labels::new(lang);
            let mut closed_shown = 0;
            let mut out = Vec::new();
            for a in all {
                let open = a.status == "open";
                if is_admin && !open {
                    if closed_shown >= RECENT {
                        continue;
                    }
                    closed_shown += 1;
                }
                let subject = subjects.get(&a.subject_id);
                let (cohort, role) = labels.cohort(conn, &a.cohort_id, &u)?;
                let involved = a.user_id == u.id
                    || role == Some(MemberRole::Instructor)
                    || subject.is_some_and(|s| {
                        s.recommended_by.as_deref() == Some(u.id.as_str())
                            || s.decided_by.as_deref() == Some(u.id.as_str())
                    });
                let reviewer = match &a.reviewer_id {
                    Some(id) => labels.person(conn, id)?,
                    None => String::new(),
                };
                out.push(AppealLine {
                    appellant: labels.person(conn, &a.user_id)?,
                    subject: subject
                        .map(|s| describe(s, &course, lang))
                        .unwrap_or_else(|| label(lang, &format!("gov_subject_{}", a.subject_type))),
                    subject_link: subject.and_then(subject_link),
                    grounds: lines(&a.grounds),
                    filed: dates::format_datetime(a.filed_at, lang),
                    respond_by: day(a.respond_by, lang),
                    overdue: open && now > a.respond_by,
                    status_label: label(lang, &format!("gov_appeal_status_{}", a.status)),
                    outcome_label: outcome_label(lang, a.outcome.as_deref()),
                    rationale: a.rationale.as_deref().map(lines).unwrap_or_default(),
                    decided: a
                        .decided_at
                        .map(|t| dates::format_datetime(t, lang))
                        .unwrap_or_default(),
                    open,
                    involved,
                    reviewer,
                    cohort,
                    id: a.id,
                    outcome: a.outcome,
                });
            }
            Ok((out, appealable))
        })
        .await?;
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("user", &user);
    page.ctx.insert("is_admin", &is_admin);
    if is_admin {
        let (open_appeals, closed_appeals): (Vec<AppealLine>, Vec<AppealLine>) =
            appeal_lines.into_iter().partition(|a| a.open);
        page.ctx.insert("open_appeals", &open_appeals);
        page.ctx.insert("closed_appeals", &closed_appeals);
    } else {
        page.ctx.insert("mine", &appeal_lines);
    }
    page.ctx.insert("appealable", &appealable);
    page.ctx.insert("error", &error);
    page.ctx.insert("echo", &echo);
    page.render(state, "governance/appeals.html", status)
}

/// Signed in: a trainee sees their appeals and a form to appeal a result, decision or
/// credential change of theirs; an admin sees open appeals with a decide form, and closed ones.
pub async fn appeals_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    render_appeals(
        &state,
        &req,
        user,
        None,
        AppealEcho::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    csrf: String,
    /// `<subject_type>:<subject_id>`, as the select list on the page offers.
    #[serde(default)]
    subject: String,
    #[serde(default)]
    grounds: String,
}

/// Files the signed-in person's appeal.
pub async fn file_appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<AppealForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    check_csrf(&req, &form.csrf)?;
    let f = form.into_inner();
    let (subject_type, subject_id) = f
        .subject
        .split_once(':')
        .map(|(t, id)| (t.to_string(), id.to_string()))
        .unwrap_or_default();
    let body = AppealRequest {
        subject_type,
        subject_id,
        grounds: f.grounds.clone(),
    };
    let u = user.clone();
    let result = state
        .db
        .run(move |conn| governance::file_appeal(conn, &u, &body))
        .await;
    match result {
        Ok(_) => Ok(see_other("/appeals?done=gov_appeal_filed")),
        Err(e) => match form_status(&e) {
            Some(status) => {
                let error = refusal(lang_of(&req), "file", &e);
                let echo = AppealEcho {
                    subject: f.subject,
                    grounds: f.grounds,
                    ..AppealEcho::default()
                };
                render_appeals(&state, &req, user, Some(error), echo, status).await
            }
            None => Err(PageError(e)),
        },
    }
}

#[derive(Deserialize)]
pub struct AppealDecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    rationale: String,
}

/// Records a reviewer's outcome of an appeal; the appellant is told by e-mail.
pub async fn decide_appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<AppealDecisionForm>,
) -> Result<HttpResponse, PageError> {
    let admin = page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let body = AppealDecision {
        outcome: f.outcome.clone(),
        rationale: f.rationale.clone(),
    };
    let (u, aid, issuer) = (admin.clone(), id.clone(), state.issuer.clone());
    let result = state
        .db
        .run(move |conn| governance::decide_appeal(conn, &issuer, &aid, &u, &body))
        .await;
    match result {
        Ok(_) => Ok(see_other("/appeals?done=gov_appeal_decided")),
        Err(e) => match form_status(&e) {
            Some(status) => {
                let error = refusal(lang_of(&req), "review", &e);
                let echo = AppealEcho {
                    id,
                    outcome: f.outcome,
                    rationale: f.rationale,
                    ..AppealEcho::default()
                };
                render_appeals(&state, &req, admin, Some(error), echo, status).await
            }
            None => Err(PageError(e)),
        },
    }
}
