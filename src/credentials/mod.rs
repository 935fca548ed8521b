//! Assessor credentials: eligibility, issuing as signed Open Badges 3.0 credentials
//! (VC-JWT, RS256), status changes with an audit trail, public verification and register.

pub mod certificate;
pub mod keys;
pub mod model;
pub mod offline;
mod renewal;
pub mod store;
mod verification;

pub use renewal::*;
pub use verification::*;

use crate::ids::AuditSubject;
use std::collections::HashMap;

use chrono::{Months, NaiveDateTime};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::Serialize;
use serde_json::{json, Value};

use crate::accounts::{self, model::Language, model::Role, User};
use crate::cohorts::{self, model::MemberRole};
use crate::course::model::{Course, Scope};
use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;
use model::{CredentialId, CredentialStatus};
use store::CredentialRow;

/// Bits in each published status list (the W3C minimum, so one list hides any one holder).
pub const STATUS_LIST_BITS: usize = 131_072;
/// The issuing organisation.
pub const ISSUER_NAME: &str =
    "สำนักงานมาตรฐานผลิตภัณฑ์อุตสาหกรรม (สมอ.) / Thai Industrial Standards Institute (TISI)";

use crate::util::now;

fn iso(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What issuing needs from the deployment.
#[derive(Clone)]
pub struct Issuer {
    pub base_url: url::Url,
    /// Number prefix, e.g. `TISI-S` → `TISI-S-2565-0001`.
    pub prefix: String,
}

impl Issuer {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

/// One criterion of a scope and whether the trainee meets it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Criterion {
    pub name: String,
    pub met: bool,
}

/// A trainee's eligibility for one scope of a cohort's programme.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub user_id: crate::accounts::model::UserId,
    pub name: String,
    pub scope: String,
    pub eligible: bool,
    pub criteria: Vec<Criterion>,
}

fn scope_of<'a>(course: &'a Course, scope: &str) -> Result<&'a Scope, AppError> {
    course
        .programme
        .scopes
        .iter()
        .find(|s| s.id == scope)
        .ok_or_else(|| AppError::Validation {
            code: "unknown_scope",
            message: format!("'{scope}' is not a scope of this programme"),
        })
}

/// Eligibility of every trainee of a cohort for every scope (or one scope).
#[tracing::instrument(level = "debug", skip_all)]
pub fn eligibility(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    course: &Course,
    only_user: Option<&crate::accounts::model::UserId>,
) -> Result<Vec<Eligibility>, AppError> {
    let members = cohorts::store::list_members(conn, cohort_id)?;
    let completions = crate::course::completions(conn, cohort_id)?;
    let results = crate::quizzes::scheme_results(conn, cohort_id)?;
    let rates = cohorts::attendance_rates(conn, cohort_id)?;
    let mut out = Vec::new();
    for m in members
        .iter()
        .filter(|m| m.role == "trainee" && only_user.is_none_or(|u| *u == m.user_id))
    {
        for scope in &course.programme.scopes {
            let mut criteria = Vec::new();
            for module in &scope.required_modules {
                let met = completions
                    .iter()
                    .any(|(u, s)| u == &m.user_id && s == module);
                criteria.push(Criterion {
                    name: format!("module:{module}"),
                    met,
                });
            }
            for quiz in &scope.required_quizzes {
                let met = results
                    .iter()
                    .any(|r| r.user_id == m.user_id && &r.quiz_slug == quiz && r.passed);
                criteria.push(Criterion {
                    name: format!("quiz:{quiz}"),
                    met,
                });
            }
            let rate = rates.get(&m.user_id).copied().flatten();
            // Before any session is held there is nothing to miss.
            let met = rate.is_none_or(|r| r + 1e-9 >= f64::from(scope.min_attendance_percent));
            criteria.push(Criterion {
                name: format!("attendance>={}%", scope.min_attendance_percent),
                met,
            });
            out.push(Eligibility {
                user_id: m.user_id.clone(),
                name: m.name.clone(),
                scope: scope.id.clone(),
                eligible: criteria.iter().all(|c| c.met),
                criteria,
            });
        }
    }
    Ok(out)
}

