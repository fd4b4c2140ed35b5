//! LINE users as friends of the OA (`line_followers`), kept from follow and unfollow events.
//!
//! Events can arrive out of order (a redelivery, a retry after a failure, two events handled at
//! once), so each write is one upsert that moves every timestamp only forward (or, for the first
//! follow, back) and decides "friend now" by comparing the latest follow with the latest block.
//! The order of handling then does not change the result.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, DbErr, EntityTrait, Set};

use crate::db::entities::line_followers::{self, Column};
use crate::domain::line_user::LineUserId;

/// A follow (new friend, or `is_unblocked` for a friend who had blocked the OA) at `at`.
pub async fn record_follow(
    db: &impl ConnectionTrait,
    line_user_id: &LineUserId,
    at: DateTime<Utc>,
    is_unblocked: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = line_followers::ActiveModel {
        line_user_id: Set(line_user_id.clone()),
        display_name: NotSet,
        first_followed_at: Set(at),
        last_followed_at: Set(at),
        unfollowed_at: Set(None),
        last_unblocked_at: Set(is_unblocked.then_some(at)),
        is_friend: Set(true),
        updated_at: Set(now),
    };
    let on_conflict = OnConflict::column(Column::LineUserId)
        .value(Column::FirstFollowedAt, earliest("first_followed_at"))
        .value(Column::LastFollowedAt, latest("last_followed_at"))
        .value(
            Column::LastUnblockedAt,
            latest_nullable("last_unblocked_at"),
        )
        // A friend now unless the user blocked the OA after this follow.
        .value(
            Column::IsFriend,
            Expr::cust(
                "CASE WHEN line_followers.unfollowed_at IS NULL \
                   OR line_followers.unfollowed_at < excluded.last_followed_at \
                 THEN true ELSE line_followers.is_friend END",
            ),
        )
        .value(Column::UpdatedAt, Expr::cust("excluded.updated_at"))
        .to_owned();
    line_followers::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// An unfollow (the user blocked the OA) at `at`.
///
/// A user never seen following (they followed before this system, or the follow is still being
/// handled) gets a row with both follow times set to `at`, the latest they can have been: a
/// follow handled later moves `first_followed_at` back, and only a follow after `at` makes the
/// user a friend again.
pub async fn record_unfollow(
    db: &impl ConnectionTrait,
    line_user_id: &LineUserId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = line_followers::ActiveModel {
        line_user_id: Set(line_user_id.clone()),
        display_name: NotSet,
        first_followed_at: Set(at),
        last_followed_at: Set(at),
        unfollowed_at: Set(Some(at)),
        last_unblocked_at: Set(None),
        is_friend: Set(false),
        updated_at: Set(now),
    };
    let on_conflict = OnConflict::column(Column::LineUserId)
        .value(Column::UnfollowedAt, latest_nullable("unfollowed_at"))
        // Still a friend only if the user followed again after this block.
        .value(
            Column::IsFriend,
            Expr::cust(
                "CASE WHEN line_followers.last_followed_at > excluded.unfollowed_at \
                 THEN line_followers.is_friend ELSE false END",
            ),
        )
        .value(Column::UpdatedAt, Expr::cust("excluded.updated_at"))
        .to_owned();
    line_followers::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn earliest(column: &str) -> Expr {
    Expr::cust(format!(
        "CASE WHEN excluded.{column} < line_followers.{column} \
         THEN excluded.{column} ELSE line_followers.{column} END"
    ))
}

fn latest(column: &str) -> Expr {
    Expr::cust(format!(
        "CASE WHEN excluded.{column} > line_followers.{column} \
         THEN excluded.{column} ELSE line_followers.{column} END"
    ))
}

fn latest_nullable(column: &str) -> Expr {
    Expr::cust(format!(
        "CASE WHEN line_followers.{column} IS NULL \
           OR (excluded.{column} IS NOT NULL AND excluded.{column} > line_followers.{column}) \
         THEN excluded.{column} ELSE line_followers.{column} END"
    ))
}
