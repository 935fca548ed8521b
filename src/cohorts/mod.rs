//! Cohorts: runs of a programme, enrolment, seminar sessions and attendance.

pub mod calendar;
pub mod model;
pub mod store;

use crate::ids::AuditSubject;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::accounts::{self, model::Role, User};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use model::{AttendanceStatus, CohortId, CohortStatus, MemberRole, SessionId, SessionMode};
use store::{AttendanceRow, CohortRow, SessionRow};

use crate::util::now;

fn random_secret() -> String {
    crate::util::random_hex(24)
}

/// A cohort as callers see it; the join code only for staff.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cohort {
    pub id: crate::cohorts::model::CohortId,
    pub program: String,
    pub generation: i32,
    /// Buddhist Era, e.g. 2565.
    pub fiscal_year: i32,
    pub name_th: String,
    pub name_en: String,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: i32,
    pub trainee_count: i32,
    pub status: CohortStatus,
    pub enrol_opens_at: Option<NaiveDateTime>,
    pub enrol_closes_at: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_code: Option<String>,
    /// Path of the iCalendar feed of the sessions (secret link for calendar apps).
    pub calendar_path: String,
    /// The caller's role in this cohort, if a member.
    pub my_role: Option<MemberRole>,
}

fn view(row: CohortRow, staff: bool, my_role: Option<MemberRole>) -> Result<Cohort, AppError> {
    let calendar_path = format!("/calendar/{}/{}.ics", row.id, feed_token(&row));
    Ok(Cohort {
        status: row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
        join_code: staff.then(|| row.join_code.clone()),
        calendar_path,
        my_role,
        id: row.id,
        program: row.programme_id,
        generation: row.generation,
        fiscal_year: row.fiscal_year,
        name_th: row.name_th,
        name_en: row.name_en,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        capacity: row.capacity,
        trainee_count: row.trainee_count,
        enrol_opens_at: row.enrol_opens_at,
        enrol_closes_at: row.enrol_closes_at,
    })
}

/// The secret part of a cohort's calendar-feed link.
pub fn feed_token(row: &CohortRow) -> String {
    crate::accounts::store::sha256_hex(&format!("feed:{}:{}", row.id, row.feed_secret))[..32]
        .to_string()
}

/// What a caller needs to be allowed to use a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any member, or an admin.
    Member,
    /// An instructor of the cohort, or an admin.
    Staff,
    /// A trainee member.
    Trainee,
}

/// Checks the caller's access. A caller who is not a member (and not an admin) gets the same
/// 404 as for a cohort that does not exist.
pub fn authorize(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    need: Access,
) -> Result<(CohortRow, Option<MemberRole>), AppError> {
    let row = store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    let role = store::find_member_role(conn, cohort_id, &user.id)?
        .map(|r| r.parse::<MemberRole>())
        .transpose()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let admin = user.role == Role::Admin;
    if role.is_none() && !admin {
        return Err(AppError::NotFound);
    }
    let ok = match need {
        Access::Member => true,
        Access::Staff => admin || role == Some(MemberRole::Instructor),
        Access::Trainee => role == Some(MemberRole::Trainee),
    };
    if !ok {
        return Err(AppError::Forbidden);
    }
    Ok((row, role))
}

/// What it takes to create a cohort (already parsed at the edge).
#[derive(Debug, Clone)]
pub struct NewCohort {
    pub programme_id: String,
    pub generation: i32,
    pub fiscal_year: Option<i32>,
    pub name_th: Option<String>,
    pub name_en: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub capacity: i32,
    pub status: CohortStatus,
    pub enrol_opens_at: Option<NaiveDateTime>,
    pub enrol_closes_at: Option<NaiveDateTime>,
}

