use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OtpChallenges::Table)
                    .col(pk_auto(OtpChallenges::Id))
                    .col(text(OtpChallenges::PhoneE164))
                    .col(text_null(OtpChallenges::JourneyId))
                    .col(text_null(OtpChallenges::LineUserId))
                    .col(text(OtpChallenges::CodeHash))
                    .col(text(OtpChallenges::ClientIp))
                    .col(timestamp_with_time_zone(OtpChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(OtpChallenges::ExpiresAt))
                    .col(integer(OtpChallenges::WrongTries).default(0))
                    .col(timestamp_with_time_zone_null(OtpChallenges::ConsumedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_otp_challenges_phone_e164_created_at")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::PhoneE164)
                    .col(OtpChallenges::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_otp_challenges_client_ip_created_at")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::ClientIp)
                    .col(OtpChallenges::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OtpChallenges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    Id,
    #[sea_orm(iden = "phone_e164")]
    PhoneE164,
    JourneyId,
    LineUserId,
    CodeHash,
    ClientIp,
    CreatedAt,
    ExpiresAt,
    WrongTries,
    ConsumedAt,
}
