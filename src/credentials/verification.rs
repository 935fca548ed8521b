//! Public verification (by signed credential or by id), the W3C status lists, and the public
//! register.

use super::model::{CredentialId, CredentialStatus, RegisterStatus};
use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::json;

use super::*;

/// What a verifier learns: only what a register shows, never e-mail or internal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCredential {
    pub id: CredentialId,
    pub number: String,
    pub holder_name: String,
    pub holder_name_en: Option<String>,
    pub office_code: String,
    pub office_name_th: String,
    pub office_name_en: String,
    pub scope: String,
    pub scope_title_th: String,
    pub scope_title_en: String,
    pub issuer: String,
    #[serde(with = "crate::dates::utc")]
    pub issued_at: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
    pub valid_from: NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
    pub valid_until: NaiveDateTime,
    pub status_reason: Option<String>,
    /// `scope_withdrawn` when this scope was withdrawn from the holder (scope reduction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// After a scope withdrawal: the scopes the holder still holds, with their credentials.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_scopes: Vec<KeptScope>,
    pub scheme_version: i32,
}

/// A scope the holder keeps after another was withdrawn.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptScope {
    pub id: CredentialId,
    pub number: String,
    pub scope: String,
    pub scope_title_th: String,
    pub scope_title_en: String,
}

/// The answer of a verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyResult {
    pub valid: bool,
    /// `active`, `suspended`, `revoked`, `expired`, `not_yet_valid`; `invalid` for a credential
    /// that does not verify.
    #[serde(serialize_with = "status_or_invalid")]
    #[schema(value_type = String)]
    pub status: Option<CredentialStatus>,
    pub credential: Option<PublicCredential>,
}

/// What a verifier sees of one credential (one indexed query; a second only after a scope
/// withdrawal, to name the scopes the holder keeps).
pub(super) fn public(
    conn: &mut DbConnection,
    course: &Course,
    r: store::PublicRow,
) -> Result<PublicCredential, AppError> {
    let office = crate::offices::find(&r.office_code);
    let scope = course.programme.scopes.iter().find(|s| s.id == r.scope);
    let kept_scopes = if r.status_detail.is_some() {
        let t = now();
        store::of_user(conn, &r.user_id)?
            .into_iter()
            .filter(|c| c.id != r.id && effective_status(c, t) == CredentialStatus::Active)
            .map(|c| KeptScope {
                scope_title_th: scope_title(course, &c.scope, Language::Th),
                scope_title_en: scope_title(course, &c.scope, Language::En),
                id: c.id,
                number: c.number,
                scope: c.scope,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(PublicCredential {
        office_name_th: office.map(|o| o.name_th.clone()).unwrap_or_default(),
        office_name_en: office.map(|o| o.name_en.clone()).unwrap_or_default(),
        scope_title_th: scope
            .map(|s| s.title_th.clone())
            .unwrap_or_else(|| r.scope.clone()),
        scope_title_en: scope
            .map(|s| s.title_en.clone())
            .unwrap_or_else(|| r.scope.clone()),
        issuer: ISSUER_NAME.into(),
        status_reason: if CredentialStatus::parse(&r.status) == Some(CredentialStatus::Active) {
            None
        } else {
            r.status_reason
        },
        status_detail: r.status_detail,
        kept_scopes,
        id: r.id,
        number: r.number,
        holder_name: r.name,
        holder_name_en: r.name_en,
        office_code: r.office_code,
        scope: r.scope,
        issued_at: r.issued_at,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        scheme_version: r.scheme_version,
    })
}

fn invalid() -> VerifyResult {
    VerifyResult {
        valid: false,
        status: None,
        credential: None,
    }
}

/// The status as the API spells it: `invalid` for a credential that does not verify.
fn status_name(status: Option<CredentialStatus>) -> &'static str {
    status.map_or("invalid", CredentialStatus::as_str)
}

impl VerifyResult {
    /// The status as the API spells it (see [`VerifyResult::status`]).
    pub fn status_str(&self) -> &'static str {
        status_name(self.status)
    }
}

fn status_or_invalid<S: serde::Serializer>(
    status: &Option<CredentialStatus>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(status_name(*status))
}

/// Verifies a credential JWT: our key (by `kid`), an RS256 signature over exactly these bytes,
/// a credential we issued with this exact token, and its status now. Any changed byte fails.
#[tracing::instrument(level = "debug", skip_all)]
pub fn verify_jwt(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    jwt: &str,
) -> Result<VerifyResult, AppError> {
    let jwt = jwt.trim();
    if jwt.len() > 64 * 1024 {
        return Ok(invalid());
    }
    let Ok(header) = jsonwebtoken::decode_header(jwt) else {
        return Ok(invalid());
    };
    if header.alg != Algorithm::RS256 {
        return Ok(invalid());
    }
    let Some(kid) = header.kid else {
        return Ok(invalid());
    };
    let jwks = keys::jwks(conn, issuer)?;
    let Some(jwk) = jwks.keys.iter().find(|k| k.kid == kid) else {
        return Ok(invalid());
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "sub", "jti", "nbf", "exp"]);
    validation.set_issuer(&[issuer.url("/issuer")]);
    let Ok(data) = jsonwebtoken::decode::<Value>(jwt, &jwk.decoding_key()?, &validation) else {
        return Ok(invalid());
    };
    let Some(id) = data
        .claims
        .get("jti")
        .and_then(|j| j.as_str())
        .and_then(|j| j.rsplit('/').next())
        .map(CredentialId::from)
    else {
        return Ok(invalid());
    };
    let Some(row) = store::find(conn, &id)? else {
        return Ok(invalid());
    };
    if row.credential_jwt != jwt {
        return Ok(invalid());
    }
    let status = effective_status(&row, now());
    let r = store::find_public(conn, &row.id)?.ok_or(AppError::NotFound)?;
    Ok(VerifyResult {
        valid: status == CredentialStatus::Active,
        status: Some(status),
        credential: Some(public(conn, course, r)?),
    })
}

