//! The Open Badges 3.0 credential: its JSON, its status list entries, and signing (VC-JWT, RS256).

use super::*;

pub(super) fn status_entries(issuer: &Issuer, index: i32) -> Value {
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
pub(super) fn badge(
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
        "credentialStatus": status_entries(issuer, status_index),
    })
}

pub(super) fn sign(payload: &Value, conn: &mut DbConnection) -> Result<(String, String), AppError> {
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
