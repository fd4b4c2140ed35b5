use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;

use super::enums::Route;

/// A member's referrer (one per member).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bindings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub member_id: i32,
    pub store_id: i32,
    pub clerk_id: Option<i32>,
    pub route: Route,
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<JourneyId>,
    pub bound_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::members::Entity",
        from = "Column::MemberId",
        to = "super::members::Column::Id",
        on_delete = "Cascade"
    )]
    Member,
    #[sea_orm(
        belongs_to = "super::stores::Entity",
        from = "Column::StoreId",
        to = "super::stores::Column::Id",
        on_delete = "Restrict"
    )]
    Store,
    #[sea_orm(
        belongs_to = "super::staff_accounts::Entity",
        from = "Column::ClerkId",
        to = "super::staff_accounts::Column::Id",
        on_delete = "SetNull"
    )]
    Clerk,
}

impl Related<super::members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}

impl Related<super::stores::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Store.def()
    }
}

impl Related<super::staff_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Clerk.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
