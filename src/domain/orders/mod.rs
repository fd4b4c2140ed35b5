//! Orders as they come in (the API, signed web-shop webhooks, the POS import, a clerk's entry),
//! parsed into one shape, and the rules of their status: paid, cancelled, refunded.
//!
//! Refunds and cancellations never change a sale's amount; each is booked as a negative row of its
//! own on the day it happened ([`SaleState::apply`] says how much to book). An order's state can
//! only move forward: a delivery that states less refunded than is already booked (an older
//! webhook arriving late) changes nothing, so redeliveries in any order end in the same books.

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::amount::Ntd;
use super::line_user::LineUserId;
use super::phone::TaiwanMobile;
use super::stores::StoreCode;
use super::taipei_time;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// The source of in-store purchases a clerk records; reserved, so no API caller can write into it.
pub const IN_STORE_SOURCE: &str = "in_store";
/// The POS import's source.
pub const POS_SOURCE: &str = "pos";
const MAX_SOURCE_CHARS: usize = 32;
const MAX_EXTERNAL_ID_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_RECEIPT_CHARS: usize = 40;

/// Why an order's fields were refused; each says which field and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderFieldError {
    #[error("source: 1 to 32 characters of a-z, 0-9, '-' or '_'")]
    Source,
    #[error("source \"in_store\" is reserved for purchases recorded by clerks")]
    ReservedSource,
    #[error("external_id: 1 to 100 printable characters")]
    ExternalId,
    #[error("status must be paid, cancelled or refunded")]
    Status,
    #[error("refunded_amount is only allowed with status \"refunded\" or \"cancelled\"")]
    RefundWithoutStatus,
    #[error("refunded_amount is larger than the order's amount")]
    RefundTooLarge,
    #[error("a cancelled order is refunded in full; refunded_amount must equal the amount")]
    PartialCancel,
    #[error(
        "ordered_at: use RFC 3339 (2026-11-28T14:03:00+08:00) or a Taiwan time (2026-11-28 14:03)"
    )]
    OrderedAt,
    #[error("ordered_at is more than a day in the future")]
    OrderedInFuture,
    #[error("receipt_no: at most 40 characters, no line breaks")]
    ReceiptNo,
    #[error("note: at most 500 characters")]
    Note,
}

impl OrderFieldError {
    pub fn message_zh(&self) -> &'static str {
        match self {
            OrderFieldError::Source => "source（訂單來源）須為 1–32 個英文小寫字母、數字、- 或 _。",
            OrderFieldError::ReservedSource => "source「in_store」保留給門市人員登錄的門市消費。",
            OrderFieldError::ExternalId => "external_id（訂單編號）須為 1–100 個可見字元。",
            OrderFieldError::Status => "status（訂單狀態）須為 paid、cancelled 或 refunded。",
            OrderFieldError::RefundWithoutStatus => {
                "只有狀態為 refunded 或 cancelled 的訂單可以有退款金額。"
            }
            OrderFieldError::RefundTooLarge => "退款金額不可大於訂單金額。",
            OrderFieldError::PartialCancel => "取消的訂單視為全額退款，退款金額須等於訂單金額。",
            OrderFieldError::OrderedAt => {
                "ordered_at（訂購時間）格式不正確，請用 2026-11-28T14:03:00+08:00 或台灣時間 2026-11-28 14:03。"
            }
            OrderFieldError::OrderedInFuture => "訂購時間不可晚於現在超過一天。",
            OrderFieldError::ReceiptNo => "收據／發票號碼最多 40 個字，且不可換行。",
            OrderFieldError::Note => "備註最多 500 個字。",
        }
    }
}

/// Where an order comes from (`cyberbiz`, `shopify`, `pos`): with the external id, its identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderSource(String);

impl OrderSource {
    /// A source an API caller or a signed webhook names; `in_store` is refused.
    pub fn parse(text: &str) -> Result<Self, OrderFieldError> {
        let source = Self::any(text)?;
        if source.0 == IN_STORE_SOURCE {
            return Err(OrderFieldError::ReservedSource);
        }
        Ok(source)
    }

