//! Route B, by phone: OA friend, then phone verification by SMS.
//!
//! The landing page (`/j/{journey}`) offers the OA chat with a prefilled binding code. When the
//! shopper sends it, the webhook hands the message here: the journey is claimed for that LINE user
//! (once — a code is single-use) and the OA replies with a button to the phone page, carrying a
//! signed, short-lived link that ties the LINE user id to the journey.

//!
//! The SMS step of a journey ([`send_journey_code`], [`verify_journey_code`]) serves both routes: route B's landing and phone pages,
//! and route A's LIFF page when HQ requires a verified phone for LIFF members too
//! (`shop_settings.liff_requires_phone`).
//!
//! A code is sent for a live journey that has not bound its member yet (every limit of
//! `services::otp` applies) and is good only for that journey: a code asked for in another tab or
//! at another store binds nothing here. Which journeys take the step is the caller's rule: route B's
//! pages only route-B journeys, the LIFF page only when HQ requires a phone. What the
//! verified phone then becomes (the member's key in route B, a phone attached to the LINE member in
//! route A) is the caller's business; the binding itself is `services::binding`.

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};

use crate::db::entities::enums::{FunnelStage, Route};
use crate::db::entities::{bindings, journeys, members};
use crate::domain::binding_code;
use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;
use crate::domain::signed_link::{self, LinkError, PhoneLink};
use crate::line::OutgoingMessage;
use crate::services::Context;
use crate::services::binding::{self, BindError, BindResult, Identity};
use crate::services::journeys::{self as journey_steps, Claim, JourneyLookupError, JourneySummary};
use crate::services::otp::{self, CodeRequest, CodeSent, OtpError, VerifiedPhone};
use crate::services::webhook::{BindingCodeHandler, IncomingText};

/// How long the phone-page button in the chat stays usable.
pub const PHONE_LINK_VALIDITY: Duration = Duration::minutes(30);

/// What the landing page shows.
pub struct Landing {
    pub summary: JourneySummary,
    /// The OA chat with the binding code prefilled; `None` when the journey has no code or the
    /// OA's basic id is not configured (the phone step still works).
    pub oa_message_url: Option<String>,
    pub binding_code: Option<String>,
}

pub async fn landing(ctx: &Context, journey_id: &JourneyId) -> Result<Landing, JourneyLookupError> {
    let summary = journey_steps::summary(&ctx.db, journey_id).await?;
    let journey = journeys::Entity::find_by_id(journey_id.clone())
        .one(&ctx.db)
        .await?
        .ok_or(JourneyLookupError::NotFound)?;
    let oa_message_url = journey.binding_code.as_deref().and_then(|code| {
        crate::line::links::oa_message_url(&ctx.settings, &binding_code::prefilled_message(code))
    });
    Ok(Landing {
        summary,
        oa_message_url,
        binding_code: journey.binding_code,
    })
}

/// A text message from a LINE user (a signed webhook event). Returns the replies when it carried
/// a binding code, `None` for ordinary chat.
pub async fn handle_chat_message(
    ctx: &Context,
    line_user_id: &LineUserId,
    text: &str,
) -> Result<Option<Vec<OutgoingMessage>>, DbErr> {
    let now = Utc::now();
    let candidates = binding_code::candidates(text);
    if candidates.is_empty() {
        return Ok(None);
    }
    let Some(journey) = journeys::Entity::find()
        .filter(journeys::Column::BindingCode.is_in(candidates))
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    if journey.expires_at <= now {
        return Ok(Some(vec![OutgoingMessage::text(
            "這個綁定碼已過期，請回到門市重新掃描 QR code。",
        )]));
    }

    if let Some(bound_to) = existing_binding_name(ctx, line_user_id).await? {
        return Ok(Some(vec![OutgoingMessage::text(format!(
            "您已是會員，已綁定：{bound_to}"
        ))]));
    }

    // One LINE user per code: the first sender claims it; the same sender may ask again.
    if journey_steps::claim_for_line_user(&ctx.db, &journey, line_user_id).await?
        == Claim::TakenByOther
    {
        return Ok(Some(vec![OutgoingMessage::text(
            "這個綁定碼已由其他 LINE 帳號使用，請回到門市重新掃描 QR code。",
        )]));
    }

    let summary = match journey_steps::summary(&ctx.db, &journey.id).await {
        Ok(summary) => summary,
        Err(JourneyLookupError::Database(err)) => return Err(err),
        Err(_) => return Ok(None),
    };
    let link = signed_link::sign(
        ctx.settings.secret_key.expose().as_bytes(),
        &PhoneLink {
            journey_id: journey.id,
            line_user_id: line_user_id.clone(),
            expires_at: (now + PHONE_LINK_VALIDITY).timestamp(),
        },
    );
    let text = truncate_chars(
        &format!(
            "最後一步：請驗證手機，完成會員綁定。\n門市：{}",
            summary.binding_name
        ),
        160,
    );
    Ok(Some(vec![OutgoingMessage::link_button(
        text,
        "驗證手機",
        ctx.settings.public_url(&format!("/p/{link}")),
    )]))
}

