//! E-mail: a transactional outbox. Services queue mail in their own transaction; a worker
//! sends it later, so no request ever talks to SMTP.

pub mod mailer;
pub mod model;
pub mod render;
pub mod store;
pub mod worker;

use model::OutboxStatus;

use crate::accounts::model::{EmailAddress, Language};
use crate::db::DbConnection;
use crate::error::AppError;

/// A mail to queue: which template, to whom, in which language, with which values.
pub struct Outgoing<'a> {
    pub template: &'a str,
    pub to: &'a EmailAddress,
    /// Display name; control characters are removed again when the message is built.
    pub to_name: &'a str,
    pub language: Language,
    pub context: serde_json::Value,
}

/// Queues a mail; call inside the transaction of the change that causes it.
#[tracing::instrument(level = "debug", skip_all)]
pub fn enqueue(conn: &mut DbConnection, mail: Outgoing<'_>) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::util::now();
    let context = serde_json::to_string(&mail.context)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("encoding mail context: {e}")))?;
    store::insert(
        conn,
        &store::NewOutboxRow {
            id: &id,
            template: mail.template,
            to_email: mail.to.as_str(),
            to_name: mail.to_name,
            language: mail.language.as_str(),
            context_json: &context,
            status: OutboxStatus::Queued.as_str(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok(id)
}

/// One row of the mail queue as admins see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    pub id: String,
    pub template: String,
    pub to_email: String,
    pub to_name: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(with = "crate::dates::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::dates::utc")]
    pub next_attempt_at: chrono::NaiveDateTime,
    #[serde(with = "crate::dates::utc::option")]
    pub sent_at: Option<chrono::NaiveDateTime>,
}

impl From<store::OutboxRow> for OutboxEntry {
    fn from(r: store::OutboxRow) -> Self {
        OutboxEntry {
            id: r.id,
            template: r.template,
            to_email: r.to_email,
            to_name: r.to_name,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            next_attempt_at: r.next_attempt_at,
            sent_at: r.sent_at,
        }
    }
}

/// The newest mails, optionally of one status (`queued`, `sent`, `failed`).
#[tracing::instrument(level = "debug", skip_all)]
pub fn list_outbox(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxEntry>, AppError> {
    if let Some(s) = status {
        OutboxStatus::parse(s).map_err(AppError::invalid)?;
    }
    Ok(store::list(conn, status, limit.clamp(1, 1000))?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// How many mails are queued, sent and failed.
pub fn outbox_counts(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, AppError> {
    Ok(store::count_by_status(conn)?)
}

/// Queues a failed mail again; 404 unless it is failed.
pub fn retry_failed(
    conn: &mut DbConnection,
    id: &crate::email::model::OutboxId,
) -> Result<(), AppError> {
    let n = crate::db::write_tx(conn, |conn| store::requeue(conn, id, crate::util::now()))?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
