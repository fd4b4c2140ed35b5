//! Text primary keys typed in `domain` (a journey's id, a follower's LINE user id). sea-orm asks
//! every primary key type whether it can come from an auto-increment number; these never do.

use sea_orm::{DbErr, TryFromU64};

use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;

impl TryFromU64 for JourneyId {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("JourneyId"))
    }
}

impl TryFromU64 for LineUserId {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("LineUserId"))
    }
}
