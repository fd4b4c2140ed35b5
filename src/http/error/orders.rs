//! Refusals of orders in: the orders API, web-shop webhooks and their secrets, and the clerk's
//! desk (in-store purchases).

use super::{AppError, Message};
use crate::domain::amount::ntd;
use crate::domain::signed_link::LinkError;
use crate::services::clerk::ClerkError;
use crate::services::orders::OrderError;

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

/// Refusals at the clerk's desk (`/clerk`): looking a member up, recording and voiding a purchase.
impl From<ClerkError> for AppError {
    fn from(err: ClerkError) -> Self {
        use crate::domain::member_card::CardCodeError;
        match err {
            ClerkError::NoStore => AppError::bad_request(
                "請先選擇您所在的門市。",
                "Pick the store you are working in first.",
            ),
            ClerkError::UnknownStore => {
                AppError::not_found("找不到這間門市。", "This store does not exist.")
            }
            ClerkError::Access(denied) => denied.into(),
            ClerkError::NotWholePhone => AppError::bad_request(
                "請輸入完整的手機號碼，例如 0912345678。為保護會員隱私，不提供部分號碼查詢。",
                "Enter the whole mobile number, like 0912345678. Partial numbers are not searched, to protect members' privacy.",
            ),
            ClerkError::NoMemberWithPhone => AppError::not_found(
                "查無此手機號碼的會員。請確認號碼，或請顧客掃描門市 QR Code 加入會員。",
                "No member has this mobile number. Check the number, or ask the shopper to scan the store's QR code to join.",
            ),
            ClerkError::MemberGone => AppError::not_found(
                "找不到這張會員卡的會員（可能已刪除），請改用手機號碼查詢。",
                "The card's member no longer exists; look the member up by mobile number instead.",
            ),
            ClerkError::Card(err @ CardCodeError::Expired) => {
                AppError::Gone(Message::new(err.message_zh(), err.message_en()))
            }
            ClerkError::Card(err) => AppError::bad_request(err.message_zh(), err.message_en()),
            ClerkError::Pick(LinkError::Expired) => AppError::bad_request(
                "會員查詢已逾時，請重新查詢會員後再登錄。",
                "The member lookup has expired; look the member up again, then record.",
            ),
            ClerkError::Pick(LinkError::Invalid) => AppError::bad_request(
                "表單中的會員資料無效，請重新查詢會員後再登錄。",
                "The form's member is not valid; look the member up again, then record.",
            ),
            ClerkError::Amount(err) => AppError::bad_request(err.message_zh(), err.message_en()),
            ClerkError::Order(OrderError::DifferentOrder { existing }) => AppError::conflict(
                format!(
                    "這張表單已登錄過一筆 {} 的消費，不會重複登錄。若金額有誤，請作廢那一筆後重新查詢會員再登錄。",
                    ntd(existing.sale.amount)
                ),
                format!(
                    "This form already recorded a purchase of {}; it is not recorded twice. If the amount is wrong, void that one and record again.",
                    ntd(existing.sale.amount)
                ),
            ),
            ClerkError::Order(err) => err.into(),
            ClerkError::Database(err) => err.into(),
        }
    }
}
