//! Accounts: users, roles, passwords, sign-in with throttling, and sign-in tokens.

pub mod model;
pub mod password;
pub mod store;
pub mod tokens;

use chrono::{Duration, NaiveDateTime, Utc};
use rand::RngCore;
use serde::Serialize;

use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;
use crate::offices;
use model::{EmailAddress, Language, NewPassword, PersonName, Role};
use store::{NewUserRow, ThrottleRow, UserRow};

/// Failed sign-ins allowed per account in one window before it is blocked.
pub const ACCOUNT_FAILURE_LIMIT: i32 = 10;
/// Failed sign-ins allowed per client address in one window before it is blocked.
pub const CLIENT_FAILURE_LIMIT: i32 = 50;
/// Length of the counting window and of a block.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// A user as the rest of the service sees it (no password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub name_en: Option<String>,
    pub role: Role,
    pub office_code: String,
    pub language: Language,
    #[serde(skip)]
    pub token_version: i32,
    #[serde(skip)]
    pub disabled: bool,
}

impl TryFrom<UserRow> for User {
    type Error = AppError;
    fn try_from(row: UserRow) -> Result<Self, AppError> {
        Ok(User {
            role: row
                .role
                .parse()
                .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
            language: Language::parse_or_default(&row.language),
            id: row.id,
            email: row.email,
            name: row.name,
            name_en: row.name_en,
            office_code: row.office_code,
            token_version: row.token_version,
            disabled: row.disabled,
        })
    }
}

/// What it takes to create a user; values are already parsed at the edge.
pub struct NewUser {
    pub email: EmailAddress,
    pub name: PersonName,
    pub name_en: Option<PersonName>,
    pub role: Role,
    pub office_code: String,
    pub language: Language,
    /// Already hashed (hash on a blocking thread before calling).
    pub password_hash: Option<String>,
}

fn now_naive() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Checks that an office code is TISI or one of the 76 provincial offices.
pub fn parse_office_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_uppercase();
    offices::find(&code)
        .map(|o| o.code.clone())
        .ok_or_else(|| AppError::Validation {
            code: "unknown_office",
            message: format!("unknown office code '{raw}': use TISI or TH-11 … TH-96"),
        })
}

/// How long an invitation link stays valid.
pub const INVITATION_TTL_HOURS: i64 = 72;

/// Creates a user; the e-mail address must be new. Without a password, the user gets an
/// invitation e-mail (queued in the same transaction) with a single-use link to set one.
#[tracing::instrument(skip_all, fields(email = %new.email))]
pub fn create_user(
    conn: &mut DbConnection,
    new: &NewUser,
    base_url: &url::Url,
) -> Result<User, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_naive();
    write_tx(conn, |conn| {
        if store::find_user_by_email(conn, new.email.as_str())?.is_some() {
            return Err(AppError::conflict(
                "email_taken",
                format!("a user with e-mail {} already exists", new.email),
            ));
        }
        store::insert_user(
            conn,
            &NewUserRow {
                id: &id,
                email: new.email.as_str(),
                name: new.name.as_str(),
                name_en: new.name_en.as_ref().map(|n| n.as_str()),
                role: new.role.as_str(),
                office_code: &new.office_code,
                language: new.language.as_str(),
                password_hash: new.password_hash.as_deref(),
                token_version: 0,
                disabled: false,
                created_at: now,
                updated_at: now,
            },
        )?;
        if new.password_hash.is_none() {
            let expires = now + Duration::hours(INVITATION_TTL_HOURS);
            let token = store::create_one_time_token(conn, &id, "invitation", expires, now)?;
            let link = base_url.join(&format!("invitation/{token}")).map_err(|e| {
                AppError::Unexpected(anyhow::anyhow!("building invitation link: {e}"))
            })?;
            email::enqueue(
                conn,
                email::Outgoing {
                    template: "invitation",
                    to: &new.email,
                    to_name: new.name.as_str(),
                    language: new.language,
                    context: serde_json::json!({
                        "name": new.name.as_str(),
                        "link": link.as_str(),
                        "expires_at": expires.and_utc().to_rfc3339(),
                        "role": new.role.as_str(),
                    }),
                },
            )?;
        }
        Ok(())
    })?;
    get_user(conn, &id)
}

/// The user with this id, or `NotFound`.
pub fn get_user(conn: &mut DbConnection, id: &str) -> Result<User, AppError> {
    store::find_user(conn, id)?
        .ok_or(AppError::NotFound)?
        .try_into()
}

/// How many admins exist (zero on a fresh install).
pub fn count_admins(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(store::count_by_role(conn, Role::Admin.as_str())?)
}

