//! Orders as they come in (the API, signed web-shop webhooks, the POS import, a clerk's entry),
//! parsed into one shape, and the rules of their status: paid, cancelled, refunded.
//!
//! Refunds and cancellations never change a sale's amount; each is booked as a negative row of its
//! own on the day it happened ([`SaleState::apply`] says how much to book). An order's state can
//! only move forward: a delivery that states less refunded than is already booked (an older
//! webhook arriving late) changes nothing, so redeliveries in any order end in the same books.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::amount::Ntd;
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

/// A LINE user id as LINE writes it: `U` and 32 hex digits.
pub fn parse_line_user_id(text: &str) -> Option<String> {
    let text = text.trim();
    let valid = text.len() == 33
        && text.starts_with('U')
        && text[1..].bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| text.to_owned())
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
    pub line_user_id: Option<String>,
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
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn ntd(amount: i64) -> Ntd {
        Ntd::new(amount).unwrap()
    }

    #[test]
    fn sources_are_slugs_and_in_store_is_reserved() {
        assert_eq!(
            OrderSource::parse(" Cyberbiz ").unwrap().as_str(),
            "cyberbiz"
        );
        assert_eq!(
            OrderSource::parse("pos-2"),
            Ok(OrderSource("pos-2".to_owned()))
        );
        assert_eq!(OrderSource::parse(""), Err(OrderFieldError::Source));
        assert_eq!(OrderSource::parse("web shop"), Err(OrderFieldError::Source));
        assert_eq!(
            OrderSource::parse(&"a".repeat(33)),
            Err(OrderFieldError::Source)
        );
        assert_eq!(
            OrderSource::parse("in_store"),
            Err(OrderFieldError::ReservedSource)
        );
        assert!(OrderSource::any("in_store").is_ok());
    }

    #[test]
    fn external_ids_are_printable_and_bounded() {
        assert_eq!(ExternalId::parse(" #1001 ").unwrap().as_str(), "#1001");
        assert!(ExternalId::parse("").is_err());
        assert!(ExternalId::parse("a\nb").is_err());
        assert!(ExternalId::parse(&"x".repeat(101)).is_err());
        assert_eq!(
            refund_external_id("A1", &RefundKey::Numbered("9".into())),
            "A1#refund-9"
        );
        assert_eq!(
            refund_external_id("A1", &RefundKey::RefundedTo(500)),
            "A1#refunded-500"
        );
        assert_eq!(
            refund_external_id("A1", &RefundKey::Cancellation),
            "A1#cancel"
        );
    }

    #[test]
    fn line_user_ids_are_u_and_32_hex_digits() {
        let id = "U4af4980629a0c8d3e5f7d6e1b2c3d4e5";
        assert_eq!(parse_line_user_id(id).as_deref(), Some(id));
        assert_eq!(parse_line_user_id("U123"), None);
        assert_eq!(
            parse_line_user_id("X4af4980629a0c8d3e5f7d6e1b2c3d4e5"),
            None
        );
    }

    #[test]
    fn idempotency_keys_and_void_reasons_are_checked() {
        assert!(parse_idempotency_key("2f1c9a7e-0b4d-4c1e-9f6a-1b2c3d4e5f60").is_some());
        assert!(parse_idempotency_key("short").is_none());
        assert!(parse_idempotency_key("has space in it").is_none());
        assert!(parse_idempotency_key(&"k".repeat(65)).is_none());
        assert_eq!(parse_void_reason(" 打錯金額 ").as_deref(), Some("打錯金額"));
        assert_eq!(parse_void_reason("  "), None);
        assert_eq!(parse_void_reason(&"字".repeat(201)), None);
    }

    #[test]
    fn stated_statuses_check_their_refunded_amount() {
        let amount = ntd(1000);
        assert_eq!(
            StatedStatus::parse(None, None, amount),
            Ok(StatedStatus::Paid)
        );
        assert_eq!(
            StatedStatus::parse(Some("refunded"), None, amount),
            Ok(StatedStatus::Refunded { total: 1000 })
        );
        assert_eq!(
            StatedStatus::parse(Some("已退款"), Some(300), amount),
            Ok(StatedStatus::Refunded { total: 300 })
        );
        assert_eq!(
            StatedStatus::parse(Some("canceled"), None, amount),
            Ok(StatedStatus::Cancelled)
        );
        assert_eq!(
            StatedStatus::parse(Some("paid"), Some(10), amount),
            Err(OrderFieldError::RefundWithoutStatus)
        );
        assert_eq!(
            StatedStatus::parse(Some("refunded"), Some(1001), amount),
            Err(OrderFieldError::RefundTooLarge)
        );
        assert_eq!(
            StatedStatus::parse(Some("cancelled"), Some(10), amount),
            Err(OrderFieldError::PartialCancel)
        );
        assert_eq!(
            StatedStatus::parse(Some("shipped"), None, amount),
            Err(OrderFieldError::Status)
        );
    }

    const PAID: SaleState = SaleState {
        amount: 1000,
        refunded: 0,
        status: OrderStatus::Paid,
    };

    #[test]
    fn refunds_book_the_difference_and_never_move_back() {
        let (book, state) = PAID.apply(Adjustment::RefundedTo(300));
        assert_eq!(
            (book, state.refunded, state.status),
            (300, 300, OrderStatus::Refunded)
        );
        let (book, state) = state.apply(Adjustment::RefundedTo(500));
        assert_eq!((book, state.refunded), (200, 500));
        // A late, older delivery books nothing.
        let (book, same) = state.apply(Adjustment::RefundedTo(300));
        assert_eq!((book, same), (0, state));
        // A numbered refund beyond what is left is capped.
        let (book, state) = state.apply(Adjustment::Refund(900));
        assert_eq!((book, state.refunded), (500, 1000));
    }

    #[test]
    fn a_cancellation_refunds_what_is_left_and_ends_the_order() {
        let (_, partly) = PAID.apply(Adjustment::Refund(100));
        let (book, cancelled) = partly.apply(Adjustment::Cancel);
        assert_eq!(
            (book, cancelled.refunded, cancelled.status),
            (900, 1000, OrderStatus::Cancelled)
        );
        assert_eq!(cancelled.apply(Adjustment::Refund(10)), (0, cancelled));
        assert_eq!(cancelled.apply(Adjustment::Cancel), (0, cancelled));
    }

    #[test]
    fn order_times_are_read_as_rfc3339_or_taiwan_time() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 28, 6, 3, 0).unwrap();
        for text in [
            "2026-11-28T14:03:00+08:00",
            "2026-11-28T06:03:00Z",
            "2026-11-28 14:03:00",
            "2026-11-28 14:03",
            "2026/11/28 14:03",
            "2026-11-28T14:03",
        ] {
            assert_eq!(parse_ordered_at(text), Ok(expected), "{text}");
        }
        assert_eq!(
            parse_ordered_at("2026-11-28"),
            Ok(Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap())
        );
        assert_eq!(
            parse_ordered_at("yesterday"),
            Err(OrderFieldError::OrderedAt)
        );
        assert_eq!(
            parse_ordered_at("2026-13-01 10:00"),
            Err(OrderFieldError::OrderedAt)
        );
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        assert!(check_not_future(now + chrono::Duration::hours(2), now).is_ok());
        assert_eq!(
            check_not_future(now + chrono::Duration::days(2), now),
            Err(OrderFieldError::OrderedInFuture)
        );
    }

    #[test]
    fn orders_are_booked_on_their_taiwan_day() {
        // 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Taipei.
        let late = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(booked_day_and_month(late), (20261201, 202612));
        let early = Utc.with_ymd_and_hms(2026, 11, 30, 15, 59, 59).unwrap();
        assert_eq!(booked_day_and_month(early), (20261130, 202611));
    }

    #[test]
    fn receipts_and_notes_are_trimmed_and_bounded() {
        assert_eq!(
            parse_receipt_no(Some(" AB-12345678 ")),
            Ok(Some("AB-12345678".into()))
        );
        assert_eq!(parse_receipt_no(Some("  ")), Ok(None));
        assert_eq!(
            parse_receipt_no(Some("a\nb")),
            Err(OrderFieldError::ReceiptNo)
        );
        assert_eq!(
            parse_note(Some("兩件\n一件換貨")),
            Ok(Some("兩件\n一件換貨".into()))
        );
        assert_eq!(
            parse_note(Some(&"字".repeat(501))),
            Err(OrderFieldError::Note)
        );
    }

    fn adjustment() -> impl Strategy<Value = Adjustment> {
        prop_oneof![
            (0i64..1500).prop_map(Adjustment::Refund),
            (0i64..1500).prop_map(Adjustment::RefundedTo),
            Just(Adjustment::Cancel),
        ]
    }

    proptest! {
        #[test]
        fn no_sequence_of_adjustments_refunds_more_than_the_sale(
            amount in 1i64..1000,
            adjustments in proptest::collection::vec(adjustment(), 0..8),
        ) {
            let mut state = SaleState { amount, refunded: 0, status: OrderStatus::Paid };
            let mut booked = 0;
            for adjustment in adjustments {
                let before = state;
                let (book, after) = state.apply(adjustment);
                prop_assert!(book >= 0);
                prop_assert!(after.refunded >= before.refunded, "never moves back");
                prop_assert_eq!(after.refunded, before.refunded + book);
                booked += book;
                state = after;
            }
            prop_assert!(state.refunded <= amount);
            prop_assert_eq!(booked, state.refunded);
        }

        #[test]
        fn applying_the_same_state_twice_books_it_once(amount in 1i64..1000, total in 0i64..1000) {
            let state = SaleState { amount, refunded: 0, status: OrderStatus::Paid };
            let (_, once) = state.apply(Adjustment::RefundedTo(total));
            let (again, twice) = once.apply(Adjustment::RefundedTo(total));
            prop_assert_eq!(again, 0);
            prop_assert_eq!(once, twice);
        }
    }
}