/// A credential as its holder and admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    pub id: CredentialId,
    pub number: String,
    /// `active`, `suspended`, `revoked` or `expired`.
    pub status: CredentialStatus,
    pub status_reason: Option<String>,
    /// `scope_withdrawn` when the credential was revoked by withdrawing its scope.
    pub status_detail: Option<String>,
    pub scope: String,
    pub user_id: crate::accounts::model::UserId,
    pub cohort_id: crate::cohorts::model::CohortId,
    pub holder_name: String,
    pub office_code: String,
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub scheme_version: i32,
    pub renews_id: Option<CredentialId>,
    pub credential_jwt: String,
    pub verify_url: String,
}

/// The status a verifier sees now.
pub fn effective_status(row: &CredentialRow, at: NaiveDateTime) -> CredentialStatus {
    status_at(&row.status, row.valid_from, row.valid_until, at)
}

fn status_at(
    stored: &str,
    valid_from: NaiveDateTime,
    valid_until: NaiveDateTime,
    at: NaiveDateTime,
) -> CredentialStatus {
    match CredentialStatus::parse(stored) {
        Some(
            s @ (CredentialStatus::Revoked
            | CredentialStatus::Suspended
            | CredentialStatus::Expired),
        ) => s,
        _ if at >= valid_until => CredentialStatus::Expired,
        _ if at < valid_from => CredentialStatus::NotYetValid,
        _ => CredentialStatus::Active,
    }
}

fn view(
    conn: &mut DbConnection,
    row: CredentialRow,
    issuer: &Issuer,
) -> Result<CredentialView, AppError> {
    let holder = accounts::get_user(conn, &row.user_id)?;
    Ok(CredentialView {
        status: effective_status(&row, now()),
        verify_url: issuer.url(&format!("/verify/{}", row.id)),
        holder_name: holder.name,
        office_code: holder.office_code,
        id: row.id,
        number: row.number,
        status_reason: row.status_reason,
        status_detail: row.status_detail,
        scope: row.scope,
        user_id: row.user_id,
        cohort_id: row.cohort_id,
        issued_at: row.issued_at,
        valid_from: row.valid_from,
        expires_at: row.valid_until,
        scheme_version: row.scheme_version,
        renews_id: row.renews_id,
        credential_jwt: row.credential_jwt,
    })
}

fn status_entries(issuer: &Issuer, index: i32) -> Value {
    json!([
        {
            "id": issuer.url(&format!("/status/revocation#{index}")),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": index.to_string(),
            "statusListCredential": issuer.url("/status/revocation"),
        },
        {
            "id": issuer.url(&format!("/status/suspension#{index}")),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": index.to_string(),
            "statusListCredential": issuer.url("/status/suspension"),
        }
    ])
}

