//! The cohort page (sessions, modules, quizzes, progress, eligibility), joining with a code, publishing, and the admins' cohort list and form.

pub mod members;
pub mod sessions;

use crate::http::ui::pages::*;

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
pub(super) struct SessionLine {
    id: String,
    title: String,
    when: String,
    venue: String,
    meeting_url: Option<String>,
    mode_label: String,
    mark: Option<String>,
}

#[derive(Serialize)]
pub(super) struct EligibilityCell {
    scope: String,
    /// The scope in words (never its id on a page).
    label: String,
    eligible: bool,
    holding: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ProgressRow {
    user_id: String,
    name: String,
    office: String,
    email: String,
    modules_done: usize,
    quizzes_passed: usize,
    attendance: String,
    eligibility: Vec<EligibilityCell>,
}

/// A small bar chart of each trainee's modules read, as inline SVG (no script).
pub(super) fn progress_chart(rows: &[ProgressRow], total: usize, label: &str) -> String {
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

/// A trainee's scopes, each with the criteria still unmet as links to the module or quiz that
/// meets them (issue 22, point 2): the attendance rule with the trainee's share so far, the
/// observed assessment, and once all are met, that the credential waits for an admin.
fn what_is_left(
    state: &AppState,
    lang: Language,
    cohort: &crate::cohorts::model::CohortId,
    mine: &[credentials::Eligibility],
    modules: &[crate::course::ModuleListItem],
    quizzes: &[crate::quizzes::QuizListItem],
) -> Vec<Value> {
    let t = strings(lang);
    let say = |k: &str| t.get(k).cloned().unwrap_or_default();
    let course = &state.course;
    // What an earlier scope already lists is not listed again (on a phone the service scope
    // repeated all thirteen items of the product scope): one line points back to it.
    let mut listed: Vec<(String, Value)> = Vec::new();
    mine.iter()
        .map(|e| {
            let all: Vec<Value> = e
                .criteria
                .iter()
                .filter(|c| !c.met)
                .map(|c| {
                    if let Some(slug) = c.name.strip_prefix("module:") {
                        let title = modules
                            .iter()
                            .find(|m| m.slug == slug)
                            .map(|m| m.title.clone())
                            .or_else(|| {
                                course
                                    .modules
                                    .iter()
                                    .find(|m| m.slug == slug)
                                    .map(|m| pick(lang, &m.th.title, &m.en.title))
                            })
                            .unwrap_or_else(|| slug.to_string());
                        let open = modules.iter().any(|m| m.slug == slug && m.unlocked);
                        json!({"text": format!("{} {title}", say("left_read")),
                               "href": open.then(|| format!("/cohorts/{cohort}/modules/{slug}"))})
                    } else if let Some(slug) = c.name.strip_prefix("quiz:") {
                        // Named from the course when the quiz is not published here yet.
                        let title = quizzes
                            .iter()
                            .find(|q| q.slug == slug)
                            .map(|q| q.title.clone())
                            .or_else(|| {
                                course
                                    .quizzes
                                    .iter()
                                    .find(|q| q.slug == slug)
                                    .map(|q| pick(lang, &q.title_th, &q.title_en))
                            })
                            .unwrap_or_else(|| slug.to_string());
                        let open = quizzes.iter().any(|q| q.slug == slug);
                        json!({"text": format!("{} {title}", say("left_pass")),
                               "href": open.then(|| format!("/cohorts/{cohort}/quizzes/{slug}"))})
                    } else if let Some(rule) = c.name.strip_prefix("attendance>=") {
                        let percent = rule.trim_end_matches('%');
                        json!({"text": say("left_attendance").replace("{p}", percent), "href": "#sessions"})
                    } else {
                        json!({"text": say("left_observation"), "href": null})
                    }
                })
                .collect();
            let before = listed
                .iter()
                .filter(|(_, item)| all.contains(item))
                .map(|(scope, _)| scope.clone())
                .next();
            let mut left: Vec<Value> = Vec::new();
            if let Some(scope) = &before {
                left.push(json!({"text": say("left_as_above").replace("{scope}", scope), "href": null}));
            }
            let title = credentials::scope_title(course, &e.scope, lang);
            for item in &all {
                if before.is_none() || !listed.iter().any(|(_, i)| i == item) {
                    left.push(item.clone());
                    listed.push((title.clone(), item.clone()));
                }
            }
            // Nothing of its own left: no trailing "and".
            if before.is_some() && left.len() == 1 {
                if let Some(scope) = &before {
                    left[0] = json!({"text": say("left_as_above_only").replace("{scope}", scope), "href": null});
                }
            }
            let left_count = all.len();
            let progress = say("left_progress")
                .replace("{done}", &(e.criteria.len() - left_count).to_string())
                .replace("{total}", &e.criteria.len().to_string());
            json!({
                "scope": title,
                "eligible": e.eligible,
                "progress": progress,
                "left": left,
            })
        })
        .collect()
}

/// The cohort page: sessions, modules, quizzes; for staff also progress and eligibility.
pub async fn cohort_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    render_cohort_page(&state, &req, user, path.into_inner(), None).await
}

/// A refused session form, as typed, with the reason, shown in place on the cohort page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SessionEcho {
    pub title_th: String,
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
    pub meeting_url: String,
    pub mode: String,
    pub error: String,
}

