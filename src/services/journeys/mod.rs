//! Journeys: the server-minted record of one scan (store, clerk, route, expiry) that every later
//! binding step refers to, so attribution is decided here and never by the client.
//!
//! Every step of a journey goes through here: [`start`] (the scan), [`live`] and [`summary`] (a
//! binding page opening it), [`claim_for_line_user`] (route B's chat code), [`complete`] (the
//! binding) and [`record_stage`] (the funnel the reports count). Journeys that expired without a
//! binding are deleted by housekeeping in bounded batches ([`delete_expired`]), so a flood of scans
//! cannot grow the table without bound; finished journeys stay (bindings name them), and funnel
//! events keep their plain journey id for the reports.

mod cleanup;

pub use cleanup::delete_expired;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait, TryInsertResult,
};

use crate::db::entities::enums::{FunnelStage, Route};
use crate::db::entities::{funnel_events, journeys, store_groups, stores};
use crate::domain::binding_code;
use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::scan::JOURNEY_VALIDITY_HOURS;
use crate::domain::stores::binding_label;
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
            id: JourneyId::generate(),
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

/// What a binding page shows before the shopper agrees: where they are about to bind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JourneySummary {
    pub journey_id: JourneyId,
    pub store_name: String,
    pub group_name: Option<String>,
    /// "北區｜台北信義店"
    pub binding_name: String,
    pub route: Route,
    pub completed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum JourneyLookupError {
    #[error("no such journey")]
    NotFound,
    #[error("the journey has expired")]
    Expired,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// The journey, if it exists and has not expired.
pub async fn live(
    db: &impl ConnectionTrait,
    journey_id: &JourneyId,
) -> Result<journeys::Model, JourneyLookupError> {
    let journey = journeys::Entity::find_by_id(journey_id.clone())
        .one(db)
        .await?
        .ok_or(JourneyLookupError::NotFound)?;
    if journey.expires_at <= Utc::now() {
        return Err(JourneyLookupError::Expired);
    }
    Ok(journey)
}

/// The journey as a binding page shows it; unknown and expired journeys are errors.
pub async fn summary(
    db: &impl ConnectionTrait,
    journey_id: &JourneyId,
) -> Result<JourneySummary, JourneyLookupError> {
    let journey = live(db, journey_id).await?;
    let (store, group) = stores::Entity::find_by_id(journey.store_id)
        .find_also_related(store_groups::Entity)
        .one(db)
        .await?
        .ok_or(JourneyLookupError::NotFound)?;
    let group_name = group.map(|g| g.name);
    Ok(JourneySummary {
        binding_name: binding_label(group_name.as_deref(), &store.name),
        journey_id: journey.id,
        store_name: store.name,
        group_name,
        route: journey.route,
        completed: journey.completed_at.is_some(),
    })
}

/// How a LINE user's claim on a journey (route B's chat code) came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This user claimed it now.
    Claimed,
    /// This user had claimed it before (the code sent again).
    AlreadyTheirs,
    /// Another LINE user claimed it first: one LINE user per code.
    TakenByOther,
}

/// Ties the journey to the LINE user who sent its code; the first sender wins, by a conditional
/// update, not a look followed by a write. A first claim is the funnel's `friend` step.
pub async fn claim_for_line_user(
    db: &impl ConnectionTrait,
    journey: &journeys::Model,
    line_user_id: &LineUserId,
) -> Result<Claim, DbErr> {
    let claimed = journeys::Entity::update_many()
        .col_expr(
            journeys::Column::LineUserId,
            Expr::value(line_user_id.clone()),
        )
        .filter(journeys::Column::Id.eq(journey.id.clone()))
        .filter(journeys::Column::LineUserId.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected == 1 {
        record_stage(db, journey, FunnelStage::Friend, Utc::now()).await?;
        return Ok(Claim::Claimed);
    }
    let holder = journeys::Entity::find_by_id(journey.id.clone())
        .one(db)
        .await?
        .and_then(|journey| journey.line_user_id);
    Ok(if holder.as_ref() == Some(line_user_id) {
        Claim::AlreadyTheirs
    } else {
        Claim::TakenByOther
    })
}

/// Completes the journey for `member_id`, or finds it completed for them already. `false`: another
/// member completed it. The conditional update decides a race (on PostgreSQL the second update
/// waits for the first transaction and then matches no row), never a look followed by a write.
pub async fn complete(
    txn: &impl ConnectionTrait,
    journey_id: &JourneyId,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let completed = journeys::Entity::update_many()
        .col_expr(journeys::Column::CompletedAt, Expr::value(now))
        .col_expr(journeys::Column::MemberId, Expr::value(member_id))
        .filter(journeys::Column::Id.eq(journey_id.clone()))
        .filter(journeys::Column::CompletedAt.is_null())
        .exec(txn)
        .await?;
    if completed.rows_affected == 1 {
        return Ok(true);
    }
    let holder = journeys::Entity::find_by_id(journey_id.clone())
        .one(txn)
        .await?
        .and_then(|journey| journey.member_id);
    Ok(holder == Some(member_id))
}

/// A step of the journey for the reports' funnel.
pub async fn record_stage(
    db: &impl ConnectionTrait,
    journey: &journeys::Model,
    stage: FunnelStage,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    funnel_events::Entity::insert(funnel_events::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        store_id: Set(journey.store_id),
        clerk_id: Set(journey.clerk_id),
        stage: Set(stage),
        journey_id: Set(Some(journey.id.clone())),
        occurred_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
