use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;

use super::enums::AttemptOutcome;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "binding_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub member_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<JourneyId>,
    pub store_id: i32,
    pub clerk_id: Option<i32>,
    pub outcome: AttemptOutcome,
    /// For `already_bound`: the store the member was already bound to.
    pub bound_store_id: Option<i32>,
    pub attempted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
