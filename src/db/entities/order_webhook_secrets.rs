use sea_orm::entity::prelude::*;

use super::enums::WebShop;

/// The shared secret a web shop signs its order webhooks with.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_webhook_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: WebShop,
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub updated_at: DateTimeUtc,
    pub updated_by_staff_id: Option<i32>,
}

/// Secrets: never in a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("order_webhook_secrets::Model")
            .field("source", &self.source)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
