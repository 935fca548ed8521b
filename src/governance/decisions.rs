//! Recommendations by the cohort's instructors and independent decisions by admins who did
//! not teach the cohort, with conflict-of-interest declarations.

use crate::governance::error::GovernanceError;
use crate::ids::AuditSubject;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{DecisionId, DecisionOutcome};
use super::store::{self, Decision};
use super::{audit, now, text};
use crate::accounts::{model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::model::Course;
use crate::credentials::{self, model::CredentialId, model::CredentialStatus, Issuer};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RecommendRequest {
    #[serde(default)]
    pub user_id: crate::accounts::model::UserId,
    #[serde(default)]
    pub scope: String,
    /// Why the trainee is ready (or not).
    #[serde(default)]
    pub rationale: String,
}

/// The rationale recorded for a credential issued to someone who met every criterion.
pub const DIRECT_ELIGIBLE: &str = "eligible: every criterion of the scheme is met";
/// The recorded rationale of a renewal starts so, followed by the admin's reason.
pub const DIRECT_RENEWAL: &str = "renewal: ";
/// The recorded rationale of an issue against the eligibility rule starts so, followed by
/// the admin's reason.
pub const DIRECT_OVERRIDE: &str = "override of the eligibility rule: ";
/// The recommendation of a decision an admin took directly.
pub const DIRECT_NO_RECOMMENDATION: &str = "(no recommendation: decided directly)";

/// An instructor of the cohort (or an admin) recommends a trainee for a scope.
#[tracing::instrument(level = "debug", skip_all)]
pub fn recommend(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    actor: &User,
    req: &RecommendRequest,
) -> Result<Decision, AppError> {
    cohorts::authorize(conn, cohort_id, actor, Access::Staff)?;
    let rationale = text("rationale", &req.rationale, 4000)?;
    if !course.programme.scopes.iter().any(|s| s.id == req.scope) {
        return Err(AppError::from(GovernanceError::Invalid(
            "scope: not a scope of this programme".into(),
        )));
    }
    let role = cohorts::store::find_member_role(conn, cohort_id, &req.user_id)?;
    if role != Some(MemberRole::Trainee) {
        return Err(AppError::from(GovernanceError::Invalid(
            "user_id: not a trainee of this cohort".into(),
        )));
    }
    let d = Decision {
        id: DecisionId::random(),
        cohort_id: cohort_id.clone(),
        user_id: req.user_id.clone(),
        scope: req.scope.clone(),
        recommended_by: actor.id.to_string(),
        recommendation: rationale,
        recommended_at: now(),
        decided_by: None,
        outcome: None,
        rationale: None,
        decided_at: None,
        credential_id: None,
    };
    write_tx(conn, |conn| {
        store::insert_decision(conn, &d)?;
        audit(
            conn,
            &actor.id,
            "recommend",
            AuditSubject::of(&d.id),
            json!({"user_id": d.user_id, "scope": d.scope, "rationale": d.recommendation}),
        )
    })?;
    Ok(d)
}

/// Recommendations and decisions of a cohort (staff).
pub fn cohort_decisions(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    actor: &User,
) -> Result<Vec<Decision>, AppError> {
    cohorts::authorize(conn, cohort_id, actor, Access::Staff)?;
    Ok(store::decisions_of_cohort(conn, cohort_id)?)
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

/// Whether `user` ever took part in teaching the cohort (an instructor now or before: the
/// teaching history survives removal).
pub(super) fn taught(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
) -> Result<bool, AppError> {
    cohorts::ever_taught(conn, cohort_id, &user.id)
}

/// Whether `by` recommended `user_id` in a cohort (a decision they also took themselves, such
/// as a direct issue, is not a recommendation).
pub fn recommended(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    by: &crate::accounts::model::UserId,
) -> Result<bool, AppError> {
    Ok(store::recommendations_by(conn, cohort_id, user_id, by)? > 0)
}

/// A decision taken and recorded in one step, when a credential is issued or renewed without
/// a recommendation (directly, to all eligible, or a renewal). Runs inside the issuing
/// transaction, after the credential row exists.
pub struct DirectDecision<'a> {
    pub cohort_id: &'a crate::cohorts::model::CohortId,
    pub user_id: &'a crate::accounts::model::UserId,
    pub scope: &'a str,
    pub admin_id: &'a crate::accounts::model::UserId,
    pub rationale: &'a str,
    pub credential_id: &'a CredentialId,
    pub at: NaiveDateTime,
}

/// Records a [`DirectDecision`] with its audit row.
pub fn record_direct(
    conn: &mut DbConnection,
    d: &DirectDecision<'_>,
) -> Result<DecisionId, AppError> {
    let id = DecisionId::random();
    store::insert_decision(
        conn,
        &Decision {
            id: id.clone(),
            cohort_id: d.cohort_id.clone(),
            user_id: d.user_id.clone(),
            scope: d.scope.to_string(),
            recommended_by: d.admin_id.to_string(),
            recommendation: DIRECT_NO_RECOMMENDATION.into(),
            recommended_at: d.at,
            decided_by: Some(d.admin_id.to_string()),
            outcome: Some(DecisionOutcome::Grant.as_str().into()),
            rationale: Some(d.rationale.to_string()),
            decided_at: Some(d.at),
            credential_id: Some(d.credential_id.clone()),
        },
    )?;
    audit(
        conn,
        d.admin_id,
        "decide",
        AuditSubject::of(&id),
        json!({"outcome": DecisionOutcome::Grant.as_str(), "rationale": d.rationale, "credential_id": d.credential_id,
               "user_id": d.user_id, "scope": d.scope, "direct": true}),
    )?;
    Ok(id)
}

/// The certification decision by an admin independent of the training.
#[tracing::instrument(level = "debug", skip_all)]
pub fn decide(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    decision_id: &super::model::DecisionId,
    admin: &User,
    req: &DecideRequest,
) -> Result<Decision, AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let d = store::find_decision(conn, decision_id)?.ok_or(AppError::NotFound)?;
    if d.decided_at.is_some() {
        return Err(AppError::from(GovernanceError::AlreadyDecided(
            "this recommendation has been decided".into(),
        )));
    }
    let outcome = DecisionOutcome::parse(&req.outcome).map_err(AppError::invalid)?;
    let rationale = text("rationale", &req.rationale, 4000)?;
    let Some(conflict) = req.conflict_of_interest else {
        return Err(AppError::from(GovernanceError::Invalid(
            "conflict_of_interest: declare true or false before deciding".into(),
        )));
    };
    if conflict {
        let statement = text("conflict_statement", &req.conflict_statement, 2000)?;
        write_tx(conn, |conn| {
            store::insert_declaration(
                conn,
                admin.id.as_str(),
                &d.cohort_id,
                &d.user_id,
                &statement,
                now(),
            )?;
            audit(
                conn,
                &admin.id,
                "declare_conflict",
                AuditSubject::of(&d.id),
                json!({"statement": statement}),
            )
        })?;
        return Err(AppError::from(GovernanceError::ConflictOfInterest("you declared a conflict of interest with this trainee: the declaration is recorded, and another admin must decide".into())));
    }
    if d.recommended_by == admin.id
        || taught(conn, &d.cohort_id, admin)?
        || recommended(conn, &d.cohort_id, &d.user_id, &admin.id)?
    {
        return Err(AppError::from(GovernanceError::NotIndependent("you taught this cohort or made the recommendation: an admin who took no part in the training must decide".into())));
    }
    let credential_id = if outcome == DecisionOutcome::Grant {
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
                decision_id: Some(&d.id),
            },
        )?;
        Some(view.id)
    } else {
        None
    };
    let t = now();
    write_tx(conn, |conn| {
        let n = store::record_outcome(
            conn,
            &d.id,
            &admin.id,
            outcome,
            &rationale,
            t,
            credential_id.as_ref(),
        )?;
        if n == 0 {
            return Err(AppError::from(GovernanceError::AlreadyDecided(
                "this recommendation has been decided".into(),
            )));
        }
        audit(
            conn,
            &admin.id,
            "decide",
            AuditSubject::of(&d.id),
            json!({"outcome": outcome.as_str(), "rationale": rationale, "credential_id": credential_id,
                   "user_id": d.user_id, "scope": d.scope, "no_conflict_declared": true}),
        )
    })?;
    store::find_decision(conn, &d.id)?.ok_or(AppError::NotFound)
}

