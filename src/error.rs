//! The one place an error becomes an HTTP response.
//!
//! Services and handlers return [`AppError`]; `ResponseError` turns it into a status and a JSON
//! body (`{"error", "message", "message_en"}`) and leaves the message in the response's extensions.
//! [`html_for_browsers`] then re-renders that as a zh-TW page for every path that is not an API
//! (`/api/...`) or the LINE webhook, so people get a page and scripts get JSON from the same error.
//! Unexpected errors are logged with their cause chain and shown opaquely.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use sea_orm::DbErr;

/// A message for a person: zh-TW first, English second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub zh: String,
    pub en: String,
}

impl Message {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {}", .0.en)]
    BadRequest(Message),
    #[error("unauthorized: {}", .0.en)]
    Unauthorized(Message),
    #[error("forbidden")]
    Forbidden,
    /// 403 with a reason the person can act on (an expired form, a refused rule).
    #[error("refused: {}", .0.en)]
    Refused(Message),
    #[error("not found: {}", .0.en)]
    NotFound(Message),
    #[error("conflict: {}", .0.en)]
    Conflict(Message),
    #[error("gone: {}", .0.en)]
    Gone(Message),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests: {}", .message.en)]
    TooManyRequests {
        message: Message,
        retry_after_secs: u64,
    },
    #[error("unavailable: {}", .0.en)]
    Unavailable(Message),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
    /// Another error under an `error` code of its own, for API clients that branch on it (the
    /// LIFF page tells "not a friend yet" from a wrong SMS code, both 409s otherwise).
    #[error("{code}: {inner}")]
    Coded {
        code: &'static str,
        inner: Box<AppError>,
    },
}

impl AppError {
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::BadRequest(Message::new(zh, en))
    }

    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::NotFound(Message::new(zh, en))
    }

    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Conflict(Message::new(zh, en))
    }

    pub fn unavailable(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Unavailable(Message::new(zh, en))
    }

    /// The same error under its own `error` code. Unexpected errors keep theirs (`internal`).
    pub fn with_code(self, code: &'static str) -> Self {
        match self {
            AppError::Unexpected(_) => self,
            inner => AppError::Coded {
                code,
                inner: Box::new(inner),
            },
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::Coded { inner, .. } => inner.retry_after_secs(),
            _ => None,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::Coded { code, .. } => code,
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Refused(_) => "refused",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "gone",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal",
        }
    }

    /// What the person is told. Unexpected errors say nothing of their cause.
    pub fn message(&self) -> Message {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Gone(m)
            | AppError::Refused(m)
            | AppError::Unavailable(m)
            | AppError::TooManyRequests { message: m, .. } => m.clone(),
            AppError::Forbidden => Message::new(
                "您沒有權限查看或變更這個項目。",
                "You are not allowed to see or change this.",
            ),
            AppError::PayloadTooLarge => {
                Message::new("送出的資料太大。", "The request body is too large.")
            }
            AppError::Unexpected(_) => Message::new(
                "系統發生錯誤，請稍後再試。",
                "Something went wrong on our side. Please try again later.",
            ),
            AppError::Coded { inner, .. } => inner.message(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::Unexpected(anyhow::Error::new(err).context("database"))
    }
}

// --- Service errors: each maps to a status and a message here, and nowhere else. ---

fn journey_not_found() -> AppError {
    AppError::not_found(
        "找不到這次的綁定流程，請重新掃描門市的 QR code。",
        "This binding link is unknown; please scan the store's QR code again.",
    )
}

fn journey_expired() -> AppError {
    AppError::Gone(Message::new(
        "這個連結已過期，請向門市人員索取 QR code 再掃描一次。",
        "This link has expired; please ask the staff for the QR code and scan it again.",
    ))
}

/// One scan binds one member; the LIFF page tells this refusal by its code.
fn journey_completed() -> AppError {
    AppError::conflict(
        "這次掃描已完成一位會員的綁定；要綁定另一位會員，請重新掃描門市的 QR code。",
        "This scan has already bound a member; to bind someone else, scan the store's QR code again.",
    )
    .with_code("journey_completed")
}

