use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub occurred_at: DateTimeUtc,
    pub actor_staff_id: Option<i32>,
    /// Who did it, as shown (username, "system", "api:<token name>", ...).
    #[sea_orm(column_type = "Text")]
    pub actor_label: String,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub entity_type: String,
    #[sea_orm(column_type = "Text")]
    pub entity_id: Option<String>,
    /// Plain id, no FK.
    pub store_id: Option<i32>,
    pub before_json: Option<Json>,
    pub after_json: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
