//! Indexes for housekeeping's deletes by age (one-time codes by `created_at`, sign-in attempts by
//! `attempted_at`; webhook events, funnel events and accepted ID tokens have theirs already) and
//! for erasure, which finds a member's phone number and LINE user id in orders and the SMS log.
//! Webhook events get no index on the user: their inserts are the busiest path, erasure is rare,
//! and the table holds only the retention period's events.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, column)
const INDEXES: [(&str, &str, &str); 5] = [
    (
        "idx_otp_challenges_created_at",
        "otp_challenges",
        "created_at",
    ),
    (
        "idx_login_attempts_attempted_at",
        "login_attempts",
        "attempted_at",
    ),
    ("idx_orders_customer_phone", "orders", "customer_phone"),
    (
        "idx_orders_customer_line_user_id",
        "orders",
        "customer_line_user_id",
    ),
    ("idx_sms_messages_phone_e164", "sms_messages", "phone_e164"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