/// Builds the Open Badges 3.0 credential (VC Data Model 2.0) for a holder.
#[allow(clippy::too_many_arguments)]
fn badge(
    issuer: &Issuer,
    course: &Course,
    scope: &Scope,
    id: &crate::credentials::model::CredentialId,
    number: &str,
    holder: &User,
    from: NaiveDateTime,
    until: NaiveDateTime,
    status_index: i32,
) -> Value {
    let salt = crate::accounts::store::sha256_hex(&format!("salt:{id}"))[..16].to_string();
    let identity = format!(
        "sha256${}",
        crate::accounts::store::sha256_hex(&format!("{}{salt}", holder.email))
    );
    let criteria = format!(
        "ต้องผ่านบทเรียน {} แบบทดสอบ {} และเข้าร่วมการอบรมอย่างน้อยร้อยละ {} / Complete modules {}, pass quizzes {}, and attend at least {} % of the sessions.",
        scope.required_modules.join(", "),
        scope.required_quizzes.join(", "),
        scope.min_attendance_percent,
        scope.required_modules.join(", "),
        scope.required_quizzes.join(", "),
        scope.min_attendance_percent
    );
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": issuer.url(&format!("/credentials/{id}")),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer.url("/issuer"),
            "type": ["Profile"],
            "name": ISSUER_NAME,
            "url": issuer.url("/"),
        },
        "name": format!("{} / {}", scope.title_th, scope.title_en),
        "description": format!("{} / {}", scope.description_th, scope.description_en),
        "validFrom": iso(from),
        "validUntil": iso(until),
        "credentialSubject": {
            "id": format!("urn:assessor-academy:holder:{}", holder.id),
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity,
                "identityType": "emailAddress",
                "hashed": true,
                "salt": salt,
            }],
            "achievement": {
                "id": issuer.url(&format!("/achievements/{}/{}", course.programme.id, scope.id)),
                "type": ["Achievement"],
                "achievementType": "License",
                "name": format!("{} / {}", scope.title_th, scope.title_en),
                "description": format!("{} / {}", scope.description_th, scope.description_en),
                "criteria": { "narrative": criteria },
                "humanCode": number,
            },
        },
        "credentialStatus": status_entries(issuer, status_index),
    })
}

fn sign(payload: &Value, conn: &mut DbConnection) -> Result<(String, String), AppError> {
    let key = keys::active(conn)?.ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!(
            "no signing key: run 'academy keys generate'"
        ))
    })?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let jwt = jsonwebtoken::encode(&header, payload, &key.key)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("signing: {e}")))?;
    Ok((jwt, key.kid))
}

/// Signs any JSON document with the active credential key (a compact JWS, RS256, `kid` in the
/// published JWKS), e.g. a person's certification record.
pub fn sign_document(conn: &mut DbConnection, payload: &Value) -> Result<String, AppError> {
    keys::ensure(conn)?;
    Ok(sign(payload, conn)?.0)
}

/// A request to issue a credential.
pub struct IssueRequest<'a> {
    pub cohort_id: &'a crate::cohorts::model::CohortId,
    pub user_id: &'a crate::accounts::model::UserId,
    pub scope: &'a str,
    pub override_reason: Option<&'a str>,
    pub renews_id: Option<&'a CredentialId>,
    /// The certification decision (on a recommendation) this issue carries out; `None`: the
    /// issue is itself the decision, recorded with its rationale in the same transaction.
    pub decision_id: Option<&'a crate::governance::model::DecisionId>,
}

/// Refuses an issuer who is not independent of the person's training: only an admin who never
/// taught the cohort (now or before) and did not recommend the person may decide to certify
/// them (409 `not_independent`).
pub fn check_independent(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    holder_id: &crate::accounts::model::UserId,
    actor: &User,
) -> Result<(), AppError> {
    if actor.role != accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if cohorts::ever_taught(conn, cohort_id, &actor.id)? {
        return Err(AppError::conflict(
            "not_independent",
            "you teach or taught this cohort: an admin who took no part in the training must decide",
        ));
    }
    if crate::governance::recommended(conn, cohort_id, holder_id, &actor.id)? {
        return Err(AppError::conflict(
            "not_independent",
            "you recommended this person: another admin must decide",
        ));
    }
    Ok(())
}

