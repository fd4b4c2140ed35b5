//! The order JSON of `POST /api/v1/orders` and of the generic signed webhook, and the generic
//! webhook's signature.
//!
//! Signature rule (documented in the README for anyone who writes a sender):
//! `X-Store-Assistant-Timestamp: {unix seconds}` and
//! `X-Store-Assistant-Signature: sha256={hex(HMAC-SHA256(secret, "{timestamp}.{raw body}"))}`.
//! A timestamp more than 5 minutes away from the server's clock is refused as stale (401), so a
//! captured request is useless after 5 minutes; within them, a signature already received is
//! refused as a replay (409). A sender retrying an order signs it again with a fresh timestamp;
//! the order itself is idempotent on its source and external id.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::PayloadError;
use crate::domain::amount::{AmountError, Ntd};
use crate::domain::hmac::{self, HmacError};
use crate::domain::line_user::LineUserId;
use crate::domain::orders::SalesChannel;
use crate::domain::orders::{
    CustomerRef, EntryStore, OrderInput, OrderSource, StatedStatus, check_not_future, parse_note,
    parse_ordered_at, parse_receipt_no,
};
use crate::domain::phone::TaiwanMobile;
use crate::domain::stores::StoreCode;

pub const TIMESTAMP_HEADER: &str = "x-store-assistant-timestamp";
pub const SIGNATURE_HEADER: &str = "x-store-assistant-signature";
/// How far a signed timestamp may be from the server's clock, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;
const SCHEME: &str = "sha256=";

/// Why a generic webhook's signature was refused (all 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRefusal {
    #[error("the timestamp or signature header is missing")]
    Missing,
    #[error("the timestamp or signature header is malformed")]
    Malformed,
    #[error("the timestamp is more than 5 minutes from the server's clock")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a delivery; returns its signature (lower-case hex), which identifies it for replay checks.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&[u8]>,
    signature: Option<&[u8]>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<String, SignatureRefusal> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureRefusal::Missing);
    };
    let timestamp = timestamp.trim_ascii();
    let seconds: i64 = std::str::from_utf8(timestamp)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(SignatureRefusal::Malformed)?;
    let signature = signature.trim_ascii();
    let digest = signature
        .strip_prefix(SCHEME.as_bytes())
        .unwrap_or(signature);
    hmac::verify_hex(secret, &[timestamp, b".", body], Some(digest)).map_err(|err| match err {
        HmacError::Missing => SignatureRefusal::Missing,
        HmacError::Malformed => SignatureRefusal::Malformed,
        HmacError::Mismatch => SignatureRefusal::Mismatch,
    })?;
    // Checked after the signature, so an unsigned request learns nothing about the clock.
    if (now.timestamp() - seconds).abs() > REPLAY_WINDOW_SECS {
        return Err(SignatureRefusal::Stale);
    }
    Ok(String::from_utf8_lossy(digest).to_ascii_lowercase())
}

/// The signature header for `body` sent at `timestamp`: for senders' tests, the demo and the load
/// generator.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "{SCHEME}{}",
        hmac::sign_hex(secret, &[timestamp.to_string().as_bytes(), b".", body])
    )
}

/// One order as JSON (`docs/openapi.json`, `Order` input).
#[derive(Debug, Deserialize)]
pub struct OrderJson {
    pub source: Option<String>,
    pub external_id: Option<Value>,
    pub channel: Option<String>,
    pub amount: Option<Value>,
    pub ordered_at: Option<String>,
    pub status: Option<String>,
    pub refunded_amount: Option<Value>,
    pub member: Option<MemberJson>,
    pub store_code: Option<String>,
    pub receipt_no: Option<String>,
    pub note: Option<String>,
}

/// Who bought: any of these; tried in the order member id, LINE user id, phone.
#[derive(Debug, Default, Deserialize)]
pub struct MemberJson {
    pub member_id: Option<i64>,
    pub line_user_id: Option<String>,
    pub phone: Option<String>,
}

impl OrderJson {
    /// Reads a raw body (the generic webhook).
    pub fn from_bytes(body: &[u8]) -> Result<Self, PayloadError> {
        serde_json::from_slice(body).map_err(|err| PayloadError::not_json(&err))
    }

