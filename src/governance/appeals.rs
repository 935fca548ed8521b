//! Appeals against a quiz result, a certification decision or a change to one's credential,
//! decided by a reviewer who took no part in it.

use crate::governance::error::GovernanceError;
use crate::ids::AuditSubject;
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::decisions::taught;
use super::model::{AppealId, AppealOutcome, AppealStatus, DecisionId};
use super::store::{self, Appeal};
use super::{audit, now, text};
use super::{APPEAL_RESPONSE_DAYS, APPEAL_WINDOW_DAYS};
use crate::accounts::{self, model::Role, User};
use crate::credentials::{self, model::CredentialId, model::CredentialStatus, Issuer};
use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;
use crate::quizzes::model::AttemptState;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealRequest {
    /// `attempt` (a quiz result), `decision` (a certification decision) or `credential` (a
    /// suspension, revocation or scope withdrawal of one's credential).
    #[serde(default)]
    pub subject_type: String,
    #[serde(default)]
    pub subject_id: String,
    #[serde(default)]
    pub grounds: String,
}

/// A trainee appeals their own quiz result or certification decision, within the window.
#[tracing::instrument(level = "debug", skip_all)]
pub fn file_appeal(
    conn: &mut DbConnection,
    user: &User,
    req: &AppealRequest,
) -> Result<Appeal, AppError> {
    let grounds = text("grounds", &req.grounds, 4000)?;
    let (cohort_id, since) = match req.subject_type.as_str() {
        "attempt" => {
            let a = crate::quizzes::store::find_attempt(
                conn,
                &crate::quizzes::model::AttemptId::from(&req.subject_id),
            )?
            .filter(|a| a.user_id == user.id)
            .ok_or(AppError::NotFound)?;
            let Some(finished) = a.finished_at.filter(|_| a.attempt_state().is_finished()) else {
                return Err(AppError::from(GovernanceError::NotFinal(
                    "only a submitted attempt can be appealed".into(),
                )));
            };
            (a.cohort_id, finished)
        }
        "decision" => {
            let d = store::find_decision(conn, &DecisionId::from(&req.subject_id))?
                .filter(|d| d.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            let Some(decided) = d.decided_at else {
                return Err(AppError::from(GovernanceError::NotFinal(
                    "this recommendation has not been decided yet".into(),
                )));
            };
            (d.cohort_id, decided)
        }
        "credential" => {
            // A suspension, revocation or scope withdrawal of the holder's own credential.
            let c = credentials::store::find(conn, &CredentialId::from(&req.subject_id))?
                .filter(|c| c.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            let Some(changed) = c.status_changed_at.filter(|_| {
                matches!(
                    CredentialStatus::parse(&c.status),
                    Some(CredentialStatus::Suspended | CredentialStatus::Revoked)
                )
            }) else {
                return Err(AppError::from(GovernanceError::NotFinal(
                    "only a suspension, revocation or scope withdrawal can be appealed".into(),
                )));
            };
            (c.cohort_id, changed)
        }
        _ => {
            return Err(AppError::from(GovernanceError::Invalid(
                "subject_type: attempt, decision or credential".into(),
            )))
        }
    };
    let t = now();
    if t > since + Duration::days(APPEAL_WINDOW_DAYS) {
        return Err(AppError::from(GovernanceError::AppealWindowClosed(format!("an appeal must be filed within {APPEAL_WINDOW_DAYS} days of the result or decision"))));
    }
    let appeal = Appeal {
        id: AppealId::random(),
        user_id: user.id.clone(),
        cohort_id,
        subject_type: req.subject_type.clone(),
        subject_id: req.subject_id.clone(),
        grounds,
        filed_at: t,
        respond_by: t + Duration::days(APPEAL_RESPONSE_DAYS),
        status: AppealStatus::Open.as_str().into(),
        reviewer_id: None,
        outcome: None,
        rationale: None,
        decided_at: None,
    };
    write_tx(conn, |conn| {
        store::insert_appeal(conn, &appeal).map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => AppError::from(GovernanceError::AppealOpen(
                "there is already an open appeal against this".into(),
            )),
            other => other,
        })?;
        audit(
            conn,
            &user.id,
            "appeal",
            AuditSubject::stored(&appeal.subject_type, &appeal.subject_id),
            json!({"appeal_id": appeal.id, "grounds": appeal.grounds}),
        )
    })?;
    Ok(appeal)
}

