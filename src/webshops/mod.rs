//! Web shops that send orders: the order JSON of the API and the generic webhook
//! ([`generic`]), Shopify ([`shopify`]) and WooCommerce ([`woocommerce`]). Each module says how
//! the shop signs its webhooks and turns its payload into the one shape orders are recorded in
//! ([`ShopEvent`]). Pure: bytes and headers in, an event or a refusal out; the transactions are in
//! `services::order_webhooks` and `services::orders`.

pub mod generic;
pub mod shopify;
pub mod woocommerce;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::amount::{AmountError, Ntd};
use crate::domain::line_user::LineUserId;
use crate::domain::orders::parse_ordered_at;
use crate::domain::orders::{CustomerRef, ExternalId, OrderFieldError, OrderInput, RefundInput};
use crate::domain::phone::TaiwanMobile;

/// What a delivery asks of the books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopEvent {
    /// Record the order (or, if it is there, book what changed: refunds, a cancellation).
    Order(Box<OrderInput>),
    /// Book a refund of an order already recorded.
    Refund {
        order_external_id: ExternalId,
        refund: RefundInput,
    },
    /// Cancel the order if it was recorded; an order never recorded (never paid) stays unrecorded.
    Cancel { order_external_id: ExternalId },
    /// Acknowledged, nothing to record: why (not paid yet, a test order, another topic, a ping).
    Ignored(&'static str),
}

/// Why a payload was refused (400): zh-TW and English, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct PayloadError {
    pub zh: String,
    pub en: String,
}

impl PayloadError {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn not_json(err: &serde_json::Error) -> Self {
        Self::new(
            format!("內容不是有效的 JSON：{err}"),
            format!("the body is not valid JSON: {err}"),
        )
    }

    fn missing(field: &str) -> Self {
        Self::new(
            format!("缺少欄位 {field}"),
            format!("the field {field} is missing"),
        )
    }

    fn amount(field: &str, err: AmountError) -> Self {
        Self::new(
            format!("{field}：{}", err.message_zh()),
            format!("{field}: {}", err.message_en()),
        )
    }

    fn currency(found: &str) -> Self {
        Self::new(
            format!("只接受新台幣（TWD）訂單，這筆訂單的幣別是 {found}"),
            format!("only orders in New Taiwan dollars (TWD) are accepted; this one is in {found}"),
        )
    }
}

impl From<OrderFieldError> for PayloadError {
    fn from(err: OrderFieldError) -> Self {
        Self::new(err.message_zh(), err.to_string())
    }
}

/// A JSON string or number as text (shops send ids as either).
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn external_id(value: Option<&Value>, field: &str) -> Result<ExternalId, PayloadError> {
    let text = value
        .and_then(text_of)
        .ok_or_else(|| PayloadError::missing(field))?;
    Ok(ExternalId::parse(&text)?)
}

/// An amount a shop sends as a decimal string or a number, rounded to whole dollars.
fn shop_amount(value: Option<&Value>, field: &str) -> Result<Ntd, PayloadError> {
    let text = value
        .and_then(text_of)
        .ok_or_else(|| PayloadError::missing(field))?;
    Ntd::from_shop_decimal(&text).map_err(|err| PayloadError::amount(field, err))
}

/// An RFC 3339 time (Shopify), or a naive one in UTC (WooCommerce's `_gmt` fields).
fn shop_time(value: Option<&Value>, utc_if_naive: bool) -> Option<DateTime<Utc>> {
    let text = value?.as_str()?;
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if utc_if_naive {
        return chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .map(|naive| naive.and_utc());
    }
    parse_ordered_at(text).ok()
}

/// The customer a shop payload names: explicit ids from its metadata, then the first phone that is
/// a Taiwan mobile (foreign or landline numbers cannot match a member and are passed over).
fn customer_of<'a>(
    metadata: impl Iterator<Item = (&'a str, &'a Value)>,
    phones: impl Iterator<Item = Option<&'a Value>>,
) -> CustomerRef {
    let mut customer = CustomerRef::default();
    for (key, value) in metadata {
        match key.trim() {
            "member_id" | "store_assistant_member_id" => {
                customer.member_id = customer.member_id.or_else(|| {
                    text_of(value)
                        .and_then(|t| t.trim().parse::<i32>().ok())
                        .filter(|id| *id > 0)
                });
            }
            "line_user_id" | "store_assistant_line_user_id" => {
                customer.line_user_id = customer
                    .line_user_id
                    .take()
                    .or_else(|| value.as_str().and_then(LineUserId::parse));
            }
            _ => {}
        }
    }
    customer.phone = phones
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|phone| TaiwanMobile::parse(phone).ok());
    customer
}

fn require_twd(currency: Option<&str>) -> Result<(), PayloadError> {
    match currency.map(str::trim) {
        None | Some("") => Ok(()),
        Some(code) if code.eq_ignore_ascii_case("TWD") => Ok(()),
        Some(other) => Err(PayloadError::currency(other)),
    }
}
