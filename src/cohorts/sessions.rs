//! Sessions: scheduling and reading a cohort's sessions.

use super::*;
use crate::cohorts::error::CohortError;

/// A seminar session as members see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub title_th: String,
    pub title_en: String,
    #[serde(with = "crate::dates::utc")]
    pub starts_at: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
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
        return Err(AppError::from(CohortError::Invalid(
            "ends_at must be after starts_at".into(),
        )));
    }
    if new.mode != SessionMode::Onsite && new.meeting_url.is_none() {
        return Err(AppError::from(CohortError::Invalid(
            "an online or hybrid session needs a meeting_url".into(),
        )));
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
