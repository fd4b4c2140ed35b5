use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;

use super::enums::FunnelStage;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    /// Plain id, no FK.
    pub clerk_id: Option<i32>,
    pub stage: FunnelStage,
    /// No FK: journeys are cleaned up, funnel events stay.
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<JourneyId>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
