//! Assessor credentials: eligibility, issuing as signed Open Badges 3.0 credentials
//! (VC-JWT, RS256), status changes with an audit trail, public verification and register.

mod badge;
pub mod certificate;
mod documents;
mod eligibility;
pub mod error;
mod issuing;
pub mod keys;
pub mod model;
pub mod offline;
mod renewal;
mod status;
pub mod store;
mod verification;

pub use badge::*;
pub use documents::*;
pub use eligibility::*;
pub use issuing::*;
pub use renewal::*;
pub use status::*;
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

/// The service context a credential is made in: who issues it, under which programme (the time
/// comes from the database handle's clock, `util::now()`).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub issuer: &'a Issuer,
    pub course: &'a Course,
}

impl Issuer {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
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
    #[serde(with = "crate::dates::utc")]
    pub issued_at: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
    pub valid_from: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
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
