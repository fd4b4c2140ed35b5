use sea_orm::entity::prelude::*;

use crate::domain::line_user::LineUserId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "line_followers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub line_user_id: LineUserId,
    #[sea_orm(column_type = "Text")]
    pub display_name: Option<String>,
    pub first_followed_at: DateTimeUtc,
    pub last_followed_at: DateTimeUtc,
    /// Set on unfollow (block).
    pub unfollowed_at: Option<DateTimeUtc>,
    pub last_unblocked_at: Option<DateTimeUtc>,
    pub is_friend: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
