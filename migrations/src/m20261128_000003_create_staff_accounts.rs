use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffAccounts::Table)
                    .col(pk_auto(StaffAccounts::Id))
                    .col(text_uniq(StaffAccounts::Username))
                    .col(text(StaffAccounts::PasswordHash))
                    .col(
                        text(StaffAccounts::Role)
                            .check(Expr::col(StaffAccounts::Role).is_in(["hq", "store"])),
                    )
                    .col(integer_null(StaffAccounts::StoreId))
                    .col(text(StaffAccounts::DisplayName).default(""))
                    .col(boolean(StaffAccounts::Active).default(true))
                    .col(timestamp_with_time_zone(StaffAccounts::CreatedAt))
                    .col(timestamp_with_time_zone(StaffAccounts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(StaffAccounts::LastLoginAt))
                    .col(timestamp_with_time_zone_null(
                        StaffAccounts::PasswordChangedAt,
                    ))
                    // HQ accounts have no store; store accounts have exactly one.
                    .check(
                        Expr::col(StaffAccounts::Role)
                            .eq("hq")
                            .and(Expr::col(StaffAccounts::StoreId).is_null())
                            .or(Expr::col(StaffAccounts::Role)
                                .eq("store")
                                .and(Expr::col(StaffAccounts::StoreId).is_not_null())),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_accounts_store_id")
                            .from(StaffAccounts::Table, StaffAccounts::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_accounts_store_id")
                    .table(StaffAccounts::Table)
                    .col(StaffAccounts::StoreId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffAccounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    StoreId,
    DisplayName,
    Active,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}
