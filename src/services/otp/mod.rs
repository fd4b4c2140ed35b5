//! One-time SMS codes for the phone step of route B: sending a code and verifying it.
//!
//! A code is 6 digits from the OS CSPRNG, stored only as a keyed hash (see `domain::otp_code`),
//! valid [`CODE_TTL`], single use, and allows [`MAX_TRIES`] tries. Sending is limited per phone, per
//! client (an IPv4 address or an IPv6 /64, `domain::client_network`), per journey and by the
//! shop's daily SMS budget (SMS costs the merchant money), and every refusal says when the shopper
//! may try again. A verified code yields a [`VerifiedPhone`]; creating the
//! member and the binding is the caller's business, not this module's.
//!
//! Races are decided by the database, never by a read followed by a write:
//! - Limits: the new challenge row is inserted first, then the rows of the window are counted
//!   (others included). Of two concurrent requests, the one that checks last always sees the other,
//!   so a limit can be missed by refusing both, never by letting both through.
//! - Budget: a send takes one SMS from the day's counter (`sms_budget_days`) with
//!   `UPDATE … SET used = used + 1 WHERE used < budget`, which the database applies one at a time:
//!   parallel sends get exactly the budget, and a send the gateway surely did not take gives its
//!   SMS back.
//! - Tries: each verification first claims a try with `UPDATE … SET wrong_tries = wrong_tries + 1
//!   WHERE … wrong_tries < 5` and only then compares the code, so even a burst of parallel guesses
//!   gets five comparisons in all.
//! - Single use: `UPDATE … SET consumed_at = now WHERE id = ? AND consumed_at IS NULL`; of two
//!   verifications of the right code, exactly one changes a row.
//!
//! A send the gateway surely did not take (unreachable, refused) removes its challenge, so it costs
//! the shopper nothing; one whose outcome is unknown (a timeout) keeps it — the SMS may arrive, and
//! it may be billed, so it counts.
//!
//! Time is passed in (`now`) by the `*_at` functions; [`send_code`] and [`verify_code`] use the
//! clock. Tests move `now` forward instead of sleeping.

mod budget;
mod limits;

use budget::{give_back_to_budget, take_from_budget};
use limits::check_limits;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionSession, TransactionTrait,
};

use crate::config::Secret;
use crate::db::entities::enums::SmsStatus;
use crate::db::entities::{otp_challenges, sms_messages};
use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::TaiwanMobile;
use crate::domain::sms_text::render_code_message;
use crate::services::Context;
use crate::services::setup;
use crate::sms::{SmsError, SmsProvider};

/// How long a code is valid.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// The earliest a new code may be sent to the same phone.
pub const RESEND_AFTER: Duration = Duration::from_secs(60);
/// Tries per code; then a new code is needed.
pub const MAX_TRIES: i32 = 5;
pub const PHONE_CODES_PER_HOUR: usize = 5;
pub const PHONE_CODES_PER_DAY: usize = 10;
pub const IP_CODES_PER_HOUR: usize = 10;
pub const IP_CODES_PER_DAY: usize = 30;
/// Codes one journey (one scan of a poster) may send, to any phones, in its whole life.
pub const JOURNEY_CODES: usize = 5;

/// `sms_messages.purpose` of verification codes.
pub const PURPOSE: &str = "otp";

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Who asks for a code, and what the challenge carries to the verification.
#[derive(Debug, Clone, Copy)]
pub struct CodeRequest<'a> {
    pub phone: &'a TaiwanMobile,
    /// The route-B journey the phone step belongs to, if any.
    pub journey_id: Option<&'a JourneyId>,
    /// The LINE user id established for the journey (signed token from the chat), if any.
    pub line_user_id: Option<&'a LineUserId>,
    pub client_ip: &'a str,
    /// The store the SMS is charged to in reports.
    pub store_id: Option<i32>,
}

/// A code is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub phone: TaiwanMobile,
    pub expires_at: DateTime<Utc>,
    /// The earliest time another code may be asked for.
    pub resend_at: DateTime<Utc>,
    /// The gateway did not confirm in time: the SMS may still arrive (the code stays valid), or
    /// the shopper asks again after `resend_at`.
    pub delivery_uncertain: bool,
}

/// A phone proven by a code, with what the challenge was created with. The caller binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPhone {
    pub phone: TaiwanMobile,
    pub journey_id: Option<JourneyId>,
    pub line_user_id: Option<LineUserId>,
}

/// Which sending limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLimit {
    PhonePerHour,
    PhonePerDay,
    IpPerHour,
    IpPerDay,
}

