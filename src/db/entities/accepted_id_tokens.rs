use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;

/// A LINE ID token the LIFF binding accepted (by hash), and the one journey it binds on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accepted_id_tokens")]
pub struct Model {
    /// SHA-256 of the token, hex.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub token_hash: String,
    #[sea_orm(column_type = "Text")]
    pub journey_id: JourneyId,
    pub accepted_at: DateTimeUtc,
    /// The token's `exp`: LINE refuses it after that, so the row is no longer needed.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
