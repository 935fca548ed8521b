//! The learning journey in the browser: dashboard, cohort page, reading, quizzes, results.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{check_csrf, lang_of, page_user, pick, see_other, strings, Page};
use crate::accounts::{model::Language, model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::credentials;
use crate::dates;
use crate::error::{escape_html, AppError, PageError};
use crate::http::AppState;
use crate::quizzes;

fn status_label(lang: Language, status: &str) -> String {
    strings(lang)
        .get(&format!("status_{status}"))
        .cloned()
        .unwrap_or_else(|| status.to_string())
}

fn date_range(lang: Language, from: &str, to: &str) -> String {
    let f = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| dates::format_date(d, lang))
            .unwrap_or_else(|_| s.to_string())
    };
    format!("{} – {}", f(from), f(to))
}

#[derive(Serialize)]
struct NextSession {
    title: String,
    when: String,
    venue: String,
}

#[derive(Serialize)]
struct Progress {
    modules_done: usize,
    modules_total: usize,
    quizzes_open: usize,
    percent: usize,
}

#[derive(Serialize)]
struct CohortCard {
    id: String,
    name: String,
    dates: String,
    status_label: String,
    next_session: Option<NextSession>,
    progress: Option<Progress>,
}

#[derive(Serialize)]
struct CredentialLine {
    id: String,
    number: String,
    scope: String,
    status: String,
    status_label: String,
    until: String,
    renewal: Option<RenewalLine>,
}

/// Where the holder stands on the scheme's renewal path (shown once the window is near).
#[derive(Serialize)]
struct RenewalLine {
    opens: String,
    open: bool,
    ready: bool,
    steps: Vec<(String, bool)>,
}

/// The signed-in dashboard: cohorts with the next session and progress, credentials.
pub async fn dashboard(
    state: &AppState,
    req: &HttpRequest,
    user: User,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let t = strings(lang);
    let (u, issuer, course) = (user.clone(), state.issuer.clone(), state.course.clone());
    let (cards, creds) = state
        .db
        .run(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let mut cards = Vec::new();
            for c in cohorts::list_cohorts(conn, &u)? {
                let next = cohorts::list_sessions(conn, &c.id)?
                    .into_iter()
                    .find(|s| s.ends_at >= now)
                    .map(|s| NextSession {
                        title: pick(lang, &s.title_th, &s.title_en),
                        when: dates::format_datetime(s.starts_at, lang),
                        venue: s.venue,
                    });
                let progress = if c.my_role == Some(MemberRole::Trainee) {
                    let modules = crate::course::cohort_modules(conn, &c.id, &u, lang)?;
                    let done = modules.iter().filter(|m| m.completed).count();
                    // Quizzes the trainee can take now: not passed yet, and not locked behind
                    // prerequisites (the final exam before modules 1–5 are done).
                    let mut quizzes_open = 0;
                    for q in quizzes::cohort_quizzes(conn, &c.id, &u, lang)? {
                        let passed = quizzes::store::attempts_of(conn, &c.id, &q.slug, &u.id)?
                            .iter()
                            .any(|a| a.passed == Some(true));
                        if !passed
                            && quizzes::quiz_checklist(conn, &c.id, &q.slug, &u, lang)?
                                .iter()
                                .all(|i| i.met)
                        {
                            quizzes_open += 1;
                        }
                    }
                    Some(Progress {
                        modules_done: done,
                        modules_total: modules.len(),
                        quizzes_open,
                        percent: if modules.is_empty() {
                            0
                        } else {
                            done * 100 / modules.len()
                        },
                    })
                } else {
                    None
                };
                cards.push(CohortCard {
                    name: pick(lang, &c.name_th, &c.name_en),
                    dates: date_range(lang, &c.starts_on, &c.ends_on),
                    status_label: status_label(lang, c.status.as_str()),
                    id: c.id,
                    next_session: next,
                    progress,
                });
            }
            let mut creds = Vec::new();
            for cr in credentials::mine(conn, &issuer, &u)? {
                let renewal = if cr.status == "active" {
                    let rc = credentials::recertification_for(conn, &course, &cr.id, &u)?;
                    // Shown from three months before the window opens.
                    let near = now + chrono::Duration::days(90) >= rc.window_opens_at;
                    (rc.defined && near).then(|| RenewalLine {
                        opens: dates::format_date(rc.window_opens_at.date(), lang),
                        open: rc.open,
                        ready: rc.ready,
                        steps: rc
                            .criteria
                            .iter()
                            .filter(|c| c.name != "window_open")
                            .map(|c| (credentials::step_title(&course, &c.name, lang), c.met))
                            .collect(),
                    })
                } else {
                    None
                };
                creds.push(CredentialLine {
                    scope: credentials::scope_title(&course, &cr.scope, lang),
                    status_label: status_label(lang, &cr.status),
                    until: dates::format_date(cr.expires_at.date(), lang),
                    id: cr.id,
                    number: cr.number,
                    status: cr.status,
                    renewal,
                });
            }
            Ok((cards, creds))
        })
        .await?;
    let office = crate::offices::find(&user.office_code)
        .map(|o| pick(lang, &o.name_th, &o.name_en))
        .unwrap_or_default();
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx
        .insert("role_label", &t.get(&format!("role_{}", user.role)));
    page.ctx.insert("office_name", &office);
    page.ctx.insert("cohorts", &cards);
    page.ctx.insert("credentials", &creds);
    page.ctx.insert("user", &user);
    page.render(state, "home/dashboard.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct JoinForm {
    join_code: String,
    csrf: String,
}

