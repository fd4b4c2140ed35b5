//! LINE webhooks, received and processed durably and exactly once.
//!
//! The request path does as little as possible (LINE wants an answer within 2 s and recommends
//! processing asynchronously): verify the signature on the raw bytes, parse, store every event in
//! `webhook_events` (one transaction per request, or per group of concurrent requests: see
//! `webhook_store`), answer. The unique `webhook_event_id` with
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
use sha2::{Digest, Sha256};

use crate::db::entities::webhook_events;
use crate::line::events::{EventKind, WebhookBody, WebhookEvent};
use crate::line::{LineApiError, OutgoingMessage, signature};
use crate::services::Context;
use crate::services::webhook_worker::{Verdict, VerdictKind};
use crate::services::{followers, setup};

/// What an accepted webhook request contained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub events: usize,
}

/// Why a webhook request was refused; nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// Demo mode before the emulator provides a secret, or a misconfigured deployment.
    #[error("LINE_CHANNEL_SECRET is not set; webhooks cannot be verified")]
    NoChannelSecret,
    #[error("the X-Line-Signature header is missing or does not match the body")]
    BadSignature,
    #[error("not a LINE webhook body: {0}")]
    NotAWebhookBody(String),
    #[error("storing the events: {0}")]
    Storing(#[from] DbErr),
}

/// Verifies, parses and accepts one webhook request body. `signature` is the raw
/// `X-Line-Signature` header, if any.
pub async fn receive(
    ctx: &Context,
    signature: Option<&[u8]>,
    body: &[u8],
) -> Result<Receipt, ReceiveError> {
    // Demo mode has no channel secret until the emulator provides one: nothing can be verified,
    // and an unverified body must never be stored.
    let Some(secret) = ctx.settings.line.channel_secret.as_ref() else {
        return Err(ReceiveError::NoChannelSecret);
    };
    if let Err(reason) = signature::verify(secret.expose().as_bytes(), body, signature) {
        ctx.metrics.signature_failure();
        // The body is not logged: it is unauthenticated input and may carry personal data.
        tracing::warn!(%reason, body_bytes = body.len(), "LINE webhook refused: bad signature");
        return Err(ReceiveError::BadSignature);
    }
    let body = WebhookBody::parse(body).map_err(|err| {
        ctx.metrics.bad_body();
        tracing::warn!(error = %err, "LINE webhook refused: not a webhook body");
        ReceiveError::NotAWebhookBody(err.to_string())
    })?;
    for event in &body.events {
        ctx.metrics.event_received(&event.common.event_type);
    }
    // Durable before the 200: the writer answers once the transaction holding these has committed.
    ctx.webhook_store.store(&body.events, Utc::now()).await?;
    Ok(Receipt {
        events: body.events.len(),
    })
}

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

/// A text a LINE user sent the OA in a one-to-one chat, offered to the [`BindingCodeHandler`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingText {
    /// The sender, as LINE identifies them to this channel's provider.
    pub line_user_id: String,
    /// The message text exactly as sent (not trimmed).
    pub text: String,
    /// The reply token, when this bot may reply (`None` in standby mode). The webhook sends the
    /// handler's answer with it; handlers need it only to tell whether an answer can be sent.
    pub reply_token: Option<String>,
    /// LINE's `webhookEventId` (or the derived id), unique per event.
    pub webhook_event_id: String,
    /// When the user sent it (LINE's event timestamp).
    pub sent_at: DateTime<Utc>,
}

/// The hook for route B's binding codes: every text a user sends the OA in a one-to-one chat is
/// offered to it. It answers `Ok(None)` when the text is not a binding code (the message is then
/// only stored), or `Ok(Some(messages))` to answer the user: the webhook sends them as a reply
/// (falling back to a push when the reply token has expired). `Ok(Some(vec![]))` means handled,
/// nothing to say.
///
/// An `Err` is retried with backoff (the same event handed over again), so a handler must be
/// idempotent per `webhook_event_id`: after a crash, or a reply that failed, the same message
/// comes again and should produce the same answer without a second effect.
#[async_trait::async_trait]
pub trait BindingCodeHandler: Send + Sync {
    async fn handle(
        &self,
        ctx: &Context,
        message: &IncomingText,
    ) -> anyhow::Result<Option<Vec<OutgoingMessage>>>;
}

