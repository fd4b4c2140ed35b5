use sea_orm::entity::prelude::*;

use super::enums::SalesChannel;

/// The sales of one Taiwan month in one report cell: its `sales_daily` rows summed, kept by
/// database triggers on `sales_daily` (see the migration `keep_month_totals`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_monthly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub booked_month: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_store_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_clerk_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: SalesChannel,
    #[sea_orm(primary_key, auto_increment = false)]
    pub credited_group_id: i32,
    pub order_count: i32,
    pub gross_amount: i64,
    pub refund_count: i32,
    /// Zero or negative.
    pub refund_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
