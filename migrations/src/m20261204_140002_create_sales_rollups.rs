//! The sales report's running totals, kept in the same transaction as every booking, so the
//! monthly report over a million orders reads day cells (~175,000 for 1,000 stores) instead of
//! the orders.
//!
//! `sales_daily`: per Taiwan day, channel and credited store, group and clerk, the number and sum of
//! sales and of refunds. A month is the sum of its days (`booked_month` is indexed for that).
//! `sales_buyers`: one row per month, credited store, group, clerk, channel and member who bought,
//! so "members who bought" is a count over it rather than a DISTINCT over the orders.
//! In both, 0 stands for "none" (no store credited, no group, no clerk): a key column cannot be
//! NULL, and 0 is never an id.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SalesDaily::Table)
                    .col(integer(SalesDaily::BookedDay))
                    .col(text(SalesDaily::Channel))
                    .col(integer(SalesDaily::CreditedStoreId))
                    .col(integer(SalesDaily::CreditedGroupId))
                    .col(integer(SalesDaily::CreditedClerkId))
                    .col(integer(SalesDaily::BookedMonth))
                    .col(integer(SalesDaily::OrderCount).default(0))
                    .col(big_integer(SalesDaily::GrossAmount).default(0))
                    .col(integer(SalesDaily::RefundCount).default(0))
                    // Zero or negative, like the refund rows it sums.
                    .col(big_integer(SalesDaily::RefundAmount).default(0))
                    .primary_key(
                        Index::create()
                            .col(SalesDaily::BookedDay)
                            .col(SalesDaily::CreditedStoreId)
                            .col(SalesDaily::CreditedClerkId)
                            .col(SalesDaily::Channel)
                            .col(SalesDaily::CreditedGroupId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sales_daily_booked_month")
                    .table(SalesDaily::Table)
                    .col(SalesDaily::BookedMonth)
                    .col(SalesDaily::CreditedStoreId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SalesBuyers::Table)
                    .col(integer(SalesBuyers::BookedMonth))
                    .col(integer(SalesBuyers::CreditedStoreId))
                    .col(integer(SalesBuyers::MemberId))
                    .col(text(SalesBuyers::Channel))
                    .col(integer(SalesBuyers::CreditedClerkId))
                    .col(integer(SalesBuyers::CreditedGroupId))
                    .primary_key(
                        Index::create()
                            .col(SalesBuyers::BookedMonth)
                            .col(SalesBuyers::CreditedStoreId)
                            .col(SalesBuyers::MemberId)
                            .col(SalesBuyers::Channel)
                            .col(SalesBuyers::CreditedClerkId)
                            .col(SalesBuyers::CreditedGroupId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SalesBuyers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SalesDaily::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SalesDaily {
    Table,
    BookedDay,
    Channel,
    CreditedStoreId,
    CreditedGroupId,
    CreditedClerkId,
    BookedMonth,
    OrderCount,
    GrossAmount,
    RefundCount,
    RefundAmount,
}

#[derive(DeriveIden)]
enum SalesBuyers {
    Table,
    BookedMonth,
    CreditedStoreId,
    MemberId,
    Channel,
    CreditedClerkId,
    CreditedGroupId,
}
