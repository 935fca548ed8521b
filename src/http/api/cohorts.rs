//! Cohorts, membership, rosters and seminar sessions.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::cohorts::{
    self, model::*, Access, BulkAddReport, Cohort, CohortUpdate, Membership, NewCohort, RosterEntry,
};
use crate::error::AppError;
use crate::http::extract::{AdminUser, CurrentUser};
use crate::http::AppState;

fn field(code: &'static str, name: &str, message: impl std::fmt::Display) -> AppError {
    AppError::Validation {
        code,
        message: format!("{name}: {message}"),
    }
}

fn parse_date(name: &str, raw: &str) -> Result<NaiveDate, AppError> {
    // YYYY-MM-DD or DD/MM/YYYY, either era: a year of 2400 or later is the Buddhist Era.
    crate::dates::parse_date_input(raw).map_err(|m| field("invalid_date", name, m))
}

fn parse_time(name: &str, raw: &str) -> Result<NaiveDateTime, AppError> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|d| d.naive_utc())
        .map_err(|_| {
            field(
                "invalid_time",
                name,
                format!("'{raw}' is not a time like 2022-02-15T09:30:00+07:00"),
            )
        })
}

fn text(name: &str, raw: &str, max: usize) -> Result<String, AppError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(field(
            "invalid_text",
            name,
            "must not contain control characters",
        ));
    }
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() || folded.chars().count() > max {
        return Err(field(
            "invalid_text",
            name,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(folded)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCohortRequest {
    /// Programme id from `course_content/`, e.g. `tis-s-assessor`.
    pub program: String,
    pub generation: i32,
    /// Buddhist Era (2565); defaults from `starts_on` (the fiscal year starts on 1 October).
    pub fiscal_year: Option<i32>,
    /// Defaults to `รุ่นที่ N ประจำปีงบประมาณ พ.ศ. YYYY`.
    pub name_th: Option<String>,
    /// Defaults to `Generation N, fiscal year YYYY`.
    pub name_en: Option<String>,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: i32,
    /// `draft` or `open` (default).
    pub status: Option<String>,
    pub enrol_opens_at: Option<String>,
    pub enrol_closes_at: Option<String>,
}

/// Creates a cohort of a programme.
#[utoipa::path(post, path = "/api/v1/cohorts", tag = "cohorts", request_body = CreateCohortRequest,
    responses((status = 201, body = Cohort), (status = 409, description = "generation already exists"), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_cohort(
    state: web::Data<AppState>,
    _admin: AdminUser,
    body: web::Json<CreateCohortRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    if !state.programmes.contains(&b.program) {
        return Err(field(
            "unknown_program",
            "program",
            format!("'{}' is not a programme of this service", b.program),
        ));
    }
    let status = match b.status.as_deref() {
        None => CohortStatus::Open,
        Some(s) => match s
            .parse::<CohortStatus>()
            .map_err(|m| field("invalid_status", "status", m))?
        {
            st @ (CohortStatus::Draft | CohortStatus::Open) => st,
            _ => {
                return Err(field(
                    "invalid_status",
                    "status",
                    "a new cohort is draft or open",
                ))
            }
        },
    };
    let new = NewCohort {
        programme_id: b.program,
        generation: b.generation,
        fiscal_year: b.fiscal_year,
        name_th: b
            .name_th
            .as_deref()
            .map(|s| text("name_th", s, 200))
            .transpose()?,
        name_en: b
            .name_en
            .as_deref()
            .map(|s| text("name_en", s, 200))
            .transpose()?,
        starts_on: parse_date("starts_on", &b.starts_on)?,
        ends_on: parse_date("ends_on", &b.ends_on)?,
        capacity: b.capacity,
        status,
        enrol_opens_at: b
            .enrol_opens_at
            .as_deref()
            .map(|s| parse_time("enrol_opens_at", s))
            .transpose()?,
        enrol_closes_at: b
            .enrol_closes_at
            .as_deref()
            .map(|s| parse_time("enrol_closes_at", s))
            .transpose()?,
    };
    let cohort = state
        .db
        .run(move |conn| cohorts::create_cohort(conn, &new))
        .await?;
    Ok(HttpResponse::Created().json(cohort))
}

/// The caller's cohorts (admins: all).
#[utoipa::path(get, path = "/api/v1/cohorts", tag = "cohorts", responses((status = 200, body = [Cohort])), security(("bearer" = [])))]
pub async fn list_cohorts(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let list = state
        .db
        .run(move |conn| cohorts::list_cohorts(conn, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A cohort; 404 for anyone who is not a member (or an admin).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}", tag = "cohorts", responses((status = 200, body = Cohort), (status = 404)), security(("bearer" = [])))]
pub async fn get_cohort(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let c = state
        .db
        .run(move |conn| cohorts::get_cohort(conn, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCohortRequest {
    pub name_th: Option<String>,
    pub name_en: Option<String>,
    pub capacity: Option<i32>,
    /// draft → open → running → closed → archived (closed may run again).
    pub status: Option<String>,
    pub enrol_opens_at: Option<String>,
    pub enrol_closes_at: Option<String>,
    /// Issue a new join code; the old one stops working.
    pub rotate_join_code: Option<bool>,
}

/// Changes a cohort: names, capacity, status, enrolment window, join code.
#[utoipa::path(patch, path = "/api/v1/cohorts/{id}", tag = "cohorts", request_body = UpdateCohortRequest,
    responses((status = 200, body = Cohort), (status = 409, description = "not a sensible status change")), security(("bearer" = [])))]
pub async fn update_cohort(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<UpdateCohortRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let opt_time =
        |name: &str, v: Option<String>| -> Result<Option<Option<NaiveDateTime>>, AppError> {
            match v.as_deref() {
                None => Ok(None),
                Some("") => Ok(Some(None)),
                Some(s) => Ok(Some(Some(parse_time(name, s)?))),
            }
        };
    let u = CohortUpdate {
        name_th: b
            .name_th
            .as_deref()
            .map(|s| text("name_th", s, 200))
            .transpose()?,
        name_en: b
            .name_en
            .as_deref()
            .map(|s| text("name_en", s, 200))
            .transpose()?,
        capacity: b.capacity,
        status: b
            .status
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|m: String| field("invalid_status", "status", m))?,
        enrol_opens_at: opt_time("enrol_opens_at", b.enrol_opens_at)?,
        enrol_closes_at: opt_time("enrol_closes_at", b.enrol_closes_at)?,
        rotate_join_code: b.rotate_join_code.unwrap_or(false),
    };
    let id = path.into_inner();
    let c = state
        .db
        .run(move |conn| cohorts::update_cohort(conn, &id, &u))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct JoinRequest {
    pub join_code: String,
}

/// A trainee joins a cohort with its code.
#[utoipa::path(post, path = "/api/v1/cohorts/join", tag = "cohorts", request_body = JoinRequest,
    responses((status = 201, body = Membership), (status = 409, description = "full, closed, or already a member"), (status = 422, description = "unknown code")),
    security(("bearer" = [])))]
pub async fn join_cohort(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<JoinRequest>,
) -> Result<HttpResponse, AppError> {
    let code = body.into_inner().join_code;
    let m = state
        .db
        .run(move |conn| cohorts::join(conn, &code, &user.0))
        .await?;
    Ok(HttpResponse::Created().json(m))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddMemberRequest {
    pub user_id: crate::accounts::model::UserId,
    /// `trainee` or `instructor`.
    pub role: String,
}

/// An admin adds a trainee or an instructor.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/members", tag = "cohorts", request_body = AddMemberRequest,
    responses((status = 201, body = Membership), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn add_member(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<AddMemberRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let role: MemberRole = b
        .role
        .parse()
        .map_err(|m| field("invalid_role", "role", m))?;
    let id = path.into_inner();
    let m = state
        .db
        .run(move |conn| cohorts::add_member(conn, &id, &b.user_id, role))
        .await?;
    Ok(HttpResponse::Created().json(m))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BulkAddRequest {
    /// E-mail addresses, one per item (or one string with one address per line).
    pub emails: Vec<String>,
    pub role: String,
}

/// An admin adds members from a list of e-mail addresses.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/members/bulk", tag = "cohorts", request_body = BulkAddRequest,
    responses((status = 200, body = BulkAddReport)), security(("bearer" = [])))]
pub async fn add_members_bulk(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<BulkAddRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let role: MemberRole = b
        .role
        .parse()
        .map_err(|m| field("invalid_role", "role", m))?;
    if b.emails.len() > 5000 {
        return Err(AppError::invalid("at most 5000 addresses at once"));
    }
    let emails: Vec<String> = b
        .emails
        .iter()
        .flat_map(|e| e.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let id = path.into_inner();
    let r = state
        .db
        .run(move |conn| cohorts::add_members_by_email(conn, &id, &emails, role))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// An admin removes a member; it takes effect on the member's next request.
#[utoipa::path(delete, path = "/api/v1/cohorts/{id}/members/{user_id}", tag = "cohorts",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(
        crate::cohorts::model::CohortId,
        crate::accounts::model::UserId,
    )>,
) -> Result<HttpResponse, AppError> {
    let (id, user_id) = path.into_inner();
    state
        .db
        .run(move |conn| cohorts::remove_member(conn, &id, &user_id, &admin.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Names one of the cohort's instructors a lead instructor (admins): when the two markers of
/// a written answer disagree, an admin or a lead instructor who did not mark it decides.
#[utoipa::path(put, path = "/api/v1/cohorts/{id}/leads/{user_id}", tag = "cohorts",
    responses((status = 204), (status = 422, body = crate::error::ApiError)), security(("bearer" = [])))]
pub async fn name_lead(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(
        crate::cohorts::model::CohortId,
        crate::accounts::model::UserId,
    )>,
) -> Result<HttpResponse, AppError> {
    set_lead(state, admin, path.into_inner(), true).await
}

/// Ends a lead instructor's naming (admins); they stay an instructor of the cohort.
#[utoipa::path(delete, path = "/api/v1/cohorts/{id}/leads/{user_id}", tag = "cohorts",
    responses((status = 204), (status = 422, body = crate::error::ApiError)), security(("bearer" = [])))]
pub async fn unname_lead(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(
        crate::cohorts::model::CohortId,
        crate::accounts::model::UserId,
    )>,
) -> Result<HttpResponse, AppError> {
    set_lead(state, admin, path.into_inner(), false).await
}

async fn set_lead(
    state: web::Data<AppState>,
    admin: AdminUser,
    (id, user_id): (
        crate::cohorts::model::CohortId,
        crate::accounts::model::UserId,
    ),
    lead: bool,
) -> Result<HttpResponse, AppError> {
    state
        .db
        .run(move |conn| cohorts::set_lead(conn, &id, &user_id, lead, &admin.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives the cohort's calendar feed a new secret link; the old link stops working (staff).
/// Removing a member does the same.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/calendar/rotate", tag = "cohorts",
    responses((status = 200)), security(("bearer" = [])))]
pub async fn rotate_calendar(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let c = state
        .db
        .run(move |conn| cohorts::rotate_feed(conn, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RosterQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Makes a CSV cell safe for spreadsheets: cells starting with = + - @ are prefixed with '.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Writes rows as RFC 4180 CSV with a UTF-8 byte-order mark (so Excel shows Thai).
pub fn csv_with_bom(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    for r in rows {
        w.write_record(r.iter().map(|c| neutralise(c)))
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("csv: {e}")))?;
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend(body);
    Ok(out)
}

/// Writes rows as an Excel workbook with one sheet; Thai text is kept as UTF-8 strings.
pub fn xlsx(sheet: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Unexpected(anyhow::anyhow!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Strings only: a cell never becomes a formula, whatever it starts with.
            ws.write_string(r as u32 + 1, c as u16, cell)
                .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// An XLSX download response.
pub fn xlsx_response(file: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(body)
}

/// The cohort's members with attendance; `?format=csv` or `?format=xlsx` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/roster", tag = "cohorts", params(RosterQuery),
    responses((status = 200, body = [RosterEntry])), security(("bearer" = [])))]
pub async fn roster(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    q: web::Query<RosterQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rule = state.course.programme.excused_absence;
    let (cohort, entries) = state
        .db
        .run(move |conn| {
            let (row, _) = cohorts::authorize(conn, &id, &user.0, Access::Staff)?;
            Ok((row, cohorts::roster(conn, &id, rule)?))
        })
        .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok().json(entries)),
        Some(format @ ("csv" | "xlsx")) => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.name.clone(),
                        e.name_en.clone().unwrap_or_default(),
                        e.email.clone(),
                        e.office_code.clone(),
                        crate::offices::find(&e.office_code)
                            .map(|o| o.name_th.clone())
                            .unwrap_or_default(),
                        e.role.as_str().to_string(),
                        e.joined_at.and_utc().to_rfc3339(),
                        e.attendance_percent
                            .map(|p| format!("{p:.1}"))
                            .unwrap_or_default(),
                        format!("{:.2}", e.attended_hours),
                        e.user_id.to_string(),
                    ]
                })
                .collect();
            let header = [
                "name",
                "name_en",
                "email",
                "office_code",
                "office_name_th",
                "role",
                "joined_at",
                "attendance_percent",
                "training_hours",
                "user_id",
            ];
            if format == "xlsx" {
                let file = format!("roster-{}-{}.xlsx", cohort.fiscal_year, cohort.generation);
                return Ok(xlsx_response(&file, xlsx("roster", &header, &rows)?));
            }
            let body = csv_with_bom(&header, &rows)?;
            let file = format!("roster-{}-{}.csv", cohort.fiscal_year, cohort.generation);
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "content-disposition",
                    format!("attachment; filename=\"{file}\""),
                ))
                .body(body))
        }
        Some(other) => Err(field(
            "invalid_format",
            "format",
            format!("'{other}' is not json or csv"),
        )),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    pub title_th: String,
    pub title_en: Option<String>,
    /// RFC 3339, e.g. `2022-02-15T09:30:00+07:00`.
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
    pub meeting_url: Option<String>,
    /// `onsite`, `online` or `hybrid`.
    pub mode: String,
}