/// Creates a cohort; the fiscal year defaults from the start date (it begins on 1 October)
/// and the names from generation and year. Generations are unique per programme and year.
#[tracing::instrument(level = "debug", skip_all)]
pub fn create_cohort(conn: &mut DbConnection, new: &NewCohort) -> Result<Cohort, AppError> {
    if new.ends_on < new.starts_on {
        return Err(AppError::invalid("ends_on is before starts_on"));
    }
    if !(1..=10_000).contains(&new.capacity) {
        return Err(AppError::invalid("capacity must be from 1 to 10000"));
    }
    if !(1..=999).contains(&new.generation) {
        return Err(AppError::invalid("generation must be from 1 to 999"));
    }
    let fiscal_year = new
        .fiscal_year
        .unwrap_or_else(|| crate::dates::fiscal_year_be(new.starts_on));
    if !(2500..=2700).contains(&fiscal_year) {
        return Err(AppError::invalid(
            "fiscal_year is a Buddhist Era year such as 2565",
        ));
    }
    let (dth, den) = model::default_names(new.generation, fiscal_year);
    let t = now();
    let row = CohortRow {
        id: CohortId::random(),
        programme_id: new.programme_id.clone(),
        generation: new.generation,
        fiscal_year,
        name_th: new
            .name_th
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(dth),
        name_en: new
            .name_en
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(den),
        starts_on: new.starts_on.to_string(),
        ends_on: new.ends_on.to_string(),
        capacity: new.capacity,
        trainee_count: 0,
        enrol_opens_at: new.enrol_opens_at,
        enrol_closes_at: new.enrol_closes_at,
        join_code: model::new_join_code(),
        status: new.status.as_str().into(),
        feed_secret: random_secret(),
        created_at: t,
        updated_at: t,
    };
    write_tx(conn, |conn| {
        let taken = store::list_cohorts(conn)?.into_iter().any(|c| {
            c.programme_id == row.programme_id
                && c.fiscal_year == row.fiscal_year
                && c.generation == row.generation
        });
        if taken {
            return Err(AppError::conflict(
                "generation_taken",
                format!(
                    "generation {} of fiscal year {} already exists for this programme",
                    row.generation, row.fiscal_year
                ),
            ));
        }
        store::insert_cohort(conn, &row)?;
        Ok(())
    })?;
    view(row, true, None)
}

/// A cohort for a caller with access.
pub fn get_cohort(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
    user: &User,
) -> Result<Cohort, AppError> {
    let (row, role) = authorize(conn, id, user, Access::Member)?;
    let staff = user.role == Role::Admin || role == Some(MemberRole::Instructor);
    view(row, staff, role)
}

/// Admins see every cohort; others the cohorts they belong to.
#[tracing::instrument(level = "debug", skip_all)]
pub fn list_cohorts(conn: &mut DbConnection, user: &User) -> Result<Vec<Cohort>, AppError> {
    if user.role == Role::Admin {
        return store::list_cohorts(conn)?
            .into_iter()
            .map(|r| view(r, true, None))
            .collect();
    }
    store::list_cohorts_of_user(conn, &user.id)?
        .into_iter()
        .map(|(r, role)| {
            let role: MemberRole = role
                .parse()
                .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
            view(r, role == MemberRole::Instructor, Some(role))
        })
        .collect()
}

/// A membership as returned by join and add.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub user_id: crate::accounts::model::UserId,
    pub role: MemberRole,
    pub joined_at: NaiveDateTime,
}

