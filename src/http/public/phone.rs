//! Route B pages: the landing page (`/j/{journey}`), the phone page reached from the OA chat
//! (`/p/{link}`), the code step and the result. Plain HTML forms: they work in any phone browser,
//! with or without LINE.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::journey::JourneyId;
use crate::domain::phone::TaiwanMobile;
use crate::domain::signed_link::LinkError;
use crate::http::error::{AppError, Message};
use crate::http::layout::Layout;
use crate::http::{client_network, render};
use crate::services::Context;
use crate::services::binding::BindOutcome;
use crate::services::binding::phone::{self, PhoneBindError, PhoneStep, PhoneStepError};
use crate::services::journeys;
use crate::services::member_card;
use crate::services::otp::OtpError;
use crate::services::setup;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/j/{journey}", web::get().to(landing))
        .route("/j/{journey}/phone", web::post().to(send_code))
        .route("/j/{journey}/verify", web::post().to(verify))
        .route("/p/{link}", web::get().to(phone_page));
}

#[derive(Template)]
#[template(path = "public/landing.html")]
struct LandingPage {
    layout: Layout,
    shop_name: String,
    journey_id: JourneyId,
    binding_name: String,
    oa_message_url: Option<String>,
    binding_code: Option<String>,
    phone_link: Option<String>,
    phone_value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public/phone.html")]
struct PhonePage {
    layout: Layout,
    shop_name: String,
    journey_id: JourneyId,
    binding_name: String,
    phone_link: Option<String>,
    phone_value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public/code.html")]
struct CodePage {
    layout: Layout,
    shop_name: String,
    journey_id: JourneyId,
    masked_phone: String,
    valid_minutes: i64,
    phone_link: Option<String>,
    phone_value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public/bound.html")]
struct BoundPage {
    layout: Layout,
    shop_name: String,
    outcome: &'static str,
    binding_name: String,
    /// Opens the member's card (`/me/{card_link}`).
    card_link: String,
}

async fn shop_name(ctx: &Context) -> Result<String, AppError> {
    Ok(setup::shop_settings(&ctx.db).await?.shop_name)
}

async fn landing(ctx: web::Data<Context>, journey: JourneyId) -> Result<HttpResponse, AppError> {
    let landing = phone::landing(&ctx, &journey).await?;
    render(&LandingPage {
        layout: Layout::public(&ctx),
        shop_name: shop_name(&ctx).await?,
        journey_id: landing.summary.journey_id,
        binding_name: landing.summary.binding_name,
        oa_message_url: landing.oa_message_url,
        binding_code: landing.binding_code,
        phone_link: None,
        phone_value: String::new(),
        error: None,
    })
}

/// The button in the OA chat leads here; the link names the journey and the LINE user.
async fn phone_page(
    ctx: web::Data<Context>,
    link: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let opened = phone::open_phone_link(&ctx, &link).map_err(|err| match err {
        LinkError::Expired => AppError::Gone(Message::new(
            "這個驗證連結已過期，請在 LINE 聊天室重新傳送綁定碼。",
            "This link has expired; send the binding code in the LINE chat again.",
        )),
        LinkError::Invalid => AppError::bad_request(
            "這個驗證連結無效，請在 LINE 聊天室重新傳送綁定碼。",
            "This link is not valid; send the binding code in the LINE chat again.",
        ),
    })?;
    let summary = journeys::summary(&ctx.db, &opened.journey_id).await?;
    render(&PhonePage {
        layout: Layout::public(&ctx),
        shop_name: shop_name(&ctx).await?,
        journey_id: summary.journey_id,
        binding_name: summary.binding_name,
        phone_link: Some(link.into_inner()),
        phone_value: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

/// Re-shows the phone form with what the shopper typed and what is wrong with it (400).
async fn phone_form_again(
    ctx: &Context,
    journey_id: &JourneyId,
    form: &PhoneForm,
    error: String,
) -> Result<HttpResponse, AppError> {
    let summary = journeys::summary(&ctx.db, journey_id).await?;
    let page = PhonePage {
        layout: Layout::public(ctx),
        shop_name: shop_name(ctx).await?,
        journey_id: summary.journey_id,
        binding_name: summary.binding_name,
        phone_link: form.link.clone().filter(|l| !l.is_empty()),
        phone_value: form.phone.clone(),
        error: Some(error),
    };
    let mut response = render(&page)?;
    *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

async fn send_code(
    ctx: web::Data<Context>,
    journey: JourneyId,
    form: web::Form<PhoneForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let phone = match TaiwanMobile::parse(&form.phone) {
        Ok(phone) => phone,
        Err(err) => return phone_form_again(&ctx, &journey, &form, err.message_zh()).await,
    };
    if form.consent.as_deref() != Some("yes") {
        let error = "請勾選同意個人資料蒐集告知後再傳送驗證碼。".to_owned();
        return phone_form_again(&ctx, &journey, &form, error).await;
    }
    let ip = client_network(&req);
    let sent = phone::send_code(
        &ctx,
        PhoneStep {
            journey_id: &journey,
            phone: &phone,
            link: form.link.as_deref().filter(|l| !l.is_empty()),
            client_ip: &ip,
        },
    )
    .await?;
    render(&CodePage {
        layout: Layout::public(&ctx),
        shop_name: shop_name(&ctx).await?,
        journey_id: journey.clone(),
        masked_phone: sent.phone.masked(),
        valid_minutes: (sent.expires_at - chrono::Utc::now()).num_minutes().max(1),
        phone_link: form.link.clone().filter(|l| !l.is_empty()),
        phone_value: sent.phone.national(),
        error: None,
    })
}

#[derive(Deserialize)]
struct CodeForm {
    phone: String,
    code: String,
    #[serde(default)]
    link: Option<String>,
}

async fn verify(
    ctx: web::Data<Context>,
    journey: JourneyId,
    form: web::Form<CodeForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let phone = TaiwanMobile::parse(&form.phone)
        .map_err(|err| AppError::bad_request(err.message_zh(), err.message_en()))?;
    let ip = client_network(&req);
    let step = PhoneStep {
        journey_id: &journey,
        phone: &phone,
        link: form.link.as_deref().filter(|l| !l.is_empty()),
        client_ip: &ip,
    };
    let result = match phone::verify_and_bind(&ctx, step, &form.code).await {
        Ok(result) => result,
        // Mistakes the shopper can fix on the same page: show it again with the reason.
        Err(PhoneBindError::Phone(PhoneStepError::Otp(
            err @ (OtpError::WrongCode { .. } | OtpError::MalformedCode | OtpError::Expired),
        ))) => {
            let message = AppError::from(err).message();
            let mut response = render(&CodePage {
                layout: Layout::public(&ctx),
                shop_name: shop_name(&ctx).await?,
                journey_id: journey.clone(),
                masked_phone: phone.masked(),
                valid_minutes: 5,
                phone_link: form.link.clone().filter(|l| !l.is_empty()),
                phone_value: phone.national(),
                error: Some(message.zh),
            })?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(err) => return Err(err.into()),
    };
    let outcome = match result.outcome {
        BindOutcome::Bound => "bound",
        BindOutcome::AlreadyBoundHere => "already_bound_here",
        BindOutcome::AlreadyBoundElsewhere => "already_bound_elsewhere",
    };
    render(&BoundPage {
        layout: Layout::public(&ctx),
        shop_name: shop_name(&ctx).await?,
        outcome,
        binding_name: result.bound_to.display_name(),
        card_link: member_card::link_for(&ctx, result.member_id),
    })
}
