use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text", unique)]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// At most one group per store.
    pub group_id: Option<i32>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Its staff may record in-store purchases (新增門市消費); HQ switches it.
    pub purchase_entry_enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::store_groups::Entity",
        from = "Column::GroupId",
        to = "super::store_groups::Column::Id",
        on_delete = "Restrict"
    )]
    StoreGroup,
    #[sea_orm(has_many = "super::staff_accounts::Entity")]
    StaffAccounts,
    #[sea_orm(has_many = "super::qr_tokens::Entity")]
    QrTokens,
    #[sea_orm(has_many = "super::bindings::Entity")]
    Bindings,
}

impl Related<super::store_groups::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StoreGroup.def()
    }
}

impl Related<super::staff_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StaffAccounts.def()
    }
}

impl Related<super::qr_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::QrTokens.def()
    }
}

impl Related<super::bindings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bindings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
