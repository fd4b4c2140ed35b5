//! The background worker that handles stored webhook events (see `services::webhook`).
//!
//! One loop per process claims pending rows in batches and handles each in its own task, at most
//! `max_in_flight` at once, so one slow LINE call does not hold up the rest; the outcomes of the
//! events that finished meanwhile are recorded together in one transaction. It wakes at once when
//! the webhook stores something (a `Notify`) and polls every `poll_interval` anyway, so rows left
//! by a crash or by another instance are picked up. A failure that may pass (LINE busy, database
//! hiccup) is retried with exponential backoff up to `max_attempts`; then the row is marked failed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::dispatch;
use super::queue::{self, Verdict, VerdictKind};
use crate::db::entities::webhook_events;
use crate::metrics::Outcome;
use crate::services::Context;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `false`: this process only receives; another instance (or a later start) handles events.
    pub enabled: bool,
    /// Rows claimed per query.
    pub batch_size: u64,
    /// Events handled at the same time.
    pub max_in_flight: usize,
    /// How long a claim holds; longer than the slowest handling (LINE calls time out after 10 s
    /// and are tried 3 times), or another instance could take the row while it is still handled.
    pub lease: Duration,
    pub poll_interval: Duration,
    /// Claims per event, the first included, before it is marked failed.
    pub max_attempts: i32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a graceful stop waits for events being handled.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            batch_size: 100,
            max_in_flight: 32,
            lease: Duration::from_secs(120),
            poll_interval: Duration::from_secs(1),
            max_attempts: 8,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(30 * 60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl WorkerConfig {
    /// Wait before the next try after `attempts` tries: first_backoff, doubling, capped.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
        self.first_backoff
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_backoff)
    }
}

/// The running worker; [`WebhookWorker::stop`] ends it gracefully.
pub struct WebhookWorker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookWorker {
    pub fn spawn(ctx: Context, config: WorkerConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(ctx, config, stopped));
        Self { stop, task }
    }

    /// Stops claiming, and waits (up to the grace period) for events being handled. Events not
    /// finished keep their lease and are claimed again after it runs out.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(ctx: Context, config: WorkerConfig, mut stopped: watch::Receiver<bool>) {
    if !config.enabled {
        return;
    }
    let wake: Arc<Notify> = ctx.webhook_wake.clone();
    let mut tasks: JoinSet<Verdict> = JoinSet::new();
    let mut finished: Vec<Verdict> = Vec::new();
    let slots = config.max_in_flight.max(1);
    loop {
        // Outcomes of finished events are recorded together: one transaction, not one each.
        while let Some(done) = tasks.try_join_next() {
            finished.extend(joined(done));
        }
        if !finished.is_empty() {
            record(&ctx, std::mem::take(&mut finished)).await;
        }
        // Claim when half the slots are free (or all), so claims come in batches, not one by one.
        while slots - tasks.len() >= (slots / 2).max(1) || tasks.is_empty() {
            let free = (slots - tasks.len()) as u64;
            let limit = config.batch_size.min(free);
            let now = Utc::now();
            let rows = match queue::claim_pending(&ctx.db, limit, now, now + config.lease).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "webhook worker: claiming pending events failed");
                    break;
                }
            };
            let claimed = rows.len() as u64;
            for row in rows {
                let (ctx, config) = (ctx.clone(), config.clone());
                tasks.spawn(async move { handle_claimed(&ctx, &config, row).await });
            }
            if claimed < limit {
                break;
            }
        }
        tokio::select! {
            Some(done) = tasks.join_next(), if !tasks.is_empty() => finished.extend(joined(done)),
            _ = wake.notified() => {}
            _ = tokio::time::sleep(config.poll_interval) => {}
            _ = stopped.changed() => break,
        }
    }
    let drain = async {
        while let Some(done) = tasks.join_next().await {
            finished.extend(joined(done));
        }
    };
    if tokio::time::timeout(config.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            "webhook worker: stopped with events still being handled; they will be retried"
        );
    }
    record(&ctx, finished).await;
}

fn joined(done: Result<Verdict, tokio::task::JoinError>) -> Option<Verdict> {
    match done {
        Ok(verdict) => Some(verdict),
        Err(err) => {
            // A panic while handling: the row keeps its lease and is claimed again after it.
            tracing::error!(error = %err, "webhook worker: handling an event panicked");
            None
        }
    }
}

async fn record(ctx: &Context, verdicts: Vec<Verdict>) {
    if verdicts.is_empty() {
        return;
    }
    if let Err(err) = queue::record_verdicts(&ctx.db, &verdicts, Utc::now()).await {
        // The leases run out and the rows are claimed again: handling is idempotent.
        tracing::error!(error = %err, events = verdicts.len(), "webhook worker: recording outcomes failed");
    }
}

async fn handle_claimed(
    ctx: &Context,
    config: &WorkerConfig,
    row: webhook_events::Model,
) -> Verdict {
    let started = Instant::now();
    let result = if row.attempts > config.max_attempts {
        // Claimed again and again without an outcome: handling it crashes or hangs the process.
        Err(dispatch::HandleError::permanent(format!(
            "gave up after {} attempts without an outcome",
            row.attempts - 1
        )))
    } else {
        dispatch::handle_event(ctx, &row).await
    };
    let (metric, result) = match result {
        Ok(outcome) => {
            tracing::debug!(id = row.id, event_type = %row.event_type, outcome, "webhook event handled");
            (
                Outcome::Processed,
                VerdictKind::Done {
                    outcome,
                    error: None,
                },
            )
        }
        Err(err) if err.retryable && row.attempts < config.max_attempts => {
            let at = Utc::now() + config.backoff(row.attempts);
            tracing::warn!(id = row.id, event_type = %row.event_type, attempts = row.attempts, error = %err, retry_at = %at, "webhook event failed; will retry");
            (
                Outcome::Retried,
                VerdictKind::Retry {
                    error: err.message,
                    at,
                },
            )
        }
        Err(err) => {
            tracing::error!(id = row.id, event_type = %row.event_type, attempts = row.attempts, error = %err, "webhook event failed for good");
            (
                Outcome::Failed,
                VerdictKind::Done {
                    outcome: "failed",
                    error: Some(err.message),
                },
            )
        }
    };
    ctx.metrics.event_handled(metric, started.elapsed());
    Verdict { id: row.id, result }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let config = WorkerConfig::default();
        assert_eq!(config.backoff(1), Duration::from_secs(5));
        assert_eq!(config.backoff(2), Duration::from_secs(10));
        assert_eq!(config.backoff(4), Duration::from_secs(40));
        assert_eq!(config.backoff(100), Duration::from_secs(30 * 60));
    }
}
