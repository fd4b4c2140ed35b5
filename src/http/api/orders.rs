//! `POST /api/v1/orders`: an order from a web shop, a POS or any script (HQ tokens). Idempotent on
//! `(source, external_id)`: the same order again is answered 200 with the order already stored
//! (and books a new refund or cancellation it states); a new one 201.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Json};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::json;
use crate::db::entities::enums::{AttributionLevel, OrderStatus, SalesChannel, UnattributedReason};
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::orders::{self, ChangedAmount, OrderError, RecordedOrder};
use crate::webshops::generic::OrderJson;

/// An order as the API answers it.
#[derive(Serialize)]
pub struct OrderOut {
    id: i64,
    source: String,
    external_id: String,
    channel: SalesChannel,
    status: OrderStatus,
    amount: i64,
    refunded_amount: i64,
    ordered_at: DateTime<Utc>,
    /// The Taiwan day it is booked on.
    booked_on: String,
    member_id: Option<i32>,
    attribution: AttributionOut,
    entry_store_id: Option<i32>,
    receipt_no: Option<String>,
    note: Option<String>,
    voided_at: Option<DateTime<Utc>>,
    refunds: Vec<RefundOut>,
}

#[derive(Serialize)]
struct AttributionOut {
    level: AttributionLevel,
    store_id: Option<i32>,
    group_id: Option<i32>,
    clerk_id: Option<i32>,
    unattributed_reason: Option<UnattributedReason>,
}

#[derive(Serialize)]
struct RefundOut {
    id: i64,
    external_id: String,
    /// Negative.
    amount: i64,
    refunded_at: DateTime<Utc>,
}

fn booked_on(day: i32) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day / 10_000,
        day / 100 % 100,
        day % 100
    )
}

impl From<RecordedOrder> for OrderOut {
    fn from(order: RecordedOrder) -> Self {
        let sale = order.sale;
        Self {
            id: sale.id,
            booked_on: booked_on(sale.booked_day),
            source: sale.source,
            external_id: sale.external_id,
            channel: sale.channel,
            status: sale.status,
            amount: sale.amount,
            refunded_amount: sale.refunded_amount,
            ordered_at: sale.ordered_at,
            member_id: sale.member_id,
            attribution: AttributionOut {
                level: sale.attribution_level,
                store_id: sale.credited_store_id,
                group_id: sale.credited_group_id,
                clerk_id: sale.credited_clerk_id,
                unattributed_reason: sale.unattributed_reason,
            },
            entry_store_id: sale.entry_store_id,
            receipt_no: sale.receipt_no,
            note: sale.note,
            voided_at: sale.voided_at,
            refunds: order
                .refunds
                .into_iter()
                .map(|r| RefundOut {
                    id: r.id,
                    external_id: r.external_id,
                    amount: r.amount,
                    refunded_at: r.ordered_at,
                })
                .collect(),
        }
    }
}

pub async fn create(
    ctx: Data<Context>,
    staff: Staff,
    body: Json<OrderJson>,
) -> Result<HttpResponse, AppError> {
    staff.scope().require_hq()?;
    let input = body.into_inner().into_input(Utc::now())?;
    match orders::ingest(&ctx.db, Some(staff.id), ChangedAmount::Refuse, &input).await {
        Ok(recorded) => {
            let status = if recorded.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json(
                status,
                &serde_json::json!({
                    "created": recorded.created,
                    "order": OrderOut::from(recorded.order),
                }),
            )
        }
        // The caller gets the order we have, to see what differs.
        Err(OrderError::DifferentOrder { existing }) => {
            let message = AppError::from(OrderError::DifferentOrder {
                existing: existing.clone(),
            })
            .message();
            json(
                StatusCode::CONFLICT,
                &serde_json::json!({
                    "error": "different_order",
                    "message": message.zh,
                    "message_en": message.en,
                    "order": OrderOut::from(*existing),
                }),
            )
        }
        Err(err) => Err(err.into()),
    }
}
