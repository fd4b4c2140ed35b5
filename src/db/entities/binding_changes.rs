use sea_orm::entity::prelude::*;

use super::enums::BindingChangeKind;

/// An HQ rebinding or a bulk reassignment batch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "binding_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: BindingChangeKind,
    pub performed_by_staff_id: Option<i32>,
    pub performed_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub from_store_id: Option<i32>,
    pub to_store_id: Option<i32>,
    pub from_clerk_id: Option<i32>,
    pub to_clerk_id: Option<i32>,
    pub member_count: i32,
    /// JSON array of member ids.
    pub member_ids: Json,
    pub undone_at: Option<DateTimeUtc>,
    pub undone_by_staff_id: Option<i32>,
    pub undoes_change_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
