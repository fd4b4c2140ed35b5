use sea_orm::entity::prelude::*;

use super::enums::WebShop;

/// One accepted order-webhook delivery, by what identifies it at its source.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: WebShop,
    #[sea_orm(column_type = "Text")]
    pub delivery_key: String,
    pub received_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub outcome: String,
    pub order_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
