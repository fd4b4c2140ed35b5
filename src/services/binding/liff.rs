//! Route A: the LIFF one-pass binding. The LIFF page sends LINE's ID token and the user's access
//! token; LINE vouches for both and that they are the same user's, the friendship is checked, and
//! the binding service does the rest in one transaction. Nothing the client says about the user is
//! believed. An ID token binds on one journey only (its hash is recorded with the binding), and
//! binds are rate-limited per client address and per journey before LINE is asked anything.
//!
//! When HQ requires a verified phone for LIFF members too (`shop_settings.liff_requires_phone`),
//! the same page adds route B's SMS step (`services::binding::phone`, with every limit of
//! `services::otp`): the code is sent for the journey, and the bind request carries the phone and
//! the code. The binding then attaches the verified phone to the LINE member in the same
//! transaction; a phone that belongs to another member is a conflict for HQ, never a merge.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use crate::db::entities::{journeys, members};
use crate::domain::id_token::unverified_nonce;
use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;
use crate::domain::rate_limit::{RateLimit, SharedRateLimiter};
use crate::domain::tokens::token_hash;
use crate::line::LineApiError;
use crate::line::client::{IdTokenClaims, Profile};
use crate::services::Context;
use crate::services::binding::phone::{self, PhoneStepError};
use crate::services::binding::{self, BindError, BindResult, IdTokenUse, Identity};
use crate::services::journeys::{self as journey_steps, JourneyLookupError, JourneySummary};
use crate::services::otp::{CodeSent, OtpError};
use crate::services::setup;

/// The journey as the LIFF page shows it, and whether the page adds the SMS step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiffJourney {
    #[serde(flatten)]
    pub summary: JourneySummary,
    /// HQ requires a verified phone for LIFF members (`liff_requires_phone`).
    pub phone_required: bool,
}

pub async fn liff_journey(
    db: &DatabaseConnection,
    journey_id: &JourneyId,
) -> Result<LiffJourney, JourneyLookupError> {
    let summary = journey_steps::summary(db, journey_id).await?;
    Ok(LiffJourney {
        summary,
        phone_required: setup::shop_settings(db).await?.liff_requires_phone,
    })
}

pub struct LiffBindRequest {
    pub journey_id: JourneyId,
    pub id_token: String,
    pub access_token: Option<String>,
    pub consent: bool,
    /// The phone step's answer, when HQ requires a verified phone (ignored otherwise).
    pub phone: Option<PhoneProof>,
    pub client_ip: String,
}

