use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    // bigserial on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite.
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(text_uniq(WebhookEvents::WebhookEventId))
                    .col(text(WebhookEvents::EventType))
                    .col(text_null(WebhookEvents::SourceUserId))
                    // The event's JSON, kept verbatim.
                    .col(text(WebhookEvents::Payload))
                    .col(boolean(WebhookEvents::IsRedelivery).default(false))
                    // LINE's event timestamp, milliseconds since the epoch.
                    .col(big_integer(WebhookEvents::EventTimestamp))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ClaimedUntil))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .col(text_null(WebhookEvents::Outcome))
                    .col(integer(WebhookEvents::Attempts).default(0))
                    .col(text_null(WebhookEvents::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_events_processed_at_id")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::ProcessedAt)
                    .col(WebhookEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    WebhookEventId,
    EventType,
    SourceUserId,
    Payload,
    IsRedelivery,
    EventTimestamp,
    ReceivedAt,
    ClaimedUntil,
    ProcessedAt,
    Outcome,
    Attempts,
    LastError,
}
