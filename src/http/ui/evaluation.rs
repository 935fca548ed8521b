//! The survey page a trainee answers (anonymous), on a phone as on a desktop.

use crate::http::ui::pages::*;

async fn render_survey(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    (cohort_id, slug): (crate::cohorts::model::CohortId, String),
    error: Option<String>,
    echo: HashMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let (u, course, c, s) = (
        user.clone(),
        state.course.clone(),
        cohort_id.clone(),
        slug.clone(),
    );
    let survey = state
        .db
        .read(move |conn| {
            crate::evaluation::cohort_surveys(conn, &course, &c, &u, lang)?
                .into_iter()
                .find(|v| v.slug == s)
                .ok_or(AppError::NotFound)
        })
        .await?;
    // Items grouped under their sections, in order.
    let mut sections: Vec<Value> = Vec::new();
    for item in &survey.items {
        if sections.last().and_then(|s| s["title"].as_str()) != Some(item.section.as_str()) {
            sections.push(json!({"title": item.section, "items": []}));
        }
        if let Some(list) = sections.last_mut().and_then(|s| s["items"].as_array_mut()) {
            list.push(json!({"id": item.id, "kind": item.kind, "text": item.text,
                             "value": echo.get(&format!("a:{}", item.id)).cloned().unwrap_or_default()}));
        }
    }
    let mut page = Page::new(req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cohort_id);
    page.ctx.insert("slug", &slug);
    page.ctx.insert("title", &survey.title);
    page.ctx.insert("description", &survey.description);
    page.ctx.insert("responded", &survey.responded);
    page.ctx.insert("sections", &sections);
    page.ctx.insert("levels", &[5, 4, 3, 2, 1]);
    page.ctx.insert("error", &error);
    page.render(state, "evaluation/survey.html", status)
}

