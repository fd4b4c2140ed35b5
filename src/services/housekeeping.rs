//! Housekeeping: deletes what the database no longer needs.
//!
//! - journeys that expired without binding anyone (a flood of scans cannot grow the table);
//! - order-webhook deliveries past their retention (`order_webhooks::DELIVERY_RETENTION_DAYS`);
//! - after the retention settings (`domain::retention`, `RETENTION_*_DAYS`): handled webhook events
//!   (LINE user ids, chat text, postbacks), one-time codes (phone numbers), funnel events and
//!   sign-in attempts;
//! - accepted LINE ID tokens once their expiry has passed (LINE refuses the token by then).
//!
//! Webhook events still waiting in the queue (`processed_at` unset) are never deleted, however
//! old: they are deleted only once handled or given up on.
//!
//! Every delete is a batch of at most `batch` rows in one short statement of its own
//! ([`crate::db::delete_batch`]): no long transaction, only row locks on PostgreSQL, and SQLite's
//! one writer is free between batches. [`Housekeeping`] runs a round from startup and then every
//! `interval`, at most `max_batches` per kind per round; `store-assistant housekeeping` runs one
//! round to the end.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr};
use tokio::sync::watch;

use crate::db::delete_batch;
use crate::db::entities::{
    accepted_id_tokens, funnel_events, login_attempts, otp_challenges, webhook_events,
};
use crate::domain::retention::Retention;
use crate::services::{journeys, order_webhooks};

#[derive(Debug, Clone)]
pub struct HousekeepingConfig {
    /// Time between rounds.
    pub interval: Duration,
    /// Rows deleted per statement (short statements keep SQLite's one writer free).
    pub batch: u64,
    /// Statements per kind per round at most; what is left waits for the next round. `None`: until
    /// nothing is left (the command line).
    pub max_batches: Option<u32>,
}

impl Default for HousekeepingConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10 * 60),
            batch: 1000,
            max_batches: Some(50),
        }
    }
}

/// How many rows of each kind a round deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    pub expired_journeys: u64,
    pub order_webhook_deliveries: u64,
    pub webhook_events: u64,
    pub one_time_codes: u64,
    pub funnel_events: u64,
    pub login_attempts: u64,
    pub accepted_id_tokens: u64,
}

impl Deleted {
    pub fn total(&self) -> u64 {
        self.expired_journeys
            + self.order_webhook_deliveries
            + self.webhook_events
            + self.one_time_codes
            + self.funnel_events
            + self.login_attempts
            + self.accepted_id_tokens
    }
}

/// What one round deletes, kind by kind.
#[derive(Debug, Clone, Copy)]
enum Kind {
    ExpiredJourneys,
    OrderWebhookDeliveries,
    WebhookEvents,
    OneTimeCodes,
    FunnelEvents,
    LoginAttempts,
    AcceptedIdTokens,
}

/// Deletes one batch of `kind`; returns how many rows went.
async fn delete_one_batch(
    db: &DatabaseConnection,
    kind: Kind,
    retention: &Retention,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    match kind {
        Kind::ExpiredJourneys => journeys::delete_expired(db, now, batch).await,
        Kind::OrderWebhookDeliveries => order_webhooks::delete_old_deliveries(db, now, batch).await,
        // `processed_at < cutoff` is never true for a NULL `processed_at`: queued events stay.
        Kind::WebhookEvents => {
            delete_batch::<webhook_events::Entity>(
                db,
                webhook_events::Column::Id,
                Condition::all()
                    .add(webhook_events::Column::ProcessedAt.is_not_null())
                    .add(
                        webhook_events::Column::ProcessedAt
                            .lt(retention.webhook_events.cutoff(now)),
                    ),
                batch,
            )
            .await
        }
        Kind::OneTimeCodes => {
            delete_batch::<otp_challenges::Entity>(
                db,
                otp_challenges::Column::Id,
                Condition::all().add(
                    otp_challenges::Column::CreatedAt.lt(retention.one_time_codes.cutoff(now)),
                ),
                batch,
            )
            .await
        }
        Kind::FunnelEvents => {
            delete_batch::<funnel_events::Entity>(
                db,
                funnel_events::Column::Id,
                Condition::all()
                    .add(funnel_events::Column::OccurredAt.lt(retention.funnel_events.cutoff(now))),
                batch,
            )
            .await
        }
        Kind::LoginAttempts => {
            delete_batch::<login_attempts::Entity>(
                db,
                login_attempts::Column::Id,
                Condition::all().add(
                    login_attempts::Column::AttemptedAt.lt(retention.login_attempts.cutoff(now)),
                ),
                batch,
            )
            .await
        }
        Kind::AcceptedIdTokens => {
            delete_batch::<accepted_id_tokens::Entity>(
                db,
                accepted_id_tokens::Column::TokenHash,
                Condition::all().add(accepted_id_tokens::Column::ExpiresAt.lt(now)),
                batch,
            )
            .await
        }
    }
}

/// Deletes `kind` batch by batch until a batch comes back short, or `max_batches` ran.
async fn delete_all_of(
    db: &DatabaseConnection,
    kind: Kind,
    retention: &Retention,
    config: &HousekeepingConfig,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut total = 0;
    let mut batches = 0;
    loop {
        let deleted = delete_one_batch(db, kind, retention, now, config.batch).await?;
        total += deleted;
        batches += 1;
        if deleted < config.batch || config.max_batches.is_some_and(|max| batches >= max) {
            return Ok(total);
        }
    }
}

/// One round: every kind in turn, each in bounded batches.
pub async fn run_round(
    db: &DatabaseConnection,
    retention: &Retention,
    config: &HousekeepingConfig,
    now: DateTime<Utc>,
) -> Result<Deleted, DbErr> {
    let all_of = |kind| delete_all_of(db, kind, retention, config, now);
    Ok(Deleted {
        expired_journeys: all_of(Kind::ExpiredJourneys).await?,
        order_webhook_deliveries: all_of(Kind::OrderWebhookDeliveries).await?,
        webhook_events: all_of(Kind::WebhookEvents).await?,
        one_time_codes: all_of(Kind::OneTimeCodes).await?,
        funnel_events: all_of(Kind::FunnelEvents).await?,
        login_attempts: all_of(Kind::LoginAttempts).await?,
        accepted_id_tokens: all_of(Kind::AcceptedIdTokens).await?,
    })
}

/// The background task that runs [`run_round`] every `interval` (the first round right at start).
pub struct Housekeeping {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Housekeeping {
    pub fn spawn(db: DatabaseConnection, retention: Retention, config: HousekeepingConfig) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(config.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => break,
                }
                match run_round(&db, &retention, &config, Utc::now()).await {
                    Ok(deleted) if deleted.total() == 0 => {}
                    Ok(deleted) => tracing::info!(?deleted, "housekeeping deleted old rows"),
                    Err(err) => {
                        tracing::warn!(error = %err, "housekeeping failed; retrying next round")
                    }
                }
            }
        });
        Self { stop, task }
    }

    /// Ends the task after the round in progress, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
