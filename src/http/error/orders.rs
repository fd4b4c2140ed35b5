//! Refusals of orders in: the orders API, web-shop webhooks and their secrets.

use super::{AppError, Message};

impl From<crate::services::orders::OrderError> for AppError {
    fn from(err: crate::services::orders::OrderError) -> Self {
        use crate::services::orders::OrderError;
        match err {
            OrderError::Field(err) => AppError::bad_request(err.message_zh(), err.to_string()),
            OrderError::UnknownStore(code) => AppError::bad_request(
                format!("沒有門市代碼為 {code} 的門市。"),
                format!("No store has the code {code}."),
            ),
            OrderError::DifferentOrder { existing } => AppError::conflict(
                format!(
                    "訂單 {} 已經登錄過，但金額或會員不同（已登錄 NT${}）；同一筆訂單請送相同的內容，退款請改送狀態。",
                    existing.sale.external_id, existing.sale.amount
                ),
                format!(
                    "Order {} is already recorded with another amount or member (NT${}); send the same order again, or a new status for refunds.",
                    existing.sale.external_id, existing.sale.amount
                ),
            )
            .with_code("different_order"),
            OrderError::ReceiptTaken {
                receipt_no,
                ordered_at,
            } => AppError::conflict(
                format!(
                    "收據／發票號碼 {receipt_no} 已在 {} 登錄過；若那筆有誤，請先作廢再重新登錄。",
                    crate::domain::taipei_time::format(ordered_at)
                ),
                format!(
                    "Receipt {receipt_no} was already recorded at {}; void that entry first if it is wrong.",
                    crate::domain::taipei_time::format(ordered_at)
                ),
            )
            .with_code("receipt_taken"),
            OrderError::OrderNotFound => {
                AppError::not_found("找不到這筆訂單。", "This order does not exist.")
            }
            OrderError::MemberNotFound => {
                AppError::not_found("找不到這位會員。", "This member does not exist.")
            }
            OrderError::PurchaseEntryOff => AppError::Refused(Message::new(
                "這間門市尚未開放登錄門市消費，請洽總公司開啟。",
                "Purchase entry is off for this store; ask headquarters to turn it on.",
            )),
            OrderError::NotVoidable(why) => AppError::conflict(
                match why {
                    "already voided" => "這筆消費已經作廢。",
                    "it has refunds" => "這筆消費已有退款，不能作廢。",
                    _ => "這筆消費剛被其他人變更，請重新整理後再試。",
                },
                format!("This purchase cannot be voided: {why}."),
            ),
            OrderError::BadIdempotencyKey => AppError::bad_request(
                "表單已失效，請重新整理頁面後再送出。",
                "The form's key is invalid; reload the page and submit again.",
            ),
            OrderError::VoidReason => AppError::bad_request(
                "請填寫作廢原因（200 字以內）。",
                "Give a reason for the void (at most 200 characters).",
            ),
            OrderError::FileRejected(problems) => {
                let shown = 10;
                let more = problems.len().saturating_sub(shown);
                let zh: Vec<&str> = problems.iter().take(shown).map(|p| p.zh.as_str()).collect();
                let en: Vec<&str> = problems.iter().take(shown).map(|p| p.en.as_str()).collect();
                let (more_zh, more_en) = if more > 0 {
                    (format!("；另有 {more} 個問題"), format!("; and {more} more"))
                } else {
                    (String::new(), String::new())
                };
                AppError::bad_request(
                    format!("檔案未匯入：{}{more_zh}", zh.join("；")),
                    format!("Nothing was imported: {}{more_en}", en.join("; ")),
                )
            }
            OrderError::Access(denied) => denied.into(),
            OrderError::Busy => AppError::unavailable(
                "這筆訂單同時有太多變更，請稍後再試。",
                "Too many changes to this order at once; please try again shortly.",
            ),
            OrderError::Retry => AppError::Unexpected(anyhow::anyhow!("a retry escaped")),
            OrderError::Database(db) => db.into(),
        }
    }
}

impl From<crate::webshops::PayloadError> for AppError {
    fn from(err: crate::webshops::PayloadError) -> Self {
        AppError::bad_request(err.zh, err.en)
    }
}

impl From<crate::services::order_webhooks::WebhookError> for AppError {
    fn from(err: crate::services::order_webhooks::WebhookError) -> Self {
        use crate::services::order_webhooks::WebhookError;
        match err {
            WebhookError::NotConfigured(shop) => {
                tracing::info!(?shop, "an order webhook arrived for a shop without a secret");
                AppError::Unauthorized(Message::new(
                    "這個網店的 webhook 尚未設定密鑰，請總公司在「銷售設定」中設定。",
                    "No secret is set for this web shop's webhook; HQ sets it under Sales settings.",
                ))
            }
            WebhookError::Signature(reason) => {
                tracing::info!(reason, "an order webhook's signature was refused");
                AppError::Unauthorized(Message::new(
                    "簽章驗證失敗。",
                    format!("The signature was refused ({reason})."),
                ))
                .with_code("bad_signature")
            }
            WebhookError::Stale => AppError::Unauthorized(Message::new(
                "簽章時間與伺服器相差超過 5 分鐘，請以目前時間重新簽章後送出。",
                "The signed timestamp is more than 5 minutes from the server's clock; sign again with the current time.",
            ))
            .with_code("stale_signature"),
            WebhookError::Replay => AppError::conflict(
                "這個已簽章的請求先前已收過（重送）；若要重送訂單，請以新的時間重新簽章。",
                "This signed request was received before (a replay); to resend the order, sign it again with a new timestamp.",
            )
            .with_code("replay"),
            WebhookError::Payload(err) => err.into(),
            WebhookError::OrderNotReceived => AppError::conflict(
                "還沒有收到這筆退款的訂單，請稍後重送。",
                "The order of this refund has not been received yet; send it again later.",
            )
            .with_code("order_not_received"),
            WebhookError::Order(err) => err.into(),
            WebhookError::Database(err) => err.into(),
        }
    }
}

impl From<crate::services::order_webhooks::SecretError> for AppError {
    fn from(err: crate::services::order_webhooks::SecretError) -> Self {
        use crate::services::order_webhooks::SecretError;
        match err {
            SecretError::Unusable => AppError::bad_request(
                "密鑰至少需要 16 個字元，且不可包含空白或控制字元。",
                "A secret has at least 16 characters and no spaces or control characters.",
            ),
            SecretError::Order(err) => err.into(),
        }
    }
}
