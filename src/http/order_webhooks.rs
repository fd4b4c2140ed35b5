//! `POST /webhooks/orders/{shop}`: signed order webhooks from web shops (`generic`, `shopify`,
//! `woocommerce`). Reads the raw body (bounded), hands it with the shop's headers to
//! `services::order_webhooks`, and answers 200 with what was done; refusals are JSON (error.rs).

use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::webhook::{MAX_BODY_BYTES, read_body};
use crate::db::entities::enums::WebShop;
use crate::http::error::AppError;
use crate::services::Context;
use crate::services::order_webhooks::{self, Delivery, Handled};
use crate::webshops::{generic, shopify, woocommerce};

pub async fn receive(
    ctx: Data<Context>,
    shop: Path<String>,
    req: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, AppError> {
    let shop = order_webhooks::shop_of(&shop).ok_or_else(|| {
        AppError::not_found(
            "沒有這個網店 webhook；可用的是 generic、shopify、woocommerce。",
            "No such web-shop webhook; use generic, shopify or woocommerce.",
        )
    })?;
    let body = read_body(&req, payload, MAX_BODY_BYTES).await?;
    let header = |name: &str| req.headers().get(name).map(|v| v.as_bytes());
    let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = match shop {
        WebShop::Generic => Delivery {
            body: &body,
            signature: header(generic::SIGNATURE_HEADER),
            timestamp: header(generic::TIMESTAMP_HEADER),
            topic: None,
            delivery_id: None,
        },
        WebShop::Shopify => Delivery {
            body: &body,
            signature: header(shopify::HMAC_HEADER),
            timestamp: None,
            topic: text(shopify::TOPIC_HEADER),
            delivery_id: text(shopify::WEBHOOK_ID_HEADER),
        },
        WebShop::WooCommerce => Delivery {
            body: &body,
            signature: header(woocommerce::SIGNATURE_HEADER),
            timestamp: None,
            topic: text(woocommerce::TOPIC_HEADER),
            delivery_id: text(woocommerce::DELIVERY_ID_HEADER),
        },
    };
    let answer = match order_webhooks::receive(&ctx, shop, delivery).await? {
        Handled::Recorded { order, created } => json!({
            "status": "recorded",
            "created": created,
            "order_id": order.sale.id,
            "refunds": order.refunds.len(),
        }),
        Handled::Duplicate => json!({ "status": "duplicate" }),
        Handled::Ignored(reason) => json!({ "status": "ignored", "reason": reason }),
        Handled::Ping => json!({ "status": "ping" }),
    };
    Ok(HttpResponse::Ok().json(answer))
}
