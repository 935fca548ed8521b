//! Session pages: scheduling, marking attendance, the check-in code and self check-in,
//! and importing a Zoom participant report.

use crate::http::ui::guard::{CsrfForm, PageUser};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::model::Language;
use crate::cohorts::{
    self,
    model::{MemberRole, SessionMode},
    Access,
};
use crate::dates;
use crate::error::{AppError, PageError};
use crate::http::ui::{lang_of, see_other, strings, Page};
use crate::http::AppState;

use crate::http::ui::pages::{date_range, field};

/// Staff schedule a session from the cohort page. A refused form comes back on the cohort page,
/// open, as typed, saying why in the reader's language (it was an error page, and the typing
/// was lost).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    // Access first, so outsiders learn nothing from validation messages.
    let (cid, u) = (id.clone(), user.clone());
    let cohort = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &u, Access::Staff)?;
            cohorts::get_cohort(conn, &cid, &u)
        })
        .await?;
    let lang = lang_of(&req);
    let say = |key: &str| strings(lang).get(key).cloned().unwrap_or_default();
    let title = field(&f, "title_th").trim().to_string();
    let url = field(&f, "meeting_url").trim().to_string();
    let venue = field(&f, "venue").trim().to_string();
    let mode: Option<cohorts::model::SessionMode> = field(&f, "mode").parse().ok();
    // Thailand time, typed or picked, in either era (2570 is 2027).
    let starts_at = dates::parse_local_datetime_input(field(&f, "starts_at"));
    let ends_at = dates::parse_local_datetime_input(field(&f, "ends_at"));
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let within = |t: &chrono::NaiveDateTime| match (day(&cohort.starts_on), day(&cohort.ends_on)) {
        (Some(from), Some(to)) => (from..=to).contains(&dates::local_date(*t)),
        _ => true,
    };
    let refusal = match (&starts_at, &ends_at) {
        _ if title.is_empty() || venue.is_empty() => Some(say("session_form_required")),
        (Err(m), _) | (_, Err(m)) => Some(m.clone()),
        (Ok(s), Ok(e)) if e <= s => Some(say("session_end_before_start")),
        (Ok(s), Ok(_)) if !within(s) => Some(say("session_outside_cohort").replace(
            "{dates}",
            &date_range(lang, &cohort.starts_on, &cohort.ends_on),
        )),
        _ if mode.is_none() => Some(say("session_mode_unknown")),
        _ if mode != Some(cohorts::model::SessionMode::Onsite) && url.is_empty() => {
            Some(say("session_needs_link"))
        }
        _ => None,
    };
    let (Some(mode), Ok(starts_at), Ok(ends_at), None) = (mode, &starts_at, &ends_at, &refusal)
    else {
        let echo = crate::http::ui::cohorts::SessionEcho {
            title_th: title,
            starts_at: field(&f, "starts_at").to_string(),
            ends_at: field(&f, "ends_at").to_string(),
            venue,
            meeting_url: url,
            mode: field(&f, "mode").to_string(),
            error: refusal.unwrap_or_default(),
        };
        return crate::http::ui::cohorts::render_cohort_page(&state, &req, user, id, Some(echo))
            .await;
    };
    let new = cohorts::NewSession {
        title_en: title.clone(),
        title_th: title.clone(),
        starts_at: *starts_at,
        ends_at: *ends_at,
        venue,
        meeting_url: (!url.is_empty()).then_some(url),
        mode,
    };
    let cid = id.clone();
    let session = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &user, Access::Staff)?;
            cohorts::create_session(conn, &cid, &new)
        })
        .await?;
    Ok(crate::http::ui::see_other_item(
        &format!("/cohorts/{id}?done=session_created#s-{}", session.id),
        &title,
    ))
}

