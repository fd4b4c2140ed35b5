//! Shopify order webhooks (shopify.dev, "Webhooks" reference).
//!
//! Signature: `X-Shopify-Hmac-Sha256` is Base64(HMAC-SHA256(the app's client secret, raw body)).
//! `X-Shopify-Webhook-Id` identifies a delivery; Shopify redelivers it after a timeout or an error,
//! so a second delivery with the same id is acknowledged and not processed again.
//!
//! Topics: `orders/create`, `orders/paid`, `orders/updated`, `orders/cancelled` carry the order;
//! `refunds/create` a refund. An order is recorded once it is paid (`financial_status` `paid`,
//! `partially_refunded` or `refunded`), with its numbered refunds and, if `cancelled_at` is set, its
//! cancellation; a voided or cancelled order that was never paid is not a sale (it cancels one only
//! if it was recorded); pending or authorized orders wait for their `orders/paid`. Test orders
//! (`"test": true`) are acknowledged and not recorded, so a shop's trial runs stay out of reports.
//! Amounts are the shop currency's (`total_price_set.shop_money`), which must be TWD.
//! The customer: note attributes named `member_id` or `line_user_id` (a checkout can add them),
//! then the first Taiwan mobile among the customer's, the order's and the addresses' phones.

use serde_json::Value;

use super::{
    PayloadError, ShopEvent, customer_of, external_id, require_twd, shop_amount, shop_time,
};
use crate::domain::amount::Ntd;
use crate::domain::orders::SalesChannel;
use crate::domain::orders::{OrderInput, OrderSource, RefundInput, StatedStatus};

pub const SOURCE: &str = "shopify";
pub const HMAC_HEADER: &str = "x-shopify-hmac-sha256";
pub const TOPIC_HEADER: &str = "x-shopify-topic";
pub const WEBHOOK_ID_HEADER: &str = "x-shopify-webhook-id";

/// The event a delivery of `topic` carries.
pub fn event(topic: &str, body: &[u8]) -> Result<ShopEvent, PayloadError> {
    match topic.trim() {
        "orders/create" | "orders/paid" | "orders/updated" | "orders/cancelled" => {
            order_event(&parse(body)?)
        }
        "refunds/create" => refund_event(&parse(body)?),
        _ => Ok(ShopEvent::Ignored("not an order topic")),
    }
}

fn parse(body: &[u8]) -> Result<Value, PayloadError> {
    serde_json::from_slice(body).map_err(|err| PayloadError::not_json(&err))
}

fn order_event(order: &Value) -> Result<ShopEvent, PayloadError> {
    if order["test"].as_bool() == Some(true) {
        return Ok(ShopEvent::Ignored("test order"));
    }
    let id = external_id(order.get("id"), "id")?;
    let cancelled = !order["cancelled_at"].is_null();
    let paid = matches!(
        order["financial_status"].as_str(),
        Some("paid" | "partially_refunded" | "refunded")
    );
    if !paid {
        return Ok(
            if cancelled || order["financial_status"].as_str() == Some("voided") {
                ShopEvent::Cancel {
                    order_external_id: id,
                }
            } else {
                ShopEvent::Ignored("not paid yet")
            },
        );
    }
    let shop_money = &order["total_price_set"]["shop_money"];
    require_twd(order["currency"].as_str())?;
    require_twd(shop_money["currency_code"].as_str())?;
    let amount = match shop_money.get("amount") {
        Some(amount) => shop_amount(Some(amount), "total_price_set.shop_money.amount")?,
        None => shop_amount(order.get("total_price"), "total_price")?,
    };
    let ordered_at = shop_time(order.get("processed_at"), false)
        .or_else(|| shop_time(order.get("created_at"), false))
        .ok_or_else(|| PayloadError::missing("created_at"))?;
    let note_attributes = order["note_attributes"].as_array().into_iter().flatten();
    let customer = customer_of(
        note_attributes.filter_map(|a| Some((a["name"].as_str()?, &a["value"]))),
        [
            order["customer"].get("phone"),
            order.get("phone"),
            order["billing_address"].get("phone"),
            order["shipping_address"].get("phone"),
            order["customer"]["default_address"].get("phone"),
        ]
        .into_iter(),
    );
    let mut refunds = Vec::new();
    for refund in order["refunds"].as_array().into_iter().flatten() {
        if let Some(refund) = refund_of(refund, ordered_at)? {
            refunds.push(refund);
        }
    }
    Ok(ShopEvent::Order(Box::new(OrderInput {
        source: OrderSource::parse(SOURCE)?,
        external_id: id,
        channel: SalesChannel::Online,
        amount,
        ordered_at,
        customer,
        status: if cancelled {
            StatedStatus::Cancelled
        } else {
            StatedStatus::Paid
        },
        refunds,
        entry_store: None,
        receipt_no: order["name"].as_str().map(str::to_owned),
        note: None,
    })))
}

