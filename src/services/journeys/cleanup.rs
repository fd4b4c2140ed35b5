//! Deletes journeys that expired without a binding, one bounded batch at a time (housekeeping,
//! `services::housekeeping`, runs the batches on its timer).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr};

use crate::db::entities::journeys;

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