#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// Checklist item 8 (顧客請求發送驗證碼通知) is not confirmed: HQ has not allowed SMS codes.
    #[error(
        "SMS codes are off: the setup checklist item 顧客請求發送驗證碼通知 (sms_template_enabled) is not confirmed"
    )]
    SmsTemplateDisabled,
    #[error("a code was sent less than 60 s ago")]
    ResendTooSoon { retry_after: Duration },
    #[error("code sending limit reached: {limit:?}")]
    TooManyCodes {
        limit: CodeLimit,
        retry_after: Duration,
    },
    /// The journey has had [`JOURNEY_CODES`] codes: a new scan starts a new one.
    #[error("this journey has sent all the codes it may")]
    JourneyCodesUsedUp,
    #[error("the shop's daily SMS budget is used up")]
    DailyBudgetReached { retry_after: Duration },
    /// The gateway surely did not send it; nothing was counted against the shopper.
    #[error("the SMS was not sent: {0}")]
    SmsNotSent(SmsError),
    #[error("the code typed is not 6 digits")]
    MalformedCode,
    #[error("no code was sent to this phone")]
    NoCode,
    #[error("the code has expired")]
    Expired,
    #[error("wrong code; {tries_left} tries left")]
    WrongCode { tries_left: u32 },
    /// Five tries used up: a new code is needed (from `retry_after` on).
    #[error("too many wrong tries")]
    TooManyTries { retry_after: Duration },
    #[error("the code was already used")]
    AlreadyUsed,
    /// The newest code of this phone was asked for on another journey (another tab or store).
    #[error("the code was sent for another journey")]
    SentForAnotherJourney,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl OtpError {
    /// When the shopper may try again, for refusals that have a time.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            OtpError::ResendTooSoon { retry_after }
            | OtpError::TooManyCodes { retry_after, .. }
            | OtpError::DailyBudgetReached { retry_after }
            | OtpError::TooManyTries { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

/// Sends a code to `request.phone` now, through the app's SMS provider.
pub async fn send_code(ctx: &Context, request: &CodeRequest<'_>) -> Result<CodeSent, OtpError> {
    send_code_at(
        &ctx.db,
        &ctx.sms,
        &ctx.settings.secret_key,
        request,
        Utc::now(),
    )
    .await
}

/// Verifies a code typed for `phone` now.
pub async fn verify_code(
    ctx: &Context,
    phone: &TaiwanMobile,
    code: &str,
    for_journey: Option<&JourneyId>,
    client_ip: &str,
) -> Result<VerifiedPhone, OtpError> {
    verify_code_at(
        &ctx.db,
        &ctx.settings.secret_key,
        phone,
        code,
        for_journey,
        client_ip,
        Utc::now(),
    )
    .await
}

/// [`send_code`] with the collaborators and the time passed in.
pub async fn send_code_at(
    db: &impl ConnectionTrait,
    sms: &SmsProvider,
    secret_key: &Secret,
    request: &CodeRequest<'_>,
    now: DateTime<Utc>,
) -> Result<CodeSent, OtpError> {
    // PostgreSQL keeps microseconds: compute with what will be stored, on both databases.
    let now = now.trunc_subsecs(6);
    let phone = request.phone;
    if !setup::flags(db).await?.sms_template_enabled {
        tracing::warn!(
            phone = %phone.masked(),
            "SMS code refused: the setup checklist item 顧客請求發送驗證碼通知 (SMS template) is off; HQ must confirm it before shoppers can verify phones"
        );
        return Err(OtpError::SmsTemplateDisabled);
    }
    let shop = setup::shop_settings(db).await?;

    let code = OtpCode::generate();
    let challenge = otp_challenges::ActiveModel {
        phone_e164: Set(phone.e164().to_owned()),
        journey_id: Set(request.journey_id.cloned()),
        line_user_id: Set(request.line_user_id.cloned()),
        code_hash: Set(code.hash(secret_key.expose().as_bytes(), phone)),
        client_ip: Set(request.client_ip.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + delta(CODE_TTL)),
        wrong_tries: Set(0),
        consumed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;

    if let Err(refusal) = check_limits(db, &challenge, now).await {
        delete_challenge(db, challenge.id).await?;
        let retry_after_secs = refusal.retry_after().map(|wait| wait.as_secs());
        tracing::info!(phone = %phone.masked(), ip = %request.client_ip, ?retry_after_secs, "SMS code refused: {refusal}");
        return Err(refusal);
    }
    if let Err(refusal) = take_from_budget(db, shop.sms_daily_budget, now).await {
        delete_challenge(db, challenge.id).await?;
        return Err(refusal);
    }

    let minutes = i64::try_from(CODE_TTL.as_secs() / 60).unwrap_or(5);
    let text = render_code_message(&shop.sms_template, &shop.shop_name, code.as_str(), minutes);
    let outcome = sms.send(phone, &text).await;
    let sent = CodeSent {
        phone: phone.clone(),
        expires_at: challenge.expires_at,
        resend_at: now + delta(RESEND_AFTER),
        delivery_uncertain: outcome.is_err(),
    };
    let record = sms_messages::ActiveModel {
        phone_e164: Set(phone.e164().to_owned()),
        store_id: Set(request.store_id),
        provider: Set(sms.name().to_owned()),
        purpose: Set(PURPOSE.to_owned()),
        sent_at: Set(now),
        ..Default::default()
    };
    match outcome {
        Ok(receipt) => {
            sms_messages::ActiveModel {
                status: Set(SmsStatus::Sent),
                provider_message_id: Set(receipt.provider_message_id),
                cost_units: Set(receipt.cost_units),
                error: Set(None),
                ..record
            }
            .insert(db)
            .await?;
            if let Some(credit) = receipt.credit_left {
                tracing::info!(provider = sms.name(), credit_left = credit, "SMS sent");
            }
            supersede_older(db, &challenge, now).await?;
            Ok(sent)
        }
        Err(err) if err.surely_not_sent() => {
            // Nothing went out: the shopper's limits and the budget are as if nothing was asked.
            delete_challenge(db, challenge.id).await?;
            give_back_to_budget(db, now).await?;
            sms_messages::ActiveModel {
                status: Set(SmsStatus::Failed),
                provider_message_id: Set(None),
                cost_units: Set(0),
                error: Set(Some(err.to_string())),
                ..record
            }
            .insert(db)
            .await?;
            tracing::warn!(provider = sms.name(), phone = %phone.masked(), error = %err, "SMS code not sent");
            Err(OtpError::SmsNotSent(err))
        }
        Err(err) => {
            // It may have gone out and been billed: keep the code valid and count the message.
            sms_messages::ActiveModel {
                status: Set(SmsStatus::Sent),
                provider_message_id: Set(None),
                cost_units: Set(crate::domain::sms_text::segment_count(&text)),
                error: Set(Some(err.to_string())),
                ..record
            }
            .insert(db)
            .await?;
            tracing::warn!(provider = sms.name(), phone = %phone.masked(), error = %err, "SMS code delivery uncertain");
            supersede_older(db, &challenge, now).await?;
            Ok(sent)
        }
    }
}

/// [`verify_code`] with the collaborators and the time passed in.
///
/// One transaction per try: the claimed try holds the challenge's row until the outcome is
/// written, so a double submit of the right code waits for the first and is told "already used"
/// instead of finding all tries claimed by requests still in flight.
pub async fn verify_code_at<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    secret_key: &Secret,
    phone: &TaiwanMobile,
    code: &str,
    for_journey: Option<&JourneyId>,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedPhone, OtpError> {
    let txn = db.begin().await?;
    let outcome = verify_in(&txn, secret_key, phone, code, for_journey, client_ip, now).await;
    // A wrong try counts even though the answer is a refusal: commit either way.
    txn.commit().await?;
    outcome
}

async fn verify_in(
    db: &impl ConnectionTrait,
    secret_key: &Secret,
    phone: &TaiwanMobile,
    code: &str,
    for_journey: Option<&JourneyId>,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedPhone, OtpError> {
    let now = now.trunc_subsecs(6);
    let code = OtpCode::parse(code).map_err(|_| OtpError::MalformedCode)?;
    let Some(challenge) = otp_challenges::Entity::find()
        .filter(otp_challenges::Column::PhoneE164.eq(phone.e164()))
        .order_by_desc(otp_challenges::Column::Id)
        .one(db)
        .await?
    else {
        return Err(OtpError::NoCode);
    };
    if let Some(refusal) = unusable(&challenge, now) {
        return Err(refusal);
    }
    if for_journey.is_some_and(|journey| challenge.journey_id.as_ref() != Some(journey)) {
        // Typed on another tab's page: the code stays usable where it was asked for.
        return Err(OtpError::SentForAnotherJourney);
    }

    // Claim a try before comparing: parallel guesses cannot exceed MAX_TRIES comparisons.
    let claimed = otp_challenges::Entity::update_many()
        .col_expr(
            otp_challenges::Column::WrongTries,
            Expr::col(otp_challenges::Column::WrongTries).add(1),
        )
        .filter(otp_challenges::Column::Id.eq(challenge.id))
        .filter(otp_challenges::Column::ConsumedAt.is_null())
        .filter(otp_challenges::Column::WrongTries.lt(MAX_TRIES))
        .filter(otp_challenges::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(refusal_now(db, challenge.id, now).await?);
    }

    if !code.matches(secret_key.expose().as_bytes(), phone, &challenge.code_hash) {
        let tries_used = otp_challenges::Entity::find_by_id(challenge.id)
            .one(db)
            .await?
            .map_or(MAX_TRIES, |row| row.wrong_tries);
        let tries_left = u32::try_from(MAX_TRIES - tries_used).unwrap_or(0);
        tracing::info!(phone = %phone.masked(), ip = %client_ip, tries_left, "wrong SMS code");
        return Err(if tries_left == 0 {
            OtpError::TooManyTries {
                retry_after: resend_wait(&challenge, now),
            }
        } else {
            OtpError::WrongCode { tries_left }
        });
    }

    // The right code: the first to mark it consumed wins; the try it claimed is given back.
    let consumed = otp_challenges::Entity::update_many()
        .col_expr(otp_challenges::Column::ConsumedAt, Expr::value(now))
        .col_expr(
            otp_challenges::Column::WrongTries,
            Expr::col(otp_challenges::Column::WrongTries).sub(1),
        )
        .filter(otp_challenges::Column::Id.eq(challenge.id))
        .filter(otp_challenges::Column::ConsumedAt.is_null())
        .filter(otp_challenges::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if consumed.rows_affected == 0 {
        return Err(refusal_now(db, challenge.id, now).await?);
    }
    tracing::info!(phone = %phone.masked(), ip = %client_ip, "SMS code verified");
    Ok(VerifiedPhone {
        phone: phone.clone(),
        journey_id: challenge.journey_id,
        line_user_id: challenge.line_user_id,
    })
}

/// Why a challenge cannot take a try, if it cannot.
fn unusable(challenge: &otp_challenges::Model, now: DateTime<Utc>) -> Option<OtpError> {
    if challenge.consumed_at.is_some() {
        Some(OtpError::AlreadyUsed)
    } else if challenge.expires_at <= now {
        Some(OtpError::Expired)
    } else if challenge.wrong_tries >= MAX_TRIES {
        Some(OtpError::TooManyTries {
            retry_after: resend_wait(challenge, now),
        })
    } else {
        None
    }
}

/// After a conditional update changed nothing: reads the row again to say why.
async fn refusal_now(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<OtpError, DbErr> {
    let row = otp_challenges::Entity::find_by_id(id).one(db).await?;
    Ok(row
        .and_then(|row| unusable(&row, now))
        .unwrap_or(OtpError::AlreadyUsed))
}

/// How long until a new code may be sent after this one.
fn resend_wait(challenge: &otp_challenges::Model, now: DateTime<Utc>) -> Duration {
    until(challenge.created_at + delta(RESEND_AFTER), now)
}

/// Older unused codes of the phone stop working once a newer one is out.
async fn supersede_older(
    db: &impl ConnectionTrait,
    mine: &otp_challenges::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    otp_challenges::Entity::update_many()
        .col_expr(otp_challenges::Column::ExpiresAt, Expr::value(now))
        .filter(otp_challenges::Column::PhoneE164.eq(mine.phone_e164.as_str()))
        .filter(otp_challenges::Column::Id.lt(mine.id))
        .filter(otp_challenges::Column::ConsumedAt.is_null())
        .filter(otp_challenges::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(())
}

async fn delete_challenge(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    otp_challenges::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).expect("the policy durations are small")
}

/// The wait from `now` until `instant` (zero if it has passed), rounded up to whole seconds.
fn until(instant: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let wait = (instant - now).to_std().unwrap_or(Duration::ZERO);
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::budget::taiwan_day;
    use super::limits::over_cap;
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_taiwan_day_starts_at_16_utc() {
        let (start, next) = taiwan_day(at("2026-11-28T15:59:59Z"));
        assert_eq!(start, at("2026-11-27T16:00:00Z"));
        assert_eq!(next, at("2026-11-28T16:00:00Z"));
        let (start, _) = taiwan_day(at("2026-11-28T16:00:00Z"));
        assert_eq!(start, at("2026-11-28T16:00:00Z"));
    }

    #[test]
    fn a_full_window_opens_when_its_oldest_leaves() {
        let now = at("2026-11-28T12:00:00Z");
        let others: Vec<_> = (0..5)
            .map(|i| now - TimeDelta::minutes(50 - i * 10))
            .collect();
        let err = over_cap(&others, 5, HOUR, CodeLimit::PhonePerHour, now).unwrap_err();
        // The oldest (50 min ago) leaves the hour in 10 min.
        assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
        assert!(over_cap(&others[1..], 5, HOUR, CodeLimit::PhonePerHour, now).is_ok());
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        let now = at("2026-11-28T12:00:00Z");
        assert_eq!(
            until(now + TimeDelta::milliseconds(44_100), now),
            Duration::from_secs(45)
        );
        assert_eq!(until(now - TimeDelta::seconds(5), now), Duration::ZERO);
    }
}
