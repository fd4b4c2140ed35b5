use sea_orm::entity::prelude::*;

use super::enums::SalesChannel;

/// A member who bought in a month, in one report cell (0 is "none").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_buyers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub booked_month: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_store_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: SalesChannel,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_clerk_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_group_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
