//! Account persistence: users, shared secrets, sign-in throttle rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{login_throttle, one_time_tokens, secrets, users};
use crate::db::DbConnection;

/// A stored user; never serialised directly (it holds the password hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: crate::accounts::model::UserId,
    pub email: String,
    pub name: String,
    pub name_en: Option<String>,
    pub role: String,
    pub office_code: String,
    pub language: String,
    pub password_hash: Option<String>,
    pub token_version: i32,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub name_en: Option<&'a str>,
    pub role: &'a str,
    pub office_code: &'a str,
    pub language: &'a str,
    pub password_hash: Option<&'a str>,
    pub token_version: i32,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_user(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_user(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn count_by_role(conn: &mut DbConnection, role: &str) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(role))
        .count()
        .get_result(conn)
}

/// Sets a password hash, ends every sign-in, and voids every single-use link of the user
/// still unused (an older reset or invitation link must not work after a new password).
pub fn set_password(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    void_one_time_tokens(conn, id, now)?;
    Ok(n)
}

/// Marks every unused single-use link of a user as used.
pub fn void_one_time_tokens(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::one_time_tokens;
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)
}

/// How many links of a purpose were made for a user since `since` (used or not).
pub fn count_one_time_tokens_since(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    purpose: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    use crate::db::schema::one_time_tokens;
    one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::created_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn bump_token_version(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn find_secret(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    secrets::table
        .find(name)
        .select(secrets::value)
        .first(conn)
        .optional()
}

pub fn insert_secret(
    conn: &mut DbConnection,
    name: &str,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(secrets::table)
        .values((
            secrets::name.eq(name),
            secrets::value.eq(value),
            secrets::created_at.eq(now),
        ))
        .execute(conn)
}

/// Failed sign-ins counted under one key (an account or a client address).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i32,
    pub window_started_at: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

pub fn find_throttle(conn: &mut DbConnection, key: &str) -> QueryResult<Option<ThrottleRow>> {
    login_throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()
}

/// Writes a throttle row, inserting it when missing (no ON CONFLICT on the multi-backend).
pub fn save_throttle(conn: &mut DbConnection, row: &ThrottleRow) -> QueryResult<()> {
    let updated = diesel::update(login_throttle::table.find(&row.key))
        .set((
            login_throttle::failures.eq(row.failures),
            login_throttle::window_started_at.eq(row.window_started_at),
            login_throttle::blocked_until.eq(row.blocked_until),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::key.eq(&row.key),
                login_throttle::failures.eq(row.failures),
                login_throttle::window_started_at.eq(row.window_started_at),
                login_throttle::blocked_until.eq(row.blocked_until),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear_throttle(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)
}

/// Lifts every sign-in block of an account: its own counter and those of each client with it.
pub fn clear_account_throttles(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    let prefix = format!("pair:{email}|");
    // LIKE narrows the search; `_` and `%` in an address are wildcards there, so the keys are
    // matched exactly before anything is deleted.
    let keys: Vec<String> = login_throttle::table
        .filter(login_throttle::key.like(format!("pair:{email}|%")))
        .select(login_throttle::key)
        .load::<String>(conn)?
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .chain([format!("account:{email}")])
        .collect();
    diesel::delete(login_throttle::table.filter(login_throttle::key.eq_any(keys))).execute(conn)
}

/// Creates a single-use token and returns its secret part; only a SHA-256 of it is stored.
pub fn create_one_time_token(
    conn: &mut DbConnection,
    user_id: &crate::accounts::model::UserId,
    purpose: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<String> {
    use crate::db::schema::one_time_tokens;
    let secret = crate::util::random_hex(32);
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::id.eq(uuid::Uuid::new_v4().to_string()),
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::purpose.eq(purpose),
            one_time_tokens::token_hash.eq(crate::util::sha256_hex(&secret)),
            one_time_tokens::expires_at.eq(expires_at),
            one_time_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// A single-use token row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::one_time_tokens)]
pub struct OneTimeTokenRow {
    pub id: String,
    pub user_id: crate::accounts::model::UserId,
    pub purpose: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn find_one_time_token(
    conn: &mut DbConnection,
    secret: &str,
) -> QueryResult<Option<OneTimeTokenRow>> {
    use crate::db::schema::one_time_tokens;
    one_time_tokens::table
        .filter(one_time_tokens::token_hash.eq(crate::util::sha256_hex(secret)))
        .select(OneTimeTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used; returns 0 when it was already used (so two redemptions cannot both win).
pub fn use_one_time_token(
    conn: &mut DbConnection,
    id: &crate::accounts::model::TokenId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::one_time_tokens;
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::id.eq(id))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

/// Fields an admin may change on a user.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub name_en: Option<Option<String>>,
    pub role: Option<String>,
    pub office_code: Option<String>,
    pub language: Option<String>,
    pub disabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update_user(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
    changes: &UserChanges,
    bump_version: bool,
) -> QueryResult<usize> {
    let n = diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?;
    if bump_version && n > 0 {
        diesel::update(users::table.find(id))
            .set(users::token_version.eq(users::token_version + 1))
            .execute(conn)?;
    }
    Ok(n)
}

/// Users matching optional filters; `q` matches inside e-mail, name and English name. Names
/// are compared without their spaces, so a title typed without a space ("นายสมชาย") finds
/// "นาย สมชาย ใจดี".
pub fn search_users(
    conn: &mut DbConnection,
    q: Option<&str>,
    office: Option<&str>,
    role: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(q) = q.filter(|s| !s.trim().is_empty()) {
        let escape = |t: &str| {
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let lower = q.trim().to_lowercase();
        let pattern = format!("%{}%", escape(&lower));
        let compact: String = lower.split_whitespace().collect();
        let compact = format!("%{}%", escape(&compact));
        use diesel::dsl::sql;
        use diesel::sql_types::Text;
        query = query.filter(
            users::email
                .like(pattern)
                .escape('\\')
                .or(sql::<Text>("replace(lower(name), ' ', '')")
                    .like(compact.clone())
                    .escape('\\'))
                .or(
                    sql::<Text>("replace(lower(coalesce(name_en, '')), ' ', '')")
                        .like(compact)
                        .escape('\\'),
                ),
        );
    }
    if let Some(o) = office.filter(|s| !s.is_empty()) {
        query = query.filter(users::office_code.eq(o.to_string()));
    }
    if let Some(r) = role.filter(|s| !s.is_empty()) {
        query = query.filter(users::role.eq(r.to_string()));
    }
    query.order(users::created_at.asc()).limit(limit).load(conn)
}

pub fn existing_emails(conn: &mut DbConnection, emails: &[String]) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    // Chunked so the statement stays within every backend's bound-parameter limit.
    for chunk in emails.chunks(500) {
        found.extend(
            users::table
                .filter(users::email.eq_any(chunk))
                .select(users::email)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

/// PDPA erasure of an identity: name, e-mail and password go, the account is disabled and
/// every sign-in ends; its one-time links and sign-in counters go too.
pub fn erase_identity(
    conn: &mut DbConnection,
    id: &crate::accounts::model::UserId,
    old_email: &str,
    erased_email: &str,
    erased_name: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(erased_name),
            users::name_en.eq(None::<String>),
            users::email.eq(erased_email),
            users::password_hash.eq(None::<String>),
            users::disabled.eq(true),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(id))).execute(conn)?;
    diesel::delete(
        login_throttle::table.filter(login_throttle::key.like(format!("%{old_email}%"))),
    )
    .execute(conn)?;
    Ok(())
}

/// Retention: sign-in counters and one-time links older than `cutoff`, counted or deleted:
/// (counters, links).
pub fn purge_sign_in(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    dry_run: bool,
) -> QueryResult<(i64, i64)> {
    let throttle = login_throttle::table
        .filter(login_throttle::window_started_at.lt(cutoff))
        .filter(
            login_throttle::blocked_until
                .is_null()
                .or(login_throttle::blocked_until.lt(cutoff)),
        );
    let tokens = one_time_tokens::table.filter(one_time_tokens::expires_at.lt(cutoff));
    Ok(if dry_run {
        (
            throttle.count().get_result::<i64>(conn)?,
            tokens.count().get_result::<i64>(conn)?,
        )
    } else {
        (
            diesel::delete(throttle).execute(conn)? as i64,
            diesel::delete(tokens).execute(conn)? as i64,
        )
    })
}
