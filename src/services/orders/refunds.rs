//! Refunds and cancellations of a recorded sale: one negative row per refund (once per key), the
//! sale's refunded total and status moved with a compare-and-set under a row lock.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Iterable,
    QueryFilter, QueryTrait, Set,
};

use crate::db::entities::enums::{OrderKind, OrderStatus};
use crate::db::entities::orders;
use crate::domain::orders::{
    Adjustment, RefundInput, RefundKey, SaleState, booked_day_and_month, refund_external_id,
};

use super::{Booking, OrderError, Recorded, books, find_row, lock, with_refunds};

/// Applies one adjustment to a sale: books the refund row (once per `key`) and moves the sale's
/// refunded total and status with a compare-and-set. Returns the sale after it and whether a
/// row was booked, or `None` when nothing changed.
pub(super) async fn adjust(
    txn: &DatabaseTransaction,
    booking: &Booking,
    sale: &orders::Model,
    key: &RefundKey,
    adjustment: Adjustment,
    at: DateTime<Utc>,
) -> Result<Option<(orders::Model, bool)>, OrderError> {
    let before = SaleState {
        amount: sale.amount,
        refunded: sale.refunded_amount,
        status: sale.status,
    };
    let (book, after) = before.apply(adjustment);
    if book == 0 && after == before {
        return Ok(None);
    }
    let external_id = refund_external_id(&sale.external_id, key);
    if book > 0 {
        let (booked_day, booked_month) = booked_day_and_month(at);
        let refund = orders::ActiveModel {
            id: NotSet,
            kind: Set(OrderKind::Refund),
            parent_id: Set(Some(sale.id)),
            channel: Set(sale.channel),
            source: Set(sale.source.clone()),
            external_id: Set(external_id),
            status: Set(OrderStatus::Refunded),
            amount: Set(-book),
            refunded_amount: Set(0),
            ordered_at: Set(at),
            booked_day: Set(booked_day),
            booked_month: Set(booked_month),
            received_at: Set(booking.now),
            member_id: Set(sale.member_id),
            customer_phone: Set(sale.customer_phone.clone()),
            customer_line_user_id: Set(sale.customer_line_user_id.clone()),
            attribution_level: Set(sale.attribution_level),
            credited_store_id: Set(sale.credited_store_id),
            credited_group_id: Set(sale.credited_group_id),
            credited_clerk_id: Set(sale.credited_clerk_id),
            unattributed_reason: Set(sale.unattributed_reason),
            entry_store_id: Set(sale.entry_store_id),
            operator_staff_id: Set(booking.operator_staff_id),
            receipt_no: Set(None),
            note: Set(None),
            voided_at: Set(None),
            voided_by_staff_id: Set(None),
            void_reason: Set(None),
        };
        let Some(row) = insert_row(txn, refund).await? else {
            // This very refund is booked already (a redelivery).
            return Ok(None);
        };
        books::add_refund(txn, &row).await?;
    }
    let moved = orders::Entity::update_many()
        .col_expr(
            orders::Column::RefundedAmount,
            sea_orm::sea_query::Expr::value(after.refunded),
        )
        .col_expr(
            orders::Column::Status,
            sea_orm::sea_query::Expr::value(after.status),
        )
        .filter(orders::Column::Id.eq(sale.id))
        .filter(orders::Column::RefundedAmount.eq(before.refunded))
        .filter(orders::Column::Status.eq(before.status))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        // Another transaction refunded this sale since we read it.
        return Err(OrderError::Retry);
    }
    let mut sale = sale.clone();
    sale.refunded_amount = after.refunded;
    sale.status = after.status;
    Ok(Some((sale, book > 0)))
}

/// Books a refund the source numbered against an order already recorded (Shopify's
/// `refunds/create`). `None` when the order is unknown.
pub async fn refund_in(
    txn: &DatabaseTransaction,
    booking: &Booking,
    source: &str,
    order_external_id: &str,
    refund: &RefundInput,
) -> Result<Option<Recorded>, OrderError> {
    let key = RefundKey::Numbered(refund.refund_id.clone());
    let adjustment = Adjustment::Refund(refund.amount.get());
    adjust_recorded(
        txn,
        booking,
        source,
        order_external_id,
        &key,
        adjustment,
        refund.refunded_at,
    )
    .await
}

/// Cancels an order already recorded (a web shop's cancellation). `None` when the order is
/// unknown: an order cancelled before it was paid was never a sale.
pub async fn cancel_in(
    txn: &DatabaseTransaction,
    booking: &Booking,
    source: &str,
    order_external_id: &str,
) -> Result<Option<Recorded>, OrderError> {
    let key = RefundKey::Cancellation;
    adjust_recorded(
        txn,
        booking,
        source,
        order_external_id,
        &key,
        Adjustment::Cancel,
        booking.now,
    )
    .await
}

async fn adjust_recorded(
    txn: &DatabaseTransaction,
    booking: &Booking,
    source: &str,
    order_external_id: &str,
    key: &RefundKey,
    adjustment: Adjustment,
    at: DateTime<Utc>,
) -> Result<Option<Recorded>, OrderError> {
    let Some(sale) = find_row(txn, source, order_external_id)
        .await?
        .filter(|row| row.kind == OrderKind::Sale)
    else {
        return Ok(None);
    };
    let sale = lock(txn, sale.id).await?;
    let at = at.max(sale.ordered_at);
    let (sale, booked) = match adjust(txn, booking, &sale, key, adjustment, at).await? {
        Some((sale, booked)) => (sale, booked),
        None => (sale, false),
    };
    Ok(Some(Recorded {
        order: with_refunds(txn, sale).await?,
        created: false,
        refunds_booked: usize::from(booked),
    }))
}

/// Inserts order rows and reads them back in the same statement (`RETURNING`); a row a unique
/// index already holds the twin of is left out of the answer. No conflict target: the
/// source/external-id index and the in-store receipt index both answer "nothing inserted" instead
/// of an error that would end a PostgreSQL transaction. Written out because sea-orm's
/// insert-with-returning takes "nothing inserted" for an error, and uses `RETURNING` on SQLite
/// only with a feature that would change every insert.
pub(super) async fn insert_rows(
    txn: &DatabaseTransaction,
    rows: Vec<orders::ActiveModel>,
) -> Result<Vec<orders::Model>, OrderError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = orders::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .into_query();
    insert.returning(Query::returning().columns(orders::Column::iter()));
    let statement = txn.get_database_backend().build(&insert);
    Ok(orders::Entity::find()
        .from_raw_sql(statement)
        .all(txn)
        .await?)
}

/// [`insert_rows`] of one row: `None` when it was not inserted.
async fn insert_row(
    txn: &DatabaseTransaction,
    row: orders::ActiveModel,
) -> Result<Option<orders::Model>, OrderError> {
    Ok(insert_rows(txn, vec![row]).await?.pop())
}
