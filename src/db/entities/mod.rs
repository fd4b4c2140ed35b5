//! sea-orm entities, one module per table (schema: the `migrations` crate).

pub mod prelude;

pub mod accepted_id_tokens;
pub mod api_tokens;
pub mod audit_log;
pub mod binding_attempts;
pub mod binding_change_members;
pub mod binding_changes;
pub mod bindings;
pub mod checklist_items;
pub mod demo_settings;
pub mod enums;
pub mod funnel_events;
pub mod journeys;
mod keys;
pub mod line_followers;
pub mod login_attempts;
pub mod member_conflicts;
pub mod members;
pub mod order_webhook_deliveries;
pub mod order_webhook_secrets;
pub mod orders;
pub mod otp_challenges;
pub mod qr_tokens;
pub mod sales_buyer_counts;
pub mod sales_buyers;
pub mod sales_daily;
pub mod sales_monthly;
pub mod shop_settings;
pub mod sms_budget_days;
pub mod sms_messages;
pub mod staff_accounts;
pub mod staff_sessions;
pub mod store_groups;
pub mod stores;
pub mod webhook_events;
