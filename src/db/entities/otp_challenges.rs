use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "otp_challenges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub phone_e164: String,
    #[sea_orm(column_type = "Text")]
    pub journey_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub line_user_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub code_hash: String,
    #[sea_orm(column_type = "Text")]
    pub client_ip: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub wrong_tries: i32,
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
