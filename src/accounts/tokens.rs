//! Sign-in tokens: HS256 JWTs with a strict validation profile and a per-user version.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

/// Issuer claim of every sign-in token.
pub const ISSUER: &str = "assessor-academy";
/// Audience claim of every sign-in token.
pub const AUDIENCE: &str = "assessor-academy-api";
/// The only purpose accepted for requests.
pub const PURPOSE_ACCESS: &str = "access";
/// How long a sign-in lasts.
pub const ACCESS_TTL_HOURS: i64 = 12;

/// Claims carried by a sign-in token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// Always `access`; other purposes are refused for requests.
    pub purpose: String,
    /// The user's token version when issued; a bump kills every older token.
    pub ver: i32,
}

/// The HMAC key for sign-in tokens, shared by every instance through the database.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    /// Builds both halves from one secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Issues an access token for a user at its current token version.
    pub fn issue(
        &self,
        user_id: &crate::accounts::model::UserId,
        token_version: i32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + Duration::hours(ACCESS_TTL_HOURS);
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: expires.timestamp(),
            nbf: now.timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            purpose: PURPOSE_ACCESS.into(),
            ver: token_version,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("JWT".into());
        let token = encode(&header, &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing a token: {e}"))?;
        Ok((token, expires))
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss`, `aud` and purpose; refuses any `kid`.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        if token.len() > 4096 {
            return Err("token too long".into());
        }
        let header = decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
        if header.alg != Algorithm::HS256 {
            return Err("unexpected algorithm".into());
        }
        if header.kid.is_some()
            || header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
        {
            return Err("unexpected key reference in header".into());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 5;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| format!("invalid token: {e}"))?;
        if data.claims.purpose != PURPOSE_ACCESS {
            return Err("token is not an access token".into());
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let keys = TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let (t, _) = keys.issue(&"u1".into(), 3, Utc::now()).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.ver), ("u1", 3));
        let other = TokenKeys::from_secret(b"another-secret-another-secret-xx");
        assert!(other.verify(&t).is_err());
        let (old, _) = keys
            .issue(&"u1".into(), 3, Utc::now() - Duration::hours(13))
            .unwrap();
        assert!(keys.verify(&old).is_err(), "expired token accepted");
        let (future, _) = keys
            .issue(&"u1".into(), 3, Utc::now() + Duration::hours(1))
            .unwrap();
        assert!(
            keys.verify(&future).is_err(),
            "not-yet-valid token accepted"
        );
    }
}