/// A trainee joins with the code from the dashboard.
pub async fn join(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<JoinForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Trainee)).await?;
    check_csrf(&req, &form.csrf)?;
    let code = form.into_inner().join_code;
    let m = state
        .db
        .run(move |conn| cohorts::join(conn, &code, &user))
        .await?;
    Ok(see_other(&format!("/cohorts/{}?done=joined", m.cohort_id)))
}

#[derive(Serialize)]
struct SessionLine {
    id: String,
    title: String,
    when: String,
    venue: String,
    meeting_url: Option<String>,
    mode_label: String,
    mark: Option<String>,
}

#[derive(Serialize)]
struct EligibilityCell {
    scope: String,
    eligible: bool,
    holding: Option<String>,
}

#[derive(Serialize)]
struct ProgressRow {
    user_id: String,
    name: String,
    office: String,
    modules_done: usize,
    quizzes_passed: usize,
    attendance: String,
    eligibility: Vec<EligibilityCell>,
}

/// A small bar chart of each trainee's modules read, as inline SVG (no script).
fn progress_chart(rows: &[ProgressRow], total: usize, label: &str) -> String {
    if rows.is_empty() || total == 0 {
        return String::new();
    }
    let h = 18 * rows.len() + 10;
    let mut svg = format!("<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 360 {h}\" width=\"360\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">", escape_html(label));
    for (i, r) in rows.iter().enumerate() {
        let y = 5 + i * 18;
        let w = 200 * r.modules_done / total;
        let name: String = r.name.chars().take(22).collect();
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><rect x=\"150\" y=\"{y}\" width=\"200\" height=\"12\" fill=\"#e3e7ec\"/><rect x=\"150\" y=\"{y}\" width=\"{w}\" height=\"12\" fill=\"#1e6b34\"/>",
            y + 10,
            escape_html(&name)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The cohort page: sessions, modules, quizzes; for staff also progress and eligibility.
pub async fn cohort_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    let lang = lang_of(&req);
    let id = path.into_inner();
    let (u, course, issuer) = (user.clone(), state.course.clone(), state.issuer.clone());
    let data = state
        .db
        .run(move |conn| {
            let cohort = cohorts::get_cohort(conn, &id, &u)?;
            let staff = u.role == Role::Admin || cohort.my_role == Some(MemberRole::Instructor);
            let sessions = cohorts::list_sessions(conn, &id)?;
            let marks: HashMap<String, String> = if staff {
                HashMap::new()
            } else {
                cohorts::store::list_attendance_of_cohort(conn, &id)?
                    .into_iter()
                    .filter(|a| a.user_id == u.id)
                    .map(|a| (a.session_id, a.status))
                    .collect()
            };
            let modules = crate::course::cohort_modules(conn, &id, &u, lang)?;
            let quiz_list = quizzes::cohort_quizzes(conn, &id, &u, lang)?;
            let results = quizzes::cohort_results(conn, &id)?;
            let mut progress = Vec::new();
            if staff {
                let roster = cohorts::roster(conn, &id)?;
                let done = crate::course::completions(conn, &id)?;
                let elig = credentials::eligibility(conn, &id, &course, None)?;
                let creds = credentials::of_cohort(conn, &issuer, &id)?;
                for r in roster.into_iter().filter(|r| r.role == MemberRole::Trainee) {
                    progress.push(ProgressRow {
                        modules_done: done.iter().filter(|(uid, _)| *uid == r.user_id).count(),
                        quizzes_passed: results
                            .iter()
                            .filter(|q| q.user_id == r.user_id && q.passed)
                            .count(),
                        attendance: r
                            .attendance_percent
                            .map(|p| format!("{p:.0}%"))
                            .unwrap_or_else(|| "–".into()),
                        office: crate::offices::find(&r.office_code)
                            .map(|o| pick(lang, &o.province_th, &o.province_en))
                            .unwrap_or(r.office_code.clone()),
                        eligibility: elig
                            .iter()
                            .filter(|e| e.user_id == r.user_id)
                            .map(|e| EligibilityCell {
                                scope: e.scope.clone(),
                                eligible: e.eligible,
                                holding: creds
                                    .iter()
                                    .find(|c| {
                                        c.user_id == r.user_id
                                            && c.scope == e.scope
                                            && (c.status == "active" || c.status == "suspended")
                                    })
                                    .map(|c| c.id.clone()),
                            })
                            .collect(),
                        user_id: r.user_id,
                        name: r.name,
                    });
                }
            }
            Ok((
                cohort, staff, sessions, marks, modules, quiz_list, results, progress,
            ))
        })
        .await?;
    let (cohort, staff, sessions, marks, modules, quiz_list, results, progress) = data;
    let t = strings(lang);
    let session_lines: Vec<SessionLine> = sessions
        .into_iter()
        .map(|s| SessionLine {
            id: s.id.clone(),
            title: pick(lang, &s.title_th, &s.title_en),
            when: format!(
                "{} – {}",
                dates::format_datetime(s.starts_at, lang),
                dates::format_datetime(s.ends_at, lang)
                    .rsplit(' ')
                    .next()
                    .unwrap_or("")
            ),
            venue: s.venue,
            meeting_url: s.meeting_url,
            mode_label: t
                .get(&format!("mode_{}", s.mode.as_str()))
                .cloned()
                .unwrap_or_default(),
            mark: marks.get(&s.id).map(|m| status_label(lang, m)),
        })
        .collect();
    let quizzes_view: Vec<Value> = quiz_list
        .iter()
        .map(|q| {
            let r = results.iter().find(|r| r.user_id == user.id && r.quiz_slug == q.slug);
            json!({"slug": q.slug, "title": q.title, "questions": q.questions, "time_limit_s": q.time_limit_s, "minutes": q.time_limit_s / 60,
                   "pass_percent": q.pass_percent, "published": q.published,
                   "result": r.map(|r| json!({"percent": format!("{:.0}", r.percent), "passed": r.passed}))})
        })
        .collect();
    let chart = progress_chart(
        &progress,
        modules.len(),
        t.get("progress").map(String::as_str).unwrap_or(""),
    );
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert(
        "cohort",
        &json!({"id": cohort.id, "name": pick(lang, &cohort.name_th, &cohort.name_en), "dates": date_range(lang, &cohort.starts_on, &cohort.ends_on),
                "status_label": status_label(lang, cohort.status.as_str()), "join_code": cohort.join_code, "calendar_path": cohort.calendar_path}),
    );
    page.ctx.insert("staff", &staff);
    page.ctx.insert("is_admin", &(user.role == Role::Admin));
    let scopes: Vec<Value> = state
        .course
        .programme
        .scopes
        .iter()
        .map(|s| json!({"id": s.id, "title": credentials::scope_title(&state.course, &s.id, lang)}))
        .collect();
    page.ctx.insert("scopes", &scopes);
    page.ctx.insert("sessions", &session_lines);
    page.ctx.insert("modules", &modules);
    page.ctx.insert("quizzes", &quizzes_view);
    page.ctx.insert("progress", &progress);
    page.ctx.insert("chart", &chart);
    page.ctx.insert("user", &user);
    page.render(&state, "cohorts/page.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct PublishForm {
    kind: String,
    slug: String,
    csrf: String,
}

/// Staff publish the newest revision of a module or quiz from the cohort page.
pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<PublishForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let cid = id.clone();
    state
        .db
        .run(move |conn| match f.kind.as_str() {
            "module" => crate::course::publish_module(conn, &cid, &f.slug, &user).map(|_| ()),
            "quiz" => quizzes::publish_quiz(conn, &cid, &f.slug, &user, None, None).map(|_| ()),
            _ => Err(AppError::invalid("kind must be module or quiz")),
        })
        .await?;
    Ok(see_other(&format!("/cohorts/{id}?done=published_ok")))
}

#[derive(Deserialize)]
pub struct IssueForm {
    user_id: String,
    scope: String,
    csrf: String,
}

/// An admin issues a credential to an eligible trainee from the progress table.
pub async fn issue(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<IssueForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    state
        .db
        .run(move |conn| {
            let req = credentials::IssueRequest {
                cohort_id: &cid,
                user_id: &f.user_id,
                scope: &f.scope,
                override_reason: None,
                renews_id: None,
                decision_id: None,
            };
            credentials::issue(conn, &issuer, &course, &user, &req)
        })
        .await?;
    Ok(see_other(&format!("/cohorts/{id}?done=issued_ok")))
}

#[derive(Deserialize)]
pub struct IssueAllForm {
    csrf: String,
    #[serde(default)]
    scope: String,
}

/// Issues the scope's credential to every eligible trainee of the cohort who holds none yet.
pub async fn issue_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<IssueAllForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let scope = form.into_inner().scope;
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    let report = state
        .db
        .run(move |conn| {
            credentials::issue_all_eligible(conn, &issuer, &course, &user, &cid, &scope)
        })
        .await?;
    let n = report.get("issued").map_or(0, Vec::len);
    Ok(see_other(&format!("/cohorts/{id}?done=issued_all&n={n}")))
}

/// Reading a module.
pub async fn module_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (u, cid) = (user.clone(), id.clone());
    let (module, trainee) = state
        .db
        .run(move |conn| {
            let (_, role) = cohorts::authorize(conn, &cid, &u, Access::Member)?;
            Ok((
                crate::course::module_for(conn, &cid, &slug, &u, lang)?,
                role == Some(MemberRole::Trainee),
            ))
        })
        .await?;
    let mut page = Page::new(&req);
    page.ctx.insert("module", &module);
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("trainee", &trainee);
    page.ctx.insert("user", &user);
    page.render(&state, "cohorts/module.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Marks a module as read.
pub async fn complete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    check_csrf(&req, &form.csrf)?;
    let (id, slug) = path.into_inner();
    let cid = id.clone();
    state
        .db
        .run(move |conn| crate::course::complete_module(conn, &cid, &slug, &user))
        .await?;
    Ok(see_other(&format!("/cohorts/{id}?done=module_read")))
}

/// A quiz's start page: settings and earlier attempts.
pub async fn quiz_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let who = super::page_signed_in(&req)?;
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (cid, s) = (id.clone(), slug.clone());
    // The account check and the page's reads share one pooled connection.
    let (user, quiz, attempts, checklist) = state
        .db
        .read(move |conn| {
            let u = who.user(conn)?;
            let q = quizzes::cohort_quizzes(conn, &cid, &u, lang)?
                .into_iter()
                .find(|q| q.slug == s && q.published)
                .ok_or(AppError::NotFound)?;
            let a = quizzes::store::attempts_of(conn, &cid, &s, &u.id)?;
            let c = quizzes::quiz_checklist(conn, &cid, &s, &u, lang)?;
            Ok((u, q, a, c))
        })
        .await?;
    let mut page = Page::new(&req);
    // An attempt already open may always be resumed; a new one needs the prerequisites.
    let open = attempts.iter().any(|a| a.state == "open");
    page.ctx
        .insert("ready", &(open || checklist.iter().all(|i| i.met)));
    page.ctx.insert("checklist", &checklist);
    page.ctx.insert("title", &quiz.title);
    page.ctx.insert("minutes", &(quiz.time_limit_s / 60));
    page.ctx.insert("quiz", &quiz);
    page.ctx.insert(
        "attempts",
        &attempts
            .iter()
            .map(|a| {
                // The state in words ("in progress", "submitted"), never the internal code.
                let state = strings(lang)
                    .get(&format!("attempt_state_{}", a.state))
                    .cloned()
                    .unwrap_or_default();
                json!({"id": a.id, "no": a.attempt_no, "state": state, "percent": a.percent.map(|p| format!("{p:.0}"))})
            })
            .collect::<Vec<_>>(),
    );
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("slug", &slug);
    page.ctx.insert("user", &user);
    page.render(&state, "quizzes/start.html", StatusCode::OK)
}