/// The survey form (a trainee of the cohort).
pub async fn survey_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, PageError> {
    render_survey(
        &state,
        &req,
        user,
        path.into_inner(),
        None,
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

/// Records the answers (fields `a:<item id>`) and returns to the cohort page.
pub async fn survey_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let (cohort_id, slug) = path.into_inner();
    let answers: std::collections::BTreeMap<String, Value> = fields
        .iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("a:")?;
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            Some((
                id.to_string(),
                v.parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(v)),
            ))
        })
        .collect();
    let (u, course, c, s) = (
        user.clone(),
        state.course.clone(),
        cohort_id.clone(),
        slug.clone(),
    );
    let result = state
        .db
        .run(move |conn| crate::evaluation::respond(conn, &course, &c, &s, &u, &answers))
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/cohorts/{cohort_id}?done=survey_thanks"
        ))),
        Err(e @ AppError::Validation { .. }) => {
            let message = crate::http::ui::error_text(lang_of(&req), &e);
            render_survey(
                &state,
                &req,
                user,
                (cohort_id, slug),
                Some(message),
                fields,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// The closing report on a page (cohort staff): the figures by office, the evaluation, the
/// appendix roster, the documents, and the narrative sections the officers write here.
pub async fn report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    render_report(
        &state,
        &req,
        user,
        path.into_inner(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_report(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    cohort_id: crate::cohorts::model::CohortId,
    error: Option<String>,
    echo: Option<crate::evaluation::store::Narrative>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let (u, course, c) = (user.clone(), state.course.clone(), cohort_id.clone());
    let r = state
        .db
        .read(move |conn| crate::evaluation::report::cohort_report(conn, &course, &c, &u, lang))
        .await?;
    let t = strings(lang);
    let yes_no = |b: bool| {
        t.get(if b { "yes" } else { "no" })
            .cloned()
            .unwrap_or_default()
    };
    let trainees: Vec<Value> = r
        .trainees
        .iter()
        .map(|p| {
            let scopes: Vec<String> = p
                .scopes
                .iter()
                .map(|s| {
                    t.get(&format!("scope_short_{s}"))
                        .cloned()
                        .unwrap_or_else(|| s.clone())
                })
                .collect();
            json!({"name": p.name, "office": super::province(lang, &p.office_code),
                   "hours": format!("{:.1}", p.attended_hours),
                   "percent": p.attendance_percent.map(|x| format!("{x:.0}%")).unwrap_or_else(|| "–".into()),
                   "completed": yes_no(p.completed), "passed": yes_no(p.passed_exam),
                   "scopes": scopes.join(", ")})
        })
        .collect();
    let offices: Vec<Value> = r
        .offices
        .iter()
        .map(|o| {
            json!({"name": crate::offices::find(&o.office_code)
                        .map(|x| pick(lang, &x.province_th, &x.province_en)).unwrap_or_else(|| o.office_code.clone()),
                   "enrolled": o.enrolled, "completed": o.completed, "credentialed": o.credentialed})
        })
        .collect();
    let indicators = indicator_lines(&r.indicators, lang);
    let mut page = Page::new(req);
    page.flash_from_query(req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cohort_id);
    page.ctx.insert("indicators", &indicators);
    let sessions: Vec<Value> = r
        .sessions
        .iter()
        .map(|s| {
            json!({"day": dates::format_date(dates::local_date(s.starts_at), lang),
                   "title": pick(lang, &s.title_th, &s.title_en),
                   "room": s.room, "online": s.online, "excused": s.excused, "absent": s.absent})
        })
        .collect();
    page.ctx.insert("sessions", &sessions);
    page.ctx.insert("regions", &region_lines(&r.regions, lang));
    page.ctx.insert("r", &r);
    page.ctx.insert("trainees", &trainees);
    page.ctx.insert("offices", &offices);
    page.ctx
        .insert("narrative", &echo.unwrap_or_else(|| r.narrative.clone()));
    page.ctx.insert("error", &error);
    page.render(state, "evaluation/report.html", status)
}

/// Saves the narrative sections from the report page.
pub async fn save_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let n = crate::evaluation::store::Narrative {
        background: get("background"),
        objectives: get("objectives"),
        problems: get("problems"),
        suggestions: get("suggestions"),
    };
    let (cid, u, body) = (id.clone(), user.clone(), n.clone());
    let result = state
        .db
        .run(move |conn| crate::evaluation::report::save_narrative(conn, &cid, &u, &body))
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/cohorts/{id}/report?done=report_saved"
        ))),
        Err(e @ AppError::Validation { .. }) => {
            let message = crate::http::ui::error_text(lang_of(&req), &e);
            render_report(
                &state,
                &req,
                user,
                id,
                Some(message),
                Some(n),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// The fiscal-year view (admins): the indicators, totals, cohorts and offices of a B.E.
/// fiscal year, with its documents.
pub async fn fiscal_year_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    path: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let fy = path.into_inner();
    let (u, course) = (user.clone(), state.course.clone());
    let r = state
        .db
        .read(move |conn| {
            crate::evaluation::report::fiscal_year_report(conn, &course, fy, &u, lang)
        })
        .await?;
    let indicators = indicator_lines(&r.indicators, lang);
    let offices: Vec<Value> = r
        .offices
        .iter()
        .map(|o| {
            json!({"name": crate::offices::find(&o.office_code)
                        .map(|x| pick(lang, &x.province_th, &x.province_en)).unwrap_or_else(|| o.office_code.clone()),
                   "enrolled": o.enrolled, "completed": o.completed, "credentialed": o.credentialed})
        })
        .collect();
    let missing: Vec<String> = crate::evaluation::report::not_reached(&r.offices)
        .into_iter()
        .map(|o| pick(lang, &o.province_th, &o.province_en))
        .collect();
    let mut page = Page::new(&req);
    page.ctx.insert("user", &user);
    page.ctx.insert("fy", &fy);
    page.ctx.insert("regions", &region_lines(&r.regions, lang));
    let map: Vec<Value> = crate::offices::TILE_MAP
        .iter()
        .map(|(code, x, y)| {
            let name = crate::offices::find(code)
                .map(|o| pick(lang, &o.province_th, &o.province_en))
                .unwrap_or_default();
            json!({"x": u32::from(*x) * 18, "y": u32::from(*y) * 18, "name": name,
                   "on": crate::evaluation::report::reached(&r.offices, code)})
        })
        .collect();
    page.ctx.insert("map", &map);
    page.ctx.insert("r", &r);
    page.ctx.insert("indicators", &indicators);
    page.ctx.insert("offices", &offices);
    page.ctx.insert("missing", &missing);
    page.render(&state, "evaluation/fiscal_year.html", StatusCode::OK)
}

/// The regions' figures as the report pages list them.
fn region_lines(
    regions: &[crate::evaluation::report::RegionFigures],
    lang: Language,
) -> Vec<Value> {
    regions
        .iter()
        .map(|g| {
            json!({"name": pick(lang, g.name_th, g.region.name_en()), "offices": g.offices,
                   "reached": g.offices_reached, "enrolled": g.enrolled,
                   "completed": g.completed, "credentialed": g.credentialed})
        })
        .collect()
}

/// The indicators as the report pages list them: name, target, result and whether met, in
/// words.
fn indicator_lines(list: &[crate::evaluation::report::Indicator], lang: Language) -> Vec<Value> {
    let t = strings(lang);
    list.iter()
        .map(|i| {
            json!({"name": pick(lang, i.name_th, i.name_en), "target": i.shown(i.target),
            "result": i.result.map(|v| i.shown(v)).unwrap_or_else(|| "–".into()),
            "met": i.met,
            "met_label": match i.met {
                Some(true) => t.get("report_met").cloned().unwrap_or_default(),
                Some(false) => t.get("report_not_met").cloned().unwrap_or_default(),
                None => "–".into(),
            }})
        })
        .collect()
}