/// A trainee joins with the code: inside the enrolment window, while open or running, and
/// under capacity. The seat is taken by one conditional update, so concurrent joins for the
/// last seat give exactly one member.
#[tracing::instrument(level = "debug", skip_all)]
pub fn join(conn: &mut DbConnection, code: &str, user: &User) -> Result<Membership, AppError> {
    if user.role != Role::Trainee {
        return Err(AppError::Forbidden);
    }
    let code = model::normalise_join_code(code);
    let t = now();
    write_tx(conn, |conn| {
        let row = store::find_by_code(conn, &code)?.ok_or_else(|| AppError::Validation {
            code: "unknown_join_code",
            message: "no cohort has this join code; check it with your instructor".into(),
        })?;
        let status: CohortStatus = row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
        if store::find_member_role(conn, &row.id, &user.id)?.is_some() {
            return Err(AppError::conflict(
                "already_member",
                "you are already a member of this cohort",
            ));
        }
        let window_open =
            row.enrol_opens_at.is_none_or(|o| o <= t) && row.enrol_closes_at.is_none_or(|c| t < c);
        if !status.accepts_joins() || !window_open {
            return Err(AppError::conflict(
                "cohort_closed",
                "this cohort is not open for enrolment",
            ));
        }
        if store::take_seat(conn, &row.id)? == 0 {
            return Err(AppError::conflict("cohort_full", "this cohort is full"));
        }
        store::insert_member(conn, &row.id, &user.id, MemberRole::Trainee.as_str(), t)?;
        Ok(Membership {
            cohort_id: row.id,
            user_id: user.id.clone(),
            role: MemberRole::Trainee,
            joined_at: t,
        })
    })
}

/// An admin adds a user as trainee or instructor (capacity is the admin's call).
#[tracing::instrument(level = "debug", skip_all)]
pub fn add_member(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    role: MemberRole,
) -> Result<Membership, AppError> {
    let t = now();
    write_tx(conn, |conn| {
        store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
        let user = accounts::get_user(conn, user_id).map_err(|e| match e {
            AppError::NotFound => AppError::Validation {
                code: "unknown_user",
                message: format!("no user with id {user_id}"),
            },
            other => other,
        })?;
        let fits = match role {
            MemberRole::Trainee => user.role == Role::Trainee,
            MemberRole::Instructor => user.role == Role::Instructor || user.role == Role::Admin,
        };
        if !fits {
            return Err(AppError::Validation {
                code: "role_mismatch",
                message: format!("a {} cannot be added as {}", user.role, role.as_str()),
            });
        }
        if store::find_member_role(conn, cohort_id, user_id)?.is_some() {
            return Err(AppError::conflict(
                "already_member",
                "the user is already a member of this cohort",
            ));
        }
        if role == MemberRole::Trainee {
            store::add_seat(conn, cohort_id, 1)?;
        }
        store::insert_member(conn, cohort_id, user_id, role.as_str(), t)?;
        if role == MemberRole::Instructor {
            store::start_staff_history(conn, cohort_id, user_id, role.as_str(), t)?;
        }
        Ok(Membership {
            cohort_id: cohort_id.into(),
            user_id: user_id.into(),
            role,
            joined_at: t,
        })
    })
}

/// Removes a member; it takes effect on the member's very next request. An instructor's
/// teaching history is kept (dated, with who ended it): whoever taught a cohort stays barred
/// from deciding its certifications. The removal is audited, and the cohort's calendar feed
/// address changes so a removed member's subscription stops.
#[tracing::instrument(level = "debug", skip_all)]
pub fn remove_member(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    actor: &User,
) -> Result<(), AppError> {
    let t = now();
    write_tx(conn, |conn| {
        let role = store::find_member_role(conn, cohort_id, user_id)?.ok_or(AppError::NotFound)?;
        store::delete_member(conn, cohort_id, user_id)?;
        if role == MemberRole::Trainee.as_str() {
            store::add_seat(conn, cohort_id, -1)?;
        } else {
            store::end_staff_history(conn, cohort_id, user_id, &actor.id, t)?;
        }
        store::set_feed_secret(conn, cohort_id, &random_secret())?;
        crate::credentials::store::audit(
            conn,
            Some(&actor.id),
            "member_removed",
            AuditSubject::of(cohort_id),
            &serde_json::json!({"user_id": user_id, "role": role}),
            t,
        )?;
        Ok(())
    })
}

/// Gives the cohort's calendar feed a new secret link (staff, e.g. after a link leaked).
pub fn rotate_feed(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    actor: &User,
) -> Result<Cohort, AppError> {
    authorize(conn, cohort_id, actor, Access::Staff)?;
    write_tx(conn, |conn| {
        store::set_feed_secret(conn, cohort_id, &random_secret())?;
        crate::credentials::store::audit(
            conn,
            Some(&actor.id),
            "calendar_feed_rotated",
            AuditSubject::of(cohort_id),
            &serde_json::json!({}),
            now(),
        )?;
        Ok::<_, AppError>(())
    })?;
    let row = store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    view(row, true, None)
}

