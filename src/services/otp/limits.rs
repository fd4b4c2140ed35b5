//! The caps on codes: the resend cooldown, and how many codes a phone, a client network and a
//! journey may ask for per hour and per day.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::entities::otp_challenges;

use super::{
    CodeLimit, DAY, HOUR, IP_CODES_PER_DAY, IP_CODES_PER_HOUR, JOURNEY_CODES, OtpError,
    PHONE_CODES_PER_DAY, PHONE_CODES_PER_HOUR, RESEND_AFTER, delta, until,
};

/// The resend cooldown and the per-phone, per-client and per-journey caps, counting the
/// just-inserted challenge.
pub(super) async fn check_limits(
    db: &impl ConnectionTrait,
    mine: &otp_challenges::Model,
    now: DateTime<Utc>,
) -> Result<(), OtpError> {
    let since = now - delta(DAY);
    let by_phone = recent_challenges(
        db,
        otp_challenges::Column::PhoneE164,
        &mine.phone_e164,
        mine.id,
        since,
    )
    .await?;
    if let Some(latest) = by_phone.iter().max()
        && *latest > now - delta(RESEND_AFTER)
    {
        return Err(OtpError::ResendTooSoon {
            retry_after: until(*latest + delta(RESEND_AFTER), now),
        });
    }
    over_cap(
        &by_phone,
        PHONE_CODES_PER_HOUR,
        HOUR,
        CodeLimit::PhonePerHour,
        now,
    )?;
    over_cap(
        &by_phone,
        PHONE_CODES_PER_DAY,
        DAY,
        CodeLimit::PhonePerDay,
        now,
    )?;
    let by_ip = recent_challenges(
        db,
        otp_challenges::Column::ClientIp,
        &mine.client_ip,
        mine.id,
        since,
    )
    .await?;
    over_cap(&by_ip, IP_CODES_PER_HOUR, HOUR, CodeLimit::IpPerHour, now)?;
    over_cap(&by_ip, IP_CODES_PER_DAY, DAY, CodeLimit::IpPerDay, now)?;
    if let Some(journey) = &mine.journey_id {
        let by_journey = otp_challenges::Entity::find()
            .filter(otp_challenges::Column::JourneyId.eq(journey.as_str()))
            .filter(otp_challenges::Column::Id.ne(mine.id))
            .count(db)
            .await?;
        if by_journey >= JOURNEY_CODES as u64 {
            return Err(OtpError::JourneyCodesUsedUp);
        }
    }
    Ok(())
}

/// Creation times of the other challenges with `column = value` since `since`, oldest first.
async fn recent_challenges(
    db: &impl ConnectionTrait,
    column: otp_challenges::Column,
    value: &str,
    except_id: i32,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    otp_challenges::Entity::find()
        .select_only()
        .column(otp_challenges::Column::CreatedAt)
        .filter(column.eq(value))
        .filter(otp_challenges::Column::Id.ne(except_id))
        .filter(otp_challenges::Column::CreatedAt.gt(since))
        .order_by_asc(otp_challenges::Column::CreatedAt)
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await
}

/// With `others` (oldest first) already in the window, is there room for one more?
pub(super) fn over_cap(
    others: &[DateTime<Utc>],
    cap: usize,
    window: Duration,
    limit: CodeLimit,
    now: DateTime<Utc>,
) -> Result<(), OtpError> {
    let start = now - delta(window);
    let in_window: Vec<&DateTime<Utc>> = others.iter().filter(|t| **t > start).collect();
    if in_window.len() < cap {
        return Ok(());
    }
    // Room again once enough of the oldest have left the window.
    let must_leave = in_window.len() + 1 - cap;
    let leaves_at = *in_window[must_leave - 1] + delta(window);
    Err(OtpError::TooManyCodes {
        limit,
        retry_after: until(leaves_at, now),
    })
}
