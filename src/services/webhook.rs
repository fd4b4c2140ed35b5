//! Receiving LINE webhooks: verify the signature on the raw bytes, parse, and acknowledge.
//!
//! The request path does as little as possible (LINE wants an answer within 2 s and recommends
//! processing asynchronously).

use crate::error::{AppError, Message};
use crate::line::events::WebhookBody;
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
    Ok(Receipt {
        events: body.events.len(),
    })
}
