use sea_orm::entity::prelude::*;

use super::enums::CheckOutcome;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checklist_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub key: String,
    #[sea_orm(column_type = "Text")]
    pub value: Option<String>,
    pub confirmed_by_staff_id: Option<i32>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub last_checked_at: Option<DateTimeUtc>,
    pub last_check_outcome: Option<CheckOutcome>,
    #[sea_orm(column_type = "Text")]
    pub last_check_detail: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
