//! E-mail: a transactional outbox. Services queue mail in their own transaction; a worker
//! sends it later, so no request ever talks to SMTP.

pub mod store;

use chrono::Utc;

use crate::accounts::model::{EmailAddress, Language, PersonName};
use crate::db::DbConnection;
use crate::error::AppError;

/// A mail to queue: which template, to whom, in which language, with which values.
pub struct Outgoing<'a> {
    pub template: &'a str,
    pub to: &'a EmailAddress,
    pub to_name: &'a PersonName,
    pub language: Language,
    pub context: serde_json::Value,
}

/// Queues a mail; call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConnection, mail: Outgoing<'_>) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().naive_utc();
    let context = serde_json::to_string(&mail.context)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("encoding mail context: {e}")))?;
    store::insert(
        conn,
        &store::NewOutboxRow {
            id: &id,
            template: mail.template,
            to_email: mail.to.as_str(),
            to_name: mail.to_name.as_str(),
            language: mail.language.as_str(),
            context_json: &context,
            status: "queued",
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok(id)
}
