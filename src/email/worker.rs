//! The background sender: claims due outbox rows, renders and sends them, retries with
//! exponential backoff, and gives up into a visible `failed` state.

use super::model::OutboxId;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;

use super::mailer::{build_message, Mailer};
use super::{render, store};
use crate::db::Db;
use crate::error::AppError;

/// How the worker behaves; built from the settings.
#[derive(Clone)]
pub struct WorkerConfig {
    pub worker_id: String,
    pub from: Mailbox,
    pub base_url: url::Url,
    pub interval: Duration,
    pub max_attempts: i32,
    pub retry_base: Duration,
    pub batch: i64,
}

/// Delay before try number `attempts + 1`: base × 2^(attempts − 1), at most one hour.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    base.saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600))
}

/// Runs until the task is dropped.
pub async fn run(db: Db, mailer: Arc<Mailer>, templates: Arc<tera::Tera>, cfg: WorkerConfig) {
    loop {
        let sent = match tick(&db, &mailer, &templates, &cfg).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "mail worker tick failed");
                0
            }
        };
        // A full batch means more may be waiting: go again at once.
        if (sent as i64) < cfg.batch {
            tokio::time::sleep(cfg.interval).await;
        }
    }
}

/// Claims and processes one batch; returns how many rows were handled.
pub async fn tick(
    db: &Db,
    mailer: &Arc<Mailer>,
    templates: &Arc<tera::Tera>,
    cfg: &WorkerConfig,
) -> Result<usize, AppError> {
    let now = db.clock().now();
    let lease = now + chrono::Duration::seconds(120);
    let (worker, batch) = (cfg.worker_id.clone(), cfg.batch);
    let rows = db
        .run(move |conn| Ok(store::claim_due(conn, &worker, now, lease, batch)?))
        .await?;
    let n = rows.len();
    for row in rows {
        let (mailer, templates, cfg2) = (mailer.clone(), templates.clone(), cfg.clone());
        let row2 = row.clone();
        let outcome = actix_web::web::block(move || -> anyhow::Result<()> {
            let rendered = render::render(&templates, &row2, &cfg2.base_url)?;
            let msg = build_message(
                &cfg2.from,
                &row2.to_email,
                &row2.to_name,
                &OutboxId::from(&row2.id),
                &rendered,
            )?;
            mailer.send(&OutboxId::from(&row2.id), &msg)
        })
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("mail task: {e}")))?;
        let worker = cfg.worker_id.clone();
        let (max, base) = (cfg.max_attempts, cfg.retry_base);
        db.run(move |conn| {
            let now = crate::util::now();
            match outcome {
                Ok(()) => {
                    store::mark_sent(conn, &OutboxId::from(&row.id), &worker, now)?;
                    tracing::info!(mail = %row.id, template = %row.template, "mail sent");
                }
                Err(e) => {
                    let attempts = row.attempts + 1;
                    let give_up = attempts >= max;
                    let delay = chrono::Duration::from_std(backoff(base, attempts)).unwrap_or_default();
                    let msg = format!("{e:#}");
                    tracing::warn!(mail = %row.id, attempts, give_up, error = %msg, "mail not sent");
                    store::mark_attempt_failed(conn, &OutboxId::from(&row.id), &worker, &msg, now + delay, give_up)?;
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(30);
        assert_eq!(backoff(b, 1), Duration::from_secs(30));
        assert_eq!(backoff(b, 2), Duration::from_secs(60));
        assert_eq!(backoff(b, 4), Duration::from_secs(240));
        assert_eq!(backoff(b, 30), Duration::from_secs(3600));
    }
}
