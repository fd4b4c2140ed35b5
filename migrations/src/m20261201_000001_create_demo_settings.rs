//! Demo mode's own LINE channel: the channel secret and access token the server makes up for the
//! built-in LINE emulator, the emulator's token-signing key, a `SECRET_KEY` for when none is set,
//! and the demo logins, kept so a restarted demo keeps working (signed webhooks, issued ID tokens,
//! signed links in the chat, printed logins). One row, id 1;
//! never used outside demo mode.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DemoSettings::Table)
                    .col(integer(DemoSettings::Id).primary_key())
                    .col(text(DemoSettings::ChannelSecret))
                    .col(text(DemoSettings::ChannelAccessToken))
                    .col(text(DemoSettings::EmulatorKey))
                    .col(text(DemoSettings::SecretKey))
                    .col(text(DemoSettings::HqPassword))
                    .col(text(DemoSettings::ClerkPassword))
                    .col(timestamp_with_time_zone(DemoSettings::CreatedAt))
                    .check(Expr::col(DemoSettings::Id).eq(1))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DemoSettings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DemoSettings {
    Table,
    Id,
    ChannelSecret,
    ChannelAccessToken,
    EmulatorKey,
    SecretKey,
    HqPassword,
    ClerkPassword,
    CreatedAt,
}
