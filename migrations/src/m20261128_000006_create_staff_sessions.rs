use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffSessions::Table)
                    .col(text(StaffSessions::TokenHash).primary_key())
                    .col(integer(StaffSessions::StaffId))
                    .col(text(StaffSessions::CsrfToken))
                    .col(timestamp_with_time_zone(StaffSessions::CreatedAt))
                    .col(timestamp_with_time_zone(StaffSessions::LastSeenAt))
                    .col(timestamp_with_time_zone(StaffSessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_sessions_staff_id")
                            .from(StaffSessions::Table, StaffSessions::StaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_sessions_staff_id")
                    .table(StaffSessions::Table)
                    .col(StaffSessions::StaffId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_sessions_expires_at")
                    .table(StaffSessions::Table)
                    .col(StaffSessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    TokenHash,
    StaffId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
