//! The daily SMS budget (a Taiwan calendar day): reserved per code by a conditional update, given
//! back when the SMS provider refuses, so parallel sends cannot overshoot it.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::db::entities::enums::SmsStatus;
use crate::db::entities::{sms_budget_days, sms_messages};

use super::{OtpError, until};

/// Takes one SMS from today's budget (a Taiwan calendar day), or refuses until tomorrow.
pub(super) async fn take_from_budget(
    db: &impl ConnectionTrait,
    budget: i32,
    now: DateTime<Utc>,
) -> Result<(), OtpError> {
    let day = taiwan_date(now);
    let take = || {
        sms_budget_days::Entity::update_many()
            .col_expr(
                sms_budget_days::Column::Used,
                Expr::col(sms_budget_days::Column::Used).add(1),
            )
            .filter(sms_budget_days::Column::Day.eq(day.as_str()))
            .filter(sms_budget_days::Column::Used.lt(budget))
            .exec(db)
    };
    if take().await?.rows_affected == 1 {
        return Ok(());
    }
    // The day's first SMS finds no counter: create it (if nobody did meanwhile) and take again.
    open_budget_day(db, &day, now).await?;
    if take().await?.rows_affected == 1 {
        return Ok(());
    }
    tracing::warn!(
        budget,
        day,
        "SMS code refused: the shop's daily SMS budget (sms_daily_budget) is used up"
    );
    Err(OtpError::DailyBudgetReached {
        retry_after: until(taiwan_day(now).1, now),
    })
}

/// Creates the day's counter if it is missing, starting from the SMS already recorded as sent
/// that day (which matters only on the day this version is installed); whoever inserts first wins.
async fn open_budget_day(
    db: &impl ConnectionTrait,
    day: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if sms_budget_days::Entity::find_by_id(day)
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (day_start, next_day) = taiwan_day(now);
    let sent_today = sms_messages::Entity::find()
        .filter(sms_messages::Column::Status.eq(SmsStatus::Sent))
        .filter(sms_messages::Column::SentAt.gte(day_start))
        .filter(sms_messages::Column::SentAt.lt(next_day))
        .count(db)
        .await?;
    sms_budget_days::Entity::insert(sms_budget_days::ActiveModel {
        day: Set(day.to_owned()),
        used: Set(i32::try_from(sent_today).unwrap_or(i32::MAX)),
    })
    .on_conflict_do_nothing_on([sms_budget_days::Column::Day])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Gives back an SMS taken from today's budget that the gateway surely did not send.
pub(super) async fn give_back_to_budget(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sms_budget_days::Entity::update_many()
        .col_expr(
            sms_budget_days::Column::Used,
            Expr::col(sms_budget_days::Column::Used).sub(1),
        )
        .filter(sms_budget_days::Column::Day.eq(taiwan_date(now)))
        .filter(sms_budget_days::Column::Used.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Today's date in Taiwan, `2026-12-04`: the key of the day's budget counter.
fn taiwan_date(now: DateTime<Utc>) -> String {
    let taiwan = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    now.with_timezone(&taiwan).format("%Y-%m-%d").to_string()
}

/// Start of today and of tomorrow in Taiwan (UTC+8, no daylight saving), as UTC instants.
pub(super) fn taiwan_day(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let taiwan = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let midnight = now
        .with_timezone(&taiwan)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(taiwan)
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc);
    (midnight, midnight + TimeDelta::days(1))
}
