//! Offline verification of a credential against published public keys (a JWKS).

use super::model::CredentialStatus;
use chrono::Utc;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::keys::Jwks;

/// What an offline check found.
#[derive(Debug, Clone)]
pub struct OfflineResult {
    pub kid: String,
    pub claims: Value,
    /// `active`, `expired` or `not_yet_valid` (revocation needs the service's status list).
    pub status: CredentialStatus,
}

/// Checks the RS256 signature with the key named by `kid` and the signed claims; returns the
/// key id and the claims.
fn decode(jwt: &str, jwks: &Jwks) -> Result<(String, Value), String> {
    let jwt = jwt.trim();
    let header =
        jsonwebtoken::decode_header(jwt).map_err(|e| format!("not a credential JWT: {e}"))?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("unexpected algorithm {:?}", header.alg));
    }
    let kid = header.kid.ok_or("the credential names no key (kid)")?;
    let jwk = jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| format!("key {kid} is not among the issuer's public keys"))?;
    let key = jwk.decoding_key().map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.set_required_spec_claims(&["iss", "sub", "jti", "nbf", "exp"]);
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map_err(|e| format!("signature or claims do not verify: {e}"))?;
    Ok((kid, data.claims))
}

fn types(claims: &Value) -> Vec<&str> {
    match claims.get("type") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => vec![],
    }
}

/// The issuer id a credential names (`issuer` as a string or `issuer.id`).
fn issuer_id(claims: &Value) -> Option<&str> {
    match claims.get("issuer") {
        Some(Value::String(s)) => Some(s),
        Some(o) => o.get("id").and_then(Value::as_str),
        None => None,
    }
}

/// Checks a credential: the RS256 signature with the key named by `kid`, that it is an Open
/// Badges credential (not a status list or another signed document), that its `iss` is the
/// issuer it names (and `expected_issuer`, when known), and the validity dates.
pub fn verify(
    jwt: &str,
    jwks: &Jwks,
    expected_issuer: Option<&str>,
) -> Result<OfflineResult, String> {
    let (kid, claims) = decode(jwt, jwks)?;
    let t = types(&claims);
    if !t
        .iter()
        .any(|x| *x == "OpenBadgeCredential" || *x == "AchievementCredential")
    {
        return Err(format!(
            "this is not an Open Badges credential (type {t:?}); a status list or another signed document is not a credential"
        ));
    }
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if issuer_id(&claims) != Some(iss) {
        return Err(format!(
            "the signed issuer ({iss}) is not the issuer the credential names ({})",
            issuer_id(&claims).unwrap_or("none")
        ));
    }
    if let Some(expected) = expected_issuer {
        if iss != expected {
            return Err(format!("issued by {iss}, not by {expected}"));
        }
    }
    let now = Utc::now().timestamp();
    let nbf = claims
        .get("nbf")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX);
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MIN);
    let status = if now < nbf {
        CredentialStatus::NotYetValid
    } else if now >= exp {
        CredentialStatus::Expired
    } else {
        CredentialStatus::Active
    };
    Ok(OfflineResult {
        kid,
        claims,
        status,
    })
}