/// Renders the cohort page; with `session_form`, the session form is open, holds what was
/// typed and says why it was refused (422).
pub(crate) async fn render_cohort_page(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    id: crate::cohorts::model::CohortId,
    session_form: Option<SessionEcho>,
) -> Result<HttpResponse, PageError> {
    let req = req.clone();
    let lang = lang_of(&req);
    let cohort_id_for_members = id.clone();
    let (u, course, issuer) = (user.clone(), state.course.clone(), state.issuer.clone());
    let excused_rule = state.course.programme.excused_absence;
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
            let hours_label = strings(lang)
                .get("hours_short")
                .cloned()
                .unwrap_or_default();
            if staff {
                let roster = cohorts::roster(conn, &id, excused_rule)?;
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
                        // Share of the time, and the hours attended.
                        attendance: r
                            .attendance_percent
                            .map(|p| format!("{p:.0}% · {:.1} {}", r.attended_hours, hours_label))
                            .unwrap_or_else(|| "–".into()),
                        office: super::province(lang, &r.office_code),
                        email: r.email.clone(),
                        eligibility: elig
                            .iter()
                            .filter(|e| e.user_id == r.user_id)
                            .map(|e| EligibilityCell {
                                label: e.scope.clone(),
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
            // A trainee's own standing, scope by scope: what is left to do.
            let mine = if staff {
                Vec::new()
            } else {
                credentials::eligibility(conn, &id, &course, Some(&u.id))?
            };
            Ok((
                cohort, staff, sessions, marks, modules, quiz_list, results, progress, mine,
            ))
        })
        .await?;
    let (cohort, staff, sessions, marks, modules, quiz_list, results, mut progress, mine) = data;
    let t = strings(lang);
    for e in progress.iter_mut().flat_map(|r| r.eligibility.iter_mut()) {
        if let Some(label) = t.get(&format!("scope_short_{}", e.scope)) {
            e.label = label.clone();
        }
    }
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
    let what_is_left = what_is_left(state, lang, &cohort.id, &mine, &modules, &quiz_list);
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
    // The training project's measures: surveys for trainees, the evaluation for staff.
    let (u2, c2, id2) = (user.clone(), state.course.clone(), cohort.id.clone());
    let (surveys, evaluation, observations, my_hours, (completions, my_completion, signatory)) =
        state
            .db
            .read(move |conn| {
                let surveys = crate::evaluation::cohort_surveys(conn, &c2, &id2, &u2, lang)?;
                let (evaluation, observations) = if staff {
                    (
                        Some(crate::evaluation::evaluation(conn, &c2, &id2, &u2, lang)?),
                        crate::cohorts::observations::list(conn, &id2, &u2)?,
                    )
                } else {
                    (None, Vec::new())
                };
                // A trainee's own training hours: attended of scheduled so far.
                let time = crate::cohorts::training_time(conn, &id2)?;
                let rule = c2.programme.excused_absence;
                let me = &u2.id;
                let my_hours = (!staff)
                    .then(|| time.percent(me, rule))
                    .flatten()
                    .map(|p| {
                        json!({"attended": format!("{:.1}", time.attended_by(me) as f64 / 60.0),
                           "scheduled": format!("{:.1}", time.scheduled_for(me, rule) as f64 / 60.0),
                           "percent": format!("{p:.0}")})
                    });
                // Completion certificates: the cohort's for staff, one's own for a trainee; who
                // signs them for admins.
                let completions = if staff {
                    crate::evaluation::completion::list(conn, &id2, &u2)?
                } else {
                    Vec::new()
                };
                let my_completion = if staff {
                    None
                } else {
                    crate::evaluation::completion::of_trainee(conn, &id2, &u2.id)?
                };
                let signatory = if u2.role == Role::Admin {
                    crate::evaluation::completion::signatory(conn, &id2)?
                } else {
                    None
                };
                Ok((
                    surveys,
                    evaluation,
                    observations,
                    my_hours,
                    (completions, my_completion, signatory),
                ))
            })
            .await?;
    // Observed joint assessments, with the trainee's name and the outcome in words.
    let observation_lines: Vec<Value> = observations
        .iter()
        .map(|o| {
            let name = progress
                .iter()
                .find(|p| p.user_id == o.user_id.as_str())
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let day = chrono::NaiveDate::parse_from_str(&o.observed_on, "%Y-%m-%d")
                .map(|d| dates::format_date(d, lang))
                .unwrap_or_else(|_| o.observed_on.clone());
            json!({"name": name, "day": day, "business": o.business,
                   "scope": credentials::scope_title(&state.course, &o.scope, lang),
                   "outcome": t.get(&format!("obs_{}", o.outcome)).cloned().unwrap_or_default()})
        })
        .collect();
    let competences: Vec<Value> = state
        .course
        .programme
        .competences
        .iter()
        .map(|c| json!({"id": c.id, "title": pick(lang, &c.title_th, &c.title_en)}))
        .collect();
    let trainee_choices: Vec<Value> = progress
        .iter()
        .map(|p| json!({"id": p.user_id, "label": format!("{} · {} · {}", p.name, p.office, p.email)}))
        .collect();
    let evaluation_view = evaluation.as_ref().map(|e| {
        let label = |k: &str| t.get(k).cloned().unwrap_or_default();
        json!({
            "pretest": e.pretest, "posttest": e.posttest, "paired": e.paired,
            "p": e.paired.p.map(|p| if p < 0.001 { "< 0.001".to_string() } else { format!("{p:.3}") }),
            "satisfaction": e.satisfaction,
            // Two decimals, as reports print them, and the band in the page's language.
            "sections": e.satisfaction.as_ref().map(|s| s.sections.iter().map(|sec| {
                let f = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
                let band = |r: &crate::evaluation::Rating| if lang == Language::En { r.band_en } else { r.band_th }.unwrap_or("–");
                json!({"title": sec.title, "mean": f(sec.rating.mean), "sd": f(sec.rating.sd), "band": band(&sec.rating),
                       "items": sec.items.iter().map(|i| json!({"text": i.text, "mean": f(i.rating.mean), "sd": f(i.rating.sd), "band": band(&i.rating)})).collect::<Vec<_>>()})
            }).collect::<Vec<_>>()).unwrap_or_default(),
            "scheduled_hours": e.attendance.scheduled_hours,
            "satisfaction_chart": e.satisfaction.as_ref().map(|s| crate::evaluation::charts::satisfaction_svg(s, &label("eval_satisfaction"))),
            "prepost_chart": (e.paired.n > 0).then(|| crate::evaluation::charts::prepost_svg(e, &label("eval_prepost"))),
        })
    });
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert(
        "cohort",
        &json!({"id": cohort.id, "name": pick(lang, &cohort.name_th, &cohort.name_en), "dates": date_range(lang, &cohort.starts_on, &cohort.ends_on),
                "status_label": status_label(lang, cohort.status.as_str()), "join_code": cohort.join_code, "calendar_path": cohort.calendar_path}),
    );
    page.ctx.insert("staff", &staff);
    page.ctx.insert("surveys", &surveys);
    page.ctx.insert("evaluation", &evaluation_view);
    page.ctx.insert("observations", &observation_lines);
    page.ctx.insert("my_hours", &my_hours);
    // The attendance the scheme asks (the highest of its scopes'), stated from the first day.
    let attendance_pct = state
        .course
        .programme
        .scopes
        .iter()
        .map(|s| u32::from(s.min_attendance_percent))
        .chain(
            state
                .course
                .programme
                .completion
                .as_ref()
                .map(|c| c.min_attendance_percent),
        )
        .max()
        .unwrap_or(0);
    page.ctx
        .insert("attendance_pct", &attendance_pct.to_string());
    page.ctx.insert("what_is_left", &what_is_left);
    let completion_lines: Vec<Value> = completions
        .iter()
        .map(|c| {
            json!({"id": c.id, "number": c.number, "name": c.name,
                   "office": super::province(lang, &c.office_code),
                   "hours": format!("{:.1}", c.hours)})
        })
        .collect();
    page.ctx.insert("completions", &completion_lines);
    page.ctx.insert(
        "my_completion",
        &my_completion.map(|c| json!({"id": c.id, "number": c.number, "hours": format!("{:.1}", f64::from(c.minutes) / 60.0)})),
    );
    page.ctx.insert(
        "signatory",
        &signatory.map(|s| json!({"name_th": s.name_th, "name_en": s.name_en, "position_th": s.position_th,
                                  "position_en": s.position_en, "has_signature": s.signature_png.is_some()})),
    );
    page.ctx.insert(
        "completion_rule",
        &state.course.programme.completion.as_ref().map(|r| {
            let mut parts = vec![if lang == Language::En {
                format!(
                    "attend at least {} % of the scheduled time",
                    r.min_attendance_percent
                )
            } else {
                format!(
                    "เข้าร่วมไม่น้อยกว่าร้อยละ {} ของเวลาที่กำหนด",
                    r.min_attendance_percent
                )
            }];
            if r.posttest {
                parts.push(pick(lang, "ทำแบบทดสอบหลังการอบรม", "take the post-test"));
            }
            if r.survey {
                parts.push(pick(
                    lang,
                    "ตอบแบบประเมินความพึงพอใจ",
                    "answer the satisfaction survey",
                ));
            }
            parts.join(if lang == Language::En { ", " } else { " " })
        }),
    );
    page.ctx.insert("competences", &competences);
    page.ctx.insert("trainee_choices", &trainee_choices);
    page.ctx.insert("is_admin", &(user.role == Role::Admin));
    if user.role == Role::Admin {
        let cid = cohort_id_for_members.clone();
        let instructors = state
            .db
            .read(move |conn| members::instructors(conn, &cid))
            .await?;
        page.ctx.insert("instructors", &instructors);
    }
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
    let status = if session_form.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.ctx.insert("session_form", &session_form);
    page.render(state, "cohorts/page.html", status)
}

#[derive(Deserialize)]
pub struct PublishForm {
    kind: String,
    slug: String,
    /// `1` once staff confirmed publishing a recertification-only item.
    #[serde(default)]
    confirm: Option<String>,
}

/// Staff publish the newest revision of a module or quiz from the cohort page.
pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<PublishForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    // The recertification refresher and quiz are for holders renewing a credential: published
    // to a cohort they would show first-time trainees work that is not theirs. Staff confirm.
    if state.course.is_renewal_only(&f.slug) && f.confirm.as_deref() != Some("1") {
        let mut page = Page::new(&req);
        page.ctx.insert("user", &user);
        page.ctx.insert("cohort_id", &id);
        page.ctx.insert("kind", &f.kind);
        page.ctx.insert("slug", &f.slug);
        return page.render(&state, "cohorts/confirm_recert.html", StatusCode::OK);
    }
    let cid = id.clone();
    let (kind, slug) = (f.kind.clone(), f.slug.clone());
    state
        .db
        .run(move |conn| match f.kind.as_str() {
            "module" => crate::course::publish_module(conn, &cid, &f.slug, &user).map(|_| ()),
            "quiz" => quizzes::publish_quiz(conn, &cid, &f.slug, &user, None, None).map(|_| ()),
            _ => Err(AppError::invalid("kind must be module or quiz")),
        })
        .await?;
    // The message names what was published, and the page opens at it.
    let lang = lang_of(&req);
    let title = if kind == "module" {
        state
            .course
            .modules
            .iter()
            .find(|m| m.slug == slug)
            .map(|m| pick(lang, &m.th.title, &m.en.title))
    } else {
        state
            .course
            .quizzes
            .iter()
            .find(|q| q.slug == slug)
            .map(|q| pick(lang, &q.title_th, &q.title_en))
    };
    let anchor = format!("{}-{slug}", if kind == "module" { "m" } else { "q" });
    Ok(see_other_item(
        &format!("/cohorts/{id}?done=published_ok#{anchor}"),
        &title.unwrap_or(slug),
    ))
}

