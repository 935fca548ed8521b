//! Accounts: users, roles, passwords, sign-in with throttling, and sign-in tokens.

use crate::accounts::error::AccountError;
pub mod error;
pub mod model;
pub mod password;
pub mod store;
pub mod tokens;

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use crate::db::{write_tx, DbConnection};
use crate::email;
use crate::error::AppError;
use crate::offices;
use model::{EmailAddress, Language, NewPassword, PersonName, Role};
use store::{NewUserRow, ThrottleRow, UserRow};

/// Failed sign-ins of one account from one client address in a window before that pair (and
/// only that pair) is blocked for the window.
pub const PAIR_FAILURE_LIMIT: i32 = 10;
/// Failed sign-ins from one client address (any account) in a window before it is blocked.
pub const CLIENT_FAILURE_LIMIT: i32 = 50;
/// Failed sign-ins of one account from all clients in a window before each further failure
/// makes the next attempt wait: 1, 2, 4 … seconds, at most [`ACCOUNT_MAX_DELAY_SECONDS`]. A
/// delay, never a lock: a many-address attack slows the account's sign-in but cannot stop
/// its owner. (OWASP Authentication Cheat Sheet: prefer throttling to account lockout.)
pub const ACCOUNT_FREE_FAILURES: i32 = 20;
/// The longest wait the account-wide delay imposes.
pub const ACCOUNT_MAX_DELAY_SECONDS: i64 = 60;
/// Length of the counting window and of a block.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Password-reset mails sent to one account per hour at most.
pub const RESET_MAILS_PER_HOUR: i64 = 3;

/// A user as the rest of the service sees it (no password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: crate::accounts::model::UserId,
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

use crate::util::now as now_naive;

/// Checks that an office code is TISI or one of the 76 provincial offices.
pub fn parse_office_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_uppercase();
    offices::find(&code).map(|o| o.code.clone()).ok_or_else(|| {
        AppError::from(AccountError::UnknownOffice(format!(
            "unknown office code '{raw}': use TISI or TH-11 … TH-96"
        )))
    })
}

/// How long an invitation link stays valid.
pub const INVITATION_TTL_HOURS: i64 = 72;

/// Creates a user; the e-mail address must be new. Without a password, the user gets an
/// invitation e-mail (queued in the same transaction) with a single-use link to set one.
#[tracing::instrument(level = "debug", skip_all, fields(email = %new.email))]
pub fn create_user(
    conn: &mut DbConnection,
    new: &NewUser,
    base_url: &url::Url,
) -> Result<User, AppError> {
    create_user_invited_to(conn, new, base_url, None)
}

