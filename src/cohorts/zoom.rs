//! Zoom participant reports: import, matching people, credit by minutes.

use super::*;
use crate::cohorts::error::CohortError;
use crate::cohorts::model::{AttendanceSource, AttendanceVia};

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
pub(super) fn credit(minutes: i32, session_minutes: i64) -> AttendanceStatus {
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
        .map_err(|e| {
            AppError::from(CohortError::Invalid(format!(
                "cannot read the CSV header: {e}"
            )))
        })?
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
        return Err(AppError::from(CohortError::Invalid(
            "the report needs the columns Name, User Email and Duration (Minutes)".into(),
        )));
    };
    let mut parsed = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec =
            rec.map_err(|e| AppError::from(CohortError::Invalid(format!("line {}: {e}", i + 2))))?;
        let minutes: i32 = rec
            .get(c_dur)
            .and_then(|d| crate::thai::fold_digits(d).trim().parse().ok())
            .ok_or_else(|| {
                AppError::from(CohortError::Invalid(format!(
                    "line {}: duration is not a whole number of minutes",
                    i + 2
                )))
            })?;
        parsed.push((
            rec.get(c_name).unwrap_or("").to_string(),
            rec.get(c_email).unwrap_or("").trim().to_lowercase(),
            minutes.clamp(0, 24 * 60),
        ));
    }
    let members = store::list_members(conn, &session.cohort_id)?;
    let trainees: Vec<&store::MemberRow> = members
        .iter()
        .filter(|m| m.member_role() == Some(crate::cohorts::model::MemberRole::Trainee))
        .collect();
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
        if store::find_member_role(conn, &session.cohort_id, user_id)?
            != Some(crate::cohorts::model::MemberRole::Trainee)
        {
            return Err(AppError::from(CohortError::NotATrainee(
                "the user is not a trainee of this cohort".into(),
            )));
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

pub(super) fn recredit_zoom(conn: &mut DbConnection, session: &SessionRow) -> Result<(), AppError> {
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
            if AttendanceSource::of(&existing.source) == AttendanceSource::Instructor
                || (AttendanceSource::of(&existing.source) == AttendanceSource::SelfCheckin
                    && AttendanceVia::of(existing.via.as_deref()) == Some(AttendanceVia::Room))
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
                via: Some(AttendanceVia::Online.as_str().into()),
                minutes: Some(minutes),
                source: AttendanceSource::Zoom.as_str().into(),
                updated_at: now(),
            },
        )?;
    }
    Ok(())
}