impl From<crate::services::binding::BindError> for AppError {
    fn from(err: crate::services::binding::BindError) -> Self {
        use crate::services::binding::BindError;
        match err {
            BindError::JourneyNotFound => journey_not_found(),
            BindError::JourneyExpired => journey_expired(),
            BindError::JourneyCompleted => journey_completed(),
            BindError::IdTokenUsed => AppError::conflict(
                "這次的 LINE 登入已用於另一次掃描；請關閉頁面，再掃描一次門市的 QR code。",
                "This LINE login was already used for another scan; close this page and scan the store's QR code again.",
            )
            .with_code("id_token_used"),
            BindError::Database(db) => db.into(),
        }
    }
}

impl From<crate::services::liff::JourneyLookupError> for AppError {
    fn from(err: crate::services::liff::JourneyLookupError) -> Self {
        use crate::services::liff::JourneyLookupError;
        match err {
            JourneyLookupError::NotFound => journey_not_found(),
            JourneyLookupError::Expired => journey_expired(),
            JourneyLookupError::Database(db) => db.into(),
        }
    }
}

impl From<crate::services::liff::LiffBindError> for AppError {
    fn from(err: crate::services::liff::LiffBindError) -> Self {
        use crate::services::liff::LiffBindError;
        use crate::services::phone_step::PhoneStepError;
        match err {
            LiffBindError::ConsentMissing => AppError::bad_request(
                "請先閱讀並勾選同意個人資料告知事項。",
                "Please read and accept the personal-data notice first.",
            ),
            LiffBindError::Journey(err) => err.into(),
            LiffBindError::AccessTokenMissing => AppError::bad_request(
                "缺少 LINE 登入資訊，請關閉頁面後重新掃描 QR code。",
                "The LINE login is missing; close this page and scan the QR code again.",
            )
            .with_code("access_token_missing"),
            LiffBindError::TooManyTries { retry_after } => AppError::TooManyRequests {
                message: Message::new(
                    format!("短時間內嘗試太多次了，請於 {}後再試。", wait_zh(retry_after)),
                    format!(
                        "Too many tries in a short time; please try again in {}.",
                        wait_en(retry_after)
                    ),
                ),
                retry_after_secs: retry_after.as_secs().max(1),
            },
            LiffBindError::InvalidToken(reason) => {
                tracing::info!(%reason, "LINE refused an ID token");
                AppError::Unauthorized(Message::new(
                    "LINE 身分驗證失敗，請關閉頁面後重新掃描 QR code。",
                    "LINE could not confirm who you are; close this page and scan the QR code again.",
                ))
            }
            LiffBindError::NotFriend { .. } => AppError::conflict(
                "請先加入官方帳號好友，再按「重試」。",
                "Please add the Official Account as a friend, then tap Retry.",
            )
            .with_code("not_friend"),
            LiffBindError::PhoneRequired => AppError::Refused(Message::new(
                "請先驗證手機號碼：輸入手機號碼、傳送驗證碼，再填入簡訊中的驗證碼。",
                "Please verify your mobile number first: enter it, ask for a code, then type the code from the SMS.",
            ))
            .with_code("phone_required"),
            LiffBindError::PhoneNotRequired => AppError::Refused(Message::new(
                "這個綁定流程不需要驗證手機。",
                "This binding does not ask for a mobile number.",
            ))
            .with_code("phone_not_required"),
            // An unknown, expired or completed journey is the whole page's problem, not the
            // phone step's.
            LiffBindError::Phone(err @ (PhoneStepError::Journey(_) | PhoneStepError::JourneyCompleted)) => {
                err.into()
            }
            LiffBindError::Phone(err) => AppError::from(err).with_code("phone_code"),
            LiffBindError::LineUnavailable(err) => {
                tracing::warn!(error = %err, "LINE unavailable during LIFF binding");
                AppError::unavailable(
                    "目前無法連線到 LINE，請稍後按「重試」。",
                    "LINE cannot be reached right now; please tap Retry in a moment.",
                )
            }
            LiffBindError::Bind(err) => err.into(),
        }
    }
}

