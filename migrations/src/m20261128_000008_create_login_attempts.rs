use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(pk_auto(LoginAttempts::Id))
                    .col(text(LoginAttempts::Username))
                    .col(text(LoginAttempts::ClientIp))
                    .col(boolean(LoginAttempts::Succeeded).default(false))
                    .col(timestamp_with_time_zone(LoginAttempts::AttemptedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_username_attempted_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::Username)
                    .col(LoginAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_client_ip_attempted_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::ClientIp)
                    .col(LoginAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Username,
    ClientIp,
    Succeeded,
    AttemptedAt,
}