/// Whether a person ever taught a cohort: an instructor now, or at any time before (the
/// teaching history survives removal).
pub fn ever_taught(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
) -> Result<bool, AppError> {
    if store::find_member_role(conn, cohort_id, user_id)?.as_deref()
        == Some(MemberRole::Instructor.as_str())
    {
        return Ok(true);
    }
    Ok(!store::staff_history(conn, cohort_id, user_id)?.is_empty())
}

/// The outcome of adding members from a list of e-mail addresses.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BulkAddReport {
    pub added: Vec<String>,
    pub already_members: Vec<String>,
    pub unknown: Vec<String>,
    pub refused: Vec<String>,
}

/// Adds every listed address that has an account of a fitting role; reports the rest.
pub fn add_members_by_email(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    emails: &[String],
    role: MemberRole,
) -> Result<BulkAddReport, AppError> {
    store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    let mut report = BulkAddReport::default();
    for raw in emails {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            continue;
        }
        let found = accounts::store::find_user_by_email(conn, &email)?;
        let Some(user) = found else {
            report.unknown.push(email);
            continue;
        };
        match add_member(conn, cohort_id, &user.id, role) {
            Ok(_) => report.added.push(email),
            Err(AppError::Conflict { .. }) => report.already_members.push(email),
            Err(AppError::Validation { .. }) => report.refused.push(email),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// Changes to a cohort; a status change must be a sensible transition.
#[derive(Debug, Default, Clone)]
pub struct CohortUpdate {
    pub name_th: Option<String>,
    pub name_en: Option<String>,
    pub capacity: Option<i32>,
    pub status: Option<CohortStatus>,
    pub enrol_opens_at: Option<Option<NaiveDateTime>>,
    pub enrol_closes_at: Option<Option<NaiveDateTime>>,
    pub rotate_join_code: bool,
}

/// Applies an admin's changes to a cohort.
#[tracing::instrument(level = "debug", skip_all)]
pub fn update_cohort(
    conn: &mut DbConnection,
    id: &crate::cohorts::model::CohortId,
    u: &CohortUpdate,
) -> Result<Cohort, AppError> {
    let row = write_tx(conn, |conn| {
        let row = store::find_cohort(conn, id)?.ok_or(AppError::NotFound)?;
        let current: CohortStatus = row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
        if let Some(next) = u.status {
            if !current.can_become(next) {
                return Err(AppError::conflict(
                    "bad_transition",
                    format!("a {current} cohort cannot become {next}"),
                ));
            }
        }
        if let Some(c) = u.capacity {
            if !(1..=10_000).contains(&c) {
                return Err(AppError::invalid("capacity must be from 1 to 10000"));
            }
            if c < row.trainee_count {
                return Err(AppError::conflict(
                    "capacity_below_members",
                    format!("the cohort already has {} trainees", row.trainee_count),
                ));
            }
        }
        let changes = store::CohortChanges {
            name_th: u.name_th.clone(),
            name_en: u.name_en.clone(),
            capacity: u.capacity,
            status: u.status.map(|s| s.as_str().to_string()),
            enrol_opens_at: u.enrol_opens_at,
            enrol_closes_at: u.enrol_closes_at,
            join_code: u.rotate_join_code.then(model::new_join_code),
            updated_at: Some(now()),
            ..Default::default()
        };
        store::update_cohort(conn, id, &changes)?;
        store::find_cohort(conn, id)?.ok_or(AppError::NotFound)
    })?;
    view(row, true, None)
}

/// One line of a cohort's roster.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterEntry {
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub name_en: Option<String>,
    pub email: String,
    pub office_code: String,
    pub role: MemberRole,
    pub joined_at: NaiveDateTime,
    /// Percent of held sessions attended (present or late; excused sessions do not count);
    /// `None` before any session was held.
    pub attendance_percent: Option<f64>,
}

/// Attendance rate per user over the cohort's sessions that have started.
#[tracing::instrument(level = "debug", skip_all)]
pub fn attendance_rates(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<std::collections::HashMap<crate::accounts::model::UserId, Option<f64>>, AppError> {
    let t = now();
    let held: std::collections::HashSet<SessionId> = store::list_sessions(conn, cohort_id)?
        .into_iter()
        .filter(|s| s.starts_at <= t)
        .map(|s| s.id)
        .collect();
    let marks = store::list_attendance_of_cohort(conn, cohort_id)?;
    let members = store::list_members(conn, cohort_id)?;
    let mut out = std::collections::HashMap::new();
    for m in members.iter().filter(|m| m.role == "trainee") {
        let mine: Vec<&AttendanceRow> = marks
            .iter()
            .filter(|a| a.user_id == m.user_id && held.contains(&a.session_id))
            .collect();
        let marked = |a: &&&AttendanceRow| a.status.parse::<AttendanceStatus>().ok();
        let excused = mine
            .iter()
            .filter(|a| marked(a) == Some(AttendanceStatus::Excused))
            .count();
        let attended = mine
            .iter()
            .filter(|a| marked(a).is_some_and(AttendanceStatus::attended))
            .count();
        let denominator = held.len().saturating_sub(excused);
        let rate = (denominator > 0).then(|| 100.0 * attended as f64 / denominator as f64);
        out.insert(m.user_id.clone(), rate);
    }
    Ok(out)
}

/// The members of a cohort with their attendance, trainees in Thai name order.
#[tracing::instrument(level = "debug", skip_all)]
pub fn roster(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<RosterEntry>, AppError> {
    let rates = attendance_rates(conn, cohort_id)?;
    let mut entries: Vec<RosterEntry> = store::list_members(conn, cohort_id)?
        .into_iter()
        .map(|m| {
            Ok(RosterEntry {
                attendance_percent: rates.get(&m.user_id).copied().flatten(),
                role: m
                    .role
                    .parse()
                    .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
                user_id: m.user_id,
                name: m.name,
                name_en: m.name_en,
                email: m.email,
                office_code: m.office_code,
                joined_at: m.joined_at,
            })
        })
        .collect::<Result<_, AppError>>()?;
    entries.sort_by_cached_key(|e| {
        (
            e.role != MemberRole::Instructor,
            crate::thai::sort_key(&e.name),
        )
    });
    Ok(entries)
}

/// A seminar session as members see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub title_th: String,
    pub title_en: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub venue: String,
    pub meeting_url: Option<String>,
    pub mode: SessionMode,
}

impl TryFrom<SessionRow> for Session {
    type Error = AppError;
    fn try_from(r: SessionRow) -> Result<Self, AppError> {
        Ok(Session {
            mode: r
                .mode
                .parse()
                .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
            id: r.id,
            cohort_id: r.cohort_id,
            title_th: r.title_th,
            title_en: r.title_en,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            venue: r.venue,
            meeting_url: r.meeting_url,
        })
    }
}

/// What it takes to schedule a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub title_th: String,
    pub title_en: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub venue: String,
    pub meeting_url: Option<String>,
    pub mode: SessionMode,
}

/// Schedules a session of a cohort.
#[tracing::instrument(level = "debug", skip_all)]
pub fn create_session(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    new: &NewSession,
) -> Result<Session, AppError> {
    if new.ends_at <= new.starts_at {
        return Err(AppError::invalid("ends_at must be after starts_at"));
    }
    if new.mode != SessionMode::Onsite && new.meeting_url.is_none() {
        return Err(AppError::invalid(
            "an online or hybrid session needs a meeting_url",
        ));
    }
    let row = SessionRow {
        id: SessionId::random(),
        cohort_id: cohort_id.into(),
        title_th: new.title_th.clone(),
        title_en: new.title_en.clone(),
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        venue: new.venue.clone(),
        meeting_url: new.meeting_url.clone(),
        mode: new.mode.as_str().into(),
        checkin_secret: random_secret(),
        created_at: now(),
    };
    write_tx(conn, |conn| store::insert_session(conn, &row))?;
    row.try_into()
}

/// The sessions of a cohort, in time order.
pub fn list_sessions(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<Session>, AppError> {
    store::list_sessions(conn, cohort_id)?
        .into_iter()
        .map(Session::try_from)
        .collect()
}

/// A session with the caller's access to its cohort checked.
pub fn session_for(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
    user: &User,
    need: Access,
) -> Result<(SessionRow, Option<MemberRole>), AppError> {
    let s = store::find_session(conn, session_id)?.ok_or(AppError::NotFound)?;
    let (_, role) = authorize(conn, &s.cohort_id, user, need)?;
    Ok((s, role))
}

/// One trainee's attendance of a session.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attendance {
    pub user_id: crate::accounts::model::UserId,
    pub status: AttendanceStatus,
    /// `room` or `online`.
    pub via: Option<String>,
    pub minutes: Option<i32>,
    pub source: String,
}

impl TryFrom<AttendanceRow> for Attendance {
    type Error = AppError;
    fn try_from(r: AttendanceRow) -> Result<Self, AppError> {
        Ok(Attendance {
            status: r
                .status
                .parse()
                .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
            user_id: r.user_id,
            via: r.via,
            minutes: r.minutes,
            source: r.source,
        })
    }
}

/// An instructor marks a trainee's attendance.
pub fn mark_attendance(
    conn: &mut DbConnection,
    session: &SessionRow,
    user_id: &crate::accounts::model::UserId,
    status: AttendanceStatus,
    via: Option<&str>,
) -> Result<Attendance, AppError> {
    if let Some(v) = via {
        if v != "room" && v != "online" {
            return Err(AppError::invalid("via must be room or online"));
        }
    }
    if store::find_member_role(conn, &session.cohort_id, user_id)?.as_deref() != Some("trainee") {
        return Err(AppError::Validation {
            code: "not_a_trainee",
            message: "the user is not a trainee of this cohort".into(),
        });
    }
    let row = AttendanceRow {
        session_id: session.id.clone(),
        user_id: user_id.into(),
        status: status.as_str().into(),
        via: via.map(str::to_string),
        minutes: None,
        source: "instructor".into(),
        updated_at: now(),
    };
    write_tx(conn, |conn| store::save_attendance(conn, &row))?;
    row.try_into()
}

/// The current check-in code of a session and when it changes; only during the session.
pub fn current_checkin_code(
    session: &SessionRow,
    at: NaiveDateTime,
) -> Result<(String, NaiveDateTime), AppError> {
    checkin_window_open(session, at)?;
    let unix = at.and_utc().timestamp();
    let next = (unix.div_euclid(model::CHECKIN_PERIOD_S) + 1) * model::CHECKIN_PERIOD_S;
    let until = chrono::DateTime::from_timestamp(next, 0)
        .map(|d| d.naive_utc())
        .unwrap_or(at);
    Ok((model::checkin_code(&session.checkin_secret, unix), until))
}

fn checkin_window_open(session: &SessionRow, at: NaiveDateTime) -> Result<(), AppError> {
    let opens = session.starts_at - chrono::Duration::seconds(model::CHECKIN_OPENS_BEFORE_S);
    if at < opens || at > session.ends_at {
        return Err(AppError::conflict(
            "checkin_closed",
            "check-in is open only during the session",
        ));
    }
    Ok(())
}

/// A trainee checks in with the code on display: only the current minute's code, only
/// during the session; after 15 minutes past the start it counts as late.
#[tracing::instrument(level = "debug", skip_all)]
pub fn check_in(
    conn: &mut DbConnection,
    session: &SessionRow,
    user: &User,
    code: &str,
    at: NaiveDateTime,
) -> Result<Attendance, AppError> {
    checkin_window_open(session, at)?;
    // Six digits can be guessed: a few wrong codes per trainee and session, then a wait.
    let guesses = format!("checkin:{}:{}", session.id, user.id);
    accounts::guesses_check(conn, &guesses)?;
    let code = crate::thai::fold_digits(code.trim());
    let expected = model::checkin_code(&session.checkin_secret, at.and_utc().timestamp());
    if code.len() != expected.len() || code != expected {
        accounts::guesses_fail(conn, &guesses)?;
        return Err(AppError::Validation {
            code: "wrong_code",
            message: "this code is not the one on display now".into(),
        });
    }
    let late = at > session.starts_at + chrono::Duration::seconds(model::LATE_AFTER_S);
    let via = if session.mode == "online" {
        "online"
    } else {
        "room"
    };
    let row = AttendanceRow {
        session_id: session.id.clone(),
        user_id: user.id.clone(),
        status: if late { "late" } else { "present" }.into(),
        via: Some(via.into()),
        minutes: None,
        source: "self".into(),
        updated_at: now(),
    };
    write_tx(conn, |conn| {
        // An instructor's mark is not overwritten by a self check-in.
        if let Some(existing) = store::find_attendance(conn, &session.id, &user.id)? {
            if existing.source == "instructor" {
                return Ok(existing);
            }
        }
        store::save_attendance(conn, &row)?;
        Ok::<_, AppError>(row)
    })?
    .try_into()
}

/// The attendance list of a session.
pub fn session_attendance(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
) -> Result<Vec<Attendance>, AppError> {
    store::list_attendance_of_session(conn, session_id)?
        .into_iter()
        .map(Attendance::try_from)
        .collect()
}

/// One row of a Zoom participant report, matched or waiting for an instructor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoomEntry {
    pub id: String,
    pub name: String,
    pub email: String,
    pub minutes: i32,
    pub matched_user_id: Option<crate::accounts::model::UserId>,
    /// A trainee of the same name, for an instructor to confirm (never counted by itself).
    pub suggested_user_id: Option<crate::accounts::model::UserId>,
}

