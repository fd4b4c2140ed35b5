use sea_orm::entity::prelude::*;

use super::enums::AttributionLevel;

/// The single shop-wide settings row (id is always 1; seeded by the migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub shop_name: String,
    #[sea_orm(column_type = "Text")]
    pub welcome_message: String,
    #[sea_orm(column_type = "Text")]
    pub sms_template: String,
    pub sms_daily_budget: i32,
    pub liff_requires_phone: bool,
    pub activated_at: Option<DateTimeUtc>,
    pub activated_by_staff_id: Option<i32>,
    pub updated_at: DateTimeUtc,
    /// 歸因層級: who an order credits.
    pub attribution_level: AttributionLevel,
    /// 歸因有效期限: days after binding during which orders are credited; `None`: no limit.
    pub attribution_window_days: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
