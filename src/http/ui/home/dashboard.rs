//! The dashboard: a trainee's cohorts with progress and next session, credentials and renewal steps.

use crate::http::ui::pages::*;

#[derive(Serialize)]
pub(super) struct NextSession {
    title: String,
    when: String,
    venue: String,
}

#[derive(Serialize)]
pub(super) struct Progress {
    modules_done: usize,
    modules_total: usize,
    quizzes_open: usize,
    percent: usize,
    /// Training hours: (attended, scheduled so far, per cent), formatted.
    hours: Option<(String, String, String)>,
    /// A survey of the cohort the trainee has not answered yet: (slug, title).
    survey: Option<(String, String)>,
}

#[derive(Serialize)]
pub(super) struct CohortCard {
    id: String,
    name: String,
    dates: String,
    status_label: String,
    next_session: Option<NextSession>,
    progress: Option<Progress>,
}

#[derive(Serialize)]
pub(super) struct CredentialLine {
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
pub(super) struct RenewalLine {
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
    let excused_rule = state.course.programme.excused_absence;
    let (cards, creds) = state
        .db
        .run(move |conn| {
            let now = crate::util::now();
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
                    let time = cohorts::training_time(conn, &c.id)?;
                    let me = &u.id;
                    let hours = time.percent(me, excused_rule).map(|p| {
                        (
                            format!("{:.1}", time.attended_by(me) as f64 / 60.0),
                            format!("{:.1}", time.scheduled_for(me, excused_rule) as f64 / 60.0),
                            format!("{p:.0}"),
                        )
                    });
                    let survey = crate::evaluation::cohort_surveys(conn, &course, &c.id, &u, lang)?
                        .into_iter()
                        .find(|s| !s.responded)
                        .map(|s| (s.slug, s.title));
                    Some(Progress {
                        hours,
                        survey,
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
