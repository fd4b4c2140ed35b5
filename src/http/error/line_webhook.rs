//! Refusals of `POST /line/webhook`: LINE (or a prober) reads these.

use super::{AppError, Message};
use crate::services::webhook::ReceiveError;

impl From<ReceiveError> for AppError {
    fn from(err: ReceiveError) -> Self {
        match err {
            ReceiveError::NoChannelSecret => AppError::unavailable(
                "尚未設定 LINE_CHANNEL_SECRET，無法驗證 LINE webhook；請在設定中填入 Messaging API 頻道的 Channel secret。",
                "LINE_CHANNEL_SECRET is not set, so LINE webhooks cannot be verified; set it to the Messaging API channel's channel secret.",
            ),
            ReceiveError::BadSignature => AppError::Unauthorized(Message::new(
                "LINE 簽章（X-Line-Signature）驗證失敗，請求未被處理。",
                "The X-Line-Signature header is missing or does not match the body; the request was not processed.",
            )),
            ReceiveError::NotAWebhookBody(err) => AppError::bad_request(
                format!("內容不是 LINE webhook 的格式：{err}"),
                format!("The body is not a LINE webhook body: {err}"),
            ),
            ReceiveError::Storing(err) => err.into(),
        }
    }
}
