//! Membership: joining with a code, adding and removing people, the teaching history, the calendar feed secret.

use super::*;
use crate::cohorts::error::CohortError;

/// A membership as returned by join and add.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub user_id: crate::accounts::model::UserId,
    pub role: MemberRole,
    #[serde(with = "crate::dates::utc")]
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
        let row = store::find_by_code(conn, &code)?.ok_or_else(|| {
            AppError::from(CohortError::UnknownJoinCode(
                "no cohort has this join code; check it with your instructor".into(),
            ))
        })?;
        let status: CohortStatus = row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
        if store::find_member_role(conn, &row.id, &user.id)?.is_some() {
            return Err(AppError::from(CohortError::AlreadyMember(
                "you are already a member of this cohort".into(),
            )));
        }
        let window_open =
            row.enrol_opens_at.is_none_or(|o| o <= t) && row.enrol_closes_at.is_none_or(|c| t < c);
        if !status.accepts_joins() || !window_open {
            return Err(AppError::from(CohortError::CohortClosed(
                "this cohort is not open for enrolment".into(),
            )));
        }
        if store::take_seat(conn, &row.id)? == 0 {
            return Err(AppError::from(CohortError::CohortFull(
                "this cohort is full".into(),
            )));
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
            AppError::NotFound => AppError::from(CohortError::UnknownUser(format!(
                "no user with id {user_id}"
            ))),
            other => other,
        })?;
        let fits = match role {
            MemberRole::Trainee => user.role == Role::Trainee,
            MemberRole::Instructor => user.role == Role::Instructor || user.role == Role::Admin,
        };
        if !fits {
            return Err(AppError::from(CohortError::RoleMismatch(format!(
                "a {} cannot be added as {}",
                user.role,
                role.as_str()
            ))));
        }
        if store::find_member_role(conn, cohort_id, user_id)?.is_some() {
            return Err(AppError::from(CohortError::AlreadyMember(
                "the user is already a member of this cohort".into(),
            )));
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
        store::delete_lead(conn, cohort_id, user_id)?;
        if role == MemberRole::Trainee {
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

/// Names (or, with `lead == false`, un-names) one of the cohort's instructors as a lead
/// instructor (admins). When the two markers of a written answer disagree, an admin or a lead
/// instructor who did not mark it decides. Audited; naming twice changes nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub fn set_lead(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    lead: bool,
    actor: &User,
) -> Result<(), AppError> {
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let t = now();
    write_tx(conn, |conn| {
        store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
        if store::find_member_role(conn, cohort_id, user_id)? != Some(MemberRole::Instructor) {
            return Err(AppError::from(CohortError::RoleMismatch(
                "only an instructor of this cohort can be its lead instructor".into(),
            )));
        }
        let changed = if lead {
            store::insert_lead(conn, cohort_id, user_id, &actor.id, t)?
        } else {
            store::delete_lead(conn, cohort_id, user_id)?
        };
        if changed > 0 {
            crate::credentials::store::audit(
                conn,
                Some(&actor.id),
                if lead { "lead_named" } else { "lead_unnamed" },
                AuditSubject::of(cohort_id),
                &serde_json::json!({"user_id": user_id}),
                t,
            )?;
        }
        Ok(())
    })
}

/// Whether a person may moderate a cohort's written answers: an admin, or a lead instructor.
pub fn may_moderate(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
) -> Result<bool, AppError> {
    if user.role == Role::Admin {
        return Ok(true);
    }
    Ok(
        store::find_member_role(conn, cohort_id, &user.id)? == Some(MemberRole::Instructor)
            && store::is_lead(conn, cohort_id, &user.id)?,
    )
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
    if store::find_member_role(conn, cohort_id, user_id)? == Some(MemberRole::Instructor) {
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
                return Err(AppError::from(CohortError::BadTransition(format!(
                    "a {current} cohort cannot become {next}"
                ))));
            }
        }
        if let Some(c) = u.capacity {
            if !(1..=10_000).contains(&c) {
                return Err(AppError::from(CohortError::Invalid(
                    "capacity must be from 1 to 10000".into(),
                )));
            }
            if c < row.trainee_count {
                return Err(AppError::from(CohortError::CapacityBelowMembers(format!(
                    "the cohort already has {} trainees",
                    row.trainee_count
                ))));
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