/// Schedules a seminar session (cohort instructor or admin).
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/sessions", tag = "sessions", request_body = CreateSessionRequest,
    responses((status = 201, body = cohorts::Session)), security(("bearer" = [])))]
pub async fn create_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<CreateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    authorize_cohort(&state, &id, user, Access::Staff).await?;
    let b = body.into_inner();
    let meeting_url = match b.meeting_url.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(u) => {
            let parsed = url::Url::parse(u.trim())
                .map_err(|_| field("invalid_url", "meeting_url", "not a URL"))?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(field(
                    "invalid_url",
                    "meeting_url",
                    "must be an http(s) link",
                ));
            }
            Some(parsed.to_string())
        }
        None => None,
    };
    let title_th = text("title_th", &b.title_th, 200)?;
    let new = cohorts::NewSession {
        title_en: b
            .title_en
            .as_deref()
            .map(|s| text("title_en", s, 200))
            .transpose()?
            .unwrap_or_else(|| title_th.clone()),
        title_th,
        starts_at: parse_time("starts_at", &b.starts_at)?,
        ends_at: parse_time("ends_at", &b.ends_at)?,
        venue: text("venue", &b.venue, 300)?,
        meeting_url,
        mode: b
            .mode
            .parse()
            .map_err(|m| field("invalid_mode", "mode", m))?,
    };
    let s = state
        .db
        .run(move |conn| cohorts::create_session(conn, &id, &new))
        .await?;
    Ok(HttpResponse::Created().json(s))
}