/// Issues a credential: only to an eligible trainee of the cohort (or with a written,
/// audited override), exactly one live credential per person and scope, with the next
/// gapless number of the fiscal year. The audit row and the holder's e-mail are written in
/// the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    req: &IssueRequest<'_>,
) -> Result<CredentialView, AppError> {
    // Independence first: a conflicted admin learns nothing more about the request.
    check_independent(conn, req.cohort_id, req.user_id, actor)?;
    let scope = scope_of(course, req.scope)?;
    let cohort = cohorts::store::find_cohort(conn, req.cohort_id)?.ok_or(AppError::NotFound)?;
    if cohorts::store::find_member_role(conn, req.cohort_id, req.user_id)?.as_deref()
        != Some(MemberRole::Trainee.as_str())
    {
        return Err(AppError::Validation {
            code: "not_a_trainee",
            message: "the user is not a trainee of this cohort".into(),
        });
    }
    let holder = accounts::get_user(conn, req.user_id)?;
    let elig = eligibility(conn, req.cohort_id, course, Some(req.user_id))?
        .into_iter()
        .find(|e| e.scope == req.scope)
        .ok_or(AppError::NotFound)?;
    let override_reason = req.override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !elig.eligible && override_reason.is_none() {
        let unmet: Vec<String> = elig
            .criteria
            .iter()
            .filter(|c| !c.met)
            .map(|c| c.name.clone())
            .collect();
        return Err(AppError::Rejected {
            code: "not_eligible",
            message: format!("not eligible: {}", unmet.join(", ")),
            details: json!({ "unmet": unmet }),
        });
    }
    issue_with_retry(
        conn,
        issuer,
        course,
        &Grant {
            scope,
            cohort: &cohort,
            holder: &holder,
            actor,
            req,
            override_reason,
            eligible: elig.eligible,
            renewal: None,
        },
    )
}

/// Everything one issuing (or renewal) needs, checked by its caller.
#[derive(Clone, Copy)]
pub(crate) struct Grant<'a> {
    pub scope: &'a Scope,
    pub cohort: &'a cohorts::store::CohortRow,
    pub holder: &'a User,
    pub actor: &'a User,
    pub req: &'a IssueRequest<'a>,
    pub override_reason: Option<&'a str>,
    pub eligible: bool,
    /// For a renewal, its reason: the credential `req.renews_id` expires in the same
    /// transaction.
    pub renewal: Option<&'a str>,
}

/// Issues (or renews), retrying when the first number of a new year races with another issuer
/// on the counter row.
pub(crate) fn issue_with_retry(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    g: &Grant<'_>,
) -> Result<CredentialView, AppError> {
    let req = g.req;
    keys::ensure(conn)?;
    let mut last = None;
    for _ in 0..3 {
        match issue_once(conn, issuer, course, g) {
            Err(AppError::Conflict {
                code: "already_exists",
                ..
            }) if cohorts::store::find_cohort(conn, req.cohort_id)?.is_some() => {
                if store::find_live(conn, req.user_id, req.scope)?.is_some() {
                    return Err(AppError::conflict(
                        "already_active",
                        "this person already holds a live credential of this scope",
                    ));
                }
                last = Some(AppError::conflict("already_active", "please try again"));
            }
            other => return other,
        }
    }
    Err(last.unwrap_or(AppError::conflict("already_active", "please try again")))
}