/// The same, with what the person is invited to (a cohort's name and dates, shown in the
/// invitation mail).
pub fn create_user_invited_to(
    conn: &mut DbConnection,
    new: &NewUser,
    base_url: &url::Url,
    invited_to: Option<&serde_json::Value>,
) -> Result<User, AppError> {
    let id = model::UserId::random();
    let now = now_naive();
    write_tx(conn, |conn| {
        if store::find_user_by_email(conn, new.email.as_str())?.is_some() {
            return Err(AppError::from(AccountError::EmailTaken(format!(
                "a user with e-mail {} already exists",
                new.email
            ))));
        }
        store::insert_user(
            conn,
            &NewUserRow {
                id: id.as_str(),
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
            queue_invitation(conn, &id, new, base_url, now, invited_to)?;
        }
        Ok(())
    })?;
    get_user(conn, &id)
}

/// The user with this id, or `NotFound`.
pub fn get_user(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
) -> Result<User, AppError> {
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
    let user: User = store::find_user(conn, &model::UserId::from(&claims.sub))?
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
    let mut row = fresh_window(conn, key, now)?;
    row.failures += 1;
    if row.failures >= limit {
        row.blocked_until = Some(now + window);
    }
    store::save_throttle(conn, &row)?;
    Ok(())
}

/// The counter of `key`, restarted when its window has passed.
fn fresh_window(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> Result<ThrottleRow, AppError> {
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
    Ok(row)
}

/// Counts a failure of the account from any client: past [`ACCOUNT_FREE_FAILURES`] the next
/// attempt waits, doubling up to [`ACCOUNT_MAX_DELAY_SECONDS`].
fn account_fail(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let mut row = fresh_window(conn, key, now)?;
    row.failures += 1;
    let over = row.failures - ACCOUNT_FREE_FAILURES;
    if over > 0 {
        let delay = 1i64
            .checked_shl((over - 1).min(16) as u32)
            .unwrap_or(ACCOUNT_MAX_DELAY_SECONDS)
            .min(ACCOUNT_MAX_DELAY_SECONDS);
        row.blocked_until = Some(now + Duration::seconds(delay));
    }
    store::save_throttle(conn, &row)?;
    Ok(())
}

/// Wrong guesses of a short secret other than a password (a check-in code) allowed per key in
/// one window, before the key is blocked for the window.
pub const GUESS_LIMIT: i32 = 5;

/// Refuses (429 with the wait) while `key`'s guesses are blocked.
pub fn guesses_check(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    throttle_check(conn, key, now_naive())
}

/// Counts one wrong guess for `key` (committed on its own, so the caller may then fail).
pub fn guesses_fail(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    let now = now_naive();
    write_tx(conn, |conn| throttle_fail(conn, key, GUESS_LIMIT, now))
}

fn throttle_keys(email: &str, client: &str) -> [String; 3] {
    [
        format!("pair:{email}|{client}"),
        format!("client:{client}"),
        format!("account:{email}"),
    ]
}

/// Step 1 of sign-in: refuses a blocked account-and-client pair, a blocked client and an
/// account in its delay; returns the stored user if any.
#[tracing::instrument(level = "debug", skip_all)]
pub fn begin_sign_in(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
) -> Result<SignInCandidate, AppError> {
    let now = now_naive();
    for key in throttle_keys(email, client) {
        throttle_check(conn, &key, now)?;
    }
    Ok(SignInCandidate {
        user: store::find_user_by_email(conn, email)?,
    })
}

/// Step 2 of sign-in, after the password was checked off the database connection:
/// counts a failure (for the pair, the client and the account), or clears the pair's and the
/// account's counters and returns the user.
#[tracing::instrument(level = "debug", skip_all)]
pub fn finish_sign_in(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    user: Option<UserRow>,
    password_ok: bool,
) -> Result<User, AppError> {
    let now = now_naive();
    let [pair_key, client_key, account_key] = throttle_keys(email, client);
    // The failure count must be committed even though the answer is an error, so the
    // transaction returns the outcome as a value and only errors on real failures.
    write_tx(conn, |conn| -> Result<Result<User, AppError>, AppError> {
        // Re-check inside the transaction: a block may have started meanwhile.
        throttle_check(conn, &pair_key, now)?;
        throttle_check(conn, &account_key, now)?;
        match user {
            Some(row) if password_ok && !row.disabled => {
                store::clear_throttle(conn, &pair_key)?;
                store::clear_throttle(conn, &account_key)?;
                Ok(row.try_into())
            }
            _ => {
                throttle_fail(conn, &pair_key, PAIR_FAILURE_LIMIT, now)?;
                throttle_fail(conn, &client_key, CLIENT_FAILURE_LIMIT, now)?;
                account_fail(conn, &account_key, now)?;
                Ok(Err(AppError::Unauthorized(
                    "wrong e-mail or password".into(),
                )))
            }
        }
    })?
}

/// Sets a new password (already hashed) and ends every existing sign-in of the user.
pub fn set_password_hash(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
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
pub fn sign_out_everywhere(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        store::bump_token_version(conn, user_id, now_naive())
    })?;
    Ok(())
}

/// The stored password hash of a user, for checking a current password.
pub fn password_hash_of(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
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
    let hex = crate::util::random_hex(32);
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

/// How long a password-reset link stays valid.
pub const RESET_TTL_MINUTES: i64 = 60;

/// Queues a password-reset mail when the address belongs to an active account; says nothing
/// either way, so the answer cannot be used to find out who has an account.
#[tracing::instrument(level = "debug", skip_all)]
pub fn request_password_reset(
    conn: &mut DbConnection,
    email: &EmailAddress,
    base_url: &url::Url,
) -> Result<(), AppError> {
    let now = now_naive();
    write_tx(conn, |conn| {
        let Some(user) = store::find_user_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if user.disabled {
            return Ok(());
        }
        // At most this many reset mails an hour: the answer looks the same either way, so
        // nobody learns whether an address exists or was limited, and nobody can flood it.
        if store::count_one_time_tokens_since(
            conn,
            &user.id,
            "password_reset",
            now - Duration::hours(1),
        )? >= RESET_MAILS_PER_HOUR
        {
            tracing::info!(user_id = %user.id, "password reset mail limited");
            return Ok(());
        }
        let expires = now + Duration::minutes(RESET_TTL_MINUTES);
        let token = store::create_one_time_token(conn, &user.id, "password_reset", expires, now)?;
        let link = base_url
            .join(&format!("reset/{token}"))
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("building reset link: {e}")))?;
        email::enqueue(
            conn,
            email::Outgoing {
                template: "password_reset",
                to: email,
                to_name: &user.name,
                language: Language::parse_or_default(&user.language),
                context: serde_json::json!({"name": user.name, "link": link.as_str()}),
            },
        )?;
        Ok(())
    })
}