/// The session page: staff get the check-in code, the attendance list and the Zoom import;
/// trainees get the check-in form.
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::SessionId>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let t = strings(lang);
    let id = path.into_inner();
    let u = user.clone();
    let rule = state.course.programme.excused_absence;
    let (session, role, roster, marks, zoom) = state
        .db
        .run(move |conn| {
            let (s, role) = cohorts::session_for(conn, &id, &u, Access::Member)?;
            let staff = u.role == crate::accounts::model::Role::Admin
                || role == Some(MemberRole::Instructor);
            let roster = if staff {
                cohorts::roster(conn, &s.cohort_id, rule)?
            } else {
                vec![]
            };
            let marks = cohorts::session_attendance(conn, &s.id)?;
            let zoom = if staff {
                cohorts::zoom_entries(conn, &s.id)?
            } else {
                vec![]
            };
            Ok((s, role, roster, marks, zoom))
        })
        .await?;
    let staff =
        user.role == crate::accounts::model::Role::Admin || role == Some(MemberRole::Instructor);
    let code = if staff {
        cohorts::current_checkin_code(&session, state.db.clock().now())
            .ok()
            .map(|(c, _)| c)
    } else {
        None
    };
    let by_user: HashMap<&str, &cohorts::Attendance> =
        marks.iter().map(|m| (m.user_id.as_str(), m)).collect();
    // One choice per trainee (issue 22, point 10: two drop-downs a line, 80 for 40). In a hybrid
    // session it says how they attended too ("มา · ออนไลน์"); otherwise the session's mode says it.
    let say = |k: &str| t.get(k).cloned().unwrap_or_default();
    let hybrid = session.mode == SessionMode::Hybrid.as_str();
    let mut statuses: Vec<serde_json::Value> = vec![];
    for st in ["present", "late", "absent", "excused"] {
        let attended = st == "present" || st == "late";
        if hybrid && attended {
            for via in ["room", "online"] {
                statuses.push(json!({"value": format!("{st}@{via}"),
                    "label": format!("{} · {}", say(&format!("status_{st}")), say(&format!("via_{via}")))}));
            }
        } else {
            statuses.push(json!({"value": st, "label": say(&format!("status_{st}"))}));
        }
    }
    let rows: Vec<serde_json::Value> = roster
        .iter()
        .filter(|r| r.role == MemberRole::Trainee)
        .map(|r| {
            let m = by_user.get(r.user_id.as_str());
            let office = crate::http::ui::province(lang, &r.office_code);
            // The trainee's choice as saved, in the list's own values.
            let chosen = match m.map(|m| (m.status.as_str(), m.via.as_deref())) {
                Some((st @ ("present" | "late"), Some(via))) if hybrid => format!("{st}@{via}"),
                Some((st, _)) => st.to_string(),
                None => String::new(),
            };
            json!({"user_id": r.user_id, "name": r.name, "who": format!("{} · {office} · {}", r.name, r.email), "contact": format!("{office} · {}", r.email), "chosen": chosen, "minutes": m.and_then(|m| m.minutes)})
        })
        .collect();
    let mine = by_user
        .get(user.id.as_str())
        .and_then(|m| t.get(&format!("status_{}", m.status.as_str())).cloned());
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert(
        "s",
        &json!({"id": session.id, "title": if lang == Language::En { &session.title_en } else { &session.title_th },
                "when": dates::format_datetime(session.starts_at, lang), "venue": session.venue,
                "mode_label": t.get(&format!("mode_{}", session.mode))}),
    );
    page.ctx.insert("cohort_id", &session.cohort_id);
    page.ctx.insert("staff", &staff);
    page.ctx.insert("code", &code);
    page.ctx.insert("rows", &rows);
    page.ctx.insert("statuses", &statuses);
    page.ctx.insert("mark", &mine);
    page.ctx.insert(
        "unmatched",
        &zoom
            .iter()
            .filter(|z| z.matched_user_id.is_none())
            .collect::<Vec<_>>(),
    );
    page.ctx.insert("user", &user);
    page.render(&state, "cohorts/session.html", StatusCode::OK)
}

