//! Credential signing keys: RS256 key pairs kept in the database (shared by every instance),
//! public keys published as a JWKS. Private keys are never logged or served.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

use crate::db::schema::signing_keys;
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

#[derive(Queryable, Selectable)]
#[diesel(table_name = signing_keys)]
struct KeyRow {
    kid: String,
    private_pem: String,
    public_jwk: String,
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
    let kid = format!("key-{}", &crate::accounts::store::sha256_hex(&n)[..16]);
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
        diesel::update(signing_keys::table)
            .set(signing_keys::active.eq(false))
            .execute(conn)?;
        diesel::insert_into(signing_keys::table)
            .values((
                signing_keys::kid.eq(&kid),
                signing_keys::algorithm.eq("RS256"),
                signing_keys::private_pem.eq(&pem),
                signing_keys::public_jwk.eq(&jwk_json),
                signing_keys::active.eq(true),
                signing_keys::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
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
    let row: Option<KeyRow> = signing_keys::table
        .filter(signing_keys::active.eq(true))
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| {
        Ok(SigningKey {
            key: EncodingKey::from_rsa_pem(r.private_pem.as_bytes())
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored key {}: {e}", r.kid)))?,
            kid: r.kid,
        })
    })
    .transpose()
}

/// Every public key, newest first (old keys keep verifying what they signed).
pub fn jwks(conn: &mut DbConnection) -> Result<Jwks, AppError> {
    let rows: Vec<KeyRow> = signing_keys::table
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .load(conn)?;
    let keys = rows
        .into_iter()
        .map(|r| {
            serde_json::from_str(&r.public_jwk)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored JWK: {e}")))
        })
        .collect::<Result<Vec<Jwk>, AppError>>()?;
    Ok(Jwks { keys })
}
