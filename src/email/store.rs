//! Outbox persistence.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::OutboxStatus;
use crate::db::schema::outbox_emails;
use crate::db::DbConnection;

/// A queued, sent or failed e-mail.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = outbox_emails)]
pub struct OutboxRow {
    pub id: String,
    pub template: String,
    pub to_email: String,
    pub to_name: String,
    pub language: String,
    pub context_json: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// A mail to queue.
#[derive(Debug, Insertable)]
#[diesel(table_name = outbox_emails)]
pub struct NewOutboxRow<'a> {
    pub id: &'a str,
    pub template: &'a str,
    pub to_email: &'a str,
    pub to_name: &'a str,
    pub language: &'a str,
    pub context_json: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewOutboxRow<'_>) -> QueryResult<()> {
    diesel::insert_into(outbox_emails::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox_emails::table
        .select(OutboxRow::as_select())
        .order(outbox_emails::created_at.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox_emails::status.eq(s.to_string()));
    }
    q.load(conn)
}

/// Claims up to `limit` due mails for `worker` until `lease_until`, so that only one sender
/// (of any instance) holds each row at a time.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    use outbox_emails::dsl as o;
    let due = o::status
        .eq(OutboxStatus::Queued.as_str())
        .and(o::next_attempt_at.le(now))
        .and(o::locked_until.is_null().or(o::locked_until.lt(now)));
    let ids: Vec<String> = match conn {
        // PostgreSQL: several instances claim at once; SKIP LOCKED lets each take other rows.
        DbConnection::Postgres(pg) => pg.transaction(|pg| {
            let ids: Vec<String> = outbox_emails::table
                .filter(due)
                .order(o::next_attempt_at)
                .select(o::id)
                .limit(limit)
                .for_update()
                .skip_locked()
                .load(pg)?;
            diesel::update(outbox_emails::table.filter(o::id.eq_any(&ids)))
                .set((
                    o::locked_until.eq(Some(lease_until)),
                    o::locked_by.eq(Some(worker)),
                ))
                .execute(pg)?;
            Ok::<_, diesel::result::Error>(ids)
        })?,
        // SQLite: BEGIN IMMEDIATE makes this the only writer, so select-then-update is safe.
        DbConnection::Sqlite(_) => crate::db::write_tx(conn, |conn| {
            let ids: Vec<String> = outbox_emails::table
                .filter(due)
                .order(o::next_attempt_at)
                .select(o::id)
                .limit(limit)
                .load(conn)?;
            diesel::update(outbox_emails::table.filter(o::id.eq_any(&ids)))
                .set((
                    o::locked_until.eq(Some(lease_until)),
                    o::locked_by.eq(Some(worker)),
                ))
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(ids)
        })?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    outbox_emails::table
        .filter(o::id.eq_any(&ids))
        .filter(o::locked_by.eq(worker))
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Marks a claimed mail as sent; only the worker holding the lease may.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: &crate::email::model::OutboxId,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use outbox_emails::dsl as o;
    diesel::update(
        outbox_emails::table
            .filter(o::id.eq(id))
            .filter(o::locked_by.eq(worker)),
    )
    .set((
        o::status.eq(OutboxStatus::Sent.as_str()),
        o::sent_at.eq(Some(now)),
        o::attempts.eq(o::attempts + 1),
        o::locked_until.eq(None::<NaiveDateTime>),
        o::last_error.eq(None::<String>),
    ))
    .execute(conn)
}

/// Records a failed try: queued again at `next_at`, or `failed` for good when `give_up`.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: &crate::email::model::OutboxId,
    worker: &str,
    error: &str,
    next_at: NaiveDateTime,
    give_up: bool,
) -> QueryResult<usize> {
    use outbox_emails::dsl as o;
    diesel::update(
        outbox_emails::table
            .filter(o::id.eq(id))
            .filter(o::locked_by.eq(worker)),
    )
    .set((
        o::status.eq(if give_up {
            OutboxStatus::Failed
        } else {
            OutboxStatus::Queued
        }
        .as_str()),
        o::attempts.eq(o::attempts + 1),
        o::next_attempt_at.eq(next_at),
        o::locked_until.eq(None::<NaiveDateTime>),
        o::last_error.eq(Some(error)),
    ))
    .execute(conn)
}

/// Puts a failed mail back in the queue for one more round of tries.
pub fn requeue(
    conn: &mut DbConnection,
    id: &crate::email::model::OutboxId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use outbox_emails::dsl as o;
    diesel::update(
        outbox_emails::table
            .filter(o::id.eq(id))
            .filter(o::status.eq(OutboxStatus::Failed.as_str())),
    )
    .set((
        o::status.eq(OutboxStatus::Queued.as_str()),
        o::attempts.eq(0),
        o::next_attempt_at.eq(now),
        o::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// Counts mails by status.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    use outbox_emails::dsl as o;
    outbox_emails::table
        .group_by(o::status)
        .select((o::status, diesel::dsl::count_star()))
        .load(conn)
}

/// PDPA erasure of a recipient: unsent mail to them goes; sent mail keeps its record under the
/// erased address, without name or content.
pub fn erase_recipient(conn: &mut DbConnection, email: &str, erased: &str) -> QueryResult<()> {
    use outbox_emails::dsl as o;
    diesel::delete(
        outbox_emails::table
            .filter(o::to_email.eq(email))
            .filter(o::status.ne(OutboxStatus::Sent.as_str())),
    )
    .execute(conn)?;
    diesel::update(outbox_emails::table.filter(o::to_email.eq(email)))
        .set((
            o::to_email.eq(erased),
            o::to_name.eq(""),
            o::context_json.eq("{}"),
        ))
        .execute(conn)?;
    Ok(())
}

/// Retention: sent and failed mail created before `cutoff`, counted or deleted.
pub fn purge_done(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    dry_run: bool,
) -> QueryResult<i64> {
    use outbox_emails::dsl as o;
    let rows = outbox_emails::table
        .filter(o::status.ne(OutboxStatus::Queued.as_str()))
        .filter(o::created_at.lt(cutoff));
    if dry_run {
        rows.count().get_result(conn)
    } else {
        diesel::delete(rows).execute(conn).map(|n| n as i64)
    }
}
