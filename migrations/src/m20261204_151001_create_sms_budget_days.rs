//! The shop's daily SMS budget as one counter row per Taiwan calendar day. A send takes one
//! with a conditional `UPDATE … SET used = used + 1 WHERE used < budget`, which the database
//! applies one at a time, so parallel sends cannot overshoot the budget (counting the day's
//! messages first and sending after let every parallel request through).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsBudgetDays::Table)
                    // The Taiwan date, `2026-12-04`.
                    .col(text(SmsBudgetDays::Day).primary_key())
                    .col(integer(SmsBudgetDays::Used).default(0))
                    .check(Expr::col(SmsBudgetDays::Used).gte(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SmsBudgetDays::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SmsBudgetDays {
    Table,
    Day,
    Used,
}
