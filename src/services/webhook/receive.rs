//! The request path: verify `X-Line-Signature` on the raw bytes, parse, and answer once the events
//! are durable. Nothing unverified is stored or logged.

use chrono::Utc;
use sea_orm::DbErr;

use crate::line::events::WebhookBody;
use crate::line::signature;
use crate::services::Context;

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
