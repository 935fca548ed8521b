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

/// The sessions each trainee attended (present or late), by user id (for training hours).
pub fn attended_sessions(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<std::collections::HashMap<String, Vec<String>>, AppError> {
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for a in store::list_attendance_of_cohort(conn, cohort_id)? {
        if a.status
            .parse::<AttendanceStatus>()
            .is_ok_and(AttendanceStatus::attended)
        {
            out.entry(a.user_id.to_string())
                .or_default()
                .push(a.session_id.to_string());
        }
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
