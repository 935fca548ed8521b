//! The roster: who is in a cohort, with progress and attendance rates.

use super::*;
use crate::cohorts::model::AttendanceVia;

/// One line of a cohort's roster.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterEntry {
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub name_en: Option<String>,
    pub email: String,
    pub office_code: String,
    pub role: MemberRole,
    #[serde(with = "crate::dates::utc")]
    pub joined_at: NaiveDateTime,
    /// Share of the scheduled time of the sessions held so far that was attended, in per cent
    /// (see [`attended_minutes`]); `None` before any session was held.
    pub attendance_percent: Option<f64>,
    /// Training hours: the time attended in the sessions held so far.
    pub attended_hours: f64,
}

/// Minutes of a session a trainee attended: the minutes recorded (a Zoom report's summed
/// durations, the time from check-in to the end, or a staff correction), capped by the
/// session; without minutes, the whole session when marked present or late; nothing when
/// absent or excused (the rule counts time, and excused time is time not trained).
pub fn attended_minutes(row: &AttendanceRow, session: &SessionRow) -> i64 {
    let length = session.minutes();
    let attended = row
        .status
        .parse::<AttendanceStatus>()
        .is_ok_and(AttendanceStatus::attended);
    match row.minutes {
        Some(m) => i64::from(m).clamp(0, length),
        None if attended => length,
        None => 0,
    }
}

/// The time of the sessions held so far: scheduled, attended and excused, per trainee.
#[derive(Debug, Clone, Default)]
pub struct TrainingTime {
    /// Minutes of the sessions held so far.
    pub scheduled: i64,
    /// Minutes attended, by user id.
    pub attended: std::collections::HashMap<String, i64>,
    /// Minutes of the held sessions a trainee was excused from, by user id.
    pub excused: std::collections::HashMap<String, i64>,
}

impl TrainingTime {
    /// Minutes attended by one person.
    pub fn attended_by(&self, user_id: &crate::accounts::model::UserId) -> i64 {
        self.attended.get(user_id.as_str()).copied().unwrap_or(0)
    }

    /// The scheduled minutes one trainee is measured against: all of them, or (when excused
    /// absence is excluded) less the sessions they were excused from.
    pub fn scheduled_for(
        &self,
        user_id: &crate::accounts::model::UserId,
        rule: ExcusedAbsence,
    ) -> i64 {
        match rule {
            ExcusedAbsence::Absent => self.scheduled,
            ExcusedAbsence::Excluded => {
                (self.scheduled - self.excused.get(user_id.as_str()).copied().unwrap_or(0)).max(0)
            }
        }
    }

    /// One trainee's attended share of their scheduled time, in per cent; `None` while
    /// nothing is scheduled for them.
    pub fn percent(
        &self,
        user_id: &crate::accounts::model::UserId,
        rule: ExcusedAbsence,
    ) -> Option<f64> {
        let of = self.scheduled_for(user_id, rule);
        (of > 0).then(|| 100.0 * self.attended_by(user_id) as f64 / of as f64)
    }
}

/// The scheduled, attended and excused minutes of the sessions held so far.
pub fn training_time(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<TrainingTime, AppError> {
    let t = now();
    let held: Vec<SessionRow> = store::list_sessions(conn, cohort_id)?
        .into_iter()
        .filter(|s| s.starts_at <= t)
        .collect();
    let mut out = TrainingTime {
        scheduled: held.iter().map(SessionRow::minutes).sum(),
        ..TrainingTime::default()
    };
    for a in store::list_attendance_of_cohort(conn, cohort_id)? {
        if let Some(s) = held.iter().find(|s| s.id == a.session_id) {
            *out.attended.entry(a.user_id.to_string()).or_default() += attended_minutes(&a, s);
            if a.status == AttendanceStatus::Excused.as_str() {
                *out.excused.entry(a.user_id.to_string()).or_default() += s.minutes();
            }
        }
    }
    Ok(out)
}

/// Each trainee's attendance as a share of their scheduled time of the sessions held so far,
/// in per cent, with excused absence counted as the programme says; `None` before any
/// session is held.
pub fn attendance_rates(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    rule: ExcusedAbsence,
) -> Result<std::collections::HashMap<crate::accounts::model::UserId, Option<f64>>, AppError> {
    let time = training_time(conn, cohort_id)?;
    let members = store::list_members(conn, cohort_id)?;
    let mut out = std::collections::HashMap::new();
    for m in members
        .iter()
        .filter(|m| m.member_role() == Some(crate::cohorts::model::MemberRole::Trainee))
    {
        out.insert(m.user_id.clone(), time.percent(&m.user_id, rule));
    }
    Ok(out)
}

/// The members of a cohort with their attendance, trainees in Thai name order.
#[tracing::instrument(level = "debug", skip_all)]
pub fn roster(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    rule: ExcusedAbsence,
) -> Result<Vec<RosterEntry>, AppError> {
    let rates = attendance_rates(conn, cohort_id, rule)?;
    let minutes = training_time(conn, cohort_id)?.attended;
    let mut entries: Vec<RosterEntry> = store::list_members(conn, cohort_id)?
        .into_iter()
        .map(|m| {
            Ok(RosterEntry {
                attendance_percent: rates.get(&m.user_id).copied().flatten(),
                attended_hours: (minutes.get(m.user_id.as_str()).copied().unwrap_or(0) as f64
                    / 60.0
                    * 100.0)
                    .round()
                    / 100.0,
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

/// One held session's attendance, as the closing report counts it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionAttendance {
    pub session_id: crate::cohorts::model::SessionId,
    pub title_th: String,
    pub title_en: String,
    #[serde(with = "crate::dates::utc")]
    pub starts_at: NaiveDateTime,
    pub minutes: i64,
    /// Trainees present or late in the meeting room.
    pub room: usize,
    /// Trainees present or late online.
    pub online: usize,
    /// Trainees excused (ลา).
    pub excused: usize,
    /// Trainees absent, or with no mark.
    pub absent: usize,
}

/// Each held session's attendance: in the room, online, excused and absent, over the cohort's
/// trainees (a present or late mark without a channel counts in the room).
pub fn attendance_by_session(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<SessionAttendance>, AppError> {
    let t = now();
    let trainees: Vec<crate::accounts::model::UserId> = store::list_members(conn, cohort_id)?
        .into_iter()
        .filter(|m| m.member_role() == Some(MemberRole::Trainee))
        .map(|m| m.user_id)
        .collect();
    let marks = store::list_attendance_of_cohort(conn, cohort_id)?;
    let mut out = Vec::new();
    for s in store::list_sessions(conn, cohort_id)?
        .into_iter()
        .filter(|s| s.starts_at <= t)
    {
        let (mut room, mut online, mut excused, mut absent) = (0, 0, 0, 0);
        for u in &trainees {
            let mark = marks
                .iter()
                .find(|a| a.session_id == s.id && &a.user_id == u);
            match mark.and_then(|a| a.status.parse::<AttendanceStatus>().ok()) {
                Some(st) if st.attended() => {
                    if AttendanceVia::of(mark.and_then(|a| a.via.as_deref()))
                        == Some(AttendanceVia::Online)
                    {
                        online += 1;
                    } else {
                        room += 1;
                    }
                }
                Some(AttendanceStatus::Excused) => excused += 1,
                _ => absent += 1,
            }
        }
        out.push(SessionAttendance {
            minutes: s.minutes(),
            session_id: s.id,
            title_th: s.title_th,
            title_en: s.title_en,
            starts_at: s.starts_at,
            room,
            online,
            excused,
            absent,
        });
    }
    Ok(out)
}