/// Staff publish, in one step, every module and quiz the scheme requires of its scopes (the
/// pre- and post-test too), at their newest revisions; the recertification items stay out.
pub async fn publish_scheme(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let programme = &state.course.programme;
    let mut modules: Vec<String> = Vec::new();
    let mut quizzes_wanted: Vec<String> = Vec::new();
    for scope in &programme.scopes {
        for m in &scope.required_modules {
            if !modules.contains(m) {
                modules.push(m.clone());
            }
        }
        for q in &scope.required_quizzes {
            if !quizzes_wanted.contains(q) {
                quizzes_wanted.push(q.clone());
            }
        }
    }
    for q in [&programme.pretest, &programme.posttest]
        .into_iter()
        .flatten()
    {
        if !quizzes_wanted.contains(q) {
            quizzes_wanted.push(q.clone());
        }
    }
    let cid = id.clone();
    let n = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &user, Access::Staff)?;
            for m in &modules {
                crate::course::publish_module(conn, &cid, m, &user)?;
            }
            for q in &quizzes_wanted {
                quizzes::publish_quiz(conn, &cid, q, &user, None, None)?;
            }
            Ok(modules.len() + quizzes_wanted.len())
        })
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{id}?done=scheme_published&n={n}#modules"
    )))
}

/// Progress feedback for long form actions (every page loads it).
pub async fn forms_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../../static/forms.js"))
}

