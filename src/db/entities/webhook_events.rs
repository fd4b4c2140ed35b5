use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// LINE's `webhookEventId`.
    #[sea_orm(column_type = "Text", unique)]
    pub webhook_event_id: String,
    #[sea_orm(column_type = "Text")]
    pub event_type: String,
    #[sea_orm(column_type = "Text")]
    pub source_user_id: Option<String>,
    /// The event's JSON, verbatim.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub is_redelivery: bool,
    /// LINE's event timestamp in milliseconds since the epoch.
    pub event_timestamp: i64,
    pub received_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub processed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub outcome: Option<String>,
    pub attempts: i32,
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