/// What the credential's status lists say: `Some(Revoked)`, `Some(Suspended)`, or `None` when no
/// bit is set. Each list is fetched with `fetch` (its URL as named in the credential), must be
/// signed by a key of the same JWKS and issuer, be a `BitstringStatusListCredential` of the
/// entry's purpose; its bits are read most significant first. A set `suspension` bit whose
/// entry names a revocation list as `statusReference` (ours do: one entry, as OB 3.0 allows)
/// is a revocation when that list has the bit set too.
pub fn check_status(
    claims: &Value,
    jwks: &Jwks,
    fetch: impl Fn(&str) -> Result<String, String>,
) -> Result<Option<CredentialStatus>, String> {
    let entries: Vec<&Value> = match claims.get("credentialStatus") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => return Err("the credential names no status list".into()),
    };
    let mut found = None;
    for e in entries {
        let purpose = e.get("statusPurpose").and_then(Value::as_str).unwrap_or("");
        let index: usize = match e.get("statusListIndex") {
            Some(Value::String(s)) => s.parse().map_err(|_| "bad statusListIndex")?,
            Some(Value::Number(n)) => n.as_u64().ok_or("bad statusListIndex")? as usize,
            _ => return Err("a status entry has no statusListIndex".into()),
        };
        let url = e
            .get("statusListCredential")
            .and_then(Value::as_str)
            .ok_or("a status entry has no statusListCredential")?;
        if !bit_is_set(claims, jwks, &fetch, url, purpose, index)? {
            continue;
        }
        match purpose {
            "revocation" => return Ok(Some(CredentialStatus::Revoked)),
            "suspension" => {
                let references: Vec<&str> = match e.get("statusReference") {
                    Some(Value::String(s)) => vec![s.as_str()],
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for r in references
                    .into_iter()
                    .filter(|r| r.ends_with("/status/revocation"))
                {
                    if bit_is_set(claims, jwks, &fetch, r, "revocation", index)? {
                        return Ok(Some(CredentialStatus::Revoked));
                    }
                }
                found = Some(CredentialStatus::Suspended)
            }
            _ => {}
        }
    }
    Ok(found)
}

/// Whether the signed status list at `url` (of `purpose`, from the credential's issuer) has
/// the bit at `index` set.
fn bit_is_set(
    claims: &Value,
    jwks: &Jwks,
    fetch: &impl Fn(&str) -> Result<String, String>,
    url: &str,
    purpose: &str,
    index: usize,
) -> Result<bool, String> {
    let (_, list) = decode(&fetch(url)?, jwks).map_err(|e| format!("status list {url}: {e}"))?;
    if !types(&list).contains(&"BitstringStatusListCredential") {
        return Err(format!("{url} is not a BitstringStatusListCredential"));
    }
    if issuer_id(&list) != issuer_id(claims) {
        return Err(format!("{url} is not from the credential's issuer"));
    }
    let subject = &list["credentialSubject"];
    if subject["statusPurpose"].as_str() != Some(purpose) {
        return Err(format!("{url} is not a {purpose} list"));
    }
    let encoded = subject["encodedList"]
        .as_str()
        .and_then(|s| s.strip_prefix('u'))
        .ok_or("the status list is not multibase base64url")?;
    use base64::Engine;
    let gz = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|e| format!("status list: {e}"))?;
    let mut bits = Vec::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&gz[..])
        .take(16 * 1024 * 1024)
        .read_to_end(&mut bits)
        .map_err(|e| format!("status list: {e}"))?;
    Ok(bits
        .get(index / 8)
        .is_some_and(|b| b & (0x80 >> (index % 8)) != 0))
}

/// Fetches a document from an `http://` or `https://` URL (TLS with the system's trusted
/// certificates; `SSL_CERT_FILE` names another bundle), following redirects, at most 4 MiB,
/// within 10 seconds. The request runs on its own thread, so this may be called from inside the
/// command line's async runtime.
pub fn fetch(url: &str) -> Result<String, String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url}: not an http:// or https:// URL"));
    }
    let owned = url.to_string();
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("{owned}: {e}"))?;
        let res = client
            .get(&owned)
            .header("accept", "application/json")
            .send()
            .map_err(|e| format!("{owned}: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("{owned}: the server answered {}", res.status()));
        }
        let mut body = Vec::new();
        use std::io::Read;
        res.take(4 * 1024 * 1024)
            .read_to_end(&mut body)
            .map_err(|e| format!("{owned}: {e}"))?;
        String::from_utf8(body).map_err(|_| format!("{owned}: not UTF-8 text"))
    })
    .join()
    .map_err(|_| format!("{url}: the download failed"))?
}

/// Reads a JWKS from a file, or from an `http://` or `https://` URL.
pub fn load_jwks(source: &str) -> Result<Jwks, String> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        fetch(source)?
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
}
