//! Pages: pending recommendations and decisions (admins), the recommend form (cohort staff).

use super::*;
use crate::governance::model::DecisionOutcome;
use crate::http::ui::guard::{CsrfForm, PageAdmin, PageUser};

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
    /// What the decider needs to see (pending recommendations only).
    evidence: Option<serde_json::Value>,
}

/// The evidence of a pending decision, labelled for the page.
fn evidence_view(
    conn: &mut DbConnection,
    course: &Course,
    lang: Language,
    d: &Decision,
) -> Result<serde_json::Value, AppError> {
    let e = governance::evidence(conn, course, &d.cohort_id, &d.user_id, &d.scope)?;
    let criteria: Vec<serde_json::Value> = e
        .criteria
        .iter()
        .map(|c| {
            // "Read: …" and "Pass: …": a module and its quiz share a title.
            let name = if let Some(p) = c.name.strip_prefix("attendance>=") {
                format!("{} ≥ {p}", label(lang, "gov_ev_attendance"))
            } else {
                let verb = if c.name.starts_with("module:") {
                    "checklist_read"
                } else {
                    "checklist_pass"
                };
                format!(
                    "{}: {}",
                    label(lang, verb),
                    credentials::step_title(course, &c.name, lang)
                )
            };
            serde_json::json!({"name": name, "met": c.met})
        })
        .collect();
    let results: Vec<serde_json::Value> = e
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "quiz": credentials::step_title(course, &format!("quiz:{}", r.quiz), lang),
                "percent": r.percent.map(|p| format!("{p:.0}%")).unwrap_or_else(|| "–".into()),
                "passed": r.passed,
                "attempts": r.attempts,
            })
        })
        .collect();
    let earlier: Vec<serde_json::Value> = e
        .earlier_credentials
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "number": c.number,
                "scope": credentials::scope_title(course, &c.scope, lang),
                "status": c.status,
                "status_label": label(lang, &format!("cred_status_{}", c.status)),
                "history": c.history.iter().map(|(at, action, reason)| serde_json::json!({
                    "at": dates::format_datetime(*at, lang), "action": action,
                    "reason": reason.clone().unwrap_or_default()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let warnings: Vec<String> = e
        .warnings
        .iter()
        .map(|w| label(lang, &format!("gov_warn_{w}")))
        .collect();
    Ok(serde_json::json!({
        "criteria": criteria,
        "results": results,
        "attendance": e.attendance_percent.map(|p| format!("{p:.0}%")).unwrap_or_else(|| "–".into()),
        "earlier": earlier,
        "open_appeals": e.open_appeals,
        "warnings": warnings,
    }))
}

fn decision_line(
    conn: &mut DbConnection,
    labels: &mut Labels,
    viewer: &User,
    course: &Course,
    d: Decision,
) -> Result<DecisionLine, AppError> {
    let lang = labels.lang;
    let (cohort, _) = labels.cohort(conn, &d.cohort_id, viewer)?;
    let decided_by = match &d.decided_by {
        Some(id) => labels.person(conn, &id.into())?,
        None => String::new(),
    };
    let evidence = if d.decided_at.is_none() {
        Some(evidence_view(conn, course, lang, &d)?)
    } else {
        None
    };
    let not_independent = d.recommended_by == viewer.id
        || cohorts::ever_taught(conn, &d.cohort_id, &viewer.id)?
        || governance::recommended(conn, &d.cohort_id, &d.user_id, &viewer.id)?;
    Ok(DecisionLine {
        evidence,
        not_independent,
        trainee: labels.person(conn, &d.user_id)?,
        recommended_by: labels.person(conn, &(&d.recommended_by).into())?,
        scope: credentials::scope_title(course, &d.scope, lang),
        recommendation: recorded_lines(lang, &d.recommendation),
        recommended: dates::format_datetime(d.recommended_at, lang),
        outcome_label: outcome_label(lang, d.outcome.as_deref()),
        rationale: d
            .rationale
            .as_deref()
            .map(|r| recorded_lines(lang, r))
            .unwrap_or_default(),
        decided: d
            .decided_at
            .map(|t| dates::format_datetime(t, lang))
            .unwrap_or_default(),
        decided_by,
        cohort,
        id: d.id.into(),
        cohort_id: d.cohort_id.into(),
        outcome: d.outcome,
        credential_id: d.credential_id.map(String::from),
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
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
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
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::governance::model::DecisionId>,
    form: CsrfForm<DecideForm>,
) -> Result<HttpResponse, PageError> {
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
            let done = if d.decision_outcome() == Some(DecisionOutcome::Grant) {
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
                    id: id.into(),
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
    cohort_id: crate::cohorts::model::CohortId,
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
            let trainees: Vec<Choice> =
                cohorts::roster(conn, &cid, course.programme.excused_absence)?
                    .into_iter()
                    .filter(|r| r.role == MemberRole::Trainee)
                    .map(|r| Choice {
                        // Name, office and e-mail: two trainees may share a name.
                        label: format!(
                            "{} · {} · {}",
                            match (&r.name_en, lang) {
                                (Some(en), Language::En) if !en.trim().is_empty() => en.clone(),
                                _ => r.name.clone(),
                            },
                            r.office_code,
                            r.email
                        ),
                        value: r.user_id.into(),
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
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
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
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<RecommendForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let body = RecommendRequest {
        user_id: f.user_id.clone().into(),
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