fn refund_event(refund: &Value) -> Result<ShopEvent, PayloadError> {
    let order_external_id = external_id(refund.get("order_id"), "order_id")?;
    let fallback = shop_time(refund.get("created_at"), false).unwrap_or_else(chrono::Utc::now);
    Ok(match refund_of(refund, fallback)? {
        Some(refund) => ShopEvent::Refund {
            order_external_id,
            refund,
        },
        None => ShopEvent::Ignored("no money refunded"),
    })
}

/// A refund object: the sum of its successful refund transactions (`None` when no money moved,
/// as for a restock-only refund).
fn refund_of(
    refund: &Value,
    fallback: chrono::DateTime<chrono::Utc>,
) -> Result<Option<RefundInput>, PayloadError> {
    let refund_id = external_id(refund.get("id"), "refund.id")?;
    let mut cents = 0i64;
    for transaction in refund["transactions"].as_array().into_iter().flatten() {
        let counts = transaction["kind"].as_str() == Some("refund")
            && transaction["status"].as_str() == Some("success");
        if !counts {
            continue;
        }
        require_twd(transaction["currency"].as_str())?;
        cents += decimal_cents(transaction.get("amount"))?;
    }
    if cents <= 0 {
        return Ok(None);
    }
    let amount = Ntd::from_shop_decimal(&format!("{}.{:02}", cents / 100, cents % 100))
        .map_err(|err| PayloadError::amount("transactions.amount", err))?;
    Ok(Some(RefundInput {
        refund_id: refund_id.as_str().to_owned(),
        amount,
        refunded_at: shop_time(refund.get("processed_at"), false)
            .or_else(|| shop_time(refund.get("created_at"), false))
            .unwrap_or(fallback),
    }))
}