/// The phone page reached from the chat: the link must be genuine and fresh.
pub fn open_phone_link(ctx: &Context, token: &str) -> Result<PhoneLink, LinkError> {
    signed_link::verify(
        ctx.settings.secret_key.expose().as_bytes(),
        token,
        Utc::now().timestamp(),
    )
}

async fn existing_binding_name(
    ctx: &Context,
    line_user_id: &LineUserId,
) -> Result<Option<String>, DbErr> {
    let Some((_, Some(binding))) = members::Entity::find()
        .filter(members::Column::LineUserId.eq(line_user_id.clone()))
        .find_also_related(bindings::Entity)
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let store = crate::services::binding::bound_store(&ctx.db, binding.store_id).await?;
    Ok(Some(store.display_name()))
}

/// LINE's buttons template text holds at most 160 characters.
fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The phone form of the landing or phone page, as submitted.
pub struct PhoneStep<'a> {
    pub journey_id: &'a JourneyId,
    pub phone: &'a TaiwanMobile,
    /// The signed link from the OA chat, when the shopper came that way.
    pub link: Option<&'a str>,
    pub client_ip: &'a str,
}

/// The LINE user id a signed chat link vouches for, if it is genuine, fresh and for this journey.
/// A stale link does not stop the phone step: the LINE id is linked when it is established later.
fn line_user_of(ctx: &Context, step: &PhoneStep<'_>) -> Option<LineUserId> {
    let link = open_phone_link(ctx, step.link?).ok()?;
    (link.journey_id == *step.journey_id).then_some(link.line_user_id)
}

/// The journey of route B's phone step: live, and taking route B. A route-A journey binds through
/// LINE; an SMS for it is one the shop did not ask for, and a member without LINE besides.
async fn phone_journey(
    ctx: &Context,
    journey_id: &JourneyId,
) -> Result<journeys::Model, PhoneStepError> {
    let journey = journey_steps::live(&ctx.db, journey_id).await?;
    if journey.route != Route::Phone {
        return Err(PhoneStepError::LineRoute);
    }
    Ok(journey)
}

/// Sends the SMS code for the journey (the shopper's phone step).
pub async fn send_code(ctx: &Context, step: PhoneStep<'_>) -> Result<CodeSent, PhoneStepError> {
    let journey = phone_journey(ctx, step.journey_id).await?;
    let line_user_id = line_user_of(ctx, &step);
    send_journey_code(
        ctx,
        &journey,
        step.phone,
        line_user_id.as_ref(),
        step.client_ip,
    )
    .await
}

/// Verifies the code, then registers the member by phone and binds the journey's referrer.
///
/// Both in one transaction: a double tap's second request waits for the first and then finds its
/// code used and the journey completed by this phone's member, and answers with that binding.
pub async fn verify_and_bind(
    ctx: &Context,
    step: PhoneStep<'_>,
    code: &str,
) -> Result<BindResult, PhoneBindError> {
    let journey = phone_journey(ctx, step.journey_id).await?;
    let txn = ctx.db.begin().await?;
    let result = verify_and_bind_in(&txn, ctx, &journey, &step, code).await;
    // Committed whatever the answer: a wrong try counts, a refused binding wrote nothing.
    txn.commit().await?;
    result
}

