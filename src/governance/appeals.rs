//! Appeals against a quiz result, a certification decision or a change to one's credential,
//! decided by a reviewer who took no part in it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::decisions::{taught, Decision};
use super::{audit, now, text};
use super::{APPEAL_RESPONSE_DAYS, APPEAL_WINDOW_DAYS};
use crate::accounts::{self, model::Role, User};
use crate::credentials::{self, Issuer};
use crate::db::schema::{appeals, certification_decisions};
use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;

/// An appeal against a quiz result or a certification decision.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = appeals)]
pub struct Appeal {
    pub id: String,
    pub user_id: String,
    pub cohort_id: String,
    pub subject_type: String,
    pub subject_id: String,
    pub grounds: String,
    pub filed_at: NaiveDateTime,
    /// The reviewer's deadline.
    pub respond_by: NaiveDateTime,
    pub status: String,
    pub reviewer_id: Option<String>,
    pub outcome: Option<String>,
    pub rationale: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

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
pub fn file_appeal(
    conn: &mut DbConnection,
    user: &User,
    req: &AppealRequest,
) -> Result<Appeal, AppError> {
    let grounds = text("grounds", &req.grounds, 4000)?;
    let (cohort_id, since) = match req.subject_type.as_str() {
        "attempt" => {
            let a = crate::quizzes::store::find_attempt(conn, &req.subject_id)?
                .filter(|a| a.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            let Some(finished) = a.finished_at.filter(|_| a.state != "open") else {
                return Err(AppError::conflict(
                    "not_final",
                    "only a submitted attempt can be appealed",
                ));
            };
            (a.cohort_id, finished)
        }
        "decision" => {
            let d: Decision = certification_decisions::table
                .find(&req.subject_id)
                .select(Decision::as_select())
                .first(conn)
                .optional()?
                .filter(|d| d.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            let Some(decided) = d.decided_at else {
                return Err(AppError::conflict(
                    "not_final",
                    "this recommendation has not been decided yet",
                ));
            };
            (d.cohort_id, decided)
        }
        "credential" => {
            // A suspension, revocation or scope withdrawal of the holder's own credential.
            let c = credentials::store::find(conn, &req.subject_id)?
                .filter(|c| c.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            let Some(changed) = c
                .status_changed_at
                .filter(|_| matches!(c.status.as_str(), "suspended" | "revoked"))
            else {
                return Err(AppError::conflict(
                    "not_final",
                    "only a suspension, revocation or scope withdrawal can be appealed",
                ));
            };
            (c.cohort_id, changed)
        }
        _ => {
            return Err(AppError::invalid(
                "subject_type: attempt, decision or credential",
            ))
        }
    };
    let t = now();
    if t > since + Duration::days(APPEAL_WINDOW_DAYS) {
        return Err(AppError::conflict(
            "appeal_window_closed",
            format!("an appeal must be filed within {APPEAL_WINDOW_DAYS} days of the result or decision"),
        ));
    }
    let appeal = Appeal {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        cohort_id,
        subject_type: req.subject_type.clone(),
        subject_id: req.subject_id.clone(),
        grounds,
        filed_at: t,
        respond_by: t + Duration::days(APPEAL_RESPONSE_DAYS),
        status: "open".into(),
        reviewer_id: None,
        outcome: None,
        rationale: None,
        decided_at: None,
    };
    write_tx(conn, |conn| {
        diesel::insert_into(appeals::table)
            .values((
                appeals::id.eq(&appeal.id),
                appeals::user_id.eq(&appeal.user_id),
                appeals::cohort_id.eq(&appeal.cohort_id),
                appeals::subject_type.eq(&appeal.subject_type),
                appeals::subject_id.eq(&appeal.subject_id),
                appeals::grounds.eq(&appeal.grounds),
                appeals::filed_at.eq(appeal.filed_at),
                appeals::respond_by.eq(appeal.respond_by),
                appeals::status.eq("open"),
            ))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict { .. } => AppError::conflict(
                    "appeal_open",
                    "there is already an open appeal against this",
                ),
                other => other,
            })?;
        audit(
            conn,
            &user.id,
            "appeal",
            &appeal.subject_type,
            &appeal.subject_id,
            json!({"appeal_id": appeal.id, "grounds": appeal.grounds}),
        )
    })?;
    Ok(appeal)
}

/// Appeals: an admin sees every one, anyone else their own.
pub fn list_appeals(conn: &mut DbConnection, user: &User) -> Result<Vec<Appeal>, AppError> {
    let mut q = appeals::table
        .order(appeals::filed_at.desc())
        .select(Appeal::as_select())
        .into_boxed();
    if user.role != Role::Admin {
        q = q.filter(appeals::user_id.eq(user.id.clone()));
    }
    Ok(q.load(conn)?)
}

/// A submitted quiz attempt, a decided recommendation or a suspended or revoked credential of
/// one person: what an appeal can be about.
#[derive(Debug, Clone, Serialize)]
pub struct AppealSubject {
    /// `attempt`, `decision` or `credential`, as `AppealRequest::subject_type` takes it.
    pub subject_type: &'static str,
    pub subject_id: String,
    pub cohort_id: String,
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
    pub final_at: NaiveDateTime,
    /// Whether an appeal can be filed now: inside the window, and none open against it.
    pub appealable: bool,
}

/// The submitted quiz attempts, decided recommendations and suspended or revoked credentials
/// of a person, newest first, each marked whether it can be appealed now (the person themself,
/// or an admin).
pub fn appeal_subjects(
    conn: &mut DbConnection,
    actor: &User,
    subject_user_id: &str,
) -> Result<Vec<AppealSubject>, AppError> {
    use crate::db::schema::{attempts, credentials as creds};
    if actor.role != Role::Admin && actor.id != subject_user_id {
        return Err(AppError::NotFound);
    }
    let cutoff = now() - Duration::days(APPEAL_WINDOW_DAYS);
    let open: Vec<String> = appeals::table
        .filter(appeals::user_id.eq(subject_user_id))
        .filter(appeals::status.eq("open"))
        .select(appeals::subject_id)
        .load(conn)?;
    #[allow(clippy::type_complexity)]
    let tries: Vec<(
        String,
        String,
        String,
        i32,
        Option<NaiveDateTime>,
        Option<f64>,
        Option<bool>,
    )> = attempts::table
        .filter(attempts::user_id.eq(subject_user_id))
        .filter(attempts::state.ne("open"))
        .order(attempts::finished_at.desc())
        .select((
            attempts::id,
            attempts::cohort_id,
            attempts::quiz_slug,
            attempts::attempt_no,
            attempts::finished_at,
            attempts::percent,
            attempts::passed,
        ))
        .load(conn)?;
    let decided: Vec<Decision> = certification_decisions::table
        .filter(certification_decisions::user_id.eq(subject_user_id))
        .filter(certification_decisions::decided_at.is_not_null())
        .order(certification_decisions::decided_at.desc())
        .select(Decision::as_select())
        .load(conn)?;
    let mut out: Vec<AppealSubject> = tries
        .into_iter()
        .filter_map(|(id, cohort_id, slug, no, finished, percent, passed)| {
            let final_at = finished?;
            let appealable = final_at >= cutoff && !open.contains(&id);
            Some(AppealSubject {
                subject_type: "attempt",
                subject_id: id,
                cohort_id,
                what: slug,
                attempt_no: Some(no),
                percent,
                passed,
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
        let appealable = final_at >= cutoff && !open.contains(&d.id);
        Some(AppealSubject {
            subject_type: "decision",
            subject_id: d.id,
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
    let changed: Vec<(String, String, String, String, Option<NaiveDateTime>)> = creds::table
        .filter(creds::user_id.eq(subject_user_id))
        .filter(creds::status.eq_any(["suspended", "revoked"]))
        .select((
            creds::id,
            creds::cohort_id,
            creds::scope,
            creds::status,
            creds::status_changed_at,
        ))
        .load(conn)?;
    out.extend(
        changed
            .into_iter()
            .filter_map(|(id, cohort_id, scope, status, changed_at)| {
                let final_at = changed_at?;
                let appealable = final_at >= cutoff && !open.contains(&id);
                Some(AppealSubject {
                    subject_type: "credential",
                    subject_id: id,
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
pub fn decide_appeal(
    conn: &mut DbConnection,
    issuer: &Issuer,
    appeal_id: &str,
    reviewer: &User,
    req: &AppealDecision,
) -> Result<Appeal, AppError> {
    if reviewer.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let a: Appeal = appeals::table
        .find(appeal_id)
        .select(Appeal::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if a.status != "open" {
        return Err(AppError::conflict(
            "already_decided",
            "this appeal has been decided",
        ));
    }
    let outcome = match req.outcome.as_str() {
        o @ ("upheld" | "dismissed") => o,
        _ => return Err(AppError::invalid("outcome: upheld or dismissed")),
    };
    let rationale = text("rationale", &req.rationale, 4000)?;
    let mut involved = a.user_id == reviewer.id || taught(conn, &a.cohort_id, reviewer)?;
    if a.subject_type == "decision" {
        let d: Decision = certification_decisions::table
            .find(&a.subject_id)
            .select(Decision::as_select())
            .first(conn)?;
        involved |=
            d.recommended_by == reviewer.id || d.decided_by.as_deref() == Some(&reviewer.id);
    }
    if a.subject_type == "credential" {
        // Whoever changed the credential's status (or issued it) took part.
        use crate::db::schema::audit_log;
        let actors: Vec<Option<String>> = audit_log::table
            .filter(audit_log::subject_type.eq("credential"))
            .filter(audit_log::subject_id.eq(&a.subject_id))
            .select(audit_log::actor_id)
            .load(conn)?;
        involved |= actors.iter().any(|x| x.as_deref() == Some(&reviewer.id));
    }
    if involved {
        return Err(AppError::conflict(
            "not_independent",
            "you took part in the result or decision under appeal: another reviewer must decide",
        ));
    }
    let t = now();
    write_tx(conn, |conn| {
        let n = diesel::update(
            appeals::table
                .filter(appeals::id.eq(&a.id))
                .filter(appeals::status.eq("open")),
        )
        .set((
            appeals::status.eq("decided"),
            appeals::reviewer_id.eq(&reviewer.id),
            appeals::outcome.eq(outcome),
            appeals::rationale.eq(&rationale),
            appeals::decided_at.eq(t),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::conflict(
                "already_decided",
                "this appeal has been decided",
            ));
        }
        audit(
            conn,
            &reviewer.id,
            "decide_appeal",
            "appeal",
            &a.id,
            json!({"outcome": outcome, "rationale": rationale}),
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
                    "upheld": outcome == "upheld",
                    "subject_type": a.subject_type,
                    "filed": a.filed_at.format("%Y-%m-%d").to_string(),
                    "rationale": rationale,
                    "link": issuer.url("/"),
                }),
            },
        )?;
        Ok(())
    })?;
    Ok(appeals::table
        .find(&a.id)
        .select(Appeal::as_select())
        .first(conn)?)
}
