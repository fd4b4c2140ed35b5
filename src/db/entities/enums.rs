//! Text enumerations stored in `text` columns guarded by a `CHECK (... IN (...))`.
//! The string values here must match the CHECK lists in the migrations crate.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `staff_accounts.role`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    #[sea_orm(string_value = "hq")]
    Hq,
    #[sea_orm(string_value = "store")]
    Store,
}

/// `journeys.route`, `bindings.route`, `members.registered_via`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Route {
    #[sea_orm(string_value = "liff")]
    Liff,
    #[sea_orm(string_value = "phone")]
    Phone,
}

/// `member_conflicts.status`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ConflictStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "merged")]
    Merged,
    #[sea_orm(string_value = "kept_apart")]
    KeptApart,
}

/// `funnel_events.stage`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    #[sea_orm(string_value = "scan")]
    Scan,
    #[sea_orm(string_value = "journey")]
    Journey,
    #[sea_orm(string_value = "friend")]
    Friend,
    #[sea_orm(string_value = "code_sent")]
    CodeSent,
    #[sea_orm(string_value = "code_verified")]
    CodeVerified,
    #[sea_orm(string_value = "bound")]
    Bound,
    #[sea_orm(string_value = "already_bound")]
    AlreadyBound,
}

/// `binding_attempts.outcome`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    #[sea_orm(string_value = "bound")]
    Bound,
    #[sea_orm(string_value = "already_bound")]
    AlreadyBound,
    #[sea_orm(string_value = "conflict")]
    Conflict,
    #[sea_orm(string_value = "expired")]
    Expired,
}

/// `checklist_items.last_check_outcome`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    #[sea_orm(string_value = "ok")]
    Ok,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "unreachable")]
    Unreachable,
}

/// `binding_changes.kind`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum BindingChangeKind {
    #[sea_orm(string_value = "rebind")]
    Rebind,
    #[sea_orm(string_value = "reassign_clerk")]
    ReassignClerk,
    #[sea_orm(string_value = "reassign_store")]
    ReassignStore,
    #[sea_orm(string_value = "undo")]
    Undo,
}

/// `sms_messages.status`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SmsStatus {
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// `orders.kind`: a sale (positive amount) or a refund of one (negative, linked to its sale).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    #[sea_orm(string_value = "sale")]
    Sale,
    #[sea_orm(string_value = "refund")]
    Refund,
}

/// `orders.channel`, `sales_daily.channel`, `sales_buyers.channel`
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SalesChannel {
    /// The web shop (網路商店).
    #[sea_orm(string_value = "online")]
    Online,
    /// A purchase in a physical store (門市消費), recorded by a clerk or imported from the POS.
    #[sea_orm(string_value = "in_store")]
    InStore,
}

/// `orders.status` (of a sale; refund rows carry `refunded`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Refunded in part or in full (`refunded_amount` says how much).
    #[sea_orm(string_value = "refunded")]
    Refunded,
}

/// `shop_settings.attribution_level`, `orders.attribution_level` (歸因層級)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum AttributionLevel {
    /// The bound store gets the credit.
    #[sea_orm(string_value = "store")]
    Store,
    /// The bound store and, when the member bound through a clerk's card, that clerk.
    #[sea_orm(string_value = "clerk")]
    Clerk,
}

/// `orders.unattributed_reason`: why an order credits no store.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum UnattributedReason {
    /// The order names no customer we can look up (no phone, LINE id or member id).
    #[sea_orm(string_value = "no_customer")]
    NoCustomer,
    /// It names one, but no member has that phone, LINE id or member id.
    #[sea_orm(string_value = "unknown_member")]
    UnknownMember,
    /// The member has no binding.
    #[sea_orm(string_value = "not_bound")]
    NotBound,
    /// Ordered before the member bound: never credited.
    #[sea_orm(string_value = "before_binding")]
    BeforeBinding,
    /// Ordered after the attribution window (歸因有效期限) had closed.
    #[sea_orm(string_value = "window_expired")]
    WindowExpired,
}

/// `order_webhook_secrets.source`, `order_webhook_deliveries.source`: the web shops that sign
/// their order webhooks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum WebShop {
    /// Any shop or middleware that signs the documented generic payload.
    #[sea_orm(string_value = "generic")]
    Generic,
    #[sea_orm(string_value = "shopify")]
    Shopify,
    #[sea_orm(string_value = "woocommerce")]
    WooCommerce,
}