/// One quiz result in the evidence of a decision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceResult {
    pub quiz: String,
    pub percent: Option<f64>,
    pub passed: bool,
    pub attempts: usize,
}

/// An earlier credential of the person and what happened to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceCredential {
    pub id: String,
    pub number: String,
    pub scope: String,
    pub cohort_id: crate::cohorts::model::CohortId,
    /// The status now (`active`, `suspended`, `revoked`, `expired`).
    pub status: CredentialStatus,
    pub status_detail: Option<String>,
    #[serde(with = "crate::dates::utc")]
    pub issued_at: NaiveDateTime,
    /// Every status change, oldest first: (when, action, reason).
    pub history: Vec<(NaiveDateTime, String, Option<String>)>,
}

/// What an admin sees before deciding: the scheme's criteria for the scope and whether each
/// is met, the quiz results, attendance, earlier credentials with their status history, and
/// open appeals; `warnings` names what calls for care (an earlier credential revoked or
/// suspended, an open appeal, an unmet criterion).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub criteria: Vec<credentials::Criterion>,
    pub results: Vec<EvidenceResult>,
    pub attendance_percent: Option<f64>,
    pub earlier_credentials: Vec<EvidenceCredential>,
    pub open_appeals: usize,
    /// Machine-readable: `earlier_revoked`, `earlier_suspended`, `open_appeal`, `criteria_unmet`.
    pub warnings: Vec<&'static str>,
}

