//! Credential signing keys: RS256 key pairs kept in the database (shared by every instance),
//! public keys published as a JWKS. Private keys are never logged or served.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

use super::store;
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;

/// A public key as published in the JWKS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub n: String,
    pub e: String,
}

impl Jwk {
    /// The key for verifying signatures.
    pub fn decoding_key(&self) -> Result<DecodingKey, AppError> {
        DecodingKey::from_rsa_components(&self.n, &self.e)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("public key {}: {e}", self.kid)))
    }
}

/// The key set served at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The active private key, for signing.
pub struct SigningKey {
    pub kid: String,
    pub key: EncodingKey,
}

/// Makes a new RSA-2048 key pair; slow (about a second), so call it off the async workers.
fn new_key() -> Result<(String, String, Jwk), AppError> {
    let mut rng = rsa::rand_core::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("generating RSA key: {e}")))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("encoding RSA key: {e}")))?
        .to_string();
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let kid = format!("key-{}", &crate::util::sha256_hex(&n)[..16]);
    let jwk = Jwk {
        kty: "RSA".into(),
        kid: kid.clone(),
        use_: "sig".into(),
        alg: "RS256".into(),
        n,
        e,
    };
    Ok((kid, pem, jwk))
}

/// Creates a new active key; earlier keys stay for verifying what they signed.
pub fn rotate(conn: &mut DbConnection) -> Result<String, AppError> {
    let (kid, pem, jwk) = new_key()?;
    let jwk_json = serde_json::to_string(&jwk).map_err(|e| AppError::Unexpected(e.into()))?;
    write_tx(conn, |conn| {
        store::insert_active_key(conn, &kid, &pem, &jwk_json, crate::util::now())?;
        Ok::<_, AppError>(())
    })?;
    Ok(kid)
}

/// Creates the first key if there is none; returns the active key id and whether it is new.
pub fn ensure(conn: &mut DbConnection) -> Result<(String, bool), AppError> {
    if let Some(k) = active(conn)? {
        return Ok((k.kid, false));
    }
    Ok((rotate(conn)?, true))
}

/// The active signing key.
pub fn active(conn: &mut DbConnection) -> Result<Option<SigningKey>, AppError> {
    let row = store::active_key(conn)?;
    row.map(|r| {
        Ok(SigningKey {
            key: EncodingKey::from_rsa_pem(r.private_pem.as_bytes())
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored key {}: {e}", r.kid)))?,
            kid: r.kid,
        })
    })
    .transpose()
}

/// The `kid` a signature names: a URL that serves the public key as one JWK, as the OB 3.0
/// VC-JWT proof asks (`kid` "MUST be a URI that can be dereferenced to ... a JWK").
pub fn kid_url(issuer: &super::Issuer, name: &str) -> String {
    issuer.url(&format!("/keys/{name}"))
}

fn stored_jwks(conn: &mut DbConnection) -> Result<Vec<Jwk>, AppError> {
    store::keys(conn)?
        .into_iter()
        .map(|r| {
            serde_json::from_str(&r.public_jwk)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored JWK: {e}")))
        })
        .collect()
}

/// Every public key, newest first (old keys keep verifying what they signed). Each key is
/// listed under its `kid` URL and, for what was signed before signatures named keys by URL,
/// under its bare name too.
pub fn jwks(conn: &mut DbConnection, issuer: &super::Issuer) -> Result<Jwks, AppError> {
    let mut keys = Vec::new();
    for jwk in stored_jwks(conn)? {
        keys.push(Jwk {
            kid: kid_url(issuer, &jwk.kid),
            ..jwk.clone()
        });
        keys.push(jwk);
    }
    Ok(Jwks { keys })
}

/// One public key by its name (the last segment of its `kid` URL), with that URL as `kid`.
pub fn jwk(conn: &mut DbConnection, issuer: &super::Issuer, name: &str) -> Result<Jwk, AppError> {
    stored_jwks(conn)?
        .into_iter()
        .find(|k| k.kid == name)
        .map(|k| Jwk {
            kid: kid_url(issuer, &k.kid),
            ..k
        })
        .ok_or(AppError::NotFound)
}