fn valid_token(
    conn: &mut DbConnection,
    secret: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> Result<store::OneTimeTokenRow, AppError> {
    let invalid = || {
        AppError::from(AccountError::InvalidToken(
            "this link is not valid any more; ask for a new one".into(),
        ))
    };
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let row = store::find_one_time_token(conn, secret)?.ok_or_else(invalid)?;
    if row.purpose != purpose || row.used_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    // A disabled account's links (an invitation, a reset) do nothing.
    if store::find_user(conn, &row.user_id)?.is_none_or(|u| u.disabled) {
        return Err(invalid());
    }
    Ok(row)
}

/// The user a single-use link belongs to, without using the link up.
pub fn user_for_link(
    conn: &mut DbConnection,
    secret: &str,
    purpose: &str,
) -> Result<User, AppError> {
    let row = valid_token(conn, secret, purpose, now_naive())?;
    get_user(conn, &row.user_id)
}

/// Uses a single-use link (invitation or reset) to set a password (already hashed). Ends
/// every existing sign-in and lifts a sign-in block of the account.
#[tracing::instrument(level = "debug", skip_all)]
pub fn redeem_link(
    conn: &mut DbConnection,
    secret: &str,
    purpose: &str,
    hash: &str,
) -> Result<User, AppError> {
    let now = now_naive();
    let user_id = write_tx(conn, |conn| {
        let row = valid_token(conn, secret, purpose, now)?;
        if store::use_one_time_token(conn, &model::TokenId::from(&row.id), now)? == 0 {
            return Err(AppError::from(AccountError::InvalidToken(
                "this link is not valid any more; ask for a new one".into(),
            )));
        }
        store::set_password(conn, &row.user_id, hash, now)?;
        if let Some(u) = store::find_user(conn, &row.user_id)? {
            store::clear_account_throttles(conn, &u.email)?;
        }
        Ok::<_, AppError>(row.user_id)
    })?;
    get_user(conn, &user_id)
}

/// What an admin may change on a user; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserUpdate {
    pub name: Option<PersonName>,
    pub name_en: Option<Option<PersonName>>,
    pub role: Option<Role>,
    pub office_code: Option<String>,
    pub language: Option<Language>,
    pub disabled: Option<bool>,
}

/// Applies an admin's changes; a change of role or disabling ends every sign-in at once.
#[tracing::instrument(level = "debug", skip_all)]
pub fn update_user(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
    u: &UserUpdate,
) -> Result<User, AppError> {
    write_tx(conn, |conn| {
        let current: User = store::find_user(conn, id)?
            .ok_or(AppError::NotFound)?
            .try_into()?;
        let kills = u.role.is_some_and(|r| r != current.role)
            || u.disabled.is_some_and(|d| d && !current.disabled);
        let changes = store::UserChanges {
            name: u.name.as_ref().map(|n| n.as_str().to_string()),
            name_en: u
                .name_en
                .as_ref()
                .map(|o| o.as_ref().map(|n| n.as_str().to_string())),
            role: u.role.map(|r| r.as_str().to_string()),
            office_code: u.office_code.clone(),
            language: u.language.map(|l| l.as_str().to_string()),
            disabled: u.disabled,
            updated_at: Some(now_naive()),
        };
        store::update_user(conn, id, &changes, kills)?;
        Ok::<_, AppError>(())
    })?;
    get_user(conn, id)
}

/// Filters for the user list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub q: Option<String>,
    pub office_code: Option<String>,
    pub role: Option<Role>,
}

/// Users matching the filter, sorted by name in Thai dictionary order (titles skipped).
#[tracing::instrument(level = "debug", skip_all)]
pub fn list_users(conn: &mut DbConnection, f: &UserFilter) -> Result<Vec<User>, AppError> {
    let rows = store::search_users(
        conn,
        f.q.as_deref().map(str::trim),
        f.office_code.as_deref(),
        f.role.map(|r| r.as_str()),
        5000,
    )?;
    let mut users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    users.sort_by_cached_key(|u| (crate::thai::sort_key(&u.name), u.email.clone()));
    Ok(users)
}

/// One problem in one line of an import file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub email: String,
    pub problems: Vec<String>,
}

/// Largest number of users one import file may hold.
pub const IMPORT_MAX_ROWS: usize = 5000;

