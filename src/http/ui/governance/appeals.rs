//! Pages: a trainee files and follows appeals; an admin reviews them.

use super::*;
use crate::governance::model::AppealStatus;
use crate::http::ui::guard::{CsrfForm, PageAdmin, PageUser};

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
                let mut appellants: Vec<&crate::accounts::model::UserId> =
                    all.iter().map(|a| &a.user_id).collect();
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
            let now = crate::util::now();
            let mut labels = Labels::new(lang);
            let mut closed_shown = 0;
            let mut out = Vec::new();
            for a in all {
                let open = a.appeal_status() == AppealStatus::Open;
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
                    Some(id) => labels.person(conn, &id.into())?,
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
                    id: a.id.into(),
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
    PageUser(user): PageUser,
) -> Result<HttpResponse, PageError> {
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
    PageUser(user): PageUser,
    form: CsrfForm<AppealForm>,
) -> Result<HttpResponse, PageError> {
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
    outcome: String,
    #[serde(default)]
    rationale: String,
}

/// Records a reviewer's outcome of an appeal; the appellant is told by e-mail.
pub async fn decide_appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::governance::model::AppealId>,
    form: CsrfForm<AppealDecisionForm>,
) -> Result<HttpResponse, PageError> {
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
                    id: id.into(),
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
