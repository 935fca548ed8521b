//! Certification governance, as ISO/IEC 17024 expects of a body that certifies persons:
//! - the scheme (`programme.toml`) is versioned, and a changed scheme must carry a new version
//!   number: the service refuses to start rather than silently rewrite what older credentials
//!   were granted under;
//! - an instructor of the cohort *recommends*, and an admin who did not teach the cohort
//!   *decides* (grant issues the credential), with the rationale stored and audited;
//!   conflict-of-interest declarations are recorded and stop the declarer from deciding;
//! - a trainee may *appeal* a quiz result or a decision within a window; a reviewer who took no
//!   part in the original decision records the outcome, and the trainee is told by e-mail.

pub mod retention;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;

use crate::accounts::{self, model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::model::Course;
use crate::credentials::{self, Issuer};
use crate::db::schema::{appeals, certification_decisions, coi_declarations, scheme_versions};
use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;

/// How long after a result or a decision a trainee may appeal, and how long the reviewer has.
pub const APPEAL_WINDOW_DAYS: i64 = 30;
pub const APPEAL_RESPONSE_DAYS: i64 = 30;

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    let bad_control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if v.is_empty() || v.chars().count() > max || v.chars().any(bad_control) {
        return Err(AppError::invalid(format!(
            "{field}: 1 to {max} characters of text"
        )));
    }
    Ok(v.to_string())
}

