//! The report totals (`sales_daily`, `sales_buyers`), moved in the transaction of every booking:
//! a sale adds to its day's cell and marks its member as a buyer of the month; a refund adds to
//! the refunds of its own day in the sale's cell; a void takes the sale back out.
//!
//! A cell is the channel and the credited store, group and clerk, with 0 for "none". Increments
//! are `INSERT … ON CONFLICT DO UPDATE SET n = n + …`, so concurrent bookings of one cell add up
//! instead of overwriting each other.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::db::entities::enums::{OrderKind, SalesChannel};
use crate::db::entities::{orders, sales_buyers, sales_daily};

/// What a booking adds to its cell's day.
#[derive(Default)]
struct Delta {
    orders: i32,
    gross: i64,
    refunds: i32,
    refunded: i64,
}

/// A day cell: day, credited store, clerk, channel, group (0 for "none"), and the day's month.
type Cell = (i32, i32, i32, SalesChannel, i32, i32);

/// Adds new sales to their days and their members to the months' buyers: one statement for all
/// the day cells (their deltas summed here first, so no cell comes twice in it) and, for the
/// buyers, one on SQLite and one per buyer on PostgreSQL, where the buyer counts' triggers see a
/// statement's rows only once it has written them all (and refuse a statement of several).
pub(super) async fn add_sales(
    db: &impl ConnectionTrait,
    sales: &[orders::Model],
) -> Result<(), DbErr> {
    let mut cells: BTreeMap<Cell, Delta> = BTreeMap::new();
    let mut buyers = BTreeSet::new();
    for sale in sales {
        let delta = cells.entry(cell(sale)).or_default();
        delta.orders += 1;
        delta.gross += sale.amount;
        if let Some(member_id) = sale.member_id {
            buyers.insert(buyer(sale, member_id));
        }
    }
    add_to_days(db, cells).await?;
    // By member first: on PostgreSQL each buyer row takes its member's lock, and two batches
    // taking their members in one order cannot deadlock on them.
    let mut buyers: Vec<_> = buyers.into_iter().collect();
    buyers.sort_by_key(|&(_, _, member_id, ..)| member_id);
    let rows: Vec<sales_buyers::ActiveModel> = buyers
        .into_iter()
        .map(
            |(month, store, member_id, channel, clerk, group)| sales_buyers::ActiveModel {
                booked_month: Set(month),
                credited_store_id: Set(store),
                member_id: Set(member_id),
                channel: Set(channel),
                credited_clerk_id: Set(clerk),
                credited_group_id: Set(group),
            },
        )
        .collect();
    let insert = |rows: Vec<sales_buyers::ActiveModel>| {
        sales_buyers::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(db)
    };
    if db.get_database_backend() == DbBackend::Postgres {
        for row in rows {
            insert(vec![row]).await?;
        }
    } else {
        insert(rows).await?;
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
        sales_buyers::Entity::delete_by_id(buyer(sale, member_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn add(db: &impl ConnectionTrait, row: &orders::Model, delta: Delta) -> Result<(), DbErr> {
    add_to_days(db, BTreeMap::from([(cell(row), delta)])).await
}

fn cell(row: &orders::Model) -> Cell {
    (
        row.booked_day,
        or_zero(row.credited_store_id),
        or_zero(row.credited_clerk_id),
        row.channel,
        or_zero(row.credited_group_id),
        row.booked_month,
    )
}

/// Adds each delta to its day cell, in one statement. In the cells' order, so two transactions
/// (PostgreSQL) that move the same cells take their locks in the same order.
async fn add_to_days(db: &impl ConnectionTrait, cells: BTreeMap<Cell, Delta>) -> Result<(), DbErr> {
    use sales_daily::Column as C;
    if cells.is_empty() {
        return Ok(());
    }
    let rows = cells
        .into_iter()
        .map(
            |((day, store, clerk, channel, group, month), delta)| sales_daily::ActiveModel {
                booked_day: Set(day),
                credited_store_id: Set(store),
                credited_clerk_id: Set(clerk),
                channel: Set(channel),
                credited_group_id: Set(group),
                booked_month: Set(month),
                order_count: Set(delta.orders),
                gross_amount: Set(delta.gross),
                refund_count: Set(delta.refunds),
                refund_amount: Set(delta.refunded),
            },
        );
    // The cell's total plus what this statement brings for it.
    let increment = |column: C| {
        Expr::col((sales_daily::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    sales_daily::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                C::BookedDay,
                C::CreditedStoreId,
                C::CreditedClerkId,
                C::Channel,
                C::CreditedGroupId,
            ])
            .value(C::OrderCount, increment(C::OrderCount))
            .value(C::GrossAmount, increment(C::GrossAmount))
            .value(C::RefundCount, increment(C::RefundCount))
            .value(C::RefundAmount, increment(C::RefundAmount))
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The sale's member as a buyer of its month and cell (`sales_buyers`' key): month, credited
/// store, member, channel, credited clerk, credited group.
fn buyer(sale: &orders::Model, member_id: i32) -> (i32, i32, i32, SalesChannel, i32, i32) {
    (
        sale.booked_month,
        or_zero(sale.credited_store_id),
        member_id,
        sale.channel,
        or_zero(sale.credited_clerk_id),
        or_zero(sale.credited_group_id),
    )
}

/// The rollups' "none": ids start at 1.
fn or_zero(id: Option<i32>) -> i32 {
    id.unwrap_or(0)
}
