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
