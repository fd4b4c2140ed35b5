//! In-store purchases (新增門市消費) a clerk records for a member, and their void.
//!
//! A purchase is an order of the source `in_store` whose external id is the form's idempotency
//! key, so a double tap, a resubmitted form or two racing requests make one record. Staff record
//! purchases in their own store (HQ in any), only where HQ turned purchase entry on; the member
//! may be bound to any store — the credit follows the binding, the entry store is kept beside it.
//! A void keeps the row (with who, when and why, also in the audit log) and takes the sale out of
//! the report totals.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

use super::{Booking, ChangedAmount, OrderError, Recorded, books, retrying};
use crate::db::entities::enums::{OrderKind, SalesChannel};
use crate::db::entities::{members, orders, stores};
use crate::domain::amount::Ntd;
use crate::domain::orders::{
    CustomerRef, EntryStore, IN_STORE_SOURCE, OrderInput, OrderSource, StatedStatus,
    parse_idempotency_key, parse_note, parse_receipt_no, parse_void_reason,
};
use crate::domain::tokens::random_token;
use crate::services::audit::{self, Actor, Change};

/// A purchase as the clerk's form sends it.
#[derive(Debug, Clone)]
pub struct NewPurchase {
    /// From the form ([`new_purchase_key`] when it was shown) or minted by the client.
    pub idempotency_key: String,
    /// The store the purchase is made in.
    pub store_id: i32,
    pub member_id: i32,
    pub amount: Ntd,
    pub receipt_no: Option<String>,
    pub note: Option<String>,
}

/// A fresh idempotency key for a purchase form.
pub fn new_purchase_key() -> String {
    random_token(16)
}

/// Records a purchase once, however often it is submitted.
pub async fn record_purchase(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewPurchase,
) -> Result<Recorded, OrderError> {
    if !actor.scope.can_act_in_store(new.store_id) {
        return Err(crate::domain::access::AccessDenied::OtherStore.into());
    }
    let key = parse_idempotency_key(&new.idempotency_key).ok_or(OrderError::BadIdempotencyKey)?;
    let input = OrderInput {
        source: OrderSource::in_store(),
        external_id: key,
        channel: SalesChannel::InStore,
        amount: new.amount,
        ordered_at: Utc::now(),
        customer: CustomerRef {
            member_id: Some(new.member_id),
            ..CustomerRef::default()
        },
        status: StatedStatus::Paid,
        refunds: Vec::new(),
        entry_store: Some(EntryStore::Id(new.store_id)),
        receipt_no: parse_receipt_no(new.receipt_no.as_deref())?,
        note: parse_note(new.note.as_deref())?,
    };
    retrying(db, async |txn| {
        let store = stores::Entity::find_by_id(new.store_id)
            .one(txn)
            .await?
            .ok_or(OrderError::UnknownStore(new.store_id.to_string()))?;
        if !store.active || !store.purchase_entry_enabled {
            return Err(OrderError::PurchaseEntryOff);
        }
        let member_exists = members::Entity::find_by_id(new.member_id)
            .count(txn)
            .await?
            > 0;
        if !member_exists {
            return Err(OrderError::MemberNotFound);
        }
        let booking = Booking::load(txn, actor.staff_id, ChangedAmount::Refuse).await?;
        super::ingest_in(txn, &booking, &input).await
    })
    .await
}

/// Voids a purchase recorded in store: HQ any, store staff those entered in their store.
pub async fn void_purchase(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i64,
    reason: &str,
) -> Result<orders::Model, OrderError> {
    let reason = parse_void_reason(reason).ok_or(OrderError::VoidReason)?;
    let txn = db.begin().await?;
    let sale = orders::Entity::find_by_id(order_id)
        .one(&txn)
        .await?
        .filter(|o| o.kind == OrderKind::Sale && o.source == IN_STORE_SOURCE)
        .ok_or(OrderError::OrderNotFound)?;
    // Another store's entry is "not found", as everywhere in the admin.
    if !sale
        .entry_store_id
        .is_some_and(|store| actor.scope.can_act_in_store(store))
    {
        return Err(OrderError::OrderNotFound);
    }
    if sale.voided_at.is_some() {
        return Err(OrderError::NotVoidable("already voided"));
    }
    if sale.refunded_amount > 0 {
        return Err(OrderError::NotVoidable("it has refunds"));
    }
    let now = Utc::now();
    let voided = orders::Entity::update_many()
        .col_expr(orders::Column::VoidedAt, Expr::value(Some(now)))
        .col_expr(orders::Column::VoidedByStaffId, Expr::value(actor.staff_id))
        .col_expr(
            orders::Column::VoidReason,
            Expr::value(Some(reason.clone())),
        )
        .filter(orders::Column::Id.eq(sale.id))
        .filter(orders::Column::VoidedAt.is_null())
        .filter(orders::Column::RefundedAmount.eq(0))
        .exec(&txn)
        .await?;
    if voided.rows_affected != 1 {
        // Voided or refunded by someone else since we read it.
        return Err(OrderError::NotVoidable("changed meanwhile"));
    }
    books::remove_sale(&txn, &sale).await?;
    let after = orders::Entity::find_by_id(sale.id)
        .one(&txn)
        .await?
        .ok_or(OrderError::OrderNotFound)?;
    audit::record(
        &txn,
        actor,
        Change::new("order.void", "order", sale.id)
            .store(sale.entry_store_id)
            .before(purchase_json(&sale))
            .after(purchase_json(&after))
            .reason(reason),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

fn purchase_json(order: &orders::Model) -> serde_json::Value {
    json!({
        "amount": order.amount,
        "member_id": order.member_id,
        "entry_store_id": order.entry_store_id,
        "credited_store_id": order.credited_store_id,
        "receipt_no": order.receipt_no,
        "ordered_at": order.ordered_at,
        "voided_at": order.voided_at,
    })
}
