//! Records: one person's whole certification history, signed; PDPA erasure.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{audit, now, text};
use super::{retention, Appeal, Decision};
use crate::accounts::{self, model::Role, User};
use crate::credentials;
use crate::db::schema::{appeals, certification_decisions, coi_declarations};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;

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
