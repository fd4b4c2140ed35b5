//! Deletes journeys that expired without a binding, in bounded batches, on a timer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use tokio::sync::watch;

use crate::db::entities::journeys;

/// Deletes up to `batch` journeys that expired before `now` without a binding; returns how many.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    // `id IN (SELECT … LIMIT n)`: a bounded delete that SQLite and PostgreSQL both accept.
    let expired = journeys::Entity::find()
        .select_only()
        .column(journeys::Column::Id)
        .filter(journeys::Column::ExpiresAt.lt(now))
        .filter(journeys::Column::CompletedAt.is_null())
        .order_by_asc(journeys::Column::ExpiresAt)
        .limit(batch)
        .into_query();
    let deleted = journeys::Entity::delete_many()
        .filter(journeys::Column::Id.in_subquery(expired))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[derive(Debug, Clone)]
pub struct CleanupConfig {
    /// Time between clean-up rounds.
    pub interval: Duration,
    /// Journeys deleted per statement (short statements keep SQLite's one writer free).
    pub batch: u64,
    /// Statements per round at most; what is left waits for the next round.
    pub max_batches: u32,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10 * 60),
            batch: 1000,
            max_batches: 50,
        }
    }
}

/// One clean-up round: batches until nothing expired is left or the round's limit is reached.
pub async fn clean_up(
    db: &DatabaseConnection,
    config: &CleanupConfig,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut total = 0;
    for _ in 0..config.max_batches {
        let deleted = delete_expired(db, now, config.batch).await?;
        total += deleted;
        if deleted < config.batch {
            break;
        }
    }
    Ok(total)
}

/// The background task that runs [`clean_up`] every `interval` (the first round right at start).
pub struct JourneyCleanup {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl JourneyCleanup {
    pub fn spawn(db: DatabaseConnection, config: CleanupConfig) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(config.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => break,
                }
                match clean_up(&db, &config, Utc::now()).await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "deleted expired journeys"),
                    Err(err) => {
                        tracing::warn!(error = %err, "journey clean-up failed; retrying next round")
                    }
                }
                // Order-webhook deliveries past their retention go in the same quiet moment.
                if let Err(err) = crate::services::order_webhooks::delete_old_deliveries(
                    &db,
                    Utc::now(),
                    config.batch,
                )
                .await
                {
                    tracing::warn!(error = %err, "deleting old order-webhook deliveries failed");
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
