use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QrTokens::Table)
                    .col(pk_auto(QrTokens::Id))
                    .col(text_uniq(QrTokens::Token))
                    .col(integer(QrTokens::StoreId))
                    .col(integer_null(QrTokens::ClerkId))
                    .col(timestamp_with_time_zone(QrTokens::CreatedAt))
                    .col(integer_null(QrTokens::CreatedByStaffId))
                    .col(timestamp_with_time_zone_null(QrTokens::RevokedAt))
                    .col(integer_null(QrTokens::RevokedByStaffId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_qr_tokens_store_id")
                            .from(QrTokens::Table, QrTokens::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_qr_tokens_clerk_id")
                            .from(QrTokens::Table, QrTokens::ClerkId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_qr_tokens_created_by_staff_id")
                            .from(QrTokens::Table, QrTokens::CreatedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_qr_tokens_revoked_by_staff_id")
                            .from(QrTokens::Table, QrTokens::RevokedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_qr_tokens_store_id")
                    .table(QrTokens::Table)
                    .col(QrTokens::StoreId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QrTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum QrTokens {
    Table,
    Id,
    Token,
    StoreId,
    ClerkId,
    CreatedAt,
    CreatedByStaffId,
    RevokedAt,
    RevokedByStaffId,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
