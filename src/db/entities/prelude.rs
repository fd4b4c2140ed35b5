//! `use crate::db::entities::prelude::*;` brings every entity (as `Stores`, `Members`, ...)
//! and every enum into scope.

pub use super::accepted_id_tokens::Entity as AcceptedIdTokens;
pub use super::api_tokens::Entity as ApiTokens;
pub use super::audit_log::Entity as AuditLog;
pub use super::binding_attempts::Entity as BindingAttempts;
pub use super::binding_change_members::Entity as BindingChangeMembers;
pub use super::binding_changes::Entity as BindingChanges;
pub use super::bindings::Entity as Bindings;
pub use super::checklist_items::Entity as ChecklistItems;
pub use super::enums::{
    AttemptOutcome, AttributionLevel, BindingChangeKind, CheckOutcome, ConflictStatus, FunnelStage,
    OrderKind, OrderStatus, Route, SalesChannel, SmsStatus, StaffRole, UnattributedReason, WebShop,
};
pub use super::funnel_events::Entity as FunnelEvents;
pub use super::journeys::Entity as Journeys;
pub use super::line_followers::Entity as LineFollowers;
pub use super::login_attempts::Entity as LoginAttempts;
pub use super::member_conflicts::Entity as MemberConflicts;
pub use super::members::Entity as Members;
pub use super::order_webhook_deliveries::Entity as OrderWebhookDeliveries;
pub use super::order_webhook_secrets::Entity as OrderWebhookSecrets;
pub use super::orders::Entity as Orders;
pub use super::otp_challenges::Entity as OtpChallenges;
pub use super::qr_tokens::Entity as QrTokens;
pub use super::sales_buyer_counts::Entity as SalesBuyerCounts;
pub use super::sales_buyers::Entity as SalesBuyers;
pub use super::sales_daily::Entity as SalesDaily;
pub use super::sales_monthly::Entity as SalesMonthly;
pub use super::shop_settings::Entity as ShopSettings;
pub use super::sms_budget_days::Entity as SmsBudgetDays;
pub use super::sms_messages::Entity as SmsMessages;
pub use super::staff_accounts::Entity as StaffAccounts;
pub use super::staff_sessions::Entity as StaffSessions;
pub use super::store_groups::Entity as StoreGroups;
pub use super::stores::Entity as Stores;
pub use super::webhook_events::Entity as WebhookEvents;
