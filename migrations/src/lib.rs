//! Database schema migrations for store-assistant.
//!
//! Every migration runs on both SQLite and PostgreSQL. Call
//! `migrations::Migrator::up(&db, None)` at start-up.

pub use sea_orm_migration::prelude::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261128_000001_create_store_groups;
mod m20261128_000002_create_stores;
mod m20261128_000003_create_staff_accounts;
mod m20261128_000004_create_shop_settings;
mod m20261128_000005_create_checklist_items;
mod m20261128_000006_create_staff_sessions;
mod m20261128_000007_create_api_tokens;
mod m20261128_000008_create_login_attempts;
mod m20261128_000009_create_qr_tokens;
mod m20261128_000010_create_members;
mod m20261128_000011_create_journeys;
mod m20261128_000012_create_funnel_events;
mod m20261128_000013_create_bindings;
mod m20261128_000014_create_binding_attempts;
mod m20261128_000015_create_member_conflicts;
mod m20261128_000016_create_binding_changes;
mod m20261128_000017_create_line_followers;
mod m20261128_000018_create_webhook_events;
mod m20261128_000019_create_otp_challenges;
mod m20261128_000020_create_sms_messages;
mod m20261128_000021_create_audit_log;
mod m20261130_001001_create_binding_change_members;
mod m20261130_001002_index_member_pages;
mod m20261201_000001_create_demo_settings;
mod m20261201_005001_index_active_qr_tokens;
mod m20261204_140001_create_orders;
mod m20261204_140002_create_sales_rollups;
mod m20261204_140003_add_attribution_settings;
mod m20261204_140004_create_order_webhooks;
mod m20261204_151001_create_sms_budget_days;
mod m20261204_151002_index_otp_challenges_journey_id;
mod m20261204_152001_create_accepted_id_tokens;
mod m20261205_150001_unique_store_names;
mod m20261205_150002_index_retention_and_erasure;
mod m20261207_100001_keep_month_totals;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_store_groups::Migration),
            Box::new(m20261128_000002_create_stores::Migration),
            Box::new(m20261128_000003_create_staff_accounts::Migration),
            Box::new(m20261128_000004_create_shop_settings::Migration),
            Box::new(m20261128_000005_create_checklist_items::Migration),
            Box::new(m20261128_000006_create_staff_sessions::Migration),
            Box::new(m20261128_000007_create_api_tokens::Migration),
            Box::new(m20261128_000008_create_login_attempts::Migration),
            Box::new(m20261128_000009_create_qr_tokens::Migration),
            Box::new(m20261128_000010_create_members::Migration),
            Box::new(m20261128_000011_create_journeys::Migration),
            Box::new(m20261128_000012_create_funnel_events::Migration),
            Box::new(m20261128_000013_create_bindings::Migration),
            Box::new(m20261128_000014_create_binding_attempts::Migration),
            Box::new(m20261128_000015_create_member_conflicts::Migration),
            Box::new(m20261128_000016_create_binding_changes::Migration),
            Box::new(m20261128_000017_create_line_followers::Migration),
            Box::new(m20261128_000018_create_webhook_events::Migration),
            Box::new(m20261128_000019_create_otp_challenges::Migration),
            Box::new(m20261128_000020_create_sms_messages::Migration),
            Box::new(m20261128_000021_create_audit_log::Migration),
            Box::new(m20261130_001001_create_binding_change_members::Migration),
            Box::new(m20261130_001002_index_member_pages::Migration),
            Box::new(m20261201_000001_create_demo_settings::Migration),
            Box::new(m20261201_005001_index_active_qr_tokens::Migration),
            Box::new(m20261204_140001_create_orders::Migration),
            Box::new(m20261204_140002_create_sales_rollups::Migration),
            Box::new(m20261204_140003_add_attribution_settings::Migration),
            Box::new(m20261204_140004_create_order_webhooks::Migration),
            Box::new(m20261204_151001_create_sms_budget_days::Migration),
            Box::new(m20261204_151002_index_otp_challenges_journey_id::Migration),
            Box::new(m20261204_152001_create_accepted_id_tokens::Migration),
            Box::new(m20261205_150001_unique_store_names::Migration),
            Box::new(m20261205_150002_index_retention_and_erasure::Migration),
            Box::new(m20261207_100001_keep_month_totals::Migration),
        ]
    }
}

/// How many migrations, counted from the newest, to undo to remove the month totals (their
/// tables and triggers). Doing them again sums and counts the day cells and buyer rows the
/// database has in one statement each: the order benchmark derives a bulk load's totals that way,
/// and the tests check that it gives what the triggers keep.
pub fn undo_to_before_month_totals() -> u32 {
    let migrations = Migrator::migrations();
    let since = migrations
        .iter()
        .position(|m| m.name() == "m20261207_100001_keep_month_totals")
        .expect("the month totals migration is in the list");
    (migrations.len() - since)
        .try_into()
        .expect("a few migrations")
}