/// Handles one stored event; the answer is kept in `webhook_events.outcome`.
pub async fn handle_event(
    ctx: &Context,
    row: &webhook_events::Model,
) -> Result<&'static str, HandleError> {
    let event = match WebhookEvent::parse(&row.payload) {
        Ok(event) => event,
        Err(err) => {
            tracing::warn!(id = row.id, error = %err, "stored webhook event cannot be read");
            return Ok("unreadable");
        }
    };
    let at = DateTime::from_timestamp_millis(event.common.timestamp).unwrap_or(row.received_at);
    match &event.kind {
        EventKind::Follow(follow) => {
            let Some(user_id) = event.source_user_id() else {
                return Ok("acknowledged");
            };
            followers::record_follow(&ctx.db, user_id, at, follow.is_unblocked, Utc::now()).await?;
            let Some(reply_token) = event.reply_token() else {
                return Ok("follower_recorded");
            };
            let welcome = setup::shop_settings(&ctx.db).await?.welcome_message;
            if welcome.trim().is_empty() {
                return Ok("follower_recorded");
            }
            let sent = answer(
                ctx,
                &row.webhook_event_id,
                user_id,
                reply_token,
                &[OutgoingMessage::text(welcome)],
            )
            .await?;
            Ok(match sent {
                Sent::Replied => "welcomed",
                Sent::Pushed => "welcomed_by_push",
            })
        }
        EventKind::Unfollow => {
            if let Some(user_id) = event.source_user_id() {
                followers::record_unfollow(&ctx.db, user_id, at, Utc::now()).await?;
            }
            Ok("unfollow_recorded")
        }
        EventKind::Message(message) => {
            let (Some(text), Some(user_id), true) = (
                message.text(),
                event.source_user_id(),
                event.common.source.as_ref().is_some_and(|s| s.is_user()),
            ) else {
                return Ok("acknowledged");
            };
            let incoming = IncomingText {
                line_user_id: user_id.to_owned(),
                text: text.to_owned(),
                reply_token: event.reply_token().map(str::to_owned),
                webhook_event_id: row.webhook_event_id.clone(),
                sent_at: at,
            };
            let answer_messages = ctx
                .binding_codes
                .handle(ctx, &incoming)
                .await
                .map_err(|err| HandleError::retryable(format!("binding code handler: {err:#}")))?;
            match (answer_messages, event.reply_token()) {
                (None, _) => Ok("message_ignored"),
                (Some(messages), Some(reply_token)) if !messages.is_empty() => {
                    let sent =
                        answer(ctx, &row.webhook_event_id, user_id, reply_token, &messages).await?;
                    Ok(match sent {
                        Sent::Replied => "binding_code_answered",
                        Sent::Pushed => "binding_code_answered_by_push",
                    })
                }
                (Some(_), _) => Ok("binding_code_handled"),
            }
        }
        EventKind::Unknown => {
            tracing::info!(id = row.id, event_type = %event.common.event_type, "webhook event of a type this version does not know: stored");
            Ok("unknown_type")
        }
        EventKind::Unreadable { error } => {
            tracing::warn!(id = row.id, event_type = %event.common.event_type, %error, "webhook event does not match LINE's spec: stored");
            Ok("unreadable")
        }
        _ => Ok("acknowledged"),
    }
}

enum Sent {
    Replied,
    Pushed,
}

/// Replies with the event's reply token. A reply token is single-use and expires within about a
/// minute; when LINE refuses it, the same messages are pushed instead, with a retry key derived
/// from the event, so retrying this event never pushes twice (LINE answers 409 to a repeat).
async fn answer(
    ctx: &Context,
    webhook_event_id: &str,
    user_id: &str,
    reply_token: &str,
    messages: &[OutgoingMessage],
) -> Result<Sent, HandleError> {
    match ctx.line.reply(reply_token, messages).await {
        Ok(()) => Ok(Sent::Replied),
        Err(err) if err.is_invalid_reply_token() => {
            ctx.metrics.line_api_error();
            tracing::info!(
                webhook_event_id,
                "reply token expired or used; pushing instead"
            );
            ctx.line
                .push(user_id, messages, push_retry_key(webhook_event_id))
                .await
                .map(|()| Sent::Pushed)
                .map_err(|err| line_failure(ctx, "push", err))
        }
        Err(err) => Err(line_failure(ctx, "reply", err)),
    }
}

fn line_failure(ctx: &Context, call: &str, err: LineApiError) -> HandleError {
    ctx.metrics.line_api_error();
    let message = format!("LINE {call}: {err}");
    if err.is_retryable() {
        HandleError::retryable(message)
    } else {
        HandleError::permanent(message)
    }
}

/// The `X-Line-Retry-Key` for the push that answers `webhook_event_id`: a UUID (version 8, from
/// SHA-256) that is the same every time this event is handled, and different for every event.
pub fn push_retry_key(webhook_event_id: &str) -> uuid::Uuid {
    let digest = Sha256::new()
        .chain_update(b"store-assistant push retry key\0")
        .chain_update(webhook_event_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_retry_key_is_stable_per_event_and_a_valid_uuid() {
        let a = push_retry_key("01HXYZ");
        assert_eq!(a, push_retry_key("01HXYZ"));
        assert_ne!(a, push_retry_key("01HXYZ2"));
        assert_eq!(a.get_version_num(), 8);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
    }
}
