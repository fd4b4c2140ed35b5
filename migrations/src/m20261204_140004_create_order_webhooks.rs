//! Signed order webhooks from web shops.
//!
//! `order_webhook_secrets`: the shared secret of each web-shop source (`generic`, `shopify`,
//! `woocommerce`) that HQ sets in the admin; the server needs it in the clear to compute HMACs,
//! so it is stored like the other channel secrets and never shown back in full.
//! `order_webhook_deliveries`: one row per accepted delivery, keyed by what identifies it at its
//! source (the generic webhook's signature, Shopify's `X-Shopify-Webhook-Id`, WooCommerce's
//! delivery id): a replayed or redelivered request finds its row and is not processed twice.
//! Rows older than a week are deleted in the background; by then every platform has stopped
//! retrying and the generic webhook's 5-minute window refuses the request anyway.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SOURCES: [&str; 3] = ["generic", "shopify", "woocommerce"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderWebhookSecrets::Table)
                    .col(
                        text(OrderWebhookSecrets::Source)
                            .primary_key()
                            .check(Expr::col(OrderWebhookSecrets::Source).is_in(SOURCES)),
                    )
                    .col(text(OrderWebhookSecrets::Secret))
                    .col(timestamp_with_time_zone(OrderWebhookSecrets::UpdatedAt))
                    .col(integer_null(OrderWebhookSecrets::UpdatedByStaffId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_webhook_secrets_updated_by_staff_id")
                            .from(
                                OrderWebhookSecrets::Table,
                                OrderWebhookSecrets::UpdatedByStaffId,
                            )
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderWebhookDeliveries::Table)
                    .col(big_pk_auto(OrderWebhookDeliveries::Id))
                    .col(
                        text(OrderWebhookDeliveries::Source)
                            .check(Expr::col(OrderWebhookDeliveries::Source).is_in(SOURCES)),
                    )
                    .col(text(OrderWebhookDeliveries::DeliveryKey))
                    .col(timestamp_with_time_zone(OrderWebhookDeliveries::ReceivedAt))
                    // What the delivery did: `recorded`, `duplicate`, `ignored:<why>`, ...
                    .col(text(OrderWebhookDeliveries::Outcome))
                    .col(big_integer_null(OrderWebhookDeliveries::OrderId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_order_webhook_deliveries_key")
                    .table(OrderWebhookDeliveries::Table)
                    .col(OrderWebhookDeliveries::Source)
                    .col(OrderWebhookDeliveries::DeliveryKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_webhook_deliveries_received_at")
                    .table(OrderWebhookDeliveries::Table)
                    .col(OrderWebhookDeliveries::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(OrderWebhookDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OrderWebhookSecrets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrderWebhookSecrets {
    Table,
    Source,
    Secret,
    UpdatedAt,
    UpdatedByStaffId,
}

#[derive(DeriveIden)]
enum OrderWebhookDeliveries {
    Table,
    Id,
    Source,
    DeliveryKey,
    ReceivedAt,
    Outcome,
    OrderId,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
