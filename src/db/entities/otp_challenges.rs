use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "otp_challenges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// E.164 as asked for; blank once the member is erased.
    #[sea_orm(column_type = "Text")]
    pub phone_e164: String,
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<JourneyId>,
    #[sea_orm(column_type = "Text")]
    pub line_user_id: Option<LineUserId>,
    #[sea_orm(column_type = "Text")]
    pub code_hash: String,
    /// The client as the per-client limits count it: an IPv4 address, or an IPv6 address's /64
    /// network (`2001:db8:1:2::/64`; `domain::client_network`).
    #[sea_orm(column_type = "Text")]
    pub client_ip: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub wrong_tries: i32,
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
