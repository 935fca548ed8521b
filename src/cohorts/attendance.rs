//! Attendance: marks by staff, check-in with the code on the room screen.

use super::*;
use crate::cohorts::error::CohortError;
use crate::cohorts::model::{AttendanceSource, AttendanceVia, SessionMode};

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

/// An instructor marks a trainee's attendance; `minutes`, when given, corrects the time
/// attended (0 to the session's length), else a present or late mark counts the whole session.
pub fn mark_attendance(
    conn: &mut DbConnection,
    session: &SessionRow,
    user_id: &crate::accounts::model::UserId,
    status: AttendanceStatus,
    via: Option<&str>,
    minutes: Option<i32>,
) -> Result<Attendance, AppError> {
    let length = session.minutes();
    if let Some(m) = minutes.filter(|m| !(0..=length).contains(&i64::from(*m))) {
        return Err(AppError::from(CohortError::Invalid(format!(
            "minutes: 0 to {length} (the session's length), not {m}"
        ))));
    }
    if let Some(v) = via {
        if v.parse::<AttendanceVia>().is_err() {
            return Err(AppError::from(CohortError::Invalid(
                "via must be room or online".into(),
            )));
        }
    }
    if store::find_member_role(conn, &session.cohort_id, user_id)?
        != Some(crate::cohorts::model::MemberRole::Trainee)
    {
        return Err(AppError::from(CohortError::NotATrainee(
            "the user is not a trainee of this cohort".into(),
        )));
    }
    let row = AttendanceRow {
        session_id: session.id.clone(),
        user_id: user_id.into(),
        status: status.as_str().into(),
        via: via.map(str::to_string),
        minutes,
        source: AttendanceSource::Instructor.as_str().into(),
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

pub(super) fn checkin_window_open(session: &SessionRow, at: NaiveDateTime) -> Result<(), AppError> {
    let opens = session.starts_at - chrono::Duration::seconds(model::CHECKIN_OPENS_BEFORE_S);
    if at < opens || at > session.ends_at {
        return Err(AppError::from(CohortError::CheckinClosed(
            "check-in is open only during the session".into(),
        )));
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
        return Err(AppError::from(CohortError::WrongCode(
            "this code is not the one on display now".into(),
        )));
    }
    let late = at > session.starts_at + chrono::Duration::seconds(model::LATE_AFTER_S);
    let via = if session.mode.parse::<SessionMode>() == Ok(SessionMode::Online) {
        AttendanceVia::Online
    } else {
        AttendanceVia::Room
    }
    .as_str();
    // Time in the session counts from the check-in (or the start) to the end.
    let minutes = (session.ends_at - at.max(session.starts_at))
        .num_minutes()
        .clamp(0, i64::from(i32::MAX)) as i32;
    let row = AttendanceRow {
        session_id: session.id.clone(),
        user_id: user.id.clone(),
        status: if late { "late" } else { "present" }.into(),
        via: Some(via.into()),
        minutes: Some(minutes),
        source: AttendanceSource::SelfCheckin.as_str().into(),
        updated_at: now(),
    };
    write_tx(conn, |conn| {
        // An instructor's mark is not overwritten by a self check-in.
        if let Some(existing) = store::find_attendance(conn, &session.id, &user.id)? {
            if AttendanceSource::of(&existing.source) == AttendanceSource::Instructor {
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