impl From<crate::domain::access::AccessDenied> for AppError {
    /// HQ-only actions answer 403; another store's objects answer 404, as if they did not exist.
    fn from(denied: crate::domain::access::AccessDenied) -> Self {
        match denied {
            crate::domain::access::AccessDenied::HqOnly => AppError::Refused(Message::new(
                "只有總公司帳號可以進行這個操作。",
                "Only headquarters staff may do this.",
            )),
            crate::domain::access::AccessDenied::OtherStore => {
                AppError::not_found("找不到這個項目。", "This item does not exist.")
            }
        }
    }
}

/// The sales report: another store's sales are refused outright (the report exists; it is not
/// theirs), so a store account learns nothing of other stores.
impl From<crate::services::sales_report::SalesReportError> for AppError {
    fn from(err: crate::services::sales_report::SalesReportError) -> Self {
        use crate::services::sales_report::SalesReportError;
        match err {
            SalesReportError::OtherStore => AppError::Refused(Message::new(
                "門市人員只能查看自己門市的業績。",
                "Store staff can see their own store's sales only.",
            ))
            .with_code("other_store"),
            SalesReportError::Database(db) => db.into(),
        }
    }
}

impl From<crate::domain::sales_report::PeriodError> for AppError {
    fn from(err: crate::domain::sales_report::PeriodError) -> Self {
        AppError::bad_request(err.message_zh(), format!("Period: {err}."))
    }
}

/// A phone number the shopper typed that is not a Taiwan mobile: 400 with an example of a valid one.
impl From<crate::domain::phone::PhoneError> for AppError {
    fn from(err: crate::domain::phone::PhoneError) -> Self {
        AppError::bad_request(err.message_zh(), err.message_en())
    }
}

