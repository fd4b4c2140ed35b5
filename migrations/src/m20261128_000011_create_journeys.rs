use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Journeys::Table)
                    // Random public id (shown in URLs).
                    .col(text(Journeys::Id).primary_key())
                    .col(integer(Journeys::QrTokenId))
                    .col(integer(Journeys::StoreId))
                    .col(integer_null(Journeys::ClerkId))
                    .col(
                        text(Journeys::Route)
                            .check(Expr::col(Journeys::Route).is_in(["liff", "phone"])),
                    )
                    .col(text(Journeys::Nonce))
                    .col(text_null(Journeys::BindingCode).unique_key())
                    .col(text_null(Journeys::LineUserId))
                    .col(integer_null(Journeys::MemberId))
                    .col(timestamp_with_time_zone(Journeys::CreatedAt))
                    .col(timestamp_with_time_zone(Journeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Journeys::CompletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journeys_qr_token_id")
                            .from(Journeys::Table, Journeys::QrTokenId)
                            .to(QrTokens::Table, QrTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journeys_store_id")
                            .from(Journeys::Table, Journeys::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journeys_clerk_id")
                            .from(Journeys::Table, Journeys::ClerkId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journeys_member_id")
                            .from(Journeys::Table, Journeys::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_journeys_expires_at")
                    .table(Journeys::Table)
                    .col(Journeys::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Journeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Journeys {
    Table,
    Id,
    QrTokenId,
    StoreId,
    ClerkId,
    Route,
    Nonce,
    BindingCode,
    LineUserId,
    MemberId,
    CreatedAt,
    ExpiresAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum QrTokens {
    Table,
    Id,
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

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}