/// The credential a person typed as its number (as printed on the certificate: any case, spaces
/// around it, Thai or Arabic digits), if there is one.
#[tracing::instrument(level = "debug", skip_all)]
pub fn id_by_number(
    conn: &mut DbConnection,
    typed: &str,
) -> Result<Option<CredentialId>, AppError> {
    let number = crate::thai::fold_digits(typed.trim()).to_uppercase();
    if number.is_empty() || number.len() > 64 {
        return Ok(None);
    }
    Ok(store::id_by_number(conn, &number)?)
}

/// Verification by credential id; unknown and malformed ids are the same 404.
#[tracing::instrument(level = "debug", skip_all)]
pub fn verify_id(
    conn: &mut DbConnection,
    course: &Course,
    id: &crate::credentials::model::CredentialId,
) -> Result<VerifyResult, AppError> {
    if uuid::Uuid::parse_str(id.as_str()).is_err() {
        return Err(AppError::NotFound);
    }
    // One indexed query for exactly what the answer shows (not the signed credential text
    // nor the holder's account): this is the public endpoint that takes the most traffic.
    let r = store::find_public(conn, id)?.ok_or(AppError::NotFound)?;
    let status = status_at(&r.status, r.valid_from, r.valid_until, now());
    Ok(VerifyResult {
        valid: status == CredentialStatus::Active,
        status: Some(status),
        credential: Some(public(conn, course, r)?),
    })
}

