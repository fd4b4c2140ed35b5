//! The LINE ID tokens the LIFF binding accepted, by hash: a token binds on one journey only, so a
//! copied token replayed on another scan is refused, while the same shopper's double tap on its own
//! journey still gets their binding. Kept until the token expires (LINE refuses it after that).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AcceptedIdTokens::Table)
                    // SHA-256 of the token, hex: the token itself is a credential, never stored.
                    .col(text(AcceptedIdTokens::TokenHash).primary_key())
                    .col(text(AcceptedIdTokens::JourneyId))
                    .col(timestamp_with_time_zone(AcceptedIdTokens::AcceptedAt))
                    // The token's own `exp`.
                    .col(timestamp_with_time_zone(AcceptedIdTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_accepted_id_tokens_journey_id")
                            .from(AcceptedIdTokens::Table, AcceptedIdTokens::JourneyId)
                            .to(Journeys::Table, Journeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_accepted_id_tokens_expires_at")
                    .table(AcceptedIdTokens::Table)
                    .col(AcceptedIdTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AcceptedIdTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AcceptedIdTokens {
    Table,
    TokenHash,
    JourneyId,
    AcceptedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Journeys {
    Table,
    Id,
}