/// The sessions of a cohort (members).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/sessions", tag = "sessions", responses((status = 200, body = [cohorts::Session])), security(("bearer" = [])))]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let s = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &id, &user.0, Access::Member)?;
            cohorts::list_sessions(conn, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The attendance list of a session (cohort instructor or admin).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/attendance", tag = "sessions", responses((status = 200, body = [cohorts::Attendance])), security(("bearer" = [])))]
pub async fn session_attendance(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::SessionId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let a = state
        .db
        .run(move |conn| {
            cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::session_attendance(conn, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MarkRequest {
    /// `present`, `late`, `absent` or `excused`.
    pub status: String,
    /// `room` or `online`.
    pub via: Option<String>,
    /// Minutes attended, to correct the time (0 to the session's length); without it, present
    /// or late counts the whole session.
    #[serde(default)]
    pub minutes: Option<i32>,
}

/// An instructor marks a trainee's attendance.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/attendance/{user_id}", tag = "sessions", request_body = MarkRequest,
    responses((status = 200, body = cohorts::Attendance)), security(("bearer" = [])))]
pub async fn mark_attendance(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(
        crate::cohorts::model::SessionId,
        crate::accounts::model::UserId,
    )>,
    body: web::Json<MarkRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, trainee) = path.into_inner();
    let user = authorize_session(&state, &id, user, Access::Staff).await?;
    let b = body.into_inner();
    let status: AttendanceStatus = b
        .status
        .parse()
        .map_err(|m| field("invalid_status", "status", m))?;
    let a = state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::mark_attendance(conn, &s, &trainee, status, b.via.as_deref(), b.minutes)
        })
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CheckinCode {
    pub code: String,
    /// When the code changes.
    #[serde(with = "crate::dates::utc")]
    pub valid_until: NaiveDateTime,
}

/// The code to display for self check-in; it changes every 60 seconds, only during the session.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/checkin-code", tag = "sessions",
    responses((status = 200, body = CheckinCode), (status = 409, description = "outside the session")), security(("bearer" = [])))]
