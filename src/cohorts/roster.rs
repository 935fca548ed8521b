//! The roster: who is in a cohort, with progress and attendance rates.

use super::*;

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

/// Minutes attended per trainee and the scheduled minutes of the sessions held so far.
pub fn attended_time(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<(i64, std::collections::HashMap<String, i64>), AppError> {
    let t = now();
    let held: Vec<SessionRow> = store::list_sessions(conn, cohort_id)?
        .into_iter()
        .filter(|s| s.starts_at <= t)
        .collect();
    let scheduled: i64 = held.iter().map(SessionRow::minutes).sum();
    let mut out: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for a in store::list_attendance_of_cohort(conn, cohort_id)? {
        if let Some(s) = held.iter().find(|s| s.id == a.session_id) {
            *out.entry(a.user_id.to_string()).or_default() += attended_minutes(&a, s);
        }
    }
    Ok((scheduled, out))
}

/// Each trainee's attendance as a share of the scheduled time of the sessions held so far,
/// in per cent; `None` before any session is held.
pub fn attendance_rates(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<std::collections::HashMap<crate::accounts::model::UserId, Option<f64>>, AppError> {
    let (scheduled, minutes) = attended_time(conn, cohort_id)?;
    let members = store::list_members(conn, cohort_id)?;
    let mut out = std::collections::HashMap::new();
    for m in members.iter().filter(|m| m.role == "trainee") {
        let mine = minutes.get(m.user_id.as_str()).copied().unwrap_or(0);
        let rate = (scheduled > 0).then(|| 100.0 * mine as f64 / scheduled as f64);
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
    let (_, minutes) = attended_time(conn, cohort_id)?;
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
