//! Journeys: the server-minted record of one scan (store, clerk, route, expiry) that every later
//! binding step refers to, so attribution is decided here and never by the client.
//!
//! [`start`] is the one place a journey is created (the scan endpoint calls it). Journeys that
//! expired without a binding are deleted by housekeeping (`services::housekeeping`) in bounded batches, so a flood of
//! scans cannot grow the table without bound; finished journeys stay (bindings name them), and
//! funnel events keep their plain journey id for the reports.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, Set, TransactionTrait, TryInsertResult,
};

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
    crate::db::delete_batch::<journeys::Entity>(
        db,
        journeys::Column::Id,
        Condition::all()
            .add(journeys::Column::ExpiresAt.lt(now))
            .add(journeys::Column::CompletedAt.is_null()),
        batch,
    )
    .await
}