#[derive(Serialize)]
pub(super) struct CohortLine {
    id: String,
    name: String,
    dates: String,
    status_label: String,
    trainees: i32,
    capacity: i32,
    join_code: String,
}

pub(super) async fn render_admin_cohorts(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    error: Option<String>,
    typed: Option<&CohortForm>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let u = user.clone();
    let list = state
        .db
        .run(move |conn| cohorts::list_cohorts(conn, &u))
        .await?;
    // The fiscal years that have cohorts, newest first, for their year reports.
    let mut years: Vec<i32> = list.iter().map(|c| c.fiscal_year).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
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
    page.ctx.insert("years", &years);
    page.ctx.insert("error", &error);
    // A refused form comes back as it was typed (it was cleared, and the officer typed again).
    page.ctx.insert(
        "typed",
        &typed.map(|f| {
            json!({"generation": f.generation, "starts_on": f.starts_on, "ends_on": f.ends_on,
                   "capacity": f.capacity, "name_th": f.name_th, "name_en": f.name_en})
        }),
    );
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
    render_admin_cohorts(&state, &req, user, None, None).await
}

#[derive(Deserialize, Clone)]
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
            return render_admin_cohorts(&state, &req, user, Some(m), Some(&f)).await;
        }
    };
    let (Ok(generation), Ok(capacity)) = (
        f.generation.trim().parse::<i32>(),
        f.capacity.trim().parse::<i32>(),
    ) else {
        let message = strings(lang_of(&req))
            .get("cohort_form_required")
            .cloned()
            .unwrap_or_default();
        return render_admin_cohorts(&state, &req, user, Some(message), Some(&f)).await;
    };
    // The service's own checks, said in the reader's language (they were English developer text).
    let refused = if ends_on < starts_on {
        Some("cohort_dates_order")
    } else if !(1..=999).contains(&generation) {
        Some("cohort_generation_range")
    } else if !(1..=10_000).contains(&capacity) {
        Some("cohort_capacity_range")
    } else {
        None
    };
    if let Some(key) = refused {
        let message = strings(lang_of(&req)).get(key).cloned().unwrap_or_default();
        return render_admin_cohorts(&state, &req, user, Some(message), Some(&f)).await;
    }
    let new = cohorts::NewCohort {
        programme_id: state.course.programme.id.clone(),
        generation,
        fiscal_year: None,
        name_th: f
            .name_th
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string()),
        name_en: f
            .name_en
            .clone()
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
            let message = crate::http::ui::error_text(lang_of(&req), &e);
            render_admin_cohorts(&state, &req, user, Some(message), Some(&f)).await
        }
        Err(e) => Err(PageError(e)),
    }
}