/// Starts (or resumes) an attempt and opens it.
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    check_csrf(&req, &form.csrf)?;
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (started, _) = state
        .db
        .run(move |conn| quizzes::start_attempt(conn, &id, &slug, &user, lang))
        .await?;
    Ok(see_other(&format!("/attempts/{}", started.attempt_id)))
}

fn chosen_of(answer: Option<&Value>) -> Vec<String> {
    match answer {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        _ => vec![],
    }
}

/// The text of a shown option or item of a question, or the id when it is not among them.
fn shown_text(q: Option<&quizzes::engine::QuestionView>, id: &str) -> String {
    q.and_then(|q| q.options.iter().chain(q.items.iter()).find(|o| o.id == id))
        .map(|o| o.text.clone())
        .unwrap_or_else(|| id.to_string())
}

/// An answer (the trainee's or the key) as a person reads it, in the attempt's shown texts.
fn answer_text(
    q: Option<&quizzes::engine::QuestionView>,
    answer: &Value,
    lang: Language,
) -> String {
    match answer {
        Value::String(s) if q.is_some_and(|q| q.kind == "short_text" || q.kind == "numeric") => {
            s.clone()
        }
        Value::String(s) => shown_text(q, s),
        Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| shown_text(q, s))
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) if m.contains_key("tolerance") => {
            format!("{} (± {})", m["answer"], m["tolerance"])
        }
        Value::Object(m) => m
            .iter()
            .map(|(l, r)| {
                format!(
                    "{} → {}",
                    shown_text(q, l),
                    r.as_str().map(|r| shown_text(q, r)).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Bool(b) => strings(lang)
            .get(if *b { "true_label" } else { "false_label" })
            .cloned()
            .unwrap_or_default(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
    }
}

/// Whether a saved answer counts as given (an empty selection or matching does not).
fn answered(answer: Option<&Value>) -> bool {
    match answer {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// What is left for a trainee in a cohort, in programme order: published modules not read,
/// then published quizzes not passed (renewal-only items left out). Each is `(label, href)`.
fn remaining_work(
    conn: &mut crate::db::DbConnection,
    course: &crate::course::model::Course,
    cohort_id: &str,
    user: &User,
    lang: Language,
) -> Result<Vec<(String, String, &'static str)>, AppError> {
    let mut out = Vec::new();
    for m in crate::course::cohort_modules(conn, cohort_id, user, lang)? {
        if m.published && !m.completed && !course.is_renewal_only(&m.slug) {
            out.push((
                m.title,
                format!("/cohorts/{cohort_id}/modules/{}", m.slug),
                "module",
            ));
        }
    }
    let mut quizzes_left = Vec::new();
    for q in quizzes::cohort_quizzes(conn, cohort_id, user, lang)? {
        if !q.published || course.is_renewal_only(&q.slug) {
            continue;
        }
        let passed = quizzes::store::attempts_of(conn, cohort_id, &q.slug, &user.id)?
            .iter()
            .any(|a| a.passed == Some(true));
        if !passed {
            // Module quizzes in module order, quizzes of no module (the final exam) last.
            let order = q
                .module
                .as_ref()
                .and_then(|m| course.modules.iter().find(|x| &x.slug == m))
                .map_or(u32::MAX, |m| m.position);
            quizzes_left.push((
                order,
                (
                    q.title,
                    format!("/cohorts/{cohort_id}/quizzes/{}", q.slug),
                    "quiz",
                ),
            ));
        }
    }
    quizzes_left.sort_by_key(|(o, _)| *o);
    out.extend(quizzes_left.into_iter().map(|(_, x)| x));
    Ok(out)
}

/// An attempt: the questions while open, the result (and review when allowed) after.
pub async fn attempt_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    let lang = lang_of(&req);
    let id = path.into_inner();
    let u = user.clone();
    let course = state.course.clone();
    let (view, title, attempts_left, remaining) = state
        .db
        .run(move |conn| {
            let v = quizzes::get_attempt(conn, &id, &u, lang)?;
            let title = quizzes::cohort_quizzes(conn, &v.cohort_id, &u, lang)
                .ok()
                .and_then(|l| l.into_iter().find(|q| q.slug == v.quiz_slug))
                .map(|q| (q.title, q.attempts_allowed))
                .unwrap_or((v.quiz_slug.clone(), 1));
            let used = quizzes::store::attempts_of(conn, &v.cohort_id, &v.quiz_slug, &v.user_id)?
                .len() as u32;
            let remaining = if v.user_id == u.id && v.state != "open" {
                remaining_work(conn, &course, &v.cohort_id, &u, lang)?
            } else {
                Vec::new()
            };
            Ok((v, title.0, title.1 > used, remaining))
        })
        .await?;
    let mut page = Page::new(&req);
    page.ctx.insert("title", &title);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &view.cohort_id);
    page.ctx.insert("slug", &view.quiz_slug);
    if view.state == "open" && view.user_id == user.id {
        let questions: Vec<Value> = view
            .questions
            .iter()
            .map(|q| {
                let a = view.answers.get(&q.id);
                let text = match a {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                let pairs = a.and_then(Value::as_object);
                // Each left item carries the right id chosen for it ("" when none yet).
                let items: Vec<Value> = q
                    .items
                    .iter()
                    .map(|i| {
                        let chosen = pairs
                            .and_then(|p| p.get(&i.id))
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        json!({"id": i.id, "text": i.text, "chosen": chosen})
                    })
                    .collect();
                let mut v = serde_json::to_value(q).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("chosen".into(), json!(chosen_of(a)));
                    o.insert("text".into(), json!(text));
                    o.insert("items".into(), Value::Array(items));
                }
                v
            })
            .collect();
        page.ctx.insert("attempt_id", &view.id);
        page.ctx.insert("questions", &questions);
        page.ctx
            .insert("deadline", &view.deadline.and_utc().to_rfc3339());
        page.ctx.insert(
            "deadline_local",
            &dates::format_datetime(view.deadline, lang),
        );
        return page.render(&state, "quizzes/take.html", StatusCode::OK);
    }
    let review: Option<Vec<Value>> = view.review.as_ref().map(|items| {
        items
            .iter()
            .map(|r| {
                let q = view.questions.iter().find(|q| q.id == r.question_id);
                let given = view.answers.get(&r.question_id);
                json!({
                    "prompt": q.map(|q| q.prompt.clone()).unwrap_or_default(),
                    "points": format!("{:.2}", r.points),
                    "max_points": r.max_points,
                    "full": r.points + 1e-9 >= f64::from(r.max_points),
                    "given": given.filter(|a| answered(Some(a))).map(|a| answer_text(q, a, lang)),
                    "answer": answer_text(q, &r.correct_answer, lang),
                    "feedback": r.feedback,
                })
            })
            .collect()
    });
    page.ctx.insert("result", &view.result.as_ref().map(|r| json!({"percent": format!("{:.0}", r.percent), "passed": r.passed, "score": format!("{:.2}", r.score), "max_score": r.max_score})));
    page.ctx.insert("review", &review);
    let own = view.user_id == user.id;
    let passed = view.result.as_ref().is_some_and(|r| r.passed);
    let t = strings(lang);
    let label = |k: &str| t.get(k).cloned().unwrap_or_default();
    let next_step = if !own || view.result.is_none() {
        None
    } else if !passed && attempts_left {
        Some(json!({"label": label("next_retry_later"),
                    "href": format!("/cohorts/{}/quizzes/{}", view.cohort_id, view.quiz_slug)}))
    } else if !passed {
        Some(json!({"label": label("next_no_attempts"), "href": "/appeals"}))
    } else if let Some((title, href, kind)) = remaining.first() {
        let what = label(if *kind == "module" {
            "next_read_module"
        } else {
            "next_take_quiz"
        });
        Some(json!({"label": format!("{what}: {title}"), "href": href}))
    } else {
        Some(json!({"label": label("next_all_done"), "href": null}))
    };
    page.ctx.insert("next_step", &next_step);
    page.ctx.insert(
        "remaining",
        &remaining
            .iter()
            .map(|(l, h, _)| json!({"label": l, "href": h}))
            .collect::<Vec<_>>(),
    );
    page.ctx
        .insert("can_retry", &(own && attempts_left && !passed));
    page.render(&state, "quizzes/result.html", StatusCode::OK)
}

/// Submits from the page: saves whatever the form carries (for browsers without script).
/// The page's submit button asks for the summary first (`review=1`): it names the questions
/// still unanswered and submits only when the trainee confirms; the countdown's automatic
/// submit at the deadline goes straight through. A late submit still shows the result.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    let lang = lang_of(&req);
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    check_csrf(&req, &field("csrf"))?;
    let summary_first = field("review") == "1";
    let id = path.into_inner();
    let aid = id.clone();
    let u = user.clone();
    let summary = state
        .db
        .run(move |conn| {
            let view = quizzes::get_attempt(conn, &aid, &u, lang)?;
            if view.state == "open" {
                for q in &view.questions {
                    let key = format!("q:{}", q.id);
                    let values: Vec<&String> = fields
                        .iter()
                        .filter(|(k, _)| *k == key)
                        .map(|(_, v)| v)
                        .collect();
                    let answer = match q.kind {
                        "single" | "short_text" | "numeric" => {
                            values.first().filter(|v| !v.is_empty()).map(|v| json!(v))
                        }
                        "multiple" => (!values.is_empty()).then(|| json!(values)),
                        "true_false" => values.first().map(|v| json!(v.as_str() == "true")),
                        "matching" => {
                            let prefix = format!("q:{}:", q.id);
                            let m: serde_json::Map<String, Value> = fields
                                .iter()
                                .filter_map(|(k, v)| {
                                    k.strip_prefix(&prefix)
                                        .filter(|_| !v.is_empty())
                                        .map(|l| (l.to_string(), json!(v)))
                                })
                                .collect();
                            (!m.is_empty()).then_some(Value::Object(m))
                        }
                        _ => None,
                    };
                    if let Some(a) = answer {
                        // A refused answer (wrong shape, or time is up) does not stop the submit.
                        let _ = quizzes::save_answer(conn, &aid, &q.id, &u, &a);
                    }
                }
                if summary_first
                    && view.user_id == u.id
                    && view.deadline > chrono::Utc::now().naive_utc()
                {
                    let view = quizzes::get_attempt(conn, &aid, &u, lang)?;
                    let title = quizzes::cohort_quizzes(conn, &view.cohort_id, &u, lang)?
                        .into_iter()
                        .find(|q| q.slug == view.quiz_slug)
                        .map_or_else(|| view.quiz_slug.clone(), |q| q.title);
                    return Ok(Some((view, title)));
                }
            }
            match quizzes::submit(conn, &aid, &u) {
                Ok(_) | Err(AppError::Conflict { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let Some((view, title)) = summary else {
        return Ok(see_other(&format!("/attempts/{id}")));
    };
    let questions: Vec<Value> = view
        .questions
        .iter()
        .map(|q| {
            let mut prompt: String = q.prompt.chars().take(90).collect();
            if prompt.len() < q.prompt.len() {
                prompt.push('…');
            }
            json!({"prompt": prompt, "answered": answered(view.answers.get(&q.id))})
        })
        .collect();
    let unanswered = questions.iter().filter(|q| q["answered"] == false).count();
    let mut page = Page::new(&req);
    page.ctx.insert("title", &title);
    page.ctx.insert("user", &user);
    page.ctx.insert("attempt_id", &view.id);
    page.ctx.insert("questions", &questions);
    page.ctx.insert("unanswered", &unanswered);
    page.ctx.insert(
        "deadline_local",
        &dates::format_datetime(view.deadline, lang),
    );
    page.render(&state, "quizzes/summary.html", StatusCode::OK)
}

/// The quiz page's script (autosave with retry, countdown).
pub async fn quiz_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/quiz.js"))
}

/// Progress feedback for long form actions (every page loads it).
pub async fn forms_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/forms.js"))
}

#[derive(Serialize)]
struct CohortLine {
    id: String,
    name: String,
    dates: String,
    status_label: String,
    trainees: i32,
    capacity: i32,
    join_code: String,
}

async fn render_admin_cohorts(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let u = user.clone();
    let list = state
        .db
        .run(move |conn| cohorts::list_cohorts(conn, &u))
        .await?;
    let lines: Vec<CohortLine> = list
        .into_iter()
        .map(|c| CohortLine {
            name: pick(lang, &c.name_th, &c.name_en),
            dates: date_range(lang, &c.starts_on, &c.ends_on),
            status_label: status_label(lang, c.status.as_str()),
            trainees: c.trainee_count,
            capacity: c.capacity,
            join_code: c.join_code.unwrap_or_default(),
            id: c.id,
        })
        .collect();
    let mut page = Page::new(req);
    page.ctx.insert("cohorts", &lines);
    page.ctx.insert("error", &error);
    page.ctx.insert("user", &user);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render(state, "admin/cohorts.html", status)
}

/// Admins: every cohort and a form for a new one.
pub async fn admin_cohorts(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Admin)).await?;
    render_admin_cohorts(&state, &req, user, None).await
}

#[derive(Deserialize)]
pub struct CohortForm {
    generation: String,
    starts_on: String,
    ends_on: String,
    capacity: String,
    name_th: Option<String>,
    name_en: Option<String>,
    csrf: String,
}

/// Creates a cohort from the admin form.
pub async fn create_cohort(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CohortForm>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, Some(Role::Admin)).await?;
    check_csrf(&req, &form.csrf)?;
    let f = form.into_inner();
    // Dates typed or picked, in either era (officers think in พ.ศ.: 2570 is 2027).
    let (starts_on, ends_on) = match (
        dates::parse_date_input(&f.starts_on),
        dates::parse_date_input(&f.ends_on),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => {
            return render_admin_cohorts(&state, &req, user, Some(m)).await;
        }
    };
    let (Ok(generation), Ok(capacity)) = (
        f.generation.trim().parse::<i32>(),
        f.capacity.trim().parse::<i32>(),
    ) else {
        return render_admin_cohorts(
            &state,
            &req,
            user,
            Some("generation, capacity and both dates are required".into()),
        )
        .await;
    };
    let new = cohorts::NewCohort {
        programme_id: state.course.programme.id.clone(),
        generation,
        fiscal_year: None,
        name_th: f
            .name_th
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string()),
        name_en: f
            .name_en
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string()),
        starts_on,
        ends_on,
        capacity,
        status: cohorts::model::CohortStatus::Open,
        enrol_opens_at: None,
        enrol_closes_at: None,
    };
    match state
        .db
        .run(move |conn| cohorts::create_cohort(conn, &new))
        .await
    {
        Ok(c) => Ok(see_other(&format!("/cohorts/{}?done=cohort_created", c.id))),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            render_admin_cohorts(&state, &req, user, Some(e.to_string())).await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Quiz statistics for staff: distribution chart, reliability, facility and discrimination.
pub async fn analytics_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let user = page_user(&req, None).await?;
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (u, cid, s) = (user.clone(), id.clone(), slug.clone());
    let (stats, title) = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &u, Access::Staff)?;
            let title = quizzes::cohort_quizzes(conn, &cid, &u, lang)?
                .into_iter()
                .find(|q| q.slug == s)
                .map(|q| q.title)
                .ok_or(AppError::NotFound)?;
            Ok((quizzes::cohort_analytics(conn, &cid, &s)?.0, title))
        })
        .await?;
    let t = strings(lang);
    let rows: Vec<Value> = stats
        .questions
        .iter()
        .map(|q| json!({"id": q.question_id, "responses": q.responses, "facility": format!("{:.2}", q.facility),
                        "discrimination": q.discrimination.map(|d| format!("{d:.2}")).unwrap_or_else(|| "–".into()), "flags": q.flags}))
        .collect();
    let mut page = Page::new(&req);
    page.ctx.insert(
        "chart",
        &quizzes::analytics::distribution_svg(
            &stats,
            t.get("score_distribution")
                .map(String::as_str)
                .unwrap_or(""),
        ),
    );
    page.ctx
        .insert("mean", &format!("{:.1}", stats.mean_percent));
    page.ctx.insert(
        "alpha",
        &stats
            .cronbach_alpha
            .map(|a| format!("{a:.2}"))
            .unwrap_or_else(|| "–".into()),
    );
    page.ctx.insert("stats", &stats);
    page.ctx.insert("rows", &rows);
    page.ctx.insert("title", &title);
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("slug", &slug);
    page.ctx.insert("user", &user);
    page.render(&state, "quizzes/analytics.html", StatusCode::OK)
}
