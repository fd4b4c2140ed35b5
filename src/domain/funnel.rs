//! The stages a scan passes on its way to a binding, counted for the funnel report.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

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
