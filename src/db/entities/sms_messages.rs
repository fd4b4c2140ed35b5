use sea_orm::entity::prelude::*;

use super::enums::SmsStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// E.164 as sent; blank once the member it went to is erased (the cost stays for reports).
    #[sea_orm(column_type = "Text")]
    pub phone_e164: String,
    pub store_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub provider: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    pub status: SmsStatus,
    #[sea_orm(column_type = "Text")]
    pub provider_message_id: Option<String>,
    pub cost_units: i32,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