/// Saves the attendance list.
pub async fn save_attendance(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::SessionId>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let sid = id.clone();
    // "Everyone not marked is present" (the button beside Save): the marks chosen stay, every
    // trainee left at "—" is marked present, in the room or online as chosen on their line.
    let all_present = field(&f, "all") == "present";
    state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &sid, &user, Access::Staff)?;
            // How a trainee attended when the line does not say: the session's mode (a hybrid
            // session's "all present" counts the room, as its list is read in the room).
            let by_mode = if s.mode == SessionMode::Online.as_str() {
                "online"
            } else {
                "room"
            };
            for (k, v) in &f {
                // `mark:<user>` is the page's one choice ("present", "late@online", …);
                // `status:<user>` with `via:<user>` is the earlier two-field form, still taken.
                let (uid, combined) = match (k.strip_prefix("mark:"), k.strip_prefix("status:")) {
                    (Some(uid), _) => (uid, true),
                    (None, Some(uid)) => (uid, false),
                    (None, None) => continue,
                };
                let v = if v.is_empty() && all_present {
                    "present"
                } else {
                    v.as_str()
                };
                if v.is_empty() {
                    continue;
                }
                let (v, via) = match v.split_once('@') {
                    Some((st, via)) if combined => (st, via),
                    _ if combined => (v, by_mode),
                    _ => (v, field(&f, &format!("via:{uid}"))),
                };
                // Only someone who attended attended somewhere.
                let via = if v == "present" || v == "late" {
                    via
                } else {
                    ""
                };
                let status = v.parse().map_err(AppError::invalid)?;
                cohorts::mark_attendance(
                    conn,
                    &s,
                    &uid.into(),
                    status,
                    (!via.is_empty()).then_some(via),
                    None,
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(see_other(&format!("/sessions/{id}?done=attendance_saved")))
}

#[derive(Deserialize)]
pub struct CheckinForm {
    code: String,
}

/// A trainee checks in with the code on display.
pub async fn checkin(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::SessionId>,
    form: CsrfForm<CheckinForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (sid, code) = (id.clone(), form.into_inner().code);
    state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &sid, &user, Access::Trainee)?;
            cohorts::check_in(conn, &s, &user, &code, crate::util::now())
        })
        .await?;
    Ok(see_other(&format!("/sessions/{id}?done=checked_in")))
}

#[derive(Deserialize)]
pub struct ZoomForm {
    report: String,
}

/// Imports a pasted Zoom participant report.
pub async fn zoom(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::SessionId>,
    form: CsrfForm<ZoomForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (sid, report) = (id.clone(), form.into_inner().report);
    state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &sid, &user, Access::Staff)?;
            cohorts::import_zoom_report(conn, &s, &report)
        })
        .await?;
    Ok(see_other(&format!("/sessions/{id}?done=attendance_saved")))
}

#[derive(Deserialize)]
pub struct MatchForm {
    user_id: String,
}

/// Matches an unmatched Zoom row by hand.
pub async fn match_row(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::SessionId, String)>,
    form: CsrfForm<MatchForm>,
) -> Result<HttpResponse, PageError> {
    let (id, row) = path.into_inner();
    let (sid, target) = (id.clone(), form.into_inner().user_id);
    state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &sid, &user, Access::Staff)?;
            cohorts::match_zoom_row(conn, &s, &row.as_str().into(), &target.into())
        })
        .await?;
    Ok(see_other(&format!("/sessions/{id}?done=attendance_saved")))
}

/// Records an observed joint assessment from the cohort page (cohort staff).
pub async fn record_observation(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let req = crate::cohorts::observations::ObservationRequest {
        user_id: field(&f, "user_id").into(),
        scope: field(&f, "scope").to_string(),
        observed_on: field(&f, "observed_on").to_string(),
        business: field(&f, "business").to_string(),
        competences: f
            .iter()
            .filter(|(k, _)| k == "competence")
            .map(|(_, v)| v.clone())
            .collect(),
        outcome: field(&f, "outcome").to_string(),
        observer_id: None,
        notes: field(&f, "notes").to_string(),
    };
    let (cid, course) = (id.clone(), state.course.clone());
    state
        .db
        .run(move |conn| crate::cohorts::observations::record(conn, &course, &cid, &user, &req))
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{id}?done=observation_recorded#obs-h"
    )))
}