/// The evidence for deciding on a person and scope in a cohort (admins).
#[tracing::instrument(level = "debug", skip_all)]
pub fn evidence(
    conn: &mut DbConnection,
    course: &Course,
    cohort_id: &crate::cohorts::model::CohortId,
    user_id: &crate::accounts::model::UserId,
    scope: &str,
) -> Result<Evidence, AppError> {
    let criteria = credentials::eligibility(conn, cohort_id, course, Some(user_id))?
        .into_iter()
        .find(|e| e.scope == scope)
        .map(|e| e.criteria)
        .unwrap_or_default();
    let results = crate::quizzes::scheme_results(conn, cohort_id)?;
    let named: Vec<String> = course
        .programme
        .scopes
        .iter()
        .find(|s| s.id == scope)
        .map(|s| s.required_quizzes.clone())
        .unwrap_or_default();
    let results = named
        .iter()
        .map(|q| {
            let r = results
                .iter()
                .find(|r| r.user_id == *user_id && &r.quiz_slug == q);
            EvidenceResult {
                quiz: q.clone(),
                percent: r.map(|r| r.percent),
                passed: r.is_some_and(|r| r.passed),
                attempts: r.map_or(0, |r| r.attempts),
            }
        })
        .collect();
    let attendance_percent =
        cohorts::attendance_rates(conn, cohort_id, course.programme.excused_absence)?
            .get(user_id)
            .copied()
            .flatten();
    let t = now();
    let mut earlier_credentials = Vec::new();
    for c in credentials::store::of_user(conn, user_id)? {
        let history = credentials::store::audit_of(conn, AuditSubject::of(&c.id))?
            .into_iter()
            .map(|(at, _, action, details)| {
                let reason = serde_json::from_str::<serde_json::Value>(&details)
                    .ok()
                    .and_then(|v| v["reason"].as_str().map(str::to_string));
                (at, action, reason)
            })
            .collect();
        earlier_credentials.push(EvidenceCredential {
            status: credentials::effective_status(&c, t),
            id: c.id.into(),
            number: c.number,
            scope: c.scope,
            cohort_id: c.cohort_id,
            status_detail: c.status_detail,
            issued_at: c.issued_at,
            history,
        });
    }
    let open_appeals = store::open_appeal_subjects(conn, user_id)?.len();
    let mut warnings = Vec::new();
    let ever = |status: CredentialStatus, action: &str| {
        earlier_credentials
            .iter()
            .any(|c| c.status == status || c.history.iter().any(|(_, a, _)| a == action))
    };
    if ever(CredentialStatus::Revoked, "revoke") || ever(CredentialStatus::Revoked, "withdraw") {
        warnings.push("earlier_revoked");
    }
    if ever(CredentialStatus::Suspended, "suspend") {
        warnings.push("earlier_suspended");
    }
    if open_appeals > 0 {
        warnings.push("open_appeal");
    }
    if criteria.iter().any(|c| !c.met) {
        warnings.push("criteria_unmet");
    }
    Ok(Evidence {
        criteria,
        results,
        attendance_percent,
        earlier_credentials,
        open_appeals,
        warnings,
    })
}

/// Across all cohorts (admins): every recommendation still waiting for a decision, oldest
/// first, and the `limit` most recent decisions, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub fn all_decisions(
    conn: &mut DbConnection,
    admin: &User,
    limit: i64,
) -> Result<(Vec<Decision>, Vec<Decision>), AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let pending = store::pending_decisions(conn)?;
    let decided = store::recent_decisions(conn, limit)?;
    Ok((pending, decided))
}

/// A declaration of a conflict of interest with a trainee of a cohort, made in advance by a
/// member of staff (a relative, a former colleague, a business they advised). Blind marking
/// leaves that person's written answers to other markers, and decisions to another admin.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ConflictDeclaration {
    pub user_id: crate::accounts::model::UserId,
    pub statement: String,
}

/// Records a conflict-of-interest declaration by cohort staff about one of its trainees.
pub fn declare_conflict(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    req: &ConflictDeclaration,
) -> Result<(), AppError> {
    cohorts::authorize(conn, cohort_id, user, cohorts::Access::Staff)?;
    let statement = text("statement", &req.statement, 2000)?;
    if cohorts::store::find_member_role(conn, cohort_id, &req.user_id)?
        != Some(crate::cohorts::model::MemberRole::Trainee)
    {
        return Err(AppError::from(GovernanceError::Invalid(
            "user_id: not a trainee of this cohort".into(),
        )));
    }
    let t = now();
    write_tx(conn, |conn| {
        store::insert_declaration(
            conn,
            user.id.as_str(),
            cohort_id,
            &req.user_id,
            &statement,
            t,
        )?;
        audit(
            conn,
            &user.id,
            "declare_conflict",
            AuditSubject::of(&req.user_id),
            serde_json::json!({"cohort_id": cohort_id, "statement": statement}),
        )?;
        Ok(())
    })
}
