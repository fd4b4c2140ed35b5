//! `webhook_events` as a durable queue: rows stored once per event (the unique
//! `webhook_event_id`), claimed with a lease, and closed with a verdict.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait, TryInsertResult,
};

use crate::db::entities::webhook_events;
use crate::line::events::WebhookEvent;

/// Stores rows in one transaction, in statements of at most `ROWS_PER_STATEMENT` (SQLite limits
/// the parameters of one statement); rows already stored (same `webhook_event_id`) are skipped by
/// the unique index. Returns how many rows are new.
pub async fn store_rows(
    db: &DatabaseConnection,
    rows: Vec<webhook_events::ActiveModel>,
) -> Result<u64, DbErr> {
    const ROWS_PER_STATEMENT: usize = 500;
    if rows.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    let mut stored = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let inserted = webhook_events::Entity::insert_many(chunk.iter().cloned())
            .on_conflict_do_nothing_on([webhook_events::Column::WebhookEventId])
            .exec_without_returning(&txn)
            .await?;
        if let TryInsertResult::Inserted(rows) = inserted {
            stored += rows;
        }
    }
    txn.commit().await?;
    Ok(stored)
}

pub(crate) fn new_row(
    event: &WebhookEvent,
    received_at: DateTime<Utc>,
) -> webhook_events::ActiveModel {
    webhook_events::ActiveModel {
        id: NotSet,
        webhook_event_id: Set(event.event_id()),
        event_type: Set(event.common.event_type.clone()),
        source_user_id: Set(event.source_user_id().map(str::to_owned)),
        payload: Set(event.raw.clone()),
        is_redelivery: Set(event.is_redelivery()),
        event_timestamp: Set(event.common.timestamp),
        received_at: Set(received_at),
        claimed_until: Set(None),
        processed_at: Set(None),
        outcome: Set(None),
        attempts: Set(0),
        last_error: Set(None),
    }
}

/// Takes up to `limit` pending rows (no outcome yet, no live lease) for this process until
/// `lease_until`, counting the attempt. The returned rows show the new lease and attempt count.
pub async fn claim_pending(
    db: &DatabaseConnection,
    limit: u64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<webhook_events::Model>, DbErr> {
    use webhook_events::Column;
    let claimable = Condition::all().add(Column::ProcessedAt.is_null()).add(
        Condition::any()
            .add(Column::ClaimedUntil.is_null())
            .add(Column::ClaimedUntil.lt(now)),
    );
    let claim = webhook_events::Entity::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(lease_until))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1));
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // Rows another instance is claiming right now are skipped, not waited for.
            let txn = db.begin().await?;
            let mut rows = webhook_events::Entity::find()
                .filter(claimable)
                .order_by_asc(Column::Id)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&txn)
                .await?;
            if !rows.is_empty() {
                claim
                    .filter(Column::Id.is_in(rows.iter().map(|row| row.id)))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            for row in &mut rows {
                row.claimed_until = Some(lease_until);
                row.attempts += 1;
            }
            Ok(rows)
        }
        _ => {
            // SQLite has one writer: a single UPDATE … WHERE id IN (SELECT …) claims atomically.
            let pending = webhook_events::Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(claimable)
                .order_by_asc(Column::Id)
                .limit(limit)
                .into_query();
            let mut rows = claim
                .filter(Column::Id.in_subquery(pending))
                .exec_with_returning(db)
                .await?;
            rows.sort_by_key(|row| row.id);
            Ok(rows)
        }
    }
}

/// Records what became of claimed rows, in one transaction. A row that already has an outcome
/// (another instance finished it after this one's lease ran out) keeps it.
pub async fn record_verdicts(
    db: &DatabaseConnection,
    verdicts: &[Verdict],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use webhook_events::Column;
    let txn = db.begin().await?;
    for verdict in verdicts {
        let update = webhook_events::Entity::update_many()
            .filter(Column::Id.eq(verdict.id))
            .filter(Column::ProcessedAt.is_null());
        let update = match &verdict.result {
            VerdictKind::Done { outcome, error } => update
                .col_expr(Column::ProcessedAt, Expr::value(now))
                .col_expr(Column::Outcome, Expr::value(*outcome))
                .col_expr(Column::LastError, Expr::value(error.clone()))
                .col_expr(
                    Column::ClaimedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                ),
            // Not to be claimed again before `at`.
            VerdictKind::Retry { error, at } => update
                .col_expr(Column::ClaimedUntil, Expr::value(*at))
                .col_expr(Column::LastError, Expr::value(error.as_str())),
        };
        update.exec(&txn).await?;
    }
    txn.commit().await
}

/// What became of one claimed event, to be recorded.
pub struct Verdict {
    pub id: i64,
    pub result: VerdictKind,
}

pub enum VerdictKind {
    /// Final: the outcome, and the error when it failed.
    Done {
        outcome: &'static str,
        error: Option<String>,
    },
    /// Pending again, not before `at`.
    Retry {
        error: String,
        at: chrono::DateTime<Utc>,
    },
}