fn audit(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    credentials::store::audit(
        conn,
        Some(actor),
        action,
        subject_type,
        subject_id,
        &details,
        now(),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scheme versions

/// Records the scheme version the service runs with. A version seen before must have the same
/// content; a changed `programme.toml` with an unchanged `version` is refused.
pub fn record_scheme(conn: &mut DbConnection, course: &Course) -> Result<u32, AppError> {
    let p = &course.programme;
    let definition = serde_json::to_string(p).map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = hex(&sha2::Sha256::digest(definition.as_bytes()));
    let version = p.version as i32;
    let known: Option<String> = scheme_versions::table
        .filter(scheme_versions::programme_id.eq(&p.id))
        .filter(scheme_versions::version.eq(version))
        .select(scheme_versions::content_hash)
        .first(conn)
        .optional()?;
    match known {
        Some(h) if h == hash => {}
        Some(_) => {
            return Err(AppError::conflict(
                "scheme_changed",
                format!(
                "the certification scheme in programme.toml changed but its version is still {}: \
                     give the changed scheme a new version (version = {}), so that credentials \
                     granted under version {} keep the rules they were granted under",
                p.version,
                p.version + 1,
                p.version
            ),
            ))
        }
        None => {
            diesel::insert_into(scheme_versions::table)
                .values((
                    scheme_versions::programme_id.eq(&p.id),
                    scheme_versions::version.eq(version),
                    scheme_versions::content_hash.eq(&hash),
                    scheme_versions::definition_json.eq(&definition),
                    scheme_versions::first_loaded_at.eq(now()),
                ))
                .execute(conn)
                .map(|_| ())
                .or_else(|e| match e {
                    // Another instance recorded it at the same moment.
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    ) => Ok(()),
                    other => Err(other),
                })?;
        }
    }
    Ok(p.version)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One version of the scheme as first loaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchemeVersion {
    pub programme_id: String,
    pub version: i32,
    pub content_hash: String,
    pub first_loaded_at: NaiveDateTime,
    pub definition: serde_json::Value,
}

/// Every scheme version this deployment has run with, newest first (public).
pub fn scheme_versions(conn: &mut DbConnection) -> Result<Vec<SchemeVersion>, AppError> {
    let rows: Vec<(String, i32, String, String, NaiveDateTime)> = scheme_versions::table
        .order((
            scheme_versions::programme_id.asc(),
            scheme_versions::version.desc(),
        ))
        .select((
            scheme_versions::programme_id,
            scheme_versions::version,
            scheme_versions::content_hash,
            scheme_versions::definition_json,
            scheme_versions::first_loaded_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(programme_id, version, content_hash, def, first_loaded_at)| SchemeVersion {
                programme_id,
                version,
                content_hash,
                first_loaded_at,
                definition: serde_json::from_str(&def).unwrap_or(serde_json::Value::Null),
            },
        )
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Recommendations and decisions

/// A recommendation and, once made, the decision on it.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = certification_decisions)]
pub struct Decision {
    pub id: String,
    pub cohort_id: String,
    pub user_id: String,
    pub scope: String,
    pub recommended_by: String,
    pub recommendation: String,
    pub recommended_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub outcome: Option<String>,
    pub rationale: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub credential_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RecommendRequest {
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub scope: String,
    /// Why the trainee is ready (or not).
    #[serde(default)]
    pub rationale: String,
}

/// An instructor of the cohort (or an admin) recommends a trainee for a scope.
pub fn recommend(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &str,
    actor: &User,
    req: &RecommendRequest,
) -> Result<Decision, AppError> {
    cohorts::authorize(conn, cohort_id, actor, Access::Staff)?;
    let rationale = text("rationale", &req.rationale, 4000)?;
    if !course.programme.scopes.iter().any(|s| s.id == req.scope) {
        return Err(AppError::invalid("scope: not a scope of this programme"));
    }
    let role = cohorts::store::find_member_role(conn, cohort_id, &req.user_id)?;
    if role.as_deref() != Some(MemberRole::Trainee.as_str()) {
        return Err(AppError::invalid("user_id: not a trainee of this cohort"));
    }
    let d = Decision {
        id: uuid::Uuid::new_v4().to_string(),
        cohort_id: cohort_id.to_string(),
        user_id: req.user_id.clone(),
        scope: req.scope.clone(),
        recommended_by: actor.id.clone(),
        recommendation: rationale,
        recommended_at: now(),
        decided_by: None,
        outcome: None,
        rationale: None,
        decided_at: None,
        credential_id: None,
    };
    write_tx(conn, |conn| {
        diesel::insert_into(certification_decisions::table)
            .values((
                certification_decisions::id.eq(&d.id),
                certification_decisions::cohort_id.eq(&d.cohort_id),
                certification_decisions::user_id.eq(&d.user_id),
                certification_decisions::scope.eq(&d.scope),
                certification_decisions::recommended_by.eq(&d.recommended_by),
                certification_decisions::recommendation.eq(&d.recommendation),
                certification_decisions::recommended_at.eq(d.recommended_at),
            ))
            .execute(conn)?;
        audit(
            conn,
            &actor.id,
            "recommend",
            "decision",
            &d.id,
            json!({"user_id": d.user_id, "scope": d.scope, "rationale": d.recommendation}),
        )
    })?;
    Ok(d)
}

/// Recommendations and decisions of a cohort (staff).
pub fn cohort_decisions(
    conn: &mut DbConnection,
    cohort_id: &str,
    actor: &User,
) -> Result<Vec<Decision>, AppError> {
    cohorts::authorize(conn, cohort_id, actor, Access::Staff)?;
    Ok(certification_decisions::table
        .filter(certification_decisions::cohort_id.eq(cohort_id))
        .order(certification_decisions::recommended_at.desc())
        .select(Decision::as_select())
        .load(conn)?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DecideRequest {
    /// `grant` (issues the credential) or `refuse`.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub rationale: String,
    /// The decider's declaration: true when they have a conflict of interest with the trainee
    /// (then someone else must decide, and the declaration is kept).
    #[serde(default)]
    pub conflict_of_interest: Option<bool>,
    #[serde(default)]
    pub conflict_statement: String,
}

/// Whether `user` took part in teaching the cohort (is one of its instructors).
fn taught(conn: &mut DbConnection, cohort_id: &str, user: &User) -> Result<bool, AppError> {
    Ok(
        cohorts::store::find_member_role(conn, cohort_id, &user.id)?.as_deref()
            == Some(MemberRole::Instructor.as_str()),
    )
}

/// The certification decision by an admin independent of the training.
pub fn decide(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    decision_id: &str,
    admin: &User,
    req: &DecideRequest,
) -> Result<Decision, AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let d: Decision = certification_decisions::table
        .find(decision_id)
        .select(Decision::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if d.decided_at.is_some() {
        return Err(AppError::conflict(
            "already_decided",
            "this recommendation has been decided",
        ));
    }
    let outcome = match req.outcome.as_str() {
        o @ ("grant" | "refuse") => o,
        _ => return Err(AppError::invalid("outcome: grant or refuse")),
    };
    let rationale = text("rationale", &req.rationale, 4000)?;
    let Some(conflict) = req.conflict_of_interest else {
        return Err(AppError::invalid(
            "conflict_of_interest: declare true or false before deciding",
        ));
    };
    if conflict {
        let statement = text("conflict_statement", &req.conflict_statement, 2000)?;
        write_tx(conn, |conn| {
            let id = uuid::Uuid::new_v4().to_string();
            diesel::insert_into(coi_declarations::table)
                .values((
                    coi_declarations::id.eq(&id),
                    coi_declarations::declared_by.eq(&admin.id),
                    coi_declarations::cohort_id.eq(&d.cohort_id),
                    coi_declarations::subject_user_id.eq(&d.user_id),
                    coi_declarations::statement.eq(&statement),
                    coi_declarations::declared_at.eq(now()),
                ))
                .execute(conn)?;
            audit(
                conn,
                &admin.id,
                "declare_conflict",
                "decision",
                &d.id,
                json!({"statement": statement}),
            )
        })?;
        return Err(AppError::conflict(
            "conflict_of_interest",
            "you declared a conflict of interest with this trainee: the declaration is recorded, and another admin must decide",
        ));
    }
    if d.recommended_by == admin.id || taught(conn, &d.cohort_id, admin)? {
        return Err(AppError::conflict(
            "not_independent",
            "you taught this cohort or made the recommendation: an admin who took no part in the training must decide",
        ));
    }
    let credential_id = if outcome == "grant" {
        let view = credentials::issue(
            conn,
            issuer,
            course,
            admin,
            &credentials::IssueRequest {
                cohort_id: &d.cohort_id,
                user_id: &d.user_id,
                scope: &d.scope,
                override_reason: None,
                renews_id: None,
            },
        )?;
        Some(view.id)
    } else {
        None
    };
    let t = now();
    write_tx(conn, |conn| {
        let n = diesel::update(
            certification_decisions::table
                .filter(certification_decisions::id.eq(&d.id))
                .filter(certification_decisions::decided_at.is_null()),
        )
        .set((
            certification_decisions::decided_by.eq(&admin.id),
            certification_decisions::outcome.eq(outcome),
            certification_decisions::rationale.eq(&rationale),
            certification_decisions::decided_at.eq(t),
            certification_decisions::credential_id.eq(&credential_id),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::conflict(
                "already_decided",
                "this recommendation has been decided",
            ));
        }
        audit(
            conn,
            &admin.id,
            "decide",
            "decision",
            &d.id,
            json!({"outcome": outcome, "rationale": rationale, "credential_id": credential_id,
                   "user_id": d.user_id, "scope": d.scope, "no_conflict_declared": true}),
        )
    })?;
    Ok(certification_decisions::table
        .find(&d.id)
        .select(Decision::as_select())
        .first(conn)?)
}

/// Across all cohorts (admins): every recommendation still waiting for a decision, oldest
/// first, and the `limit` most recent decisions, newest first.
pub fn all_decisions(
    conn: &mut DbConnection,
    admin: &User,
    limit: i64,
) -> Result<(Vec<Decision>, Vec<Decision>), AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let pending = certification_decisions::table
        .filter(certification_decisions::decided_at.is_null())
        .order(certification_decisions::recommended_at.asc())
        .select(Decision::as_select())
        .load(conn)?;
    let decided = certification_decisions::table
        .filter(certification_decisions::decided_at.is_not_null())
        .order(certification_decisions::decided_at.desc())
        .select(Decision::as_select())
        .limit(limit)
        .load(conn)?;
    Ok((pending, decided))
}

// ---------------------------------------------------------------------------------------------
// Appeals

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

// ---------------------------------------------------------------------------------------------
// Records: one person's whole certification history, signed; PDPA erasure

fn table_json<T: Serialize>(rows: &[T]) -> serde_json::Value {
    serde_json::to_value(rows).unwrap_or(serde_json::Value::Null)
}

/// One person's certification history (identity, memberships, attempts, decisions, appeals,
/// credentials and the audit trail about them), signed with the issuer's credential key as a
/// JWS (RS256, `kid` in `/.well-known/jwks.json`) whose payload is the record itself.
pub fn certification_record(
    conn: &mut DbConnection,
    subject_id: &str,
    actor: &User,
) -> Result<serde_json::Value, AppError> {
    use crate::db::schema::{attempts, audit_log, cohort_members, credentials as creds};
    if actor.role != Role::Admin && actor.id != subject_id {
        return Err(AppError::NotFound);
    }
    let user = accounts::get_user(conn, subject_id)?;
    let memberships: Vec<(String, String, NaiveDateTime)> = cohort_members::table
        .filter(cohort_members::user_id.eq(subject_id))
        .select((
            cohort_members::cohort_id,
            cohort_members::role,
            cohort_members::joined_at,
        ))
        .load(conn)?;
    #[allow(clippy::type_complexity)]
    let tries: Vec<(
        String,
        String,
        String,
        i32,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<f64>,
        Option<f64>,
        Option<bool>,
        i32,
    )> = attempts::table
        .filter(attempts::user_id.eq(subject_id))
        .order(attempts::started_at.asc())
        .select((
            attempts::id,
            attempts::cohort_id,
            attempts::quiz_slug,
            attempts::attempt_no,
            attempts::state,
            attempts::started_at,
            attempts::finished_at,
            attempts::score,
            attempts::percent,
            attempts::passed,
            attempts::grading_count,
        ))
        .load(conn)?;
    let decisions: Vec<Decision> = certification_decisions::table
        .filter(certification_decisions::user_id.eq(subject_id))
        .order(certification_decisions::recommended_at.asc())
        .select(Decision::as_select())
        .load(conn)?;
    let appeal_rows: Vec<Appeal> = appeals::table
        .filter(appeals::user_id.eq(subject_id))
        .order(appeals::filed_at.asc())
        .select(Appeal::as_select())
        .load(conn)?;
    let declarations: Vec<(String, String, String, NaiveDateTime)> = coi_declarations::table
        .filter(coi_declarations::subject_user_id.eq(subject_id))
        .select((
            coi_declarations::declared_by,
            coi_declarations::cohort_id,
            coi_declarations::statement,
            coi_declarations::declared_at,
        ))
        .load(conn)?;
    #[allow(clippy::type_complexity)]
    let held: Vec<(
        String,
        String,
        String,
        i32,
        String,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
        NaiveDateTime,
        Option<String>,
    )> = creds::table
        .filter(creds::user_id.eq(subject_id))
        .order(creds::issued_at.asc())
        .select((
            creds::id,
            creds::number,
            creds::scope,
            creds::scheme_version,
            creds::status,
            creds::status_reason,
            creds::issued_at,
            creds::valid_from,
            creds::valid_until,
            creds::renews_id,
        ))
        .load(conn)?;
    let mut subjects: Vec<String> = vec![subject_id.to_string()];
    subjects.extend(tries.iter().map(|t| t.0.clone()));
    subjects.extend(decisions.iter().map(|d| d.id.clone()));
    subjects.extend(appeal_rows.iter().map(|a| a.id.clone()));
    subjects.extend(held.iter().map(|c| c.0.clone()));
    let trail: Vec<(
        NaiveDateTime,
        Option<String>,
        String,
        String,
        String,
        String,
    )> = audit_log::table
        .filter(audit_log::subject_id.eq_any(&subjects))
        .order(audit_log::at.asc())
        .select((
            audit_log::at,
            audit_log::actor_id,
            audit_log::action,
            audit_log::subject_type,
            audit_log::subject_id,
            audit_log::details_json,
        ))
        .load(conn)?;
    let record = json!({
        "kind": "assessor-academy/certification-record",
        "generated_at": now(),
        "generated_by": actor.id,
        "person": {"id": user.id, "name": user.name, "name_en": user.name_en, "email": user.email,
                    "office_code": user.office_code, "role": user.role.as_str()},
        "memberships": memberships.iter().map(|(c, r, j)| json!({"cohort_id": c, "role": r, "joined_at": j})).collect::<Vec<_>>(),
        "attempts": tries.iter().map(|t| json!({"id": t.0, "cohort_id": t.1, "quiz": t.2, "attempt_no": t.3, "state": t.4,
            "started_at": t.5, "finished_at": t.6, "score": t.7, "percent": t.8, "passed": t.9, "grading_count": t.10})).collect::<Vec<_>>(),
        "decisions": table_json(&decisions),
        "appeals": table_json(&appeal_rows),
        "conflict_of_interest_declarations": declarations.iter().map(|d| json!({"declared_by": d.0, "cohort_id": d.1, "statement": d.2, "declared_at": d.3})).collect::<Vec<_>>(),
        "credentials": held.iter().map(|c| json!({"id": c.0, "number": c.1, "scope": c.2, "scheme_version": c.3, "status": c.4,
            "status_reason": c.5, "issued_at": c.6, "valid_from": c.7, "valid_until": c.8, "renews_id": c.9})).collect::<Vec<_>>(),
        "audit_trail": trail.iter().map(|a| json!({"at": a.0, "actor_id": a.1, "action": a.2, "subject_type": a.3, "subject_id": a.4,
            "details": serde_json::from_str::<serde_json::Value>(&a.5).unwrap_or(serde_json::Value::Null)})).collect::<Vec<_>>(),
        "retention": retention::RULES,
    });
    let signed = credentials::sign_document(conn, &record)?;
    Ok(json!({"record": record, "signed": signed}))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EraseRequest {
    #[serde(default)]
    pub reason: String,
}

/// Erases a person's identity under the PDPA: name, e-mail, password and queued mail go; what
/// the register and the certification evidence must keep (credential numbers and statuses,
/// results, decisions, the audit trail) stays, tied to an anonymous account. Refused while the
/// person holds a live (active or suspended) credential, which the public register must name.
pub fn erase_person(
    conn: &mut DbConnection,
    subject_id: &str,
    admin: &User,
    req: &EraseRequest,
) -> Result<(), AppError> {
    use crate::db::schema::{
        credentials as creds, login_throttle, one_time_tokens, outbox_emails, users,
    };
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let reason = text("reason", &req.reason, 1000)?;
    let user = accounts::get_user(conn, subject_id)?;
    if user.id == admin.id {
        return Err(AppError::conflict(
            "own_account",
            "another admin must erase your account",
        ));
    }
    let live: i64 = creds::table
        .filter(creds::user_id.eq(subject_id))
        .filter(creds::status.eq_any(["active", "suspended"]))
        .count()
        .get_result(conn)?;
    if live > 0 {
        return Err(AppError::conflict(
            "register_must_keep",
            "this person holds a live credential that the public register must name: revoke it first (or wait until it ends)",
        ));
    }
    let t = now();
    write_tx(conn, |conn| {
        let erased_email = format!("erased-{subject_id}@erased.invalid");
        diesel::update(users::table.find(subject_id))
            .set((
                users::name.eq("[ลบข้อมูลตาม PDPA / erased]"),
                users::name_en.eq(None::<String>),
                users::email.eq(&erased_email),
                users::password_hash.eq(None::<String>),
                users::disabled.eq(true),
                users::token_version.eq(users::token_version + 1),
                users::updated_at.eq(t),
            ))
            .execute(conn)?;
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(subject_id)))
            .execute(conn)?;
        diesel::delete(
            login_throttle::table.filter(login_throttle::key.like(format!("%{}%", user.email))),
        )
        .execute(conn)?;
        diesel::delete(
            outbox_emails::table
                .filter(outbox_emails::to_email.eq(&user.email))
                .filter(outbox_emails::status.ne("sent")),
        )
        .execute(conn)?;
        diesel::update(outbox_emails::table.filter(outbox_emails::to_email.eq(&user.email)))
            .set((
                outbox_emails::to_email.eq(&erased_email),
                outbox_emails::to_name.eq(""),
                outbox_emails::context_json.eq("{}"),
            ))
            .execute(conn)?;
        audit(
            conn,
            &admin.id,
            "erase_personal_data",
            "user",
            subject_id,
            json!({"reason": reason}),
        )
    })
}
