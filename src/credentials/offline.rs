//! Offline verification of a credential against published public keys (a JWKS).

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
    pub status: &'static str,
}

/// Checks the RS256 signature with the key named by `kid`, and the validity dates.
pub fn verify(jwt: &str, jwks: &Jwks) -> Result<OfflineResult, String> {
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
    let now = Utc::now().timestamp();
    let nbf = data
        .claims
        .get("nbf")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX);
    let exp = data
        .claims
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MIN);
    let status = if now < nbf {
        "not_yet_valid"
    } else if now >= exp {
        "expired"
    } else {
        "active"
    };
    Ok(OfflineResult {
        kid,
        claims: data.claims,
        status,
    })
}

/// Reads a JWKS from a file, or from an `http://` URL with a plain HTTP/1.1 GET.
pub fn load_jwks(source: &str) -> Result<Jwks, String> {
    let text = if let Some(rest) = source.strip_prefix("http://") {
        http_get(rest)?
    } else if source.starts_with("https://") {
        return Err("download the JWKS first (e.g. curl -o jwks.json URL) and pass the file; this tool fetches only http:// URLs".into());
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
}

fn http_get(host_and_path: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let (host, path) = match host_and_path.split_once('/') {
        Some((h, p)) => (h.to_string(), format!("/{p}")),
        None => (host_and_path.to_string(), "/".to_string()),
    };
    let addr = if host.contains(':') {
        host.clone()
    } else {
        format!("{host}:80")
    };
    let mut stream = std::net::TcpStream::connect(&addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: application/json\r\n\r\n").map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    stream
        .take(4 * 1024 * 1024)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!(
            "the server answered {}",
            head.lines().next().unwrap_or("")
        ));
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Ok(dechunk(body));
    }
    Ok(body.to_string())
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