    /// Checks every field; the first problem is the answer.
    pub fn into_input(self, now: DateTime<Utc>) -> Result<OrderInput, PayloadError> {
        let source = OrderSource::parse(
            self.source
                .as_deref()
                .ok_or_else(|| PayloadError::missing("source"))?,
        )?;
        let external_id = super::external_id(self.external_id.as_ref(), "external_id")?;
        let channel = match self.channel.as_deref().map(str::trim) {
            None | Some("") | Some("online") => SalesChannel::Online,
            Some("in_store") => SalesChannel::InStore,
            Some(other) => {
                return Err(PayloadError::new(
                    format!("channel 須為 online 或 in_store，不是「{other}」"),
                    format!("channel must be online or in_store, not \"{other}\""),
                ));
            }
        };
        let amount = json_amount(
            self.amount
                .as_ref()
                .ok_or_else(|| PayloadError::missing("amount"))?,
        )
        .map_err(|err| PayloadError::amount("amount", err))?;
        let ordered_at = parse_ordered_at(
            self.ordered_at
                .as_deref()
                .ok_or_else(|| PayloadError::missing("ordered_at"))?,
        )?;
        check_not_future(ordered_at, now)?;
        let refunded_amount = match &self.refunded_amount {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                json_amount(value)
                    .map_err(|err| PayloadError::amount("refunded_amount", err))?
                    .get(),
            ),
        };
        let status = StatedStatus::parse(self.status.as_deref(), refunded_amount, amount)?;
        let member = self.member.unwrap_or_default();
        let customer = CustomerRef {
            member_id: match member.member_id {
                None => None,
                Some(id) => Some(i32::try_from(id).ok().filter(|id| *id > 0).ok_or_else(|| {
                    PayloadError::new(
                        "member.member_id 必須是正整數",
                        "member.member_id must be a positive whole number",
                    )
                })?),
            },
            line_user_id: given(&member.line_user_id)
                .map(|text| {
                    LineUserId::parse(text).ok_or_else(|| {
                        PayloadError::new(
                            "member.line_user_id 格式不正確（U 加 32 個十六進位字元）",
                            "member.line_user_id must be U followed by 32 hex digits",
                        )
                    })
                })
                .transpose()?,
            phone: given(&member.phone)
                .map(|text| {
                    TaiwanMobile::parse(text).map_err(|err| {
                        PayloadError::new(
                            format!("member.phone：{}", err.message_zh()),
                            format!("member.phone: {}", err.message_en()),
                        )
                    })
                })
                .transpose()?,
        };
        let entry_store = given(&self.store_code)
            .map(|code| {
                StoreCode::parse(code).map(EntryStore::Code).map_err(|_| {
                    PayloadError::new(
                        format!("store_code「{code}」不正確（2–20 個英文字母、數字、- 或 _）"),
                        format!(
                            "store_code \"{code}\" is invalid (2-20 letters, digits, '-' or '_')"
                        ),
                    )
                })
            })
            .transpose()?;
        Ok(OrderInput {
            source,
            external_id,
            channel,
            amount,
            ordered_at,
            customer,
            status,
            refunds: Vec::new(),
            entry_store,
            receipt_no: parse_receipt_no(self.receipt_no.as_deref())?,
            note: parse_note(self.note.as_deref())?,
        })
    }
}

