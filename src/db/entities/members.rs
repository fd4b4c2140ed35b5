use sea_orm::entity::prelude::*;

use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;

use super::enums::Route;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text", unique)]
    pub line_user_id: Option<LineUserId>,
    /// E.164, e.g. `+886912345678`.
    #[sea_orm(column_type = "Text", unique)]
    pub phone_e164: Option<TaiwanMobile>,
    #[sea_orm(column_type = "Text")]
    pub display_name: Option<String>,
    pub registered_via: Route,
    pub phone_verified_at: Option<DateTimeUtc>,
    pub line_linked_at: Option<DateTimeUtc>,
    pub consent_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub consent_version: Option<String>,
    pub erased_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `bindings.member_id` is unique: at most one binding per member.
    #[sea_orm(has_one = "super::bindings::Entity")]
    Binding,
}

impl Related<super::bindings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Binding.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