    /// Any valid source, the reserved ones included (for the server's own use).
    pub fn any(text: &str) -> Result<Self, OrderFieldError> {
        let text = text.trim().to_ascii_lowercase();
        let valid = (1..=MAX_SOURCE_CHARS).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(text))
        } else {
            Err(OrderFieldError::Source)
        }
    }

    pub fn in_store() -> Self {
        Self(IN_STORE_SOURCE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The order's id at its source: trimmed, 1–100 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(text: &str) -> Result<Self, OrderFieldError> {
        let text = text.trim();
        let valid = !text.is_empty()
            && text.chars().count() <= MAX_EXTERNAL_ID_CHARS
            && !text.chars().any(char::is_control);
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(OrderFieldError::ExternalId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key a clerk's purchase form carries (minted when the form is shown, or by the client), so a
/// double submit is one purchase: 8 to 64 characters of A-Z, a-z, 0-9, `-` or `_`.
pub fn parse_idempotency_key(text: &str) -> Option<ExternalId> {
    let text = text.trim();
    let valid = (8..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| ExternalId(text.to_owned()))
}

/// Why a purchase is voided: 1 to 200 characters, no control characters.
pub fn parse_void_reason(text: &str) -> Option<String> {
    let text = text.trim();
    let valid =
        !text.is_empty() && text.chars().count() <= 200 && !text.chars().any(char::is_control);
    valid.then(|| text.to_owned())
}

/// The external id of a refund row of the order `order_external_id`: `#refund-{id}` for a refund
/// the source numbered, `#refunded-{total}` for a state ("refunded NT$500 so far"), `#cancel` for a
/// cancellation. Two deliveries of the same refund produce the same id, so the unique index keeps
/// one row.
pub fn refund_external_id(order_external_id: &str, key: &RefundKey) -> String {
    match key {
        RefundKey::Numbered(id) => format!("{order_external_id}#refund-{id}"),
        RefundKey::RefundedTo(total) => format!("{order_external_id}#refunded-{total}"),
        RefundKey::Cancellation => format!("{order_external_id}#cancel"),
    }
}

/// What tells one refund of an order from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundKey {
    /// The source's own refund id (Shopify, WooCommerce).
    Numbered(String),
    /// "Refunded this much in total", as the API and the POS state it.
    RefundedTo(i64),
    Cancellation,
}

/// Who bought, as the order names them: tried in the order member id, LINE user id, phone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerRef {
    pub member_id: Option<i32>,
    pub line_user_id: Option<LineUserId>,
    pub phone: Option<TaiwanMobile>,
}

impl CustomerRef {
    pub fn is_empty(&self) -> bool {
        self.member_id.is_none() && self.line_user_id.is_none() && self.phone.is_none()
    }
}

/// The status an order states, with what it implies for refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatedStatus {
    Paid,
    Cancelled,
    /// Refunded, this much in total so far (the whole amount unless stated).
    Refunded {
        total: i64,
    },
}

impl StatedStatus {
    /// From the API's or the POS file's `status` and optional `refunded_amount`.
    pub fn parse(
        status: Option<&str>,
        refunded_amount: Option<i64>,
        amount: Ntd,
    ) -> Result<Self, OrderFieldError> {
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => OrderStatus::Paid,
            Some(text) => parse_status(text).ok_or(OrderFieldError::Status)?,
        };
        if refunded_amount.is_some_and(|r| r > amount.get()) {
            return Err(OrderFieldError::RefundTooLarge);
        }
        match (status, refunded_amount) {
            (OrderStatus::Paid, None | Some(0)) => Ok(StatedStatus::Paid),
            (OrderStatus::Paid, Some(_)) => Err(OrderFieldError::RefundWithoutStatus),
            (OrderStatus::Cancelled, None) => Ok(StatedStatus::Cancelled),
            (OrderStatus::Cancelled, Some(r)) if r == amount.get() => Ok(StatedStatus::Cancelled),
            (OrderStatus::Cancelled, Some(_)) => Err(OrderFieldError::PartialCancel),
            (OrderStatus::Refunded, None) => Ok(StatedStatus::Refunded {
                total: amount.get(),
            }),
            (OrderStatus::Refunded, Some(r)) if r > 0 => Ok(StatedStatus::Refunded { total: r }),
            (OrderStatus::Refunded, Some(_)) => Err(OrderFieldError::RefundTooLarge),
        }
    }
}

/// `paid`, `cancelled` (or `canceled`), `refunded`, and the zh-TW words a POS export may use.
pub fn parse_status(text: &str) -> Option<OrderStatus> {
    match text.trim().to_ascii_lowercase().as_str() {
        "paid" | "已付款" | "已付" | "完成" | "已完成" => Some(OrderStatus::Paid),
        "cancelled" | "canceled" | "已取消" | "取消" => Some(OrderStatus::Cancelled),
        "refunded" | "已退款" | "退款" => Some(OrderStatus::Refunded),
        _ => None,
    }
}

/// A refund the source numbered (a Shopify or WooCommerce refund object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInput {
    pub refund_id: String,
    pub amount: Ntd,
    pub refunded_at: DateTime<Utc>,
}

/// The store an in-store purchase was made in: by code (the API, the POS file) or by id (a clerk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStore {
    Code(StoreCode),
    Id(i32),
}

/// One order as it comes in, whatever the way in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInput {
    pub source: OrderSource,
    pub external_id: ExternalId,
    pub channel: SalesChannel,
    pub amount: Ntd,
    pub ordered_at: DateTime<Utc>,
    pub customer: CustomerRef,
    pub status: StatedStatus,
    /// Refunds the source numbered, each booked once.
    pub refunds: Vec<RefundInput>,
    /// In-store: the store where it was bought.
    pub entry_store: Option<EntryStore>,
    pub receipt_no: Option<String>,
    pub note: Option<String>,
}

