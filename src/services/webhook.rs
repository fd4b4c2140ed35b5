//! LINE webhooks, received and processed durably and exactly once.
//!
//! The request path does as little as possible (LINE wants an answer within 2 s and recommends
//! processing asynchronously): verify the signature on the raw bytes, parse, store every event in
//! `webhook_events` in one transaction, answer. The unique `webhook_event_id` with
//! INSERT … ON CONFLICT DO NOTHING makes a redelivery, or the same body posted ten times at once,
//! one row. The worker (`webhook_worker`) then claims pending rows — a lease in `claimed_until`,
//! taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL so several server instances never take the
//! same row — handles them, and records the outcome. Rows survive restarts: a row whose lease ran
//! out without an outcome is claimed again.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait, TryInsertResult,
};

use crate::db::entities::webhook_events;
use crate::error::{AppError, Message};
use crate::line::events::{WebhookBody, WebhookEvent};
use crate::line::signature;
use crate::startup::AppState;

/// What an accepted webhook request contained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub events: usize,
}

/// Verifies, parses and accepts one webhook request body. `signature` is the raw
/// `X-Line-Signature` header, if any.
pub async fn receive(
    state: &AppState,
    signature: Option<&[u8]>,
    body: &[u8],
) -> Result<Receipt, AppError> {
    // Demo mode has no channel secret until the emulator provides one: nothing can be verified,
    // and an unverified body must never be stored.
    let Some(secret) = state.settings.line.channel_secret.as_ref() else {
        return Err(AppError::unavailable(
            "尚未設定 LINE_CHANNEL_SECRET，無法驗證 LINE webhook；請在設定中填入 Messaging API 頻道的 Channel secret。",
            "LINE_CHANNEL_SECRET is not set, so LINE webhooks cannot be verified; set it to the Messaging API channel's channel secret.",
        ));
    };
    if let Err(reason) = signature::verify(secret.expose().as_bytes(), body, signature) {
        state.metrics.signature_failure();
        // The body is not logged: it is unauthenticated input and may carry personal data.
        tracing::warn!(%reason, body_bytes = body.len(), "LINE webhook refused: bad signature");
        return Err(AppError::Unauthorized(Message::new(
            "LINE 簽章（X-Line-Signature）驗證失敗，請求未被處理。",
            "The X-Line-Signature header is missing or does not match the body; the request was not processed.",
        )));
    }
    let body = WebhookBody::parse(body).map_err(|err| {
        state.metrics.bad_body();
        tracing::warn!(error = %err, "LINE webhook refused: not a webhook body");
        AppError::bad_request(
            format!("內容不是 LINE webhook 的格式：{err}"),
            format!("The body is not a LINE webhook body: {err}"),
        )
    })?;
    for event in &body.events {
        state.metrics.event_received(&event.common.event_type);
    }
    let stored = store_events(&state.db, &body.events, Utc::now()).await?;
    if stored > 0 {
        state.webhook_wake.notify_one();
    }
    Ok(Receipt {
        events: body.events.len(),
    })
}

/// Stores the events of one body in one transaction; events already stored (same
/// `webhookEventId`) are skipped by the unique index. Returns how many rows are new.
pub async fn store_events(
    db: &DatabaseConnection,
    events: &[WebhookEvent],
    received_at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if events.is_empty() {
        return Ok(0);
    }
    let rows = events.iter().map(|event| new_row(event, received_at));
    let txn = db.begin().await?;
    let inserted = webhook_events::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([webhook_events::Column::WebhookEventId])
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(match inserted {
        TryInsertResult::Inserted(rows) => rows,
        TryInsertResult::Conflicted | TryInsertResult::Empty => 0,
    })
}

fn new_row(event: &WebhookEvent, received_at: DateTime<Utc>) -> webhook_events::ActiveModel {
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

/// Records the final outcome of a claimed row (unless it already has one).
pub async fn mark_processed(
    db: &DatabaseConnection,
    id: i64,
    outcome: &str,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use webhook_events::Column;
    webhook_events::Entity::update_many()
        .col_expr(Column::ProcessedAt, Expr::value(now))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .col_expr(Column::LastError, Expr::value(error.map(str::to_owned)))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::ProcessedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Leaves a failed row pending, not to be claimed again before `retry_at`.
pub async fn mark_for_retry(
    db: &DatabaseConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use webhook_events::Column;
    webhook_events::Entity::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(retry_at))
        .col_expr(Column::LastError, Expr::value(error))
        .filter(Column::Id.eq(id))
        .filter(Column::ProcessedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Why handling an event failed, and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandleError {
    pub message: String,
    pub retryable: bool,
}

impl HandleError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }
}

impl From<DbErr> for HandleError {
    fn from(err: DbErr) -> Self {
        HandleError::retryable(format!("database: {err}"))
    }
}

/// What handling one stored event did; kept in `webhook_events.outcome`.
pub async fn handle_event(
    _state: &AppState,
    row: &webhook_events::Model,
) -> Result<&'static str, HandleError> {
    let Ok(_event) = WebhookEvent::parse(&row.payload) else {
        return Ok("unreadable");
    };
    Ok("acknowledged")
}
