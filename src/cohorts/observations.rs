//! Observed joint assessments: a trainee assesses a real business beside an observer, who
//! records the date, the business, the scope, which of the programme's competences the trainee
//! showed and the outcome. A scope of `programme.toml` may require one with the outcome
//! "competent" before a credential (ISO/IEC 17024: a practical method where the competence is
//! practical).

use super::*;
use crate::course::model::Course;
use serde::Deserialize;
use store::ObservationRow;

/// What staff record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ObservationRequest {
    pub user_id: crate::accounts::model::UserId,
    pub scope: String,
    /// The day, `YYYY-MM-DD` or `DD/MM/YYYY`; a Buddhist-era year (2568) is understood.
    pub observed_on: String,
    pub business: String,
    /// Ids of the programme's competences the trainee showed.
    pub competences: Vec<String>,
    /// `competent` or `not_yet`.
    pub outcome: String,
    /// Who observed (an admin or an instructor of the cohort); the recorder when left out.
    #[serde(default)]
    pub observer_id: Option<crate::accounts::model::UserId>,
    #[serde(default)]
    pub notes: String,
}

/// The observer's judgement of an observed joint assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationOutcome {
    Competent,
    NotYet,
}

impl std::str::FromStr for ObservationOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "competent" => Ok(ObservationOutcome::Competent),
            "not_yet" => Ok(ObservationOutcome::NotYet),
            other => Err(format!("unknown outcome '{other}': competent or not_yet")),
        }
    }
}

/// A recorded observation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Observation {
    pub id: String,
    pub user_id: crate::accounts::model::UserId,
    pub scope: String,
    pub observed_on: String,
    pub business: String,
    pub competences: Vec<String>,
    pub outcome: String,
    pub observer_id: crate::accounts::model::UserId,
    pub notes: String,
    #[serde(with = "crate::dates::utc")]
    pub recorded_at: NaiveDateTime,
}

impl From<ObservationRow> for Observation {
    fn from(r: ObservationRow) -> Self {
        Observation {
            competences: serde_json::from_str(&r.competences_json).unwrap_or_default(),
            id: r.id,
            user_id: r.user_id,
            scope: r.scope,
            observed_on: r.observed_on,
            business: r.business,
            outcome: r.outcome,
            observer_id: r.observer_id,
            notes: r.notes,
            recorded_at: r.recorded_at,
        }
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::from(CohortError::Invalid(message.into()))
}

/// Records an observed assessment (an admin or an instructor of the cohort).
pub fn record(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &CohortId,
    user: &User,
    req: &ObservationRequest,
) -> Result<Observation, AppError> {
    authorize(conn, cohort_id, user, Access::Staff)?;
    if store::find_member_role(conn, cohort_id, &req.user_id)?
        != Some(crate::cohorts::model::MemberRole::Trainee)
    {
        return Err(AppError::from(CohortError::NotATrainee(
            "user_id: not a trainee of this cohort".into(),
        )));
    }
    if !course.programme.scopes.iter().any(|s| s.id == req.scope) {
        return Err(invalid(format!(
            "scope: '{}' is not a scope of this programme",
            req.scope
        )));
    }
    let day = crate::dates::parse_date_input(&req.observed_on)
        .map_err(|m| invalid(format!("observed_on: {m}")))?;
    if day > now().date() {
        return Err(invalid("observed_on: the day has not come yet"));
    }
    let business = req.business.trim();
    if business.is_empty() || business.chars().count() > 200 {
        return Err(invalid("business: 1 to 200 characters"));
    }
    if req.competences.is_empty() {
        return Err(invalid(
            "competences: tick at least one competence the trainee showed",
        ));
    }
    let mut competences: Vec<String> = Vec::new();
    for c in &req.competences {
        if !course.programme.competences.iter().any(|k| &k.id == c) {
            return Err(invalid(format!(
                "competences: '{c}' is not a competence of this programme"
            )));
        }
        if !competences.contains(c) {
            competences.push(c.clone());
        }
    }
    if req.outcome.parse::<ObservationOutcome>().is_err() {
        return Err(invalid("outcome: competent or not_yet"));
    }
    let notes = req.notes.trim();
    if notes.chars().count() > 2000 {
        return Err(invalid("notes: at most 2000 characters"));
    }
    let observer = req.observer_id.clone().unwrap_or_else(|| user.id.clone());
    let observer_is_admin = match accounts::get_user(conn, &observer) {
        Ok(u) => u.role == crate::accounts::model::Role::Admin,
        Err(AppError::NotFound) => false,
        Err(e) => return Err(e),
    };
    let observer_is_staff = observer_is_admin
        || store::find_member_role(conn, cohort_id, &observer)?
            == Some(crate::cohorts::model::MemberRole::Instructor);
    if !observer_is_staff {
        return Err(invalid(
            "observer_id: an admin or an instructor of this cohort observes",
        ));
    }
    let row = ObservationRow {
        id: uuid::Uuid::new_v4().to_string(),
        cohort_id: cohort_id.clone(),
        user_id: req.user_id.clone(),
        scope: req.scope.clone(),
        observed_on: day.to_string(),
        business: business.to_string(),
        competences_json: serde_json::to_string(&competences)
            .map_err(|e| AppError::Unexpected(e.into()))?,
        outcome: req.outcome.clone(),
        observer_id: observer,
        notes: notes.to_string(),
        recorded_by: user.id.clone(),
        recorded_at: now(),
    };
    write_tx(conn, |conn| {
        store::insert_observation(conn, &row)?;
        crate::credentials::store::audit(
            conn,
            Some(&user.id),
            "observation_recorded",
            AuditSubject::of(&row.user_id),
            &serde_json::json!({"cohort_id": cohort_id, "scope": row.scope,
                                "observed_on": row.observed_on, "outcome": row.outcome}),
            row.recorded_at,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(row.into())
}

/// A cohort's observed assessments (cohort staff).
pub fn list(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    user: &User,
) -> Result<Vec<Observation>, AppError> {
    authorize(conn, cohort_id, user, Access::Staff)?;
    Ok(store::observations_of_cohort(conn, cohort_id)?
        .into_iter()
        .map(Observation::from)
        .collect())
}

/// (trainee, scope) pairs with an observation judged competent, for eligibility.
pub fn competent(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
) -> Result<Vec<(crate::accounts::model::UserId, String)>, AppError> {
    Ok(store::observations_of_cohort(conn, cohort_id)?
        .into_iter()
        .filter(|o| o.outcome.parse() == Ok(ObservationOutcome::Competent))
        .map(|o| (o.user_id, o.scope))
        .collect())
}