/// The signed W3C Bitstring Status List credential for `revocation` (revoked credentials) or
/// `suspension` (credentials not to be accepted now: suspended or revoked; see
/// `badge::status_entry`).
#[tracing::instrument(level = "debug", skip_all)]
pub fn status_list(
    conn: &mut DbConnection,
    issuer: &Issuer,
    purpose: &str,
) -> Result<String, AppError> {
    let statuses: &[CredentialStatus] = match purpose {
        "revocation" => &[CredentialStatus::Revoked],
        "suspension" => &[CredentialStatus::Suspended, CredentialStatus::Revoked],
        _ => return Err(AppError::NotFound),
    };
    let mut bits = vec![0u8; STATUS_LIST_BITS / 8];
    for i in store::status_indexes(conn, statuses)? {
        let i = i as usize;
        if i < STATUS_LIST_BITS {
            // Bit 0 is the most significant bit of the first byte.
            bits[i / 8] |= 0x80 >> (i % 8);
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bits)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let compressed = gz.finish().map_err(|e| AppError::Unexpected(e.into()))?;
    let t = now();
    let list_id = issuer.url(&format!("/status/{purpose}"));
    let payload = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": { "id": issuer.url("/issuer"), "type": ["Profile"], "name": ISSUER_NAME },
        "validFrom": iso(t),
        "credentialSubject": {
            "id": format!("{list_id}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": format!("u{}", URL_SAFE_NO_PAD.encode(compressed)),
        },
        "iss": issuer.url("/issuer"),
        "jti": list_id,
        "sub": format!("{list_id}#list"),
        "nbf": t.and_utc().timestamp(),
        "exp": (t + chrono::Duration::days(1)).and_utc().timestamp(),
    });
    keys::ensure(conn)?;
    Ok(sign(issuer, &payload, conn)?.0)
}

/// One entry of the public register of active assessors.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterEntry {
    pub id: CredentialId,
    pub number: String,
    pub name: String,
    pub name_en: Option<String>,
    pub office_code: String,
    pub office_th: String,
    pub office_en: String,
    pub province_th: String,
    pub province_en: String,
    pub scope: String,
    #[serde(with = "crate::dates::utc")]
    pub valid_until: NaiveDateTime,
    /// `active`; with `status=all` also `suspended` and `withdrawn` (a scope withdrawn from
    /// its holder), each with the date and reason of the change.
    pub status: RegisterStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::dates::utc::option")]
    pub status_since: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// The register: active, unexpired credentials (or, with `status` `all`, `suspended` or
/// `withdrawn`, those changes too), searchable by name, office, province and scope.
#[tracing::instrument(level = "debug", skip_all)]
pub fn register(
    conn: &mut DbConnection,
    q: Option<&str>,
    office: Option<&str>,
    scope: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<RegisterEntry>, AppError> {
    let wanted = RegisterStatus::parse_filter(status).map_err(AppError::invalid)?;
    let t = now();
    let needle = q
        .map(crate::quizzes::engine::normalise_text)
        .filter(|s| !s.is_empty());
    let mut out: Vec<RegisterEntry> =
        store::register(conn, wanted != Some(RegisterStatus::Active), t)?
            .into_iter()
            .filter_map(|(row, name, name_en, office_code)| {
                let shown =
                    RegisterStatus::of(effective_status(&row, t), row.status_detail.as_deref())?;
                if wanted.is_some_and(|w| w != shown) {
                    return None;
                }
                let o = crate::offices::find(&office_code);
                let changed = shown != RegisterStatus::Active;
                let e = RegisterEntry {
                    id: row.id,
                    number: row.number,
                    name,
                    name_en,
                    office_th: o.map(|o| o.name_th.clone()).unwrap_or_default(),
                    office_en: o.map(|o| o.name_en.clone()).unwrap_or_default(),
                    province_th: o.map(|o| o.province_th.clone()).unwrap_or_default(),
                    province_en: o.map(|o| o.province_en.clone()).unwrap_or_default(),
                    office_code,
                    scope: row.scope,
                    valid_until: row.valid_until,
                    status: shown,
                    status_since: row.status_changed_at.filter(|_| changed),
                    status_reason: row.status_reason.filter(|_| changed),
                };
                let text = crate::quizzes::engine::normalise_text(&format!(
                    "{} {} {} {} {} {}",
                    e.name,
                    e.name_en.clone().unwrap_or_default(),
                    e.province_th,
                    e.province_en,
                    e.number,
                    e.office_th
                ));
                let keep = needle.as_ref().is_none_or(|n| text.contains(n.as_str()))
                    && office.is_none_or(|o| o.is_empty() || o == e.office_code)
                    && scope.is_none_or(|s| s.is_empty() || s == e.scope);
                keep.then_some(e)
            })
            .collect();
    out.sort_by_cached_key(|e| (crate::thai::sort_key(&e.name), e.number.clone()));
    Ok(out)
}
