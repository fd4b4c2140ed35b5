//! HQ's attribution settings (歸因層級 and 歸因有效期限) on the shop settings row, and the per-store
//! switch that lets its staff record in-store purchases (新增門市消費).
//!
//! `attribution_level`: `store` credits the bound store; `clerk` also credits the bound clerk.
//! `attribution_window_days`: orders placed more than this many days after the member bound are not
//! credited; NULL means no limit (the binding is permanent, as the default policy says).
//! `stores.purchase_entry_enabled`: off until HQ turns it on for the store.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const MAX_WINDOW_DAYS: i32 = 3650;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(ShopSettings::Table)
                    .add_column(
                        text(ShopSettings::AttributionLevel).default("store").check(
                            Expr::col(ShopSettings::AttributionLevel).is_in(["store", "clerk"]),
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ShopSettings::Table)
                    .add_column(integer_null(ShopSettings::AttributionWindowDays).check(
                        Expr::col(ShopSettings::AttributionWindowDays).between(1, MAX_WINDOW_DAYS),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Stores::Table)
                    .add_column(boolean(Stores::PurchaseEntryEnabled).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                ShopSettings::Table.into_iden(),
                ShopSettings::AttributionLevel.into_iden(),
            ),
            (
                ShopSettings::Table.into_iden(),
                ShopSettings::AttributionWindowDays.into_iden(),
            ),
            (
                Stores::Table.into_iden(),
                Stores::PurchaseEntryEnabled.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ShopSettings {
    Table,
    AttributionLevel,
    AttributionWindowDays,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    PurchaseEntryEnabled,
}