/// Refusals of the SMS code steps: each says what to do and, for limits, when to try again.
impl From<crate::services::otp::OtpError> for AppError {
    fn from(err: crate::services::otp::OtpError) -> Self {
        use crate::services::otp::OtpError;
        let too_many =
            |retry_after: std::time::Duration, zh: String, en: String| AppError::TooManyRequests {
                message: Message::new(zh, en),
                retry_after_secs: retry_after.as_secs().max(1),
            };
        match err {
            // The admin-facing reason is logged by the service; the shopper is sent to the staff.
            OtpError::SmsTemplateDisabled => AppError::unavailable(
                "簡訊驗證暫停服務，請洽門市人員。",
                "SMS verification is paused; please ask the store staff.",
            ),
            OtpError::ResendTooSoon { retry_after } => too_many(
                retry_after,
                format!("請於 {}後再重新傳送驗證碼。", wait_zh(retry_after)),
                format!(
                    "Please wait {} before asking for a new code.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::TooManyCodes { retry_after, .. } => too_many(
                retry_after,
                format!(
                    "驗證碼傳送次數已達上限，請於 {}後再試。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Too many codes were requested; please try again in {}.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::DailyBudgetReached { retry_after } => too_many(
                retry_after,
                format!(
                    "今日簡訊驗證已達發送上限，請於 {}後再試，或洽門市人員。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Today's SMS limit has been reached; please try again in {} or ask the store staff.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::JourneyCodesUsedUp => too_many(
                std::time::Duration::ZERO,
                "這次的綁定流程已傳送太多次驗證碼，請重新掃描門市的 QR Code 再試一次。".to_owned(),
                "This binding link has sent too many codes; please scan the store's QR code again."
                    .to_owned(),
            ),
            OtpError::SmsNotSent(_) => AppError::unavailable(
                "簡訊暫時無法送出，請稍後再試。",
                "The SMS could not be sent right now; please try again shortly.",
            ),
            OtpError::MalformedCode => AppError::bad_request(
                "請輸入簡訊中的 6 位數字驗證碼。",
                "Enter the 6-digit code from the SMS.",
            ),
            OtpError::NoCode => AppError::bad_request(
                "請先傳送驗證碼到您的手機。",
                "Please ask for a code to be sent to your phone first.",
            ),
            OtpError::Expired => AppError::Gone(Message::new(
                "驗證碼已過期，請重新傳送驗證碼。",
                "The code has expired; please ask for a new one.",
            )),
            OtpError::WrongCode { tries_left } => AppError::bad_request(
                format!("驗證碼不正確，還可以再試 {tries_left} 次。"),
                format!("Wrong code; {tries_left} tries left."),
            ),
            OtpError::TooManyTries { retry_after } if retry_after.is_zero() => too_many(
                retry_after,
                "錯誤次數過多，請重新傳送驗證碼。".to_owned(),
                "Too many wrong tries; please ask for a new code.".to_owned(),
            ),
            OtpError::TooManyTries { retry_after } => too_many(
                retry_after,
                format!(
                    "錯誤次數過多，請於 {}後重新傳送驗證碼。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Too many wrong tries; please ask for a new code in {}.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::AlreadyUsed => AppError::conflict(
                "這組驗證碼已使用過，請重新傳送驗證碼。",
                "This code was already used; please ask for a new one.",
            ),
            OtpError::SentForAnotherJourney => AppError::bad_request(
                "這個驗證碼是在另一個頁面要求的：請回到那個頁面輸入，或在此頁重新傳送驗證碼。",
                "This code was asked for on another page: type it there, or tap Resend here.",
            ),
            OtpError::Database(err) => err.into(),
        }
    }
}

impl From<crate::services::phone_step::PhoneStepError> for AppError {
    fn from(err: crate::services::phone_step::PhoneStepError) -> Self {
        use crate::services::phone_step::PhoneStepError;
        match err {
            PhoneStepError::Journey(err) => err.into(),
            PhoneStepError::LineRoute => AppError::conflict(
                "這次掃描要在 LINE 裡完成綁定，不需要簡訊驗證：請用手機相機重新掃描門市的 QR code，並在 LINE 中開啟。",
                "This scan binds through LINE and needs no SMS code: scan the store's QR code again with the phone's camera and open it in LINE.",
            ),
            PhoneStepError::JourneyCompleted => journey_completed(),
            PhoneStepError::Otp(err) => err.into(),
            PhoneStepError::Database(err) => err.into(),
        }
    }
}

impl From<crate::services::route_b::RouteBError> for AppError {
    fn from(err: crate::services::route_b::RouteBError) -> Self {
        use crate::services::route_b::RouteBError;
        match err {
            RouteBError::Phone(err) => err.into(),
            RouteBError::Bind(err) => err.into(),
        }
    }
}

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

/// "45 秒", "3 分鐘", "5 小時": a wait, rounded up, in the unit a person reads best.
fn wait_zh(wait: std::time::Duration) -> String {
    match wait.as_secs().max(1) {
        secs @ ..=90 => format!("{secs} 秒"),
        secs @ ..=7200 => format!("{} 分鐘", secs.div_ceil(60)),
        secs => format!("{} 小時", secs.div_ceil(3600)),
    }
}

fn wait_en(wait: std::time::Duration) -> String {
    match wait.as_secs().max(1) {
        1 => "1 second".to_owned(),
        secs @ ..=90 => format!("{secs} seconds"),
        secs @ ..=7200 => format!("{} minutes", secs.div_ceil(60)),
        secs => format!("{} hours", secs.div_ceil(3600)),
    }
}

/// Kept in the response so [`html_for_browsers`] can render the same message as a page.
#[derive(Debug, Clone)]
struct RenderedError {
    message: Message,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Refused(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Coded { inner, .. } => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(err) = self {
            tracing::error!(error = ?err, "unexpected error");
        }
        let message = self.message();
        let mut response = HttpResponse::build(self.status_code());
        if let Some(retry_after_secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        let mut response = response.json(serde_json::json!({
            "error": self.code(),
            "message": message.zh,
            "message_en": message.en,
        }));
        response.extensions_mut().insert(RenderedError { message });
        response
    }
}

/// Paths whose clients are programs: they keep the JSON error body.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/line/")
        || path.starts_with("/webhooks/")
        || path == "/healthz"
        // The LINE emulator's stand-in for LINE's API answers JSON like LINE (demo mode only).
        || path.starts_with("/emulator/api/")
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: Message,
    demo: bool,
}

/// Middleware body: re-renders error responses as HTML pages for people (see the module docs).
pub async fn html_for_browsers<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error> {
    let json_client = wants_json(req.path());
    let demo = req
        .app_data::<actix_web::web::Data<crate::startup::AppState>>()
        .is_some_and(|state| state.settings.demo);
    let res = next.call(req).await?;
    let status = res.status();
    if json_client || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    let rendered = res.response().extensions().get::<RenderedError>().cloned();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if rendered.is_none() && is_html {
        // A page of ours that answers 4xx on purpose (a form shown again with its error).
        return Ok(res.map_into_left_body());
    }
    let message = match rendered {
        Some(rendered) => rendered.message,
        None => generic_message(status),
    };
    let page = ErrorPage {
        status: status.as_u16(),
        message,
        demo,
    };
    let Ok(html) = page.render() else {
        return Ok(res.map_into_left_body());
    };
    let (req, mut old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = old.headers_mut().remove(&name).next() {
            new.insert_header((name, value));
        }
    }
    new.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let new = new.content_type("text/html; charset=utf-8").body(html);
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

/// For errors raised outside our code (actix's own extractors, unknown methods).
fn generic_message(status: StatusCode) -> Message {
    match status {
        StatusCode::NOT_FOUND => Message::new("找不到這個頁面。", "This page does not exist."),
        StatusCode::METHOD_NOT_ALLOWED => {
            Message::new("不支援這個操作。", "This action is not supported here.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            Message::new("送出的資料太大。", "The request body is too large.")
        }
        s if s.is_server_error() => Message::new(
            "系統發生錯誤，請稍後再試。",
            "Something went wrong on our side. Please try again later.",
        ),
        _ => Message::new(
            "無法處理這個請求，請檢查輸入的內容。",
            "The request could not be processed; please check what was entered.",
        ),
    }
}

/// Unique-constraint violations are how the database tells us "already exists".
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_errors_hide_their_cause() {
        let err = AppError::Unexpected(anyhow::anyhow!("password=hunter2 leaked"));
        let message = err.message();
        assert!(!message.zh.contains("hunter2"));
        assert!(!message.en.contains("hunter2"));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn otp_refusals_say_when_to_try_again() {
        use crate::services::otp::OtpError;
        use std::time::Duration;
        let err = AppError::from(OtpError::ResendTooSoon {
            retry_after: Duration::from_secs(45),
        });
        assert_eq!(err.status_code(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            err.message().zh.contains("請於 45 秒後再重新傳送"),
            "{:?}",
            err.message()
        );
        let err = AppError::from(OtpError::DailyBudgetReached {
            retry_after: Duration::from_secs(5 * 3600 + 1),
        });
        assert!(err.message().zh.contains("6 小時"), "{:?}", err.message());
        let err = AppError::from(OtpError::TooManyCodes {
            limit: crate::services::otp::CodeLimit::PhonePerHour,
            retry_after: Duration::from_secs(601),
        });
        assert!(err.message().zh.contains("11 分鐘"), "{:?}", err.message());
        let err = AppError::from(OtpError::SmsTemplateDisabled);
        assert_eq!(err.message().zh, "簡訊驗證暫停服務，請洽門市人員。");
    }

    #[test]
    fn api_and_webhook_paths_keep_json() {
        assert!(wants_json("/api/v1/stores"));
        assert!(wants_json("/line/webhook"));
        assert!(wants_json("/webhooks/orders/shopify"));
        assert!(!wants_json("/admin/stores"));
        assert!(!wants_json("/apiary"));
    }
}
