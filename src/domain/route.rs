//! The two ways a shopper becomes a bound member: LIFF (friend + register + bind in one pass,
//! for Certified Providers) or the OA chat then a phone number verified by SMS.

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

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