/// Appeals: an admin sees every one, anyone else their own.
#[tracing::instrument(level = "debug", skip_all)]
pub fn list_appeals(conn: &mut DbConnection, user: &User) -> Result<Vec<Appeal>, AppError> {
    let own = (user.role != Role::Admin).then_some(user.id.as_str());
    Ok(store::appeals(conn, own)?)
}

/// A submitted quiz attempt, a decided recommendation or a suspended or revoked credential of
/// one person: what an appeal can be about.
#[derive(Debug, Clone, Serialize)]
pub struct AppealSubject {
    /// `attempt`, `decision` or `credential`, as `AppealRequest::subject_type` takes it.
    pub subject_type: &'static str,
    pub subject_id: String,
    pub cohort_id: crate::cohorts::model::CohortId,
    /// The quiz slug of an attempt, or the scope of a decision or credential.
    pub what: String,
    pub attempt_no: Option<i32>,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    /// `grant` or `refuse` for a decision; the status (`suspended`, `revoked`) of a credential.
    pub outcome: Option<String>,
    pub recommended_by: Option<String>,
    pub decided_by: Option<String>,
    /// When the result or decision became final; the appeal window runs from here.
    #[serde(with = "crate::dates::utc")]
    pub final_at: NaiveDateTime,
    /// Whether an appeal can be filed now: inside the window, and none open against it.
    pub appealable: bool,
}

