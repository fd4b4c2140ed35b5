//! Text enumerations stored in `text` columns guarded by a `CHECK (... IN (...))`.
//! The string values here must match the CHECK lists in the migrations crate.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::domain::access::StaffRole;
pub use crate::domain::attribution::AttributionLevel;
pub use crate::domain::attribution::UnattributedReason;
pub use crate::domain::checklist::CheckOutcome;
pub use crate::domain::funnel::FunnelStage;
pub use crate::domain::orders::OrderStatus;
pub use crate::domain::orders::SalesChannel;
pub use crate::domain::route::Route;

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
