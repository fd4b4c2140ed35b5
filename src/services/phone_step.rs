//! The SMS phone step of a journey, one piece for both routes: route B's landing and phone pages,
//! and route A's LIFF page when HQ requires a verified phone for LIFF members too
//! (`shop_settings.liff_requires_phone`).
//!
//! A code is sent for a live journey that has not bound its member yet (every limit of
//! `services::otp` applies) and is good only for that journey: a code asked for in another tab or
//! at another store binds nothing here. Which journeys take the step is the caller's rule: route B's
//! pages only route-B journeys, the LIFF page only when HQ requires a phone. What the
//! verified phone then becomes (the member's key in route B, a phone attached to the LINE member in
//! route A) is the caller's business; the binding itself is `services::binding`.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, TransactionTrait};

use crate::db::entities::enums::FunnelStage;
use crate::db::entities::{funnel_events, journeys};
use crate::domain::phone::TaiwanMobile;
use crate::services::Context;
use crate::services::liff::JourneyLookupError;
use crate::services::otp::{self, CodeRequest, CodeSent, OtpError, VerifiedPhone};

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
pub async fn send_code(
    ctx: &Context,
    journey: &journeys::Model,
    phone: &TaiwanMobile,
    line_user_id: Option<&str>,
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
    record_stage(&ctx.db, journey, FunnelStage::CodeSent).await?;
    Ok(sent)
}

/// Verifies the code typed for `phone`; it must have been sent for this journey. `db` is the
/// database or a transaction the caller continues (route B binds in the same one).
pub async fn verify_code<C: ConnectionTrait + TransactionTrait>(
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
    record_stage(db, journey, FunnelStage::CodeVerified).await?;
    Ok(verified)
}

/// A step of the journey for the reports' funnel.
pub async fn record_stage(
    db: &impl ConnectionTrait,
    journey: &journeys::Model,
    stage: FunnelStage,
) -> Result<(), DbErr> {
    funnel_events::Entity::insert(funnel_events::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        store_id: sea_orm::Set(journey.store_id),
        clerk_id: sea_orm::Set(journey.clerk_id),
        stage: sea_orm::Set(stage),
        journey_id: sea_orm::Set(Some(journey.id.clone())),
        occurred_at: sea_orm::Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
