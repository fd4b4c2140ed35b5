use sea_orm::entity::prelude::*;

/// One member moved by an HQ binding change: the binding before and after.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "binding_change_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub change_id: i32,
    pub member_id: i32,
    pub from_store_id: i32,
    pub from_clerk_id: Option<i32>,
    pub to_store_id: i32,
    pub to_clerk_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::binding_changes::Entity",
        from = "Column::ChangeId",
        to = "super::binding_changes::Column::Id",
        on_delete = "Cascade"
    )]
    Change,
}

impl Related<super::binding_changes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Change.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