/// The phone the shopper typed and the code the SMS brought.
pub struct PhoneProof {
    pub phone: TaiwanMobile,
    pub code: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LiffBindError {
    #[error("the shopper did not agree to the personal-data notice")]
    ConsentMissing,
    #[error(transparent)]
    Journey(#[from] JourneyLookupError),
    /// The request carries no access token: without it LINE cannot say whose login this is.
    #[error("the LIFF page sent no access token")]
    AccessTokenMissing,
    /// Too many binds from this address or for this journey; nothing was asked of LINE.
    #[error("too many binds; retry after {retry_after:?}")]
    TooManyTries { retry_after: Duration },
    /// LINE refused the ID token or the access token (expired, wrong audience, wrong nonce,
    /// forged), or the two belong to different users.
    #[error("LINE refused the login: {0}")]
    InvalidToken(String),
    /// The user has not added the OA as a friend (or blocked it).
    #[error("the user is not a friend of the OA")]
    NotFriend { add_friend_url: Option<String> },
    /// LINE did not answer: nothing was written; the shopper can retry.
    #[error("LINE is unreachable: {0}")]
    LineUnavailable(LineApiError),
    /// HQ requires a verified phone and the request carries none.
    #[error("a verified phone is required for LIFF members")]
    PhoneRequired,
    /// A code was asked for although HQ does not require a phone for LIFF members.
    #[error("the LIFF binding does not take a phone")]
    PhoneNotRequired,
    #[error(transparent)]
    Phone(#[from] PhoneStepError),
    #[error(transparent)]
    Bind(#[from] BindError),
}

impl From<Duration> for LiffBindError {
    /// A limit's refusal: the wait until the next try is allowed.
    fn from(retry_after: Duration) -> Self {
        LiffBindError::TooManyTries { retry_after }
    }
}

/// How many binds each client address and each journey may send (see [`RateLimit`]).
#[derive(Debug, Clone, Copy)]
pub struct LiffBindLimits {
    pub per_address: RateLimit,
    pub per_journey: RateLimit,
}

impl Default for LiffBindLimits {
    fn default() -> Self {
        Self {
            per_address: RateLimit::LIFF_BINDS_PER_ADDRESS,
            per_journey: RateLimit::LIFF_BINDS_PER_JOURNEY,
        }
    }
}

/// The limits' buckets, one set for the process (in `Context`): every bind costs several LINE
/// Login calls, so a bot is stopped before LINE is asked anything.
#[derive(Debug, Clone)]
pub struct LiffBindLimiter {
    by_address: SharedRateLimiter<IpAddr>,
    by_journey: SharedRateLimiter<String>,
}

impl LiffBindLimiter {
    pub fn new(limits: LiffBindLimits) -> Self {
        Self {
            by_address: SharedRateLimiter::new(limits.per_address),
            by_journey: SharedRateLimiter::new(limits.per_journey),
        }
    }

    /// Counts one LINE Login round for the address (the member card's LIFF page spends the
    /// same calls as a bind); the wait when the address is over its budget.
    pub fn check_address(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        self.by_address.check(address, now)
    }
}

impl From<DbErr> for LiffBindError {
    fn from(err: DbErr) -> Self {
        LiffBindError::Bind(BindError::Database(err))
    }
}

/// Sends the SMS code of the LIFF page's phone step for the journey.
pub async fn send_phone_code(
    ctx: &Context,
    journey_id: &JourneyId,
    phone: &TaiwanMobile,
    consent: bool,
    client_ip: &str,
) -> Result<CodeSent, LiffBindError> {
    if !consent {
        return Err(LiffBindError::ConsentMissing);
    }
    // SMS cost money: none is sent for a step the shop does not ask for.
    if !setup::shop_settings(&ctx.db).await?.liff_requires_phone {
        return Err(LiffBindError::PhoneNotRequired);
    }
    // The LINE user is not known yet (the ID token comes with the bind); it is not needed: the
    // code is good for this journey only, and the bind names the user through LINE.
    let journey = journey_steps::live(&ctx.db, journey_id).await?;
    Ok(phone::send_journey_code(ctx, &journey, phone, None, client_ip).await?)
}

/// Verifies the shopper with LINE, checks the friendship, then registers and binds.
///
/// Before LINE is asked anything: consent, the access token present, the per-address and
/// per-journey limits, a live journey, and the ID token not accepted on another journey. Then LINE
/// verifies the ID token and the access token, says whose the access token is (it must be the ID
/// token's `sub`: an ID token copied from someone else does not come with their access token) and
/// whether that user is a friend of the OA.
pub async fn bind(ctx: &Context, request: LiffBindRequest) -> Result<BindResult, LiffBindError> {
    if !request.consent {
        return Err(LiffBindError::ConsentMissing);
    }
    let access_token = request
        .access_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or(LiffBindError::AccessTokenMissing)?;
    let now = Instant::now();
    let address = request
        .client_ip
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    ctx.liff_bind_limiter.by_address.check(address, now)?;
    // Look before calling LINE: an expired journey needs no LINE round trip.
    let journey = journey_steps::live(&ctx.db, &request.journey_id).await?;
    ctx.liff_bind_limiter
        .by_journey
        .check(journey.id.to_string(), now)?;
    let token_hash = token_hash(&request.id_token);
    if !binding::id_token_free_for(&ctx.db, &token_hash, &journey.id).await? {
        return Err(BindError::IdTokenUsed.into());
    }

    // A token that carries a nonce must carry this journey's (see domain::id_token).
    let nonce = unverified_nonce(&request.id_token).map(|_| journey.nonce.clone());
    let (claims, profile) =
        verify_line_login(ctx, &request.id_token, nonce.as_deref(), access_token).await?;
    if !ctx
        .line
        .friendship_status(access_token)
        .await
        .map_err(line_error)?
    {
        return Err(LiffBindError::NotFriend {
            add_friend_url: add_friend_url(ctx),
        });
    }

    let user_id = LineUserId::from_line(claims.sub);
    let phone = if setup::shop_settings(&ctx.db).await?.liff_requires_phone {
        let proof = request.phone.ok_or(LiffBindError::PhoneRequired)?;
        Some(verified_phone(ctx, &journey, &user_id, &proof, &request.client_ip).await?)
    } else {
        None
    };

    let id_token = IdTokenUse {
        token_hash,
        // LINE refused it had it expired; the fallback only keeps a malformed `exp` harmless.
        expires_at: DateTime::from_timestamp(claims.exp, 0)
            .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1)),
    };
    let result = binding::bind(
        &ctx.db,
        &journey.id,
        Identity::Line {
            user_id,
            display_name: claims.name.or(Some(profile.display_name)),
            phone,
            id_token: Some(id_token),
        },
    )
    .await?;
    Ok(result)
}

/// The phone the code proves, in E.164. A retry of a bind whose answer was lost finds its code
/// used: that is fine when the phone is already this LINE member's, verified.
async fn verified_phone(
    ctx: &Context,
    journey: &journeys::Model,
    line_user_id: &LineUserId,
    proof: &PhoneProof,
    client_ip: &str,
) -> Result<TaiwanMobile, LiffBindError> {
    let verified =
        phone::verify_journey_code(&ctx.db, ctx, journey, &proof.phone, &proof.code, client_ip)
            .await;
    match verified {
        Ok(verified) => Ok(verified.phone.clone()),
        Err(PhoneStepError::Otp(OtpError::AlreadyUsed))
            if holds_verified_phone(&ctx.db, line_user_id, &proof.phone).await? =>
        {
            Ok(proof.phone.clone())
        }
        Err(err) => Err(err.into()),
    }
}

async fn holds_verified_phone(
    db: &DatabaseConnection,
    line_user_id: &LineUserId,
    phone: &TaiwanMobile,
) -> Result<bool, DbErr> {
    let held = members::Entity::find()
        .filter(members::Column::LineUserId.eq(line_user_id.clone()))
        .filter(members::Column::PhoneE164.eq(phone.clone()))
        .filter(members::Column::PhoneVerifiedAt.is_not_null())
        .count(db)
        .await?;
    Ok(held > 0)
}

/// The OA's add-friend link, when the basic id is configured.
pub fn add_friend_url(ctx: &Context) -> Option<String> {
    crate::line::links::add_friend_url(&ctx.settings)
}

fn line_error(err: LineApiError) -> LiffBindError {
    LineLoginError::from(err).into()
}

/// Why LINE did not vouch for a LIFF page's user.
#[derive(Debug)]
pub enum LineLoginError {
    /// LINE could not be asked (down, slow, not configured): try again later.
    Unavailable(LineApiError),
    /// LINE refused a token, or the two tokens name different users.
    Invalid(String),
}

impl From<LineApiError> for LineLoginError {
    fn from(err: LineApiError) -> Self {
        match err {
            err if err.is_retryable() => LineLoginError::Unavailable(err),
            LineApiError::Api { message, .. } => LineLoginError::Invalid(message),
            other => LineLoginError::Unavailable(other),
        }
    }
}

impl From<LineLoginError> for LiffBindError {
    fn from(err: LineLoginError) -> Self {
        match err {
            LineLoginError::Unavailable(err) => LiffBindError::LineUnavailable(err),
            LineLoginError::Invalid(message) => LiffBindError::InvalidToken(message),
        }
    }
}

/// Who a LIFF page's user is, as LINE vouches: the ID token (with the nonce, when one is
/// expected) and the access token verified with LINE, and the access token's profile the same
/// user as the ID token. Three LINE Login calls: callers rate-limit before.
pub async fn verify_line_login(
    ctx: &Context,
    id_token: &str,
    nonce: Option<&str>,
    access_token: &str,
) -> Result<(IdTokenClaims, Profile), LineLoginError> {
    let claims = ctx.line.verify_id_token(id_token, nonce).await?;
    ctx.line.verify_access_token(access_token).await?;
    let profile = ctx.line.user_profile(access_token).await?;
    if profile.user_id != claims.sub {
        return Err(LineLoginError::Invalid(
            "the access token belongs to another user than the ID token".to_owned(),
        ));
    }
    Ok((claims, profile))
}
