//! The learning journey in the browser: dashboard, cohort page, reading, issuing from the
//! cohort page, and the admins' cohort list. Taking quizzes is in `quiz.rs`.

use crate::credentials::model::CredentialStatus;
use crate::http::ui::guard::{CsrfForm, NoFields, PageAdmin, PageTrainee, PageUser};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{lang_of, pick, see_other, strings, Page};
use crate::accounts::{model::Language, model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::credentials;
use crate::dates;
use crate::error::{escape_html, AppError, PageError};
use crate::http::AppState;
use crate::quizzes;

fn status_label(lang: Language, status: impl std::fmt::Display) -> String {
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
    status: CredentialStatus,
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
                    id: c.id.into(),
                    next_session: next,
                    progress,
                });
            }
            let mut creds = Vec::new();
            for cr in credentials::mine(conn, &issuer, &u)? {
                let renewal = if cr.status == CredentialStatus::Active {
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
                    status_label: status_label(lang, cr.status),
                    until: dates::format_date(cr.expires_at.date(), lang),
                    id: cr.id.into(),
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
}

/// A trainee joins with the code from the dashboard.
pub async fn join(
    state: web::Data<AppState>,
    PageTrainee(user): PageTrainee,
    form: CsrfForm<JoinForm>,
) -> Result<HttpResponse, PageError> {
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
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let id = path.into_inner();
    let (u, course, issuer) = (user.clone(), state.course.clone(), state.issuer.clone());
    let data = state
        .db
        .run(move |conn| {
            let cohort = cohorts::get_cohort(conn, &id, &u)?;
            let staff = u.role == Role::Admin || cohort.my_role == Some(MemberRole::Instructor);
            let sessions = cohorts::list_sessions(conn, &id)?;
            let marks: HashMap<crate::cohorts::model::SessionId, String> = if staff {
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
                                            && c.status.is_live()
                                    })
                                    .map(|c| c.id.to_string()),
                            })
                            .collect(),
                        user_id: r.user_id.into(),
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
            id: s.id.to_string(),
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
}

/// Staff publish the newest revision of a module or quiz from the cohort page.
pub async fn publish(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<PublishForm>,
) -> Result<HttpResponse, PageError> {
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
}

/// An admin issues a credential to an eligible trainee from the progress table.
pub async fn issue(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<IssueForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    let holder = crate::accounts::model::UserId::from(&f.user_id);
    state
        .db
        .run(move |conn| {
            let req = credentials::IssueRequest {
                cohort_id: &cid,
                user_id: &holder,
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
    #[serde(default)]
    scope: String,
}

/// Issues the scope's credential to every eligible trainee of the cohort who holds none yet.
pub async fn issue_all(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<IssueAllForm>,
) -> Result<HttpResponse, PageError> {
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
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, PageError> {
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

/// A form that carries only its CSRF token.
/// Marks a module as read.
pub async fn complete(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let (id, slug) = path.into_inner();
    let cid = id.clone();
    state
        .db
        .run(move |conn| crate::course::complete_module(conn, &cid, &slug, &user))
        .await?;
    Ok(see_other(&format!("/cohorts/{id}?done=module_read")))
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
            id: c.id.into(),
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
    PageAdmin(user): PageAdmin,
) -> Result<HttpResponse, PageError> {
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
}

/// Creates a cohort from the admin form.
pub async fn create_cohort(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    form: CsrfForm<CohortForm>,
) -> Result<HttpResponse, PageError> {
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
            let message = super::error_text(lang_of(&req), &e);
            render_admin_cohorts(&state, &req, user, Some(message)).await
        }
        Err(e) => Err(PageError(e)),
    }
}
