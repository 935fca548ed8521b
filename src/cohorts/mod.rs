//! Cohorts: runs of a programme, enrolment, seminar sessions and attendance.

use crate::cohorts::error::CohortError;
mod attendance;
pub mod calendar;
pub mod error;
mod members;
pub mod model;
pub mod observations;
mod roster;
mod sessions;
pub mod store;
mod zoom;

pub use attendance::*;
pub use members::*;
pub use roster::*;
pub use sessions::*;
pub use zoom::*;

use crate::ids::AuditSubject;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::accounts::{self, model::Role, User};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use model::{AttendanceStatus, CohortId, CohortStatus, MemberRole, SessionId, SessionMode};
use store::{AttendanceRow, CohortRow, SessionRow};

use crate::course::model::ExcusedAbsence;
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
    #[serde(with = "crate::dates::utc::option")]
    pub enrol_opens_at: Option<NaiveDateTime>,
    #[serde(with = "crate::dates::utc::option")]
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
    crate::util::sha256_hex(&format!("feed:{}:{}", row.id, row.feed_secret))[..32].to_string()
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
    let role = store::find_member_role(conn, cohort_id, &user.id)?;
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
        return Err(AppError::from(CohortError::Invalid(
            "ends_on is before starts_on".into(),
        )));
    }
    if !(1..=10_000).contains(&new.capacity) {
        return Err(AppError::from(CohortError::Invalid(
            "capacity must be from 1 to 10000".into(),
        )));
    }
    if !(1..=999).contains(&new.generation) {
        return Err(AppError::from(CohortError::Invalid(
            "generation must be from 1 to 999".into(),
        )));
    }
    let fiscal_year = new
        .fiscal_year
        .unwrap_or_else(|| crate::dates::fiscal_year_be(new.starts_on));
    if !(2500..=2700).contains(&fiscal_year) {
        return Err(AppError::from(CohortError::Invalid(
            "fiscal_year is a Buddhist Era year such as 2565".into(),
        )));
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
            return Err(AppError::from(CohortError::GenerationTaken(format!(
                "generation {} of fiscal year {} already exists for this programme",
                row.generation, row.fiscal_year
            ))));
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