fn issue_once(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    g: &Grant<'_>,
) -> Result<CredentialView, AppError> {
    let Grant {
        scope,
        cohort,
        holder,
        actor,
        req,
        override_reason,
        eligible,
        renewal,
    } = *g;
    let t = now();
    let id = CredentialId::random();
    let row = write_tx(conn, |conn| {
        if let (Some(old), Some(reason)) = (req.renews_id, renewal) {
            // The renewed credential ends when its successor starts, in one transaction.
            if store::set_status(
                conn,
                old,
                &[CredentialStatus::Active, CredentialStatus::Expired],
                CredentialStatus::Expired,
                Some(reason),
                None,
                t,
            )? == 0
            {
                return Err(AppError::conflict(
                    "bad_transition",
                    "only an active or expired credential can be renewed",
                ));
            }
        }
        if store::find_live(conn, &holder.id, &scope.id)?.is_some() {
            return Err(AppError::conflict(
                "already_active",
                "this person already holds a live credential of this scope",
            ));
        }
        let fy = crate::dates::fiscal_year_be(t.date());
        let series = format!("{}-{fy}", issuer.prefix);
        let n = store::next_number(conn, &series)?;
        let number = format!("{series}-{n:04}");
        let status_index = store::next_status_index(conn)?;
        let until = t
            .checked_add_months(Months::new(scope.validity_months))
            .unwrap_or(t);
        let mut payload = badge(
            issuer,
            course,
            scope,
            &id,
            &number,
            holder,
            t,
            until,
            status_index,
        );
        if let Some(obj) = payload.as_object_mut() {
            obj.insert("iss".into(), json!(issuer.url("/issuer")));
            obj.insert(
                "jti".into(),
                json!(issuer.url(&format!("/credentials/{id}"))),
            );
            obj.insert(
                "sub".into(),
                json!(format!("urn:assessor-academy:holder:{}", holder.id)),
            );
            obj.insert("nbf".into(), json!(t.and_utc().timestamp()));
            obj.insert("exp".into(), json!(until.and_utc().timestamp()));
        }
        let (jwt, kid) = sign(&payload, conn)?;
        let row = CredentialRow {
            id: id.clone(),
            number: number.clone(),
            user_id: holder.id.clone(),
            cohort_id: cohort.id.clone(),
            programme_id: course.programme.id.clone(),
            scheme_version: course.programme.version as i32,
            scope: scope.id.clone(),
            status: CredentialStatus::Active.as_str().into(),
            status_reason: None,
            status_changed_at: None,
            status_index,
            issued_at: t,
            valid_from: t,
            valid_until: until,
            kid,
            credential_jwt: jwt,
            override_reason: override_reason.map(str::to_string),
            renews_id: req.renews_id.cloned(),
            issued_by: Some(actor.id.to_string()),
            reminder_sent_at: None,
            status_detail: None,
        };
        store::insert(conn, &row)?;
        if req.decision_id.is_none() {
            let rationale = match (renewal, override_reason) {
                (Some(r), _) => format!("renewal: {r}"),
                (None, Some(o)) => format!("override of the eligibility rule: {o}"),
                (None, None) => "eligible: every criterion of the scheme is met".to_string(),
            };
            crate::governance::record_direct(
                conn,
                &crate::governance::DirectDecision {
                    cohort_id: &cohort.id,
                    user_id: &holder.id,
                    scope: &scope.id,
                    admin_id: &actor.id,
                    rationale: &rationale,
                    credential_id: &id,
                    at: t,
                },
            )?;
        }
        let action = if req.renews_id.is_some() {
            "renew"
        } else {
            "issue"
        };
        store::audit(
            conn,
            Some(&actor.id),
            action,
            AuditSubject::of(&id),
            &json!({"number": number, "scope": scope.id, "user_id": holder.id, "cohort_id": cohort.id,
                    "eligible": eligible, "override_reason": override_reason, "renews_id": req.renews_id,
                    "renewal_reason": renewal, "scheme_version": course.programme.version}),
            t,
        )?;
        let to = accounts::model::EmailAddress::parse(&holder.email).map_err(AppError::invalid)?;
        email::enqueue(
            conn,
            email::Outgoing {
                template: "credential_issued",
                to: &to,
                to_name: &holder.name,
                language: holder.language,
                context: json!({"name": holder.name, "number": number, "scope_th": scope.title_th, "scope_en": scope.title_en,
                                "valid_until": until.date().to_string(), "link": issuer.url(&format!("/verify/{id}"))}),
            },
        )?;
        Ok(row)
    })?;
    view(conn, row, issuer)
}

/// A status change an admin may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Suspend,
    Reinstate,
    Revoke,
    /// Scope reduction: the holder loses this scope (e.g. keeps "product", loses "service").
    /// The credential is revoked for good, marked `scope_withdrawn`; other scopes stay.
    Withdraw,
}

