//! What one stored event means for the product: a follow records the friend (and welcomes them),
//! an unfollow ends the friendship, a text in a one-to-one chat is offered to the binding-code
//! handler (route B) and its answer sent back; 會員卡 (or the card postback) gets the member card.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use sha2::{Digest, Sha256};

use crate::db::entities::webhook_events;
use crate::domain::line_user::LineUserId;
use crate::line::events::{EventKind, WebhookEvent};
use crate::line::{LineApiError, OutgoingMessage};
use crate::services::Context;
use crate::services::{followers, member_card, setup};

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
    pub line_user_id: LineUserId,
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
            followers::record_follow(
                &ctx.db,
                &LineUserId::from_line(user_id),
                at,
                follow.is_unblocked,
                Utc::now(),
            )
            .await?;
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
                followers::record_unfollow(
                    &ctx.db,
                    &LineUserId::from_line(user_id),
                    at,
                    Utc::now(),
                )
                .await?;
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
            if crate::domain::member_card::is_card_request(text) {
                return send_member_card(ctx, row, user_id, event.reply_token()).await;
            }
            let incoming = IncomingText {
                line_user_id: LineUserId::from_line(user_id),
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
        EventKind::Postback(postback) if postback.data.trim() == member_card::CARD_POSTBACK => {
            let (Some(user_id), true) = (
                event.source_user_id(),
                event.common.source.as_ref().is_some_and(|s| s.is_user()),
            ) else {
                return Ok("acknowledged");
            };
            send_member_card(ctx, row, user_id, event.reply_token()).await
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

/// Answers a member's request for the card (會員卡, or the card postback of a rich menu) with a
/// button to it; someone who is not a member hears how to join.
async fn send_member_card(
    ctx: &Context,
    row: &webhook_events::Model,
    user_id: &str,
    reply_token: Option<&str>,
) -> Result<&'static str, HandleError> {
    let Some(reply_token) = reply_token else {
        return Ok("member_card_not_sent");
    };
    let messages = member_card::chat_answer(ctx, &LineUserId::from_line(user_id)).await?;
    Ok(
        match answer(ctx, &row.webhook_event_id, user_id, reply_token, &messages).await? {
            Sent::Replied => "member_card_sent",
            Sent::Pushed => "member_card_sent_by_push",
        },
    )
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