pub async fn checkin_code(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::SessionId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (code, valid_until) = state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::current_checkin_code(&s, crate::util::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(CheckinCode { code, valid_until }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckinRequest {
    pub code: String,
}

/// A trainee checks in with the code on display.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/checkin", tag = "sessions", request_body = CheckinRequest,
    responses((status = 200, body = cohorts::Attendance), (status = 409, description = "outside the session"), (status = 422, description = "wrong or old code")),
    security(("bearer" = [])))]
pub async fn checkin(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::SessionId>,
    body: web::Json<CheckinRequest>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let code = body.into_inner().code;
    let a = state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &id, &user.0, Access::Trainee)?;
            cohorts::check_in(conn, &s, &user.0, &code, crate::util::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// Imports a Zoom participant report (CSV) and credits online attendance by minutes.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/zoom-report", tag = "sessions",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = [cohorts::ZoomEntry])), security(("bearer" = [])))]
pub async fn import_zoom(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    path: web::Path<crate::cohorts::model::SessionId>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = authorize_session(&state, &id, user, Access::Staff).await?;
    let text = crate::http::api::read_text_body(&req, payload, 4 * 1024 * 1024).await?;
    let rows = state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::import_zoom_report(conn, &s, &text)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// The rows of the session's Zoom reports; unmatched ones have no `matched_user_id`.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/zoom-report", tag = "sessions",
    responses((status = 200, body = [cohorts::ZoomEntry])), security(("bearer" = [])))]
pub async fn zoom_rows(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::cohorts::model::SessionId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rows = state
        .db
        .run(move |conn| {
            cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::zoom_entries(conn, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MatchRequest {
    pub user_id: crate::accounts::model::UserId,
}

/// Matches an unmatched Zoom row to a trainee by hand.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/zoom-report/{row_id}/match", tag = "sessions", request_body = MatchRequest,
    responses((status = 200, body = [cohorts::ZoomEntry])), security(("bearer" = [])))]
pub async fn match_zoom(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(crate::cohorts::model::SessionId, String)>,
    body: web::Json<MatchRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, row) = path.into_inner();
    let target = body.into_inner().user_id;
    let rows = state
        .db
        .run(move |conn| {
            let (s, _) = cohorts::session_for(conn, &id, &user.0, Access::Staff)?;
            cohorts::match_zoom_row(conn, &s, &row.as_str().into(), &target)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// The iCalendar feed of a cohort's sessions, by its secret link (calendar apps cannot sign in).
#[utoipa::path(get, path = "/calendar/{id}/{file}", tag = "cohorts",
    params(("id" = String, Path, description = "The cohort's id"),
        ("file" = String, Path, description = "The feed's secret token followed by `.ics`")),
    responses((status = 200, description = "An iCalendar feed (RFC 5545)", content_type = "text/calendar", body = String),
        (status = 404, description = "No such cohort, or the token is not its current one")))]
pub async fn calendar_feed(
    state: web::Data<AppState>,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, file) = path.into_inner();
    let token = file.strip_suffix(".ics").unwrap_or("").to_string();
    let body = state
        .db
        .run(move |conn| {
            let row = cohorts::store::find_cohort(conn, &id)?.ok_or(AppError::NotFound)?;
            let expected = cohorts::feed_token(&row);
            if token.len() != expected.len() || token != expected {
                return Err(AppError::NotFound);
            }
            let sessions = cohorts::list_sessions(conn, &id)?;
            Ok(cohorts::calendar::ics(
                &format!("{} / {}", row.name_th, row.name_en),
                &sessions,
                crate::util::now(),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(body))
}

/// Checks cohort access before anything else of the request is looked at, so that outsiders
/// learn nothing from validation errors.
async fn authorize_cohort(
    state: &AppState,
    id: &crate::cohorts::model::CohortId,
    user: CurrentUser,
    need: Access,
) -> Result<CurrentUser, AppError> {
    let id = id.clone();
    state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &id, &user.0, need)?;
            Ok(user)
        })
        .await
}

async fn authorize_session(
    state: &AppState,
    id: &crate::cohorts::model::SessionId,
    user: CurrentUser,
    need: Access,
) -> Result<CurrentUser, AppError> {
    let id = id.clone();
    state
        .db
        .run(move |conn| {
            cohorts::session_for(conn, &id, &user.0, need)?;
            Ok(user)
        })
        .await
}
