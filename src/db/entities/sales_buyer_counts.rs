use sea_orm::entity::prelude::*;

/// How many different members bought in a month, per scope and channel, kept by database
/// triggers on `sales_buyers` (see the migration `keep_month_totals`).
///
/// `scope` is `all`, `store`, `group` or `clerk`; the keys are those of the report's rows
/// (`services::sales_report::ReportKey`): store (0 = no store credited), group (-1 = no store
/// credited, 0 = in no group), store and clerk (0 = no clerk). `channel` is `online`, `in_store`
/// or `both`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_buyer_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub booked_month: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_a: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_b: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub buyers: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