/// Minutes online that count as present (the rest of a session's length counts as late when
/// at least half was attended, else absent).
fn credit(minutes: i32, session_minutes: i64) -> AttendanceStatus {
    let m = i64::from(minutes);
    if m * 100 >= session_minutes * 80 {
        AttendanceStatus::Present
    } else if m * 2 >= session_minutes {
        AttendanceStatus::Late
    } else {
        AttendanceStatus::Absent
    }
}

/// Imports a Zoom participant report (CSV with name, e-mail, join time, leave time, duration in
/// minutes). Rows are matched to trainees by e-mail, then by exact name; minutes of one person
/// are added up; unmatched rows wait for an instructor. Returns every row.
pub fn import_zoom_report(
    conn: &mut DbConnection,
    session: &SessionRow,
    csv_text: &str,
) -> Result<Vec<ZoomEntry>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::invalid(format!("cannot read the CSV header: {e}")))?
        .clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.to_lowercase().starts_with(n)))
    };
    let (Some(c_name), Some(c_email), Some(c_dur)) = (
        find(&["name", "ชื่อ"]),
        find(&["user email", "email", "อีเมล"]),
        find(&["duration", "ระยะเวลา"]),
    ) else {
        return Err(AppError::invalid(
            "the report needs the columns Name, User Email and Duration (Minutes)",
        ));
    };
    let mut parsed = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| AppError::invalid(format!("line {}: {e}", i + 2)))?;
        let minutes: i32 = rec
            .get(c_dur)
            .and_then(|d| crate::thai::fold_digits(d).trim().parse().ok())
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "line {}: duration is not a whole number of minutes",
                    i + 2
                ))
            })?;
        parsed.push((
            rec.get(c_name).unwrap_or("").to_string(),
            rec.get(c_email).unwrap_or("").trim().to_lowercase(),
            minutes.clamp(0, 24 * 60),
        ));
    }
    let members = store::list_members(conn, &session.cohort_id)?;
    let trainees: Vec<&store::MemberRow> = members.iter().filter(|m| m.role == "trainee").collect();
    let t = now();
    write_tx(conn, |conn| {
        for (name, email, minutes) in &parsed {
            let folded = name.split_whitespace().collect::<Vec<_>>().join(" ");
            // The e-mail Zoom verified is taken at once; a display name, which anyone may
            // choose, is only a suggestion for an instructor to confirm.
            let matched = trainees
                .iter()
                .find(|m| !email.is_empty() && m.email == *email)
                .map(|m| m.user_id.clone());
            let suggested = if matched.is_some() {
                None
            } else {
                trainees
                    .iter()
                    .find(|m| m.name == folded || m.name_en.as_deref() == Some(folded.as_str()))
                    .map(|m| m.user_id.clone())
            };
            store::insert_zoom_row(
                conn,
                &store::ZoomRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    session_id: session.id.clone(),
                    name: name.clone(),
                    email: email.clone(),
                    minutes: *minutes,
                    matched_user_id: matched,
                    created_at: t,
                    suggested_user_id: suggested,
                },
            )?;
        }
        recredit_zoom(conn, session)?;
        Ok::<_, AppError>(())
    })?;
    zoom_entries(conn, &session.id)
}