/// A text field that says something: trimmed, empty is absent.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// An amount in JSON: a whole number, or a string as a person writes it (`"1,200"`, `"１２００"`).
fn json_amount(value: &Value) -> Result<Ntd, AmountError> {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(whole), _) => Ntd::new(whole),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Ntd::new(f as i64),
            (None, Some(f)) if f.abs() >= 1e15 => Err(AmountError::TooLarge),
            (None, Some(f)) if f < 0.0 => Err(AmountError::Negative),
            (None, Some(_)) => Err(AmountError::Fraction),
            // A u64 beyond i64: huge.
            (None, None) => Err(AmountError::TooLarge),
        },
        Value::String(text) => Ntd::parse(text),
        Value::Null => Err(AmountError::Empty),
        _ => Err(AmountError::NotANumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 6, 0, 0).unwrap()
    }

    #[test]
    fn a_signed_delivery_verifies_within_the_window_and_not_outside() {
        let body = br#"{"source":"web","external_id":"1"}"#;
        let ts = now().timestamp();
        let header = sign(b"secret", ts, body);
        assert!(header.starts_with("sha256="));
        let ok = verify(
            b"secret",
            Some(ts.to_string().as_bytes()),
            Some(header.as_bytes()),
            body,
            now(),
        );
        assert_eq!(ok, Ok(header["sha256=".len()..].to_owned()));
        // Without the scheme prefix, and in upper case, it is the same signature.
        let bare = header["sha256=".len()..].to_uppercase();
        assert!(
            verify(
                b"secret",
                Some(ts.to_string().as_bytes()),
                Some(bare.as_bytes()),
                body,
                now()
            )
            .is_ok()
        );
        let late = now() + chrono::Duration::seconds(REPLAY_WINDOW_SECS + 1);
        assert_eq!(
            verify(
                b"secret",
                Some(ts.to_string().as_bytes()),
                Some(header.as_bytes()),
                body,
                late
            ),
            Err(SignatureRefusal::Stale)
        );
        let early = now() - chrono::Duration::seconds(REPLAY_WINDOW_SECS + 1);
        assert_eq!(
            verify(
                b"secret",
                Some(ts.to_string().as_bytes()),
                Some(header.as_bytes()),
                body,
                early
            ),
            Err(SignatureRefusal::Stale)
        );
    }

    #[test]
    fn a_changed_body_timestamp_or_secret_is_a_mismatch() {
        let body = b"{}";
        let ts = now().timestamp();
        let header = sign(b"secret", ts, body);
        let ts_text = ts.to_string();
        assert_eq!(
            verify(
                b"secret",
                Some(ts_text.as_bytes()),
                Some(header.as_bytes()),
                b"{ }",
                now()
            ),
            Err(SignatureRefusal::Mismatch)
        );
        assert_eq!(
            verify(
                b"secret",
                Some((ts + 1).to_string().as_bytes()),
                Some(header.as_bytes()),
                body,
                now()
            ),
            Err(SignatureRefusal::Mismatch)
        );
        assert_eq!(
            verify(
                b"other",
                Some(ts_text.as_bytes()),
                Some(header.as_bytes()),
                body,
                now()
            ),
            Err(SignatureRefusal::Mismatch)
        );
        assert_eq!(
            verify(b"secret", None, Some(header.as_bytes()), body, now()),
            Err(SignatureRefusal::Missing)
        );
        assert_eq!(
            verify(
                b"secret",
                Some(b"yesterday"),
                Some(header.as_bytes()),
                body,
                now()
            ),
            Err(SignatureRefusal::Malformed)
        );
        assert_eq!(
            verify(
                b"secret",
                Some(ts_text.as_bytes()),
                Some(b"sha256=xyz"),
                body,
                now()
            ),
            Err(SignatureRefusal::Malformed)
        );
    }

    fn order(value: serde_json::Value) -> Result<OrderInput, PayloadError> {
        serde_json::from_value::<OrderJson>(value)
            .unwrap()
            .into_input(now())
    }

    #[test]
    fn an_order_reads_with_every_field() {
        let input = order(json!({
            "source": "cyberbiz",
            "external_id": 10042,
            "channel": "in_store",
            "amount": "１，２００",
            "ordered_at": "2026-12-01T10:00:00+08:00",
            "status": "refunded",
            "refunded_amount": 200,
            "member": {"phone": "0912-345-678", "member_id": 7},
            "store_code": "a01",
            "receipt_no": "AB-12345678",
            "note": "週年慶"
        }))
        .unwrap();
        assert_eq!(input.source.as_str(), "cyberbiz");
        assert_eq!(input.external_id.as_str(), "10042");
        assert_eq!(input.channel, SalesChannel::InStore);
        assert_eq!(input.amount.get(), 1200);
        assert_eq!(input.status, StatedStatus::Refunded { total: 200 });
        assert_eq!(input.customer.member_id, Some(7));
        assert_eq!(input.customer.phone.unwrap().e164(), "+886912345678");
        assert_eq!(
            input.entry_store,
            Some(EntryStore::Code(StoreCode::parse("A01").unwrap()))
        );
    }

    #[test]
    fn bad_amounts_in_json_are_refused_with_the_amount_rule() {
        for (amount, expected) in [
            (json!(0), "cannot be 0"),
            (json!(-5), "negative"),
            (json!(12.5), "whole number"),
            (json!(1e20), "too large"),
            (json!(18446744073709551615u64), "too large"),
            (json!("abc"), "must be a number"),
            (json!(true), "must be a number"),
        ] {
            let err = order(json!({"source": "web", "external_id": "1", "amount": amount, "ordered_at": "2026-12-01 10:00"}))
                .unwrap_err();
            assert!(err.en.contains(expected), "{amount}: {}", err.en);
            assert!(err.zh.contains("金額"), "{amount}: {}", err.zh);
        }
        assert_eq!(json_amount(&json!(1200.0)), Ntd::new(1200));
        let err = order(json!({"source": "web", "external_id": "1", "amount": null, "ordered_at": "2026-12-01"})).unwrap_err();
        assert!(err.en.contains("amount is missing"), "{}", err.en);
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let err = order(json!({"external_id": "1", "amount": 1, "ordered_at": "2026-12-01"}))
            .unwrap_err();
        assert!(err.en.contains("source"));
        let err = order(json!({"source": "in_store", "external_id": "1", "amount": 1, "ordered_at": "2026-12-01"})).unwrap_err();
        assert!(err.en.contains("reserved"));
        let err = order(
            json!({"source": "web", "external_id": "1", "amount": 1, "ordered_at": "2027-12-01"}),
        )
        .unwrap_err();
        assert!(err.en.contains("future"));
        let err = order(json!({"source": "web", "external_id": "1", "amount": 1, "ordered_at": "2026-12-01", "member": {"phone": "02-2345-6789"}})).unwrap_err();
        assert!(err.en.contains("member.phone"));
        let err = order(json!({"source": "web", "external_id": "1", "amount": 1, "ordered_at": "2026-12-01", "channel": "phone"})).unwrap_err();
        assert!(err.en.contains("channel"));
        assert!(OrderJson::from_bytes(b"{not json").is_err());
    }
}
