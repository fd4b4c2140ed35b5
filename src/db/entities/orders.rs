use sea_orm::entity::prelude::*;

use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;

use super::enums::{AttributionLevel, OrderKind, OrderStatus, SalesChannel, UnattributedReason};

/// One booking: a sale, or a refund of one (see the migration and `docs/data-model.md`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: OrderKind,
    /// A refund's sale.
    pub parent_id: Option<i64>,
    pub channel: SalesChannel,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    pub status: OrderStatus,
    /// NT$: positive for a sale, negative for a refund.
    pub amount: i64,
    /// On a sale, the sum of its refunds (positive).
    pub refunded_amount: i64,
    pub ordered_at: DateTimeUtc,
    /// Taiwan day of `ordered_at`, `20261128`.
    pub booked_day: i32,
    /// Taiwan month of `ordered_at`, `202611`.
    pub booked_month: i32,
    pub received_at: DateTimeUtc,
    pub member_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub customer_phone: Option<TaiwanMobile>,
    #[sea_orm(column_type = "Text")]
    pub customer_line_user_id: Option<LineUserId>,
    pub attribution_level: AttributionLevel,
    pub credited_store_id: Option<i32>,
    pub credited_group_id: Option<i32>,
    pub credited_clerk_id: Option<i32>,
    pub unattributed_reason: Option<UnattributedReason>,
    pub entry_store_id: Option<i32>,
    pub operator_staff_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub receipt_no: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    pub voided_at: Option<DateTimeUtc>,
    pub voided_by_staff_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub void_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::ParentId",
        to = "Column::Id",
        on_delete = "Restrict"
    )]
    Parent,
    #[sea_orm(
        belongs_to = "super::members::Entity",
        from = "Column::MemberId",
        to = "super::members::Column::Id",
        on_delete = "SetNull"
    )]
    Member,
}

impl Related<super::members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