/// A sale as booked: its amount, how much of it is refunded, its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleState {
    pub amount: i64,
    pub refunded: i64,
    pub status: OrderStatus,
}

/// A change to a sale's refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// A refund of this much (capped at what is left).
    Refund(i64),
    /// Refunded this much in total by now (books the difference, if any).
    RefundedTo(i64),
    /// Cancelled: whatever is not refunded yet is.
    Cancel,
}

impl SaleState {
    /// The refund to book (0: nothing) and the state after it. Never refunds more than the sale;
    /// never moves back (a stale state books nothing); a cancelled sale takes no more refunds.
    pub fn apply(self, adjustment: Adjustment) -> (i64, SaleState) {
        if self.status == OrderStatus::Cancelled {
            return (0, self);
        }
        let left = self.amount - self.refunded;
        let (book, cancel) = match adjustment {
            Adjustment::Refund(amount) => (amount.clamp(0, left), false),
            Adjustment::RefundedTo(total) => {
                ((total.min(self.amount) - self.refunded).max(0), false)
            }
            Adjustment::Cancel => (left, true),
        };
        let refunded = self.refunded + book;
        let status = if cancel {
            OrderStatus::Cancelled
        } else if refunded > 0 {
            OrderStatus::Refunded
        } else {
            self.status
        };
        (
            book,
            SaleState {
                amount: self.amount,
                refunded,
                status,
            },
        )
    }
}

impl StatedStatus {
    /// The adjustment this stated status asks of the books, under the key that books it once.
    pub fn adjustment(self) -> Option<(RefundKey, Adjustment)> {
        match self {
            StatedStatus::Paid => None,
            StatedStatus::Cancelled => Some((RefundKey::Cancellation, Adjustment::Cancel)),
            StatedStatus::Refunded { total } => {
                Some((RefundKey::RefundedTo(total), Adjustment::RefundedTo(total)))
            }
        }
    }
}

/// An order time as an API, a POS file or a person writes it: RFC 3339 with an offset, or a
/// Taiwan local time `2026-11-28 14:03[:00]` (also with `/` or `T`).
pub fn parse_ordered_at(text: &str) -> Result<DateTime<Utc>, OrderFieldError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let normalised = text.replace('/', "-").replace('T', " ");
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(&normalised, format) {
            return taipei_time::from_local(local).ok_or(OrderFieldError::OrderedAt);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(&normalised, "%Y-%m-%d") {
        return Ok(taipei_time::start_of_day(day));
    }
    Err(OrderFieldError::OrderedAt)
}

/// Refuses order times more than a day ahead of `now` (a clock or typing mistake that would put a
/// sale into a future report); slightly ahead is a clock difference between machines.
pub fn check_not_future(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), OrderFieldError> {
    if at > now + chrono::Duration::days(1) {
        Err(OrderFieldError::OrderedInFuture)
    } else {
        Ok(())
    }
}

/// An optional receipt or invoice number: trimmed, empty is none.
pub fn parse_receipt_no(text: Option<&str>) -> Result<Option<String>, OrderFieldError> {
    optional_text(text, MAX_RECEIPT_CHARS, OrderFieldError::ReceiptNo, false)
}

/// An optional note: trimmed, empty is none, line breaks allowed.
pub fn parse_note(text: Option<&str>) -> Result<Option<String>, OrderFieldError> {
    optional_text(text, MAX_NOTE_CHARS, OrderFieldError::Note, true)
}

fn optional_text(
    text: Option<&str>,
    max: usize,
    error: OrderFieldError,
    line_breaks: bool,
) -> Result<Option<String>, OrderFieldError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad_char = |c: char| c.is_control() && !(line_breaks && (c == '\n' || c == '\r'));
    if text.chars().count() > max || text.chars().any(bad_char) {
        return Err(error);
    }
    Ok(Some(text.to_owned()))
}

/// `20261128` and `202611`: the Taiwan day and month an instant is booked on.
pub fn booked_day_and_month(at: DateTime<Utc>) -> (i32, i32) {
    use chrono::Datelike;
    let day = taipei_time::day_of(at);
    let month = day.year() * 100 + day.month() as i32;
    (month * 100 + day.day() as i32, month)
}

/// `orders.channel`, `sales_daily.channel`, `sales_buyers.channel`
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SalesChannel {
    /// The web shop (網路商店).
    #[sea_orm(string_value = "online")]
    Online,
    /// A purchase in a physical store (門市消費), recorded by a clerk or imported from the POS.
    #[sea_orm(string_value = "in_store")]
    InStore,
}

/// `orders.status` (of a sale; refund rows carry `refunded`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Refunded in part or in full (`refunded_amount` says how much).
    #[sea_orm(string_value = "refunded")]
    Refunded,
}