/// The rows of a session's Zoom reports.
pub fn zoom_entries(
    conn: &mut DbConnection,
    session_id: &crate::cohorts::model::SessionId,
) -> Result<Vec<ZoomEntry>, AppError> {
    Ok(store::list_zoom_rows(conn, session_id)?
        .into_iter()
        .map(|r| ZoomEntry {
            id: r.id,
            name: r.name,
            email: r.email,
            minutes: r.minutes,
            matched_user_id: r.matched_user_id,
            suggested_user_id: r.suggested_user_id,
        })
        .collect())
}

/// An instructor matches an unmatched Zoom row to a trainee by hand.
pub fn match_zoom_row(
    conn: &mut DbConnection,
    session: &SessionRow,
    row_id: &crate::cohorts::model::ZoomRowId,
    user_id: &crate::accounts::model::UserId,
) -> Result<Vec<ZoomEntry>, AppError> {
    write_tx(conn, |conn| {
        if store::find_member_role(conn, &session.cohort_id, user_id)?.as_deref() != Some("trainee")
        {
            return Err(AppError::Validation {
                code: "not_a_trainee",
                message: "the user is not a trainee of this cohort".into(),
            });
        }
        let rows = store::list_zoom_rows(conn, &session.id)?;
        if !rows.iter().any(|r| *row_id == r.id) {
            return Err(AppError::NotFound);
        }
        store::match_zoom_row(conn, row_id, user_id)?;
        recredit_zoom(conn, session)
    })?;
    zoom_entries(conn, &session.id)
}

fn recredit_zoom(conn: &mut DbConnection, session: &SessionRow) -> Result<(), AppError> {
    let session_minutes = (session.ends_at - session.starts_at).num_minutes().max(1);
    let mut totals: std::collections::HashMap<crate::accounts::model::UserId, i32> =
        std::collections::HashMap::new();
    for r in store::list_zoom_rows(conn, &session.id)? {
        if let Some(u) = r.matched_user_id {
            *totals.entry(u).or_default() += r.minutes;
        }
    }
    for (user_id, minutes) in totals {
        if let Some(existing) = store::find_attendance(conn, &session.id, &user_id)? {
            if existing.source == "instructor"
                || (existing.source == "self" && existing.via.as_deref() == Some("room"))
            {
                continue;
            }
        }
        let minutes = minutes.min(session_minutes as i32);
        store::save_attendance(
            conn,
            &AttendanceRow {
                session_id: session.id.clone(),
                user_id,
                status: credit(minutes, session_minutes).as_str().into(),
                via: Some("online".into()),
                minutes: Some(minutes),
                source: "zoom".into(),
                updated_at: now(),
            },
        )?;
    }
    Ok(())
}
