//! Codes are also counted per journey (at most a few per scan), so the count needs an index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_otp_challenges_journey_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::JourneyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(OtpChallenges::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    JourneyId,
}
