use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LineFollowers::Table)
                    .col(text(LineFollowers::LineUserId).primary_key())
                    .col(text_null(LineFollowers::DisplayName))
                    .col(timestamp_with_time_zone(LineFollowers::FirstFollowedAt))
                    .col(timestamp_with_time_zone(LineFollowers::LastFollowedAt))
                    .col(timestamp_with_time_zone_null(LineFollowers::UnfollowedAt))
                    .col(timestamp_with_time_zone_null(
                        LineFollowers::LastUnblockedAt,
                    ))
                    .col(boolean(LineFollowers::IsFriend).default(true))
                    .col(timestamp_with_time_zone(LineFollowers::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LineFollowers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LineFollowers {
    Table,
    LineUserId,
    DisplayName,
    FirstFollowedAt,
    LastFollowedAt,
    UnfollowedAt,
    LastUnblockedAt,
    IsFriend,
    UpdatedAt,
}