/// The submitted quiz attempts, decided recommendations and suspended or revoked credentials
/// of a person, newest first, each marked whether it can be appealed now (the person themself,
/// or an admin).
#[tracing::instrument(level = "debug", skip_all)]
pub fn appeal_subjects(
    conn: &mut DbConnection,
    actor: &User,
    subject_user_id: &crate::accounts::model::UserId,
) -> Result<Vec<AppealSubject>, AppError> {
    if actor.role != Role::Admin && actor.id != *subject_user_id {
        return Err(AppError::NotFound);
    }
    let cutoff = now() - Duration::days(APPEAL_WINDOW_DAYS);
    let open = store::open_appeal_subjects(conn, subject_user_id)?;
    let mut tries = crate::quizzes::store::attempts_of_user(conn, subject_user_id)?;
    tries.retain(|a| a.attempt_state() != AttemptState::Open);
    tries.sort_by_key(|a| std::cmp::Reverse(a.finished_at));
    let decided = store::decided_of_user(conn, subject_user_id)?;
    let mut out: Vec<AppealSubject> = tries
        .into_iter()
        .filter_map(|a| {
            let final_at = a.finished_at?;
            let appealable = final_at >= cutoff && !open.iter().any(|o| *o == a.id);
            Some(AppealSubject {
                subject_type: "attempt",
                subject_id: a.id.into(),
                cohort_id: a.cohort_id,
                what: a.quiz_slug,
                attempt_no: Some(a.attempt_no),
                percent: a.percent,
                passed: a.passed,
                outcome: None,
                recommended_by: None,
                decided_by: None,
                final_at,
                appealable,
            })
        })
        .collect();
    out.extend(decided.into_iter().filter_map(|d| {
        let final_at = d.decided_at?;
        let appealable = final_at >= cutoff && !open.iter().any(|o| *o == d.id);
        Some(AppealSubject {
            subject_type: "decision",
            subject_id: d.id.into(),
            cohort_id: d.cohort_id,
            what: d.scope,
            attempt_no: None,
            percent: None,
            passed: None,
            outcome: d.outcome,
            recommended_by: Some(d.recommended_by),
            decided_by: d.decided_by,
            final_at,
            appealable,
        })
    }));
    let changed: Vec<_> = credentials::store::of_user(conn, subject_user_id)?
        .into_iter()
        .filter(|c| {
            matches!(
                CredentialStatus::parse(&c.status),
                Some(CredentialStatus::Suspended | CredentialStatus::Revoked)
            )
        })
        .map(|c| (c.id, c.cohort_id, c.scope, c.status, c.status_changed_at))
        .collect();
    out.extend(
        changed
            .into_iter()
            .filter_map(|(id, cohort_id, scope, status, changed_at)| {
                let final_at = changed_at?;
                let appealable = final_at >= cutoff && !open.iter().any(|o| *o == id);
                Some(AppealSubject {
                    subject_type: "credential",
                    subject_id: id.into(),
                    cohort_id,
                    what: scope,
                    attempt_no: None,
                    percent: None,
                    passed: None,
                    outcome: Some(status),
                    recommended_by: None,
                    decided_by: None,
                    final_at,
                    appealable,
                })
            }),
    );
    out.sort_by_key(|s| std::cmp::Reverse(s.final_at));
    Ok(out)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealDecision {
    /// `upheld` (the appellant is right) or `dismissed`.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub rationale: String,
}

/// A reviewer who took no part in the original result or decision closes the appeal; the
/// appellant is told the outcome by e-mail in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub fn decide_appeal(
    conn: &mut DbConnection,
    issuer: &Issuer,
    appeal_id: &super::model::AppealId,
    reviewer: &User,
    req: &AppealDecision,
) -> Result<Appeal, AppError> {
    if reviewer.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let a = store::find_appeal(conn, appeal_id)?.ok_or(AppError::NotFound)?;
    if a.appeal_status() != AppealStatus::Open {
        return Err(AppError::from(GovernanceError::AlreadyDecided(
            "this appeal has been decided".into(),
        )));
    }
    let outcome = AppealOutcome::parse(&req.outcome).map_err(AppError::invalid)?;
    let rationale = text("rationale", &req.rationale, 4000)?;
    let mut involved = a.user_id == reviewer.id || taught(conn, &a.cohort_id, reviewer)?;
    if a.subject_type == "decision" {
        let d = store::find_decision(conn, &DecisionId::from(&a.subject_id))?
            .ok_or(AppError::NotFound)?;
        involved |= d.recommended_by == reviewer.id
            || d.decided_by.as_deref() == Some(reviewer.id.as_str());
    }
    if a.subject_type == "credential" || a.subject_type == "attempt" {
        // Whoever changed the credential's status (or issued it), or marked a written answer
        // of the attempt, took part.
        let actors =
            store::audit_actors(conn, AuditSubject::stored(&a.subject_type, &a.subject_id))?;
        involved |= actors
            .iter()
            .any(|x| x.as_deref() == Some(reviewer.id.as_str()));
    }
    if involved {
        return Err(AppError::from(GovernanceError::NotIndependent(
            "you took part in the result or decision under appeal: another reviewer must decide"
                .into(),
        )));
    }
    let t = now();
    write_tx(conn, |conn| {
        let n = store::close_appeal(conn, &a.id, &reviewer.id, outcome, &rationale, t)?;
        if n == 0 {
            return Err(AppError::from(GovernanceError::AlreadyDecided(
                "this appeal has been decided".into(),
            )));
        }
        audit(
            conn,
            &reviewer.id,
            "decide_appeal",
            AuditSubject::of(&a.id),
            json!({"outcome": outcome.as_str(), "rationale": rationale}),
        )?;
        let appellant = accounts::get_user(conn, &a.user_id)?;
        let to =
            accounts::model::EmailAddress::parse(&appellant.email).map_err(AppError::invalid)?;
        email::enqueue(
            conn,
            email::Outgoing {
                template: "appeal_outcome",
                to: &to,
                to_name: &appellant.name,
                language: appellant.language,
                context: json!({
                    "name": appellant.name,
                    "upheld": outcome == AppealOutcome::Upheld,
                    "subject_type": a.subject_type,
                    "filed": a.filed_at.format("%Y-%m-%d").to_string(),
                    "rationale": rationale,
                    "link": issuer.url("/"),
                }),
            },
        )?;
        Ok(())
    })?;
    store::find_appeal(conn, &a.id)?.ok_or(AppError::NotFound)
}
