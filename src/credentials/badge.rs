//! The Open Badges 3.0 credential: its JSON, its status list entries, and signing (VC-JWT, RS256).

use super::*;

/// The credential's one status entry (OB 3.0 allows one `credentialStatus` object): a W3C
/// Bitstring Status List entry of purpose `suspension`, whose bit means "do not accept now". It
/// is set while the credential is suspended, cleared on reinstatement, and set for good once it
/// is revoked; the `/status/revocation` list (the entry's `statusReference`) tells the two apart.
/// Credentials issued before this change carry two entries (revocation and suspension), and both
/// lists keep serving them.
pub(super) fn status_entry(issuer: &Issuer, index: i32) -> Value {
    json!({
        "id": issuer.url(&format!("/status/suspension#{index}")),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": index.to_string(),
        "statusListCredential": issuer.url("/status/suspension"),
        "statusReference": issuer.url("/status/revocation"),
    })
}

/// What one credential states, for its Open Badges document.
pub(super) struct BadgeFacts<'a> {
    pub scope: &'a Scope,
    pub id: &'a crate::credentials::model::CredentialId,
    pub number: &'a str,
    pub holder: &'a User,
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    pub status_index: i32,
}

/// Builds the Open Badges 3.0 credential (VC Data Model 2.0) for a holder.
pub(super) fn badge(ctx: &Ctx<'_>, facts: &BadgeFacts<'_>) -> Value {
    let (issuer, course) = (ctx.issuer, ctx.course);
    let BadgeFacts {
        scope,
        id,
        number,
        holder,
        from,
        until,
        status_index,
    } = *facts;
    let salt = crate::util::sha256_hex(&format!("salt:{id}"))[..16].to_string();
    let identity = format!(
        "sha256${}",
        crate::util::sha256_hex(&format!("{}{salt}", holder.email))
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
        "credentialStatus": status_entry(issuer, status_index),
    })
}

/// Signs with the active key; the JOSE header's `kid` is the key's URL (see `keys::kid_url`),
/// the returned name is the key's stored name.
pub(super) fn sign(
    issuer: &Issuer,
    payload: &Value,
    conn: &mut DbConnection,
) -> Result<(String, String), AppError> {
    let key = keys::active(conn)?.ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!(
            "no signing key: run 'academy keys generate'"
        ))
    })?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(keys::kid_url(issuer, &key.kid));
    let jwt = jsonwebtoken::encode(&header, payload, &key.key)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("signing: {e}")))?;
    Ok((jwt, key.kid))
}

/// Signs any JSON document with the active credential key (a compact JWS, RS256, `kid` in the
/// published JWKS), e.g. a person's certification record.
pub fn sign_document(
    conn: &mut DbConnection,
    issuer: &Issuer,
    payload: &Value,
) -> Result<String, AppError> {
    keys::ensure(conn)?;
    Ok(sign(issuer, payload, conn)?.0)
}

/// Signs a credential document of another kind (a completion certificate) with the active key:
/// the compact JWS and the stored name of the key.
pub fn sign_credential(
    conn: &mut DbConnection,
    issuer: &Issuer,
    payload: &Value,
) -> Result<(String, String), AppError> {
    keys::ensure(conn)?;
    sign(issuer, payload, conn)
}