/// Suspends, reinstates or revokes (final) a credential, with a reason, an audit row and a
/// mail to the holder in the same transaction. Verification sees it on the next request.
#[tracing::instrument(level = "debug", skip_all)]
pub fn change_status(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    id: &crate::credentials::model::CredentialId,
    action: StatusAction,
    reason: &str,
) -> Result<CredentialView, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::invalid(
            "reason: say why, in 1 to 1000 characters",
        ));
    }
    let detail = (action == StatusAction::Withdraw).then_some(model::SCOPE_WITHDRAWN);
    use CredentialStatus::{Active, Revoked, Suspended};
    let (from, to, verb, template): (&[CredentialStatus], CredentialStatus, &str, Option<&str>) =
        match action {
            StatusAction::Suspend => (
                &[Active],
                Suspended,
                "suspend",
                Some("credential_suspended"),
            ),
            StatusAction::Reinstate => (
                &[Suspended],
                Active,
                "reinstate",
                Some("credential_reinstated"),
            ),
            StatusAction::Revoke => (
                &[Active, Suspended],
                Revoked,
                "revoke",
                Some("credential_revoked"),
            ),
            StatusAction::Withdraw => (
                &[Active, Suspended],
                Revoked,
                "withdraw_scope",
                Some("credential_scope_withdrawn"),
            ),
        };
    let t = now();
    let row = write_tx(conn, |conn| {
        let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
        if store::set_status(conn, id, from, to, Some(reason), detail, t)? == 0 {
            let what = match action {
                StatusAction::Withdraw => "have its scope withdrawn".to_string(),
                _ => format!("be {verb}d"),
            };
            return Err(AppError::conflict(
                "bad_transition",
                format!("a {} credential cannot {what}", row.status),
            ));
        }
        store::audit(
            conn,
            Some(&actor.id),
            verb,
            AuditSubject::of(id),
            &json!({"reason": reason, "from": row.status, "to": to.as_str(), "scope": row.scope, "detail": detail}),
            t,
        )?;
        if let Some(template) = template {
            let holder = accounts::get_user(conn, &row.user_id)?;
            // A scope withdrawal tells the holder which scopes they keep.
            let kept: Vec<String> = store::of_user(conn, &row.user_id)?
                .into_iter()
                .filter(|c| c.id != row.id && effective_status(c, t) == CredentialStatus::Active)
                .map(|c| scope_title(course, &c.scope, holder.language))
                .collect();
            let to_addr =
                accounts::model::EmailAddress::parse(&holder.email).map_err(AppError::invalid)?;
            email::enqueue(
                conn,
                email::Outgoing {
                    template,
                    to: &to_addr,
                    to_name: &holder.name,
                    language: holder.language,
                    context: json!({"name": holder.name, "number": row.number, "reason": reason,
                        "scope": scope_title(course, &row.scope, holder.language), "kept": kept,
                        "link": issuer.url(&format!("/verify/{id}"))}),
                },
            )?;
        }
        store::find(conn, id)?.ok_or(AppError::NotFound)
    })?;
    view(conn, row, issuer)
}

/// A credential for its holder or an admin; anyone else gets a 404.
pub fn get_for(
    conn: &mut DbConnection,
    issuer: &Issuer,
    id: &crate::credentials::model::CredentialId,
    user: &User,
) -> Result<CredentialView, AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    view(conn, row, issuer)
}

/// The caller's own credentials.
#[tracing::instrument(level = "debug", skip_all)]
pub fn mine(
    conn: &mut DbConnection,
    issuer: &Issuer,
    user: &User,
) -> Result<Vec<CredentialView>, AppError> {
    store::of_user(conn, &user.id)?
        .into_iter()
        .map(|r| view(conn, r, issuer))
        .collect()
}

