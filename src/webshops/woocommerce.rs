//! WooCommerce order webhooks (WooCommerce REST API docs, "Webhooks" and "Orders").
//!
//! Signature: `X-WC-Webhook-Signature` is Base64(HMAC-SHA256(the webhook's secret, raw body)).
//! Topics `order.created`, `order.updated` and `order.restored` carry the order as the REST API
//! returns it; other topics are acknowledged. When a webhook is saved, WooCommerce pings its URL
//! with the form body `webhook_id=N`; the ping is acknowledged and records nothing.
//!
//! An order is recorded once paid (`processing` or `completed`), with its refunds (`refunds`,
//! each `{id, total: "-10.00"}`); `refunded` without refund objects is refunded in full;
//! `cancelled` cancels the order if it was recorded (WooCommerce cancels unpaid orders, which are
//! not sales); `pending`, `on-hold`, `failed` and drafts wait for payment. The currency must be
//! TWD. The customer: meta data keys `member_id` or `line_user_id`, then the billing or shipping
//! phone if it is a Taiwan mobile.

use serde_json::Value;

use super::{
    PayloadError, ShopEvent, customer_of, external_id, require_twd, shop_amount, shop_time,
};
use crate::domain::amount::Ntd;
use crate::domain::orders::SalesChannel;
use crate::domain::orders::{OrderInput, OrderSource, RefundInput, StatedStatus};

pub const SOURCE: &str = "woocommerce";
pub const SIGNATURE_HEADER: &str = "x-wc-webhook-signature";
pub const TOPIC_HEADER: &str = "x-wc-webhook-topic";
pub const DELIVERY_ID_HEADER: &str = "x-wc-webhook-delivery-id";

/// WooCommerce's ping when a webhook is saved: `webhook_id=123`.
pub fn is_ping(body: &[u8]) -> bool {
    body.strip_prefix(b"webhook_id=")
        .is_some_and(|id| !id.is_empty() && id.iter().all(u8::is_ascii_digit))
}

/// The event a delivery of `topic` carries.
pub fn event(topic: &str, body: &[u8]) -> Result<ShopEvent, PayloadError> {
    match topic.trim() {
        "order.created" | "order.updated" | "order.restored" => {
            let order: Value =
                serde_json::from_slice(body).map_err(|err| PayloadError::not_json(&err))?;
            order_event(&order)
        }
        _ => Ok(ShopEvent::Ignored("not an order topic")),
    }
}

fn order_event(order: &Value) -> Result<ShopEvent, PayloadError> {
    let id = external_id(order.get("id"), "id")?;
    let status = order["status"].as_str().unwrap_or_default();
    match status {
        "processing" | "completed" | "refunded" => {}
        "cancelled" => {
            return Ok(ShopEvent::Cancel {
                order_external_id: id,
            });
        }
        _ => return Ok(ShopEvent::Ignored("not paid yet")),
    }
    require_twd(order["currency"].as_str())?;
    let amount = shop_amount(order.get("total"), "total")?;
    let ordered_at = shop_time(order.get("date_created_gmt"), true)
        .or_else(|| shop_time(order.get("date_created"), false))
        .ok_or_else(|| PayloadError::missing("date_created_gmt"))?;
    // Refund objects carry no date; the order's last change is when the newest one was made.
    let refunded_at = shop_time(order.get("date_modified_gmt"), true).unwrap_or(ordered_at);
    let mut refunds = Vec::new();
    for refund in order["refunds"].as_array().into_iter().flatten() {
        let refund_id = external_id(refund.get("id"), "refunds.id")?;
        let total = refund
            .get("total")
            .and_then(super::text_of)
            .ok_or_else(|| PayloadError::missing("refunds.total"))?;
        let amount = Ntd::from_shop_decimal(total.trim().trim_start_matches('-'))
            .map_err(|err| PayloadError::amount("refunds.total", err))?;
        refunds.push(RefundInput {
            refund_id: refund_id.as_str().to_owned(),
            amount,
            refunded_at,
        });
    }
    let status = if status == "refunded" && refunds.is_empty() {
        StatedStatus::Refunded {
            total: amount.get(),
        }
    } else {
        StatedStatus::Paid
    };
    let metadata = order["meta_data"].as_array().into_iter().flatten();
    let customer = customer_of(
        metadata.filter_map(|m| Some((m["key"].as_str()?, &m["value"]))),
        [
            order["billing"].get("phone"),
            order["shipping"].get("phone"),
        ]
        .into_iter(),
    );
    Ok(ShopEvent::Order(Box::new(OrderInput {
        source: OrderSource::parse(SOURCE)?,
        external_id: id,
        channel: SalesChannel::Online,
        amount,
        ordered_at,
        customer,
        status,
        refunds,
        entry_store: None,
        receipt_no: order["number"].as_str().map(str::to_owned),
        note: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_ping_is_recognised() {
        assert!(is_ping(b"webhook_id=12"));
        assert!(!is_ping(b"webhook_id="));
        assert!(!is_ping(b"{\"id\":1}"));
    }

    #[test]
    fn a_completed_order_with_refunds_maps_each_refund() {
        let order = json!({
            "id": 723, "number": "723", "status": "completed", "currency": "TWD", "total": "3900",
            "date_created_gmt": "2026-12-01T02:00:00", "date_modified_gmt": "2026-12-03T02:00:00",
            "billing": {"phone": "(11) 1111-1111"}, "shipping": {"phone": "0912-345-678"},
            "meta_data": [{"id": 1, "key": "_download_permissions_granted", "value": "yes"}],
            "refunds": [{"id": 726, "refund": "", "total": "-1000.00"}, {"id": 724, "refund": "", "total": "-900.00"}]
        });
        let ShopEvent::Order(input) = event("order.updated", order.to_string().as_bytes()).unwrap()
        else {
            panic!("an order");
        };
        assert_eq!(input.amount.get(), 3900);
        assert_eq!(input.ordered_at.to_rfc3339(), "2026-12-01T02:00:00+00:00");
        assert_eq!(
            input.customer.phone.as_ref().unwrap().e164(),
            "+886912345678"
        );
        let refunds: Vec<(String, i64)> = input
            .refunds
            .iter()
            .map(|r| (r.refund_id.clone(), r.amount.get()))
            .collect();
        assert_eq!(
            refunds,
            vec![("726".to_owned(), 1000), ("724".to_owned(), 900)]
        );
        assert_eq!(input.status, StatedStatus::Paid);
    }

    #[test]
    fn unpaid_cancelled_and_foreign_orders() {
        let order = |status: &str, currency: &str| {
            json!({"id": 1, "status": status, "currency": currency, "total": "10", "date_created_gmt": "2026-12-01T02:00:00"}).to_string()
        };
        assert_eq!(
            event("order.created", order("on-hold", "TWD").as_bytes()),
            Ok(ShopEvent::Ignored("not paid yet"))
        );
        assert!(matches!(
            event("order.updated", order("cancelled", "TWD").as_bytes()),
            Ok(ShopEvent::Cancel { .. })
        ));
        assert!(event("order.created", order("processing", "USD").as_bytes()).is_err());
        let ShopEvent::Order(refunded) =
            event("order.updated", order("refunded", "TWD").as_bytes()).unwrap()
        else {
            panic!("an order");
        };
        assert_eq!(refunded.status, StatedStatus::Refunded { total: 10 });
        assert_eq!(
            event("product.updated", b"{}"),
            Ok(ShopEvent::Ignored("not an order topic"))
        );
    }
}
