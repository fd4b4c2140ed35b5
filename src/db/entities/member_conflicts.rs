use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;

use super::enums::ConflictStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_conflicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub line_user_id: LineUserId,
    #[sea_orm(column_type = "Text")]
    pub phone_e164: TaiwanMobile,
    /// The member that owns the LINE user id.
    pub line_member_id: i32,
    /// The member that owns the phone number.
    pub phone_member_id: i32,
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<JourneyId>,
    pub status: ConflictStatus,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by_staff_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub resolution_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