/// A decimal string as hundredths, so several transactions add up before rounding.
fn decimal_cents(value: Option<&Value>) -> Result<i64, PayloadError> {
    let text = value
        .and_then(super::text_of)
        .ok_or_else(|| PayloadError::missing("transactions.amount"))?;
    let bad = || {
        PayloadError::new(
            format!("退款金額「{text}」不是數字"),
            format!("the refund amount \"{text}\" is not a number"),
        )
    };
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction = format!(
        "{:0<2}",
        fraction.get(..2.min(fraction.len())).unwrap_or("")
    );
    let fraction: i64 = fraction.parse().map_err(|_| bad())?;
    if !(0..=crate::domain::amount::MAX_AMOUNT).contains(&whole) {
        return Err(bad());
    }
    Ok(whole * 100 + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_paid_order_maps_with_its_customer_and_refunds() {
        let order = json!({
            "id": 820982911946154508u64,
            "test": false,
            "financial_status": "partially_refunded",
            "cancelled_at": null,
            "currency": "TWD",
            "total_price": "1200.00",
            "total_price_set": {"shop_money": {"amount": "1200.00", "currency_code": "TWD"}},
            "created_at": "2026-12-01T10:00:00+08:00",
            "name": "#1001",
            "note_attributes": [{"name": "gift", "value": "yes"}],
            "billing_address": {"phone": "555-555-SHIP"},
            "shipping_address": {"phone": "0912 345 678"},
            "refunds": [{"id": 9, "created_at": "2026-12-02T10:00:00+08:00",
                         "transactions": [{"kind": "refund", "status": "success", "amount": "150.50"},
                                          {"kind": "refund", "status": "failure", "amount": "999.00"}]}]
        });
        let ShopEvent::Order(input) = event("orders/paid", order.to_string().as_bytes()).unwrap()
        else {
            panic!("an order");
        };
        assert_eq!(input.external_id.as_str(), "820982911946154508");
        assert_eq!(input.amount.get(), 1200);
        assert_eq!(input.status, StatedStatus::Paid);
        assert_eq!(
            input.customer.phone.as_ref().unwrap().e164(),
            "+886912345678"
        );
        assert_eq!(input.receipt_no.as_deref(), Some("#1001"));
        assert_eq!(input.refunds.len(), 1);
        assert_eq!(input.refunds[0].refund_id, "9");
        assert_eq!(input.refunds[0].amount.get(), 151);
    }

    #[test]
    fn unpaid_test_and_foreign_currency_orders_are_not_recorded() {
        let base = json!({"id": 1, "financial_status": "pending", "currency": "TWD", "total_price": "10", "created_at": "2026-12-01T10:00:00+08:00"});
        assert_eq!(
            event("orders/create", base.to_string().as_bytes()),
            Ok(ShopEvent::Ignored("not paid yet"))
        );
        let mut test = base.clone();
        test["test"] = json!(true);
        assert_eq!(
            event("orders/create", test.to_string().as_bytes()),
            Ok(ShopEvent::Ignored("test order"))
        );
        let mut voided = base.clone();
        voided["financial_status"] = json!("voided");
        assert!(matches!(
            event("orders/cancelled", voided.to_string().as_bytes()),
            Ok(ShopEvent::Cancel { .. })
        ));
        let mut usd = base;
        usd["financial_status"] = json!("paid");
        usd["currency"] = json!("USD");
        let err = event("orders/paid", usd.to_string().as_bytes()).unwrap_err();
        assert!(err.en.contains("TWD") && err.en.contains("USD"));
        assert_eq!(
            event("products/update", b"{}"),
            Ok(ShopEvent::Ignored("not an order topic"))
        );
        assert!(event("orders/paid", b"not json").is_err());
    }

    #[test]
    fn note_attributes_name_the_member_before_any_phone() {
        let order = json!({"id": 2, "financial_status": "paid", "currency": "TWD", "total_price": "10",
            "created_at": "2026-12-01T10:00:00+08:00", "phone": "0912345678",
            "note_attributes": [{"name": "member_id", "value": "42"},
                                {"name": "line_user_id", "value": "U4af4980629a0c8d3e5f7d6e1b2c3d4e5"}]});
        let ShopEvent::Order(input) = event("orders/paid", order.to_string().as_bytes()).unwrap()
        else {
            panic!("an order");
        };
        assert_eq!(input.customer.member_id, Some(42));
        assert_eq!(
            input.customer.line_user_id.as_deref(),
            Some("U4af4980629a0c8d3e5f7d6e1b2c3d4e5")
        );
        assert!(input.customer.phone.is_some());
    }

    #[test]
    fn refund_amounts_add_up_in_cents_before_rounding() {
        assert_eq!(decimal_cents(Some(&json!("75.00"))), Ok(7500));
        assert_eq!(decimal_cents(Some(&json!("0.5"))), Ok(50));
        assert_eq!(decimal_cents(Some(&json!(10))), Ok(1000));
        assert!(decimal_cents(Some(&json!("-1.00"))).is_err());
        assert!(decimal_cents(Some(&json!("ten"))).is_err());
    }
}
