//! Records: one person's whole certification history, signed; PDPA erasure.

use crate::governance::error::GovernanceError;
use crate::ids::AuditSubject;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{audit, now, text};
use super::{retention, store};
use crate::accounts::{self, model::Role, User};
use crate::credentials;
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;

fn table_json<T: Serialize>(rows: &[T]) -> serde_json::Value {
    serde_json::to_value(rows).unwrap_or(serde_json::Value::Null)
}

/// One person's certification history (identity, memberships, attempts, decisions, appeals,
/// credentials and the audit trail about them), signed with the issuer's credential key as a
/// JWS (RS256, `kid` the key's URL, also in `/.well-known/jwks.json`) whose payload is the record itself.
#[tracing::instrument(level = "debug", skip_all)]
pub fn certification_record(
    conn: &mut DbConnection,
    issuer: &credentials::Issuer,
    subject_id: &crate::accounts::model::UserId,
    actor: &User,
) -> Result<serde_json::Value, AppError> {
    if actor.role != Role::Admin && actor.id != *subject_id {
        return Err(AppError::NotFound);
    }
    let user = accounts::get_user(conn, subject_id)?;
    let memberships = crate::cohorts::store::memberships_of_user(conn, subject_id)?;
    let tries = crate::quizzes::store::attempts_of_user(conn, subject_id)?;
    let decisions = store::decisions_of_user(conn, subject_id)?;
    let appeal_rows = store::appeals_of_user(conn, subject_id)?;
    let declarations = store::declarations_about(conn, subject_id)?;
    let mut held = credentials::store::of_user(conn, subject_id)?;
    held.sort_by_key(|c| c.issued_at);
    let mut subjects: Vec<String> = vec![subject_id.to_string()];
    subjects.extend(tries.iter().map(|t| t.id.to_string()));
    subjects.extend(decisions.iter().map(|d| d.id.to_string()));
    subjects.extend(appeal_rows.iter().map(|a| a.id.to_string()));
    subjects.extend(held.iter().map(|c| c.id.to_string()));
    let trail = store::audit_trail(conn, &subjects)?;
    // Times with their offset, as everywhere in the API.
    let at = crate::dates::utc::to_string;
    let at_opt = |t: &Option<chrono::NaiveDateTime>| t.as_ref().map(at);
    let record = json!({
        "kind": "assessor-academy/certification-record",
        "generated_at": at(&now()),
        "generated_by": actor.id,
        "person": {"id": user.id, "name": user.name, "name_en": user.name_en, "email": user.email,
                    "office_code": user.office_code, "role": user.role.as_str()},
        "memberships": memberships.iter().map(|(c, r, j)| json!({"cohort_id": c, "role": r, "joined_at": at(j)})).collect::<Vec<_>>(),
        "attempts": tries.iter().map(|t| json!({"id": t.id, "cohort_id": t.cohort_id, "quiz": t.quiz_slug, "attempt_no": t.attempt_no, "state": t.attempt_state(),
            "started_at": at(&t.started_at), "finished_at": at_opt(&t.finished_at), "score": t.score, "percent": t.percent, "passed": t.passed, "grading_count": t.grading_count})).collect::<Vec<_>>(),
        "decisions": table_json(&decisions),
        "appeals": table_json(&appeal_rows),
        "conflict_of_interest_declarations": declarations.iter().map(|d| json!({"declared_by": d.0, "cohort_id": d.1, "statement": d.2, "declared_at": at(&d.3)})).collect::<Vec<_>>(),
        "credentials": held.iter().map(|c| json!({"id": c.id, "number": c.number, "scope": c.scope, "scheme_version": c.scheme_version, "status": c.status,
            "status_reason": c.status_reason, "issued_at": at(&c.issued_at), "valid_from": at(&c.valid_from), "valid_until": at(&c.valid_until), "renews_id": c.renews_id})).collect::<Vec<_>>(),
        "audit_trail": trail.iter().map(|a| json!({"at": at(&a.0), "actor_id": a.1, "action": a.2, "subject_type": a.3, "subject_id": a.4,
            "details": serde_json::from_str::<serde_json::Value>(&a.5).unwrap_or(serde_json::Value::Null)})).collect::<Vec<_>>(),
        "retention": retention::RULES,
    });
    let signed = credentials::sign_document(conn, issuer, &record)?;
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
#[tracing::instrument(level = "debug", skip_all)]
pub fn erase_person(
    conn: &mut DbConnection,
    subject_id: &crate::accounts::model::UserId,
    admin: &User,
    req: &EraseRequest,
) -> Result<(), AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let reason = text("reason", &req.reason, 1000)?;
    let user = accounts::get_user(conn, subject_id)?;
    if user.id == admin.id {
        return Err(AppError::from(GovernanceError::OwnAccount(
            "another admin must erase your account".into(),
        )));
    }
    let live = credentials::store::live_count_of_user(conn, subject_id)?;
    if live > 0 {
        return Err(AppError::from(GovernanceError::RegisterMustKeep("this person holds a live credential that the public register must name: revoke it first (or wait until it ends)".into())));
    }
    let t = now();
    write_tx(conn, |conn| {
        let erased_email = format!("erased-{subject_id}@erased.invalid");
        accounts::store::erase_identity(
            conn,
            subject_id,
            &user.email,
            &erased_email,
            "[ลบข้อมูลตาม PDPA / erased]",
            t,
        )?;
        crate::email::store::erase_recipient(conn, &user.email, &erased_email)?;
        audit(
            conn,
            &admin.id,
            "erase_personal_data",
            AuditSubject::of(subject_id),
            json!({"reason": reason}),
        )
    })
}
