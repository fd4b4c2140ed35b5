use sea_orm::entity::prelude::*;

use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;

use super::enums::Route;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journeys")]
pub struct Model {
    /// Random public id (used in URLs).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: JourneyId,
    pub qr_token_id: i32,
    pub store_id: i32,
    pub clerk_id: Option<i32>,
    pub route: Route,
    #[sea_orm(column_type = "Text")]
    pub nonce: String,
    #[sea_orm(column_type = "Text", unique)]
    pub binding_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub line_user_id: Option<LineUserId>,
    pub member_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::qr_tokens::Entity",
        from = "Column::QrTokenId",
        to = "super::qr_tokens::Column::Id",
        on_delete = "Cascade"
    )]
    QrToken,
    #[sea_orm(
        belongs_to = "super::stores::Entity",
        from = "Column::StoreId",
        to = "super::stores::Column::Id",
        on_delete = "Cascade"
    )]
    Store,
}

impl Related<super::qr_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::QrToken.def()
    }
}

impl Related<super::stores::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Store.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