/// Imports users from CSV (`email,name,name_en,role,office_code,language`; header required).
/// All or nothing: any bad row rejects the whole file with a report naming each bad line.
/// Imported users get an invitation e-mail when `invite` is true, naming the cohort they are
/// invited to when `invited_to` is given. Returns each imported address with its role.
#[tracing::instrument(level = "debug", skip_all)]
pub fn import_users(
    conn: &mut DbConnection,
    csv_text: &str,
    base_url: &url::Url,
    invite: bool,
    invited_to: Option<&serde_json::Value>,
) -> Result<Vec<(String, Role)>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::from(AccountError::Invalid(format!(
                "cannot read the CSV header: {e}"
            )))
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_email), Some(c_name), Some(c_role), Some(c_office)) =
        (col("email"), col("name"), col("role"), col("office_code"))
    else {
        return Err(AppError::from(AccountError::Invalid("the CSV header must name the columns email, name, role and office_code (name_en and language are optional)".into())));
    };
    let (c_name_en, c_lang) = (col("name_en"), col("language"));
    let mut parsed: Vec<NewUser> = Vec::new();
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if parsed.len() + problems.len() >= IMPORT_MAX_ROWS {
            return Err(AppError::from(AccountError::Invalid(format!(
                "a file may hold at most {IMPORT_MAX_ROWS} users"
            ))));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(RowProblem {
                    line,
                    email: String::new(),
                    problems: vec![format!("unreadable CSV: {e}")],
                });
                continue;
            }
        };
        let get = |c: usize| record.get(c).unwrap_or("").to_string();
        let get_opt = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let raw_email = get(c_email);
        let mut errs = Vec::new();
        let email = EmailAddress::parse(&raw_email)
            .map_err(|m| errs.push(format!("email: {m}")))
            .ok();
        if let Some(e) = &email {
            if let Some(first) = seen.insert(e.as_str().to_string(), line) {
                errs.push(format!(
                    "email: the same address is already on line {first}"
                ));
            }
        }
        let name = PersonName::parse(&get(c_name))
            .map_err(|m| errs.push(format!("name: {m}")))
            .ok();
        let name_en = match get_opt(c_name_en).map(|n| PersonName::parse(&n)) {
            Some(Ok(n)) => Some(n),
            Some(Err(m)) => {
                errs.push(format!("name_en: {m}"));
                None
            }
            None => None,
        };
        let role = get(c_role)
            .parse::<Role>()
            .map_err(|m| errs.push(format!("role: {m}")))
            .ok();
        let office = parse_office_code(&get(c_office))
            .map_err(|e| errs.push(format!("office_code: {e}")))
            .ok();
        let language = match get_opt(c_lang).as_deref() {
            None | Some("th") => Language::Th,
            Some("en") => Language::En,
            Some(other) => {
                errs.push(format!("language: '{other}' is not th or en"));
                Language::Th
            }
        };
        match (email, name, role, office) {
            (Some(email), Some(name), Some(role), Some(office_code)) if errs.is_empty() => parsed
                .push(NewUser {
                    email,
                    name,
                    name_en,
                    role,
                    office_code,
                    language,
                    password_hash: None,
                }),
            _ => problems.push(RowProblem {
                line,
                email: raw_email,
                problems: errs,
            }),
        }
    }
    if parsed.is_empty() && problems.is_empty() {
        return Err(AppError::from(AccountError::Invalid(
            "the file has no users".into(),
        )));
    }
    let emails: Vec<String> = parsed
        .iter()
        .map(|u| u.email.as_str().to_string())
        .collect();
    for taken in store::existing_emails(conn, &emails)? {
        let line = seen.get(&taken).copied().unwrap_or(0);
        problems.push(RowProblem {
            line,
            email: taken,
            problems: vec!["email: a user with this address already exists".into()],
        });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(AppError::from(AccountError::ImportRejected {
            message: format!(
                "nothing was imported: {} line(s) have problems",
                problems.len()
            ),
            details: serde_json::json!({ "rows": problems }),
        }));
    }
    let now = now_naive();
    write_tx(conn, |conn| {
        for new in &parsed {
            let id = model::UserId::random();
            store::insert_user(
                conn,
                &NewUserRow {
                    id: id.as_str(),
                    email: new.email.as_str(),
                    name: new.name.as_str(),
                    name_en: new.name_en.as_ref().map(|n| n.as_str()),
                    role: new.role.as_str(),
                    office_code: &new.office_code,
                    language: new.language.as_str(),
                    password_hash: None,
                    token_version: 0,
                    disabled: false,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            if invite {
                queue_invitation(conn, &id, new, base_url, now, invited_to)?;
            }
        }
        Ok::<_, AppError>(())
    })?;
    Ok(parsed
        .iter()
        .map(|u| (u.email.as_str().to_string(), u.role))
        .collect())
}

fn queue_invitation(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    new: &NewUser,
    base_url: &url::Url,
    now: NaiveDateTime,
    invited_to: Option<&serde_json::Value>,
) -> Result<(), AppError> {
    let expires = now + Duration::hours(INVITATION_TTL_HOURS);
    let token = store::create_one_time_token(conn, user_id, "invitation", expires, now)?;
    let link = base_url
        .join(&format!("invitation/{token}"))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("building invitation link: {e}")))?;
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
                "cohort": invited_to,
            }),
        },
    )?;
    Ok(())
}
