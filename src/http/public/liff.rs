//! Route A: the LIFF page (`/liff`), its journey look-up, the phone step's code and the bind call
//! (`/api/liff/...`).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::domain::journey::JourneyId;
use crate::domain::phone::TaiwanMobile;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::public::journey_in_body;
use crate::http::{client_network, render};
use crate::services::Context;
use crate::services::binding::BindOutcome;
use crate::services::binding::liff;
use crate::services::member_card;
use crate::services::setup;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/liff", web::get().to(liff_page))
        .route("/privacy", web::get().to(privacy_page))
        .route("/api/liff/journeys/{journey}", web::get().to(journey))
        .route("/api/liff/phone-code", web::post().to(send_phone_code))
        .route("/api/liff/bind", web::post().to(bind));
}

#[derive(Template)]
#[template(path = "public/liff.html")]
struct LiffPage {
    layout: Layout,
    shop_name: String,
    liff_id: String,
    sdk_url: String,
    add_friend_url: Option<String>,
}

/// The LIFF endpoint. The journey comes in the query as `ref` (the scan's redirect to
/// `https://liff.line.me/{LIFF_ID}?ref={journey}`) or `journey`, directly or inside `liff.state`,
/// and is read by the page.
async fn liff_page(ctx: web::Data<Context>) -> Result<HttpResponse, AppError> {
    let Some(liff_id) = ctx.settings.line.liff_id.clone() else {
        return Err(AppError::unavailable(
            "LINE 一站式綁定尚未設定（缺少 LIFF_ID），請洽門市人員。",
            "LIFF binding is not set up (LIFF_ID is missing); please ask the staff.",
        ));
    };
    let settings = setup::shop_settings(&ctx.db).await?;
    render(&LiffPage {
        layout: Layout::public(&ctx),
        shop_name: settings.shop_name,
        liff_id,
        sdk_url: ctx.settings.line.liff_sdk_url.to_string(),
        add_friend_url: liff::add_friend_url(&ctx),
    })
}

#[derive(Template)]
#[template(path = "public/privacy.html")]
struct PrivacyPage {
    layout: Layout,
    shop_name: String,
}

/// The full personal-data notice the binding pages link to.
async fn privacy_page(ctx: web::Data<Context>) -> Result<HttpResponse, AppError> {
    let settings = setup::shop_settings(&ctx.db).await?;
    render(&PrivacyPage {
        layout: Layout::public(&ctx),
        shop_name: settings.shop_name,
    })
}

async fn journey(
    ctx: web::Data<Context>,
    journey: JourneyId,
) -> Result<web::Json<liff::LiffJourney>, AppError> {
    Ok(web::Json(liff::liff_journey(&ctx.db, &journey).await?))
}

/// A phone typed on the LIFF page: 400 `phone_invalid` with what a valid number looks like.
fn parse_phone(input: &str) -> Result<TaiwanMobile, AppError> {
    TaiwanMobile::parse(input).map_err(|err| AppError::from(err).with_code("phone_invalid"))
}

#[derive(Deserialize)]
struct PhoneCodeRequest {
    journey: String,
    phone: String,
    #[serde(default)]
    consent: bool,
}

#[derive(Serialize)]
struct PhoneCodeResponse {
    /// `0912***678`: where the code went.
    masked_phone: String,
    /// The phone as it is sent back with the code (`0912345678`).
    phone: String,
    expires_in_secs: i64,
    resend_after_secs: i64,
    delivery_uncertain: bool,
}

/// The phone step of the LIFF page: sends a one-time code for the journey.
async fn send_phone_code(
    ctx: web::Data<Context>,
    body: web::Json<PhoneCodeRequest>,
    req: HttpRequest,
) -> Result<web::Json<PhoneCodeResponse>, AppError> {
    let phone = parse_phone(&body.phone)?;
    let journey = journey_in_body(&body.journey)?;
    let sent =
        liff::send_phone_code(&ctx, &journey, &phone, body.consent, &client_network(&req)).await?;
    let now = chrono::Utc::now();
    Ok(web::Json(PhoneCodeResponse {
        masked_phone: sent.phone.masked(),
        phone: sent.phone.national(),
        expires_in_secs: (sent.expires_at - now).num_seconds().max(0),
        resend_after_secs: (sent.resend_at - now).num_seconds().max(0),
        delivery_uncertain: sent.delivery_uncertain,
    }))
}

#[derive(Deserialize)]
struct BindRequest {
    journey: String,
    id_token: String,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    consent: bool,
    /// The phone step (when HQ requires a verified phone): the phone typed and the SMS code.
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Serialize)]
struct BindResponse {
    outcome: &'static str,
    binding_name: String,
    message: String,
    /// `/me/{link}`: the member's card.
    card_path: String,
}

/// Verifies the shopper with LINE and binds; the user id comes from LINE, never from the body.
async fn bind(
    ctx: web::Data<Context>,
    body: web::Json<BindRequest>,
    req: HttpRequest,
) -> Result<web::Json<BindResponse>, AppError> {
    let body = body.into_inner();
    let phone = match body.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(phone) => Some(liff::PhoneProof {
            phone: parse_phone(phone)?,
            code: body.code.unwrap_or_default(),
        }),
        None => None,
    };
    let result = liff::bind(
        &ctx,
        liff::LiffBindRequest {
            journey_id: journey_in_body(&body.journey)?,
            id_token: body.id_token,
            access_token: body.access_token,
            consent: body.consent,
            phone,
            client_ip: client_network(&req),
        },
    )
    .await?;
    let binding_name = result.bound_to.display_name();
    let (outcome, message) = match result.outcome {
        BindOutcome::Bound => ("bound", format!("您已綁定：{binding_name}")),
        BindOutcome::AlreadyBoundHere => {
            ("already_bound_here", format!("您已綁定：{binding_name}"))
        }
        BindOutcome::AlreadyBoundElsewhere => (
            "already_bound_elsewhere",
            format!("您已是會員，已綁定：{binding_name}"),
        ),
    };
    Ok(web::Json(BindResponse {
        outcome,
        binding_name,
        message,
        card_path: format!("/me/{}", member_card::link_for(&ctx, result.member_id)),
    }))
}
