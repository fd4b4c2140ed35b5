//! Journeys: the server-minted record of one scan (store, clerk, route, expiry) that every later
//! binding step refers to, so attribution is decided here and never by the client.
//!
//! [`start`] is the one place a journey is created (the scan endpoint calls it). Journeys that
//! expired without a binding are deleted by [`JourneyCleanup`] in bounded batches, so a flood of
//! scans cannot grow the table without bound; finished journeys stay (bindings name them), and
//! funnel events keep their plain journey id for the reports.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
    TryInsertResult,
};
use tokio::sync::watch;

use crate::db::entities::enums::{FunnelStage, Route};
use crate::db::entities::{funnel_events, journeys};
use crate::domain::binding_code;
use crate::domain::scan::JOURNEY_VALIDITY_HOURS;
use crate::domain::tokens::random_token;

/// What a scan knows when it starts a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewJourney {
    pub qr_token_id: i32,
    pub store_id: i32,
    /// The clerk credited (a clerk card's QR), if any.
    pub clerk_id: Option<i32>,
    /// Decided by the settings at scan time.
    pub route: Route,
}

/// Random ids and codes clash essentially never; a handful of draws is more than enough.
const MAX_DRAWS: usize = 5;

/// Creates the journey and records the scan and the journey in the funnel, in one transaction.
/// Route B journeys get a binding code for the OA chat; route A's LIFF page uses the nonce.
pub async fn start(
    db: &DatabaseConnection,
    new: NewJourney,
    now: DateTime<Utc>,
) -> Result<journeys::Model, DbErr> {
    let txn = db.begin().await?;
    let mut draws = 0;
    let journey = loop {
        draws += 1;
        let journey = journeys::Model {
            id: random_token(16),
            qr_token_id: new.qr_token_id,
            store_id: new.store_id,
            clerk_id: new.clerk_id,
            route: new.route,
            nonce: random_token(16),
            binding_code: (new.route == Route::Phone).then(binding_code::generate),
            line_user_id: None,
            member_id: None,
            created_at: now,
            expires_at: now + chrono::Duration::hours(JOURNEY_VALIDITY_HOURS),
            completed_at: None,
        };
        // A clash on the id or the binding code inserts nothing (no error, so the transaction
        // stays usable on PostgreSQL) and the next draw tries again.
        let inserted = journeys::Entity::insert(journey.clone().into_active_model().reset_all())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(&txn)
            .await?;
        match inserted {
            TryInsertResult::Inserted(1) => break journey,
            _ if draws < MAX_DRAWS => continue,
            _ => {
                return Err(DbErr::Custom(
                    "could not draw a unique journey id and binding code".to_owned(),
                ));
            }
        }
    };
    let event = |stage| funnel_events::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        store_id: Set(journey.store_id),
        clerk_id: Set(journey.clerk_id),
        stage: Set(stage),
        journey_id: Set(Some(journey.id.clone())),
        occurred_at: Set(now),
    };
    funnel_events::Entity::insert_many([event(FunnelStage::Scan), event(FunnelStage::Journey)])
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(journey)
}

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