/// Resolves the user behind a verified token; a bumped token version or a disabled
/// account makes every older token invalid at once.
pub fn user_for_token(conn: &mut DbConnection, claims: &tokens::Claims) -> Result<User, AppError> {
    let user: User = store::find_user(conn, &claims.sub)?
        .ok_or_else(|| AppError::Unauthorized("sign-in is no longer valid".into()))?
        .try_into()?;
    if user.disabled || user.token_version != claims.ver {
        return Err(AppError::Unauthorized("sign-in is no longer valid".into()));
    }
    Ok(user)
}

/// The outcome of a sign-in attempt before the password is checked.
pub struct SignInCandidate {
    pub user: Option<UserRow>,
}

fn throttle_check(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> Result<(), AppError> {
    if let Some(row) = store::find_throttle(conn, key)? {
        if let Some(until) = row.blocked_until {
            if until > now {
                let secs = (until - now).num_seconds().max(1) as u64;
                return Err(AppError::TooManyRequests { retry_after: secs });
            }
        }
    }
    Ok(())
}

fn throttle_fail(
    conn: &mut DbConnection,
    key: &str,
    limit: i32,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let mut row = store::find_throttle(conn, key)?.unwrap_or(ThrottleRow {
        key: key.to_string(),
        failures: 0,
        window_started_at: now,
        blocked_until: None,
    });
    if now - row.window_started_at > window {
        row.failures = 0;
        row.window_started_at = now;
        row.blocked_until = None;
    }
    row.failures += 1;
    if row.failures >= limit {
        row.blocked_until = Some(now + window);
    }
    store::save_throttle(conn, &row)?;
    Ok(())
}

/// Step 1 of sign-in: refuses throttled accounts and clients, returns the stored user if any.
pub fn begin_sign_in(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
) -> Result<SignInCandidate, AppError> {
    let now = now_naive();
    throttle_check(conn, &format!("account:{email}"), now)?;
    throttle_check(conn, &format!("client:{client}"), now)?;
    Ok(SignInCandidate {
        user: store::find_user_by_email(conn, email)?,
    })
}

/// Step 2 of sign-in, after the password was checked off the database connection:
/// counts a failure, or clears the account's counter and returns the user.
pub fn finish_sign_in(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    user: Option<UserRow>,
    password_ok: bool,
) -> Result<User, AppError> {
    let now = now_naive();
    let account_key = format!("account:{email}");
    let client_key = format!("client:{client}");
    write_tx(conn, |conn| {
        // Re-check inside the transaction: a block may have started meanwhile.
        throttle_check(conn, &account_key, now)?;
        match user {
            Some(row) if password_ok && !row.disabled => {
                store::clear_throttle(conn, &account_key)?;
                row.try_into()
            }
            _ => {
                throttle_fail(conn, &account_key, ACCOUNT_FAILURE_LIMIT, now)?;
                throttle_fail(conn, &client_key, CLIENT_FAILURE_LIMIT, now)?;
                Err(AppError::Unauthorized("wrong e-mail or password".into()))
            }
        }
    })
}

/// Sets a new password (already hashed) and ends every existing sign-in of the user.
pub fn set_password_hash(
    conn: &mut DbConnection,
    user_id: &str,
    hash: &str,
) -> Result<(), AppError> {
    let n = write_tx(conn, |conn| {
        store::set_password(conn, user_id, hash, now_naive())
    })?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Ends every existing sign-in of the user.
pub fn sign_out_everywhere(conn: &mut DbConnection, user_id: &str) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        store::bump_token_version(conn, user_id, now_naive())
    })?;
    Ok(())
}

/// The stored password hash of a user, for checking a current password.
pub fn password_hash_of(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Option<String>, AppError> {
    Ok(store::find_user(conn, user_id)?
        .ok_or(AppError::NotFound)?
        .password_hash)
}

/// Returns the named shared secret, creating a random one on first use. Every instance of a
/// deployment reads the same row, so tokens issued by one are accepted by all.
pub fn shared_secret(conn: &mut DbConnection, name: &str) -> Result<Vec<u8>, AppError> {
    if let Some(v) = store::find_secret(conn, name)? {
        return decode_hex(&v);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // Another instance may win the race; the unique key keeps one value, which we then read.
    let _ = write_tx(conn, |conn| {
        store::insert_secret(conn, name, &hex, now_naive())
    });
    let stored = store::find_secret(conn, name)?.ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!("secret {name} missing after insert"))
    })?;
    decode_hex(&stored)
}

fn decode_hex(s: &str) -> Result<Vec<u8>, AppError> {
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("stored secret is not hex")))
        })
        .collect()
}

/// Hashes a password for storage; slow on purpose, so call it from a blocking thread.
pub fn hash_password(password: &NewPassword) -> Result<String, AppError> {
    Ok(password::hash(password)?)
}