/// The credentials of a cohort (admins).
pub fn of_cohort(
    conn: &mut DbConnection,
    issuer: &Issuer,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<CredentialView>, AppError> {
    store::of_cohort(conn, cohort_id)?
        .into_iter()
        .map(|r| view(conn, r, issuer))
        .collect()
}

/// Issues to every eligible trainee of a cohort who has no live credential of the scope.
#[tracing::instrument(level = "debug", skip_all)]
pub fn issue_all_eligible(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    cohort_id: &crate::cohorts::model::CohortId,
    scope: &str,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    if actor.role != accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if cohorts::ever_taught(conn, cohort_id, &actor.id)? {
        return Err(AppError::conflict(
            "not_independent",
            "you teach or taught this cohort: an admin who took no part in the training must decide",
        ));
    }
    crate::cohorts::store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    scope_of(course, scope)?;
    let mut report: HashMap<String, Vec<String>> = HashMap::new();
    for e in eligibility(conn, cohort_id, course, None)?
        .into_iter()
        .filter(|e| e.scope == scope)
    {
        if !e.eligible {
            report
                .entry("not_eligible".into())
                .or_default()
                .push(e.user_id.into());
            continue;
        }
        let req = IssueRequest {
            cohort_id,
            user_id: &e.user_id,
            scope,
            override_reason: None,
            renews_id: None,
            decision_id: None,
        };
        match issue(conn, issuer, course, actor, &req) {
            Ok(c) => report.entry("issued".into()).or_default().push(c.number),
            Err(AppError::Conflict {
                code: "not_independent",
                ..
            }) => report
                .entry("not_independent".into())
                .or_default()
                .push(e.user_id.into()),
            Err(AppError::Conflict { .. }) => report
                .entry("already_holding".into())
                .or_default()
                .push(e.user_id.into()),
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}

/// Language-aware scope title for pages.
pub fn scope_title(course: &Course, scope: &str, lang: Language) -> String {
    course
        .programme
        .scopes
        .iter()
        .find(|s| s.id == scope)
        .map(|s| {
            if lang == Language::En {
                s.title_en.clone()
            } else {
                s.title_th.clone()
            }
        })
        .unwrap_or_else(|| scope.to_string())
}

fn certificate_text(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    row: &CredentialRow,
) -> Result<certificate::CertificateText, AppError> {
    let r = store::find_public(conn, &row.id)?.ok_or(AppError::NotFound)?;
    let p = verification::public(conn, course, r)?;
    let status = effective_status(row, now());
    let th = |d: NaiveDateTime| crate::dates::format_date(d.date(), Language::Th);
    let en = |d: NaiveDateTime| crate::dates::format_date(d.date(), Language::En);
    Ok(certificate::CertificateText {
        number: p.number.clone(),
        holder_th: p.holder_name.clone(),
        holder_en: p.holder_name_en.clone(),
        office_th: p.office_name_th.clone(),
        office_en: p.office_name_en.clone(),
        scope_th: p.scope_title_th.clone(),
        scope_en: p.scope_title_en.clone(),
        valid_th: format!("มีผลตั้งแต่ {} ถึง {}", th(p.valid_from), th(p.valid_until)),
        valid_en: format!(
            "Valid from {} until {}",
            en(p.valid_from),
            en(p.valid_until)
        ),
        status_th: match status {
            CredentialStatus::Revoked if p.status_detail.is_some() => {
                Some("ขอบเขตนี้ถูกเพิกถอน / SCOPE WITHDRAWN".into())
            }
            CredentialStatus::Revoked => Some("ใบรับรองนี้ถูกเพิกถอนแล้ว / REVOKED".into()),
            CredentialStatus::Suspended => Some("ใบรับรองนี้ถูกพักใช้ / SUSPENDED".into()),
            CredentialStatus::Expired => Some("ใบรับรองนี้หมดอายุแล้ว / EXPIRED".into()),
            _ => None,
        },
        verify_url: issuer.url(&format!("/verify/{}", row.id)),
    })
}

/// The printable certificate as PDF, for the holder or an admin (others: 404).
#[tracing::instrument(level = "debug", skip_all)]
pub fn certificate_pdf(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    id: &crate::credentials::model::CredentialId,
    user: &User,
) -> Result<(String, Vec<u8>), AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    let text = certificate_text(conn, course, issuer, &row)?;
    Ok((row.number.clone(), certificate::render(&text)?))
}

/// Every certificate of a cohort as one ZIP of PDFs (admins).
pub fn certificates_zip(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<u8>, AppError> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for row in store::of_cohort(conn, cohort_id)? {
        let text = certificate_text(conn, course, issuer, &row)?;
        let pdf = certificate::render(&text)?;
        zip.start_file(format!("{}.pdf", row.number), options)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
        zip.write_all(&pdf)
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
    Ok(cursor.into_inner())
}