async fn verify_and_bind_in(
    txn: &DatabaseTransaction,
    ctx: &Context,
    journey: &journeys::Model,
    step: &PhoneStep<'_>,
    code: &str,
) -> Result<BindResult, PhoneBindError> {
    let line_user_id =
        match verify_journey_code(txn, ctx, journey, step.phone, code, step.client_ip).await {
            Ok(verified) => verified.line_user_id,
            Err(PhoneStepError::Otp(OtpError::AlreadyUsed))
                if completed_by_phone(txn, &journey.id, step.phone).await? =>
            {
                None
            }
            Err(err) => return Err(err.into()),
        };
    let line_user_id = line_user_id.or_else(|| line_user_of(ctx, step));
    Ok(binding::bind(
        txn,
        &journey.id,
        Identity::Phone {
            phone: step.phone.clone(),
            line_user_id,
        },
    )
    .await?)
}

/// Whether the journey bound the member holding `phone` (the code was used by that binding).
async fn completed_by_phone(
    txn: &DatabaseTransaction,
    journey_id: &JourneyId,
    phone: &TaiwanMobile,
) -> Result<bool, DbErr> {
    let Some(member_id) = journeys::Entity::find_by_id(journey_id.clone())
        .one(txn)
        .await?
        .and_then(|journey| journey.member_id)
    else {
        return Ok(false);
    };
    let member = members::Entity::find_by_id(member_id).one(txn).await?;
    Ok(member.and_then(|m| m.phone_e164).as_ref() == Some(phone))
}

#[derive(Debug, thiserror::Error)]
pub enum PhoneBindError {
    #[error(transparent)]
    Phone(#[from] PhoneStepError),
    #[error(transparent)]
    Bind(#[from] BindError),
}

impl From<DbErr> for PhoneBindError {
    fn from(err: DbErr) -> Self {
        PhoneBindError::Phone(PhoneStepError::Database(err))
    }
}

/// Route B's answer to texts sent to the OA: binding codes get the phone-page button.
pub struct OaChatBindingCodes;

#[async_trait::async_trait]
impl BindingCodeHandler for OaChatBindingCodes {
    async fn handle(
        &self,
        ctx: &Context,
        message: &IncomingText,
    ) -> anyhow::Result<Option<Vec<OutgoingMessage>>> {
        Ok(handle_chat_message(ctx, &message.line_user_id, &message.text).await?)
    }
}

// ---- The SMS step of a journey, for both routes ----

#[derive(Debug, thiserror::Error)]
pub enum PhoneStepError {
    #[error(transparent)]
    Journey(#[from] JourneyLookupError),
    /// The journey binds through LINE (route A): route B's pages take no phone for it.
    #[error("the journey binds through LINE, not by phone")]
    LineRoute,
    /// The journey has bound its member already: one scan, one member, no more codes.
    #[error("the journey is completed")]
    JourneyCompleted,
    #[error(transparent)]
    Otp(#[from] OtpError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Sends a code to `phone` for the journey; `line_user_id` is the LINE user the journey already
/// established (route B's signed chat link), carried to the verification.
pub async fn send_journey_code(
    ctx: &Context,
    journey: &journeys::Model,
    phone: &TaiwanMobile,
    line_user_id: Option<&LineUserId>,
    client_ip: &str,
) -> Result<CodeSent, PhoneStepError> {
    // An SMS costs money; a journey that has bound its member binds no one else.
    if journey.completed_at.is_some() {
        return Err(PhoneStepError::JourneyCompleted);
    }
    let sent = otp::send_code(
        ctx,
        &CodeRequest {
            phone,
            journey_id: Some(&journey.id),
            line_user_id,
            client_ip,
            store_id: Some(journey.store_id),
        },
    )
    .await?;
    journey_steps::record_stage(&ctx.db, journey, FunnelStage::CodeSent, Utc::now()).await?;
    Ok(sent)
}

/// Verifies the code typed for `phone`; it must have been sent for this journey. `db` is the
/// database or a transaction the caller continues (route B binds in the same one).
pub async fn verify_journey_code<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    ctx: &Context,
    journey: &journeys::Model,
    phone: &TaiwanMobile,
    code: &str,
    client_ip: &str,
) -> Result<VerifiedPhone, PhoneStepError> {
    let verified = otp::verify_code_at(
        db,
        &ctx.settings.secret_key,
        phone,
        code,
        Some(&journey.id),
        client_ip,
        Utc::now(),
    )
    .await?;
    journey_steps::record_stage(db, journey, FunnelStage::CodeVerified, Utc::now()).await?;
    Ok(verified)
}
