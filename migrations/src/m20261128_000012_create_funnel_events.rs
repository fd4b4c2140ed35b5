use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FunnelEvents::Table)
                    .col(pk_auto(FunnelEvents::Id))
                    .col(integer(FunnelEvents::StoreId))
                    // Plain id, no FK: reports keep the clerk id even if the account goes.
                    .col(integer_null(FunnelEvents::ClerkId))
                    .col(
                        text(FunnelEvents::Stage).check(Expr::col(FunnelEvents::Stage).is_in([
                            "scan",
                            "journey",
                            "friend",
                            "code_sent",
                            "code_verified",
                            "bound",
                            "already_bound",
                        ])),
                    )
                    // No FK: journeys are cleaned up, funnel events stay.
                    .col(text_null(FunnelEvents::JourneyId))
                    .col(timestamp_with_time_zone(FunnelEvents::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_funnel_events_store_id")
                            .from(FunnelEvents::Table, FunnelEvents::StoreId)
                            .to(Stores::Table, Stores::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_funnel_events_store_id_occurred_at")
                    .table(FunnelEvents::Table)
                    .col(FunnelEvents::StoreId)
                    .col(FunnelEvents::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_funnel_events_occurred_at")
                    .table(FunnelEvents::Table)
                    .col(FunnelEvents::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FunnelEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FunnelEvents {
    Table,
    Id,
    StoreId,
    ClerkId,
    Stage,
    JourneyId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}
