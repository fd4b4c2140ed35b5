//! The report totals (`sales_daily`, `sales_buyers`), moved in the transaction of every booking:
//! a sale adds to its day's cell and marks its member as a buyer of the month; a refund adds to
//! the refunds of its own day in the sale's cell; a void takes the sale back out.
//!
//! A cell is the channel and the credited store, group and clerk, with 0 for "none". Increments
//! are `INSERT … ON CONFLICT DO UPDATE SET n = n + …`, so concurrent bookings of one cell add up
//! instead of overwriting each other.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::db::entities::enums::OrderKind;
use crate::db::entities::{orders, sales_buyers, sales_daily};

/// What a booking adds to its cell's day.
struct Delta {
    orders: i32,
    gross: i64,
    refunds: i32,
    refunded: i64,
}

/// Adds a new sale to its day and its member to the month's buyers.
pub(super) async fn add_sale(db: &impl ConnectionTrait, sale: &orders::Model) -> Result<(), DbErr> {
    add(
        db,
        sale,
        Delta {
            orders: 1,
            gross: sale.amount,
            refunds: 0,
            refunded: 0,
        },
    )
    .await?;
    if let Some(member_id) = sale.member_id {
        sales_buyers::Entity::insert(sales_buyers::ActiveModel {
            booked_month: Set(sale.booked_month),
            credited_store_id: Set(or_zero(sale.credited_store_id)),
            member_id: Set(member_id),
            channel: Set(sale.channel),
            credited_clerk_id: Set(or_zero(sale.credited_clerk_id)),
            credited_group_id: Set(or_zero(sale.credited_group_id)),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Adds a refund row (negative) to the refunds of its own day, in its sale's cell.
pub(super) async fn add_refund(
    db: &impl ConnectionTrait,
    refund: &orders::Model,
) -> Result<(), DbErr> {
    add(
        db,
        refund,
        Delta {
            orders: 0,
            gross: 0,
            refunds: 1,
            refunded: refund.amount,
        },
    )
    .await
}

/// Takes a voided sale back out of its day, and its member out of the month's buyers unless
/// they bought something else in the same cell that month.
pub(super) async fn remove_sale(
    db: &impl ConnectionTrait,
    sale: &orders::Model,
) -> Result<(), DbErr> {
    add(
        db,
        sale,
        Delta {
            orders: -1,
            gross: -sale.amount,
            refunds: 0,
            refunded: 0,
        },
    )
    .await?;
    let Some(member_id) = sale.member_id else {
        return Ok(());
    };
    let same_cell = |column: orders::Column, id: Option<i32>| match id {
        Some(id) => column.eq(id),
        None => column.is_null(),
    };
    let other_sales = orders::Entity::find()
        .filter(orders::Column::MemberId.eq(member_id))
        .filter(orders::Column::Kind.eq(OrderKind::Sale))
        .filter(orders::Column::VoidedAt.is_null())
        .filter(orders::Column::Id.ne(sale.id))
        .filter(orders::Column::BookedMonth.eq(sale.booked_month))
        .filter(orders::Column::Channel.eq(sale.channel))
        .filter(same_cell(
            orders::Column::CreditedStoreId,
            sale.credited_store_id,
        ))
        .filter(same_cell(
            orders::Column::CreditedClerkId,
            sale.credited_clerk_id,
        ))
        .filter(same_cell(
            orders::Column::CreditedGroupId,
            sale.credited_group_id,
        ))
        .count(db)
        .await?;
    if other_sales == 0 {
        sales_buyers::Entity::delete_by_id((
            sale.booked_month,
            or_zero(sale.credited_store_id),
            member_id,
            sale.channel,
            or_zero(sale.credited_clerk_id),
            or_zero(sale.credited_group_id),
        ))
        .exec(db)
        .await?;
    }
    Ok(())
}

async fn add(db: &impl ConnectionTrait, row: &orders::Model, delta: Delta) -> Result<(), DbErr> {
    use sales_daily::Column as C;
    let increment =
        |column: C, by: sea_orm::Value| Expr::col((sales_daily::Entity, column)).add(Expr::val(by));
    sales_daily::Entity::insert(sales_daily::ActiveModel {
        booked_day: Set(row.booked_day),
        credited_store_id: Set(or_zero(row.credited_store_id)),
        credited_clerk_id: Set(or_zero(row.credited_clerk_id)),
        channel: Set(row.channel),
        credited_group_id: Set(or_zero(row.credited_group_id)),
        booked_month: Set(row.booked_month),
        order_count: Set(delta.orders),
        gross_amount: Set(delta.gross),
        refund_count: Set(delta.refunds),
        refund_amount: Set(delta.refunded),
    })
    .on_conflict(
        OnConflict::columns([
            C::BookedDay,
            C::CreditedStoreId,
            C::CreditedClerkId,
            C::Channel,
            C::CreditedGroupId,
        ])
        .value(C::OrderCount, increment(C::OrderCount, delta.orders.into()))
        .value(
            C::GrossAmount,
            increment(C::GrossAmount, delta.gross.into()),
        )
        .value(
            C::RefundCount,
            increment(C::RefundCount, delta.refunds.into()),
        )
        .value(
            C::RefundAmount,
            increment(C::RefundAmount, delta.refunded.into()),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The rollups' "none": ids start at 1.
fn or_zero(id: Option<i32>) -> i32 {
    id.unwrap_or(0)
}
