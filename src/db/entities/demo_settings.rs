use sea_orm::entity::prelude::*;

/// Demo mode's made-up LINE channel and logins (one row, id 1; see the migration).
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demo_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub channel_secret: String,
    #[sea_orm(column_type = "Text")]
    pub channel_access_token: String,
    #[sea_orm(column_type = "Text")]
    pub emulator_key: String,
    #[sea_orm(column_type = "Text")]
    pub secret_key: String,
    #[sea_orm(column_type = "Text")]
    pub hq_password: String,
    #[sea_orm(column_type = "Text")]
    pub clerk_password: String,
    pub created_at: DateTimeUtc,
}

/// Secrets: never in a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("demo_settings::Model")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
