//! The member card: the LIFF page that opens it in LINE (`/me`, also `/liff/me` for a LIFF app
//! whose endpoint is `/liff`), the card a signed link opens (`/me/{link}`), and the two calls its
//! pages make (`/api/me/open`, `/api/me/{link}/code`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::{client_network, render};
use crate::services::Context;
use crate::services::member_card::{self, CardCode, CardPurchase, LiffCardRequest};
use crate::services::setup;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(liff_page))
        .route("/liff/me", web::get().to(liff_page))
        .route("/me/{link}", web::get().to(card_page))
        .route("/api/me/open", web::post().to(open))
        .route("/api/me/{link}/code", web::get().to(fresh_code));
}

#[derive(Template)]
#[template(path = "public/me_liff.html")]
struct MeLiffPage {
    layout: Layout,
    shop_name: String,
    liff_id: String,
    sdk_url: String,
}

/// In LINE: logs in with LIFF and trades LINE's word for a card link.
async fn liff_page(ctx: web::Data<Context>) -> Result<HttpResponse, AppError> {
    let Some(liff_id) = ctx.settings.line.liff_id.clone() else {
        return Err(AppError::unavailable(
            "會員卡尚未在 LINE 中開放（缺少 LIFF_ID）：請在 LINE 官方帳號聊天室輸入「會員卡」開啟。",
            "The member card is not set up in LINE (LIFF_ID is missing): type 會員卡 in the LINE Official Account chat instead.",
        ));
    };
    render(&MeLiffPage {
        layout: Layout::public(&ctx),
        shop_name: setup::shop_settings(&ctx.db).await?.shop_name,
        liff_id,
        sdk_url: ctx.settings.line.liff_sdk_url.to_string(),
    })
}

#[derive(Deserialize)]
struct OpenRequest {
    id_token: String,
    #[serde(default)]
    access_token: Option<String>,
}

#[derive(Serialize)]
struct OpenResponse {
    /// `/me/{link}`: where the page goes next.
    card_path: String,
}

async fn open(
    ctx: web::Data<Context>,
    body: web::Json<OpenRequest>,
    req: HttpRequest,
) -> Result<web::Json<OpenResponse>, AppError> {
    let body = body.into_inner();
    let link = member_card::open_with_line(
        &ctx,
        LiffCardRequest {
            id_token: body.id_token,
            access_token: body.access_token,
            client_ip: client_network(&req),
        },
    )
    .await?;
    Ok(web::Json(OpenResponse {
        card_path: format!("/me/{link}"),
    }))
}

#[derive(Template)]
#[template(path = "public/me.html")]
struct CardPage {
    layout: Layout,
    shop_name: String,
    link: String,
    name: String,
    code: CardCode,
    bound_store: Option<String>,
    bound_clerk: Option<String>,
    purchases: Vec<CardPurchase>,
}

/// The card. Not cached and sent with no referrer: the address is the key to it.
async fn card_page(
    ctx: web::Data<Context>,
    link: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let card = member_card::open(&ctx, &link).await?;
    let mut response = render(&CardPage {
        layout: Layout::public(&ctx),
        shop_name: setup::shop_settings(&ctx.db).await?.shop_name,
        link: link.into_inner(),
        name: card.name,
        code: card.code,
        bound_store: card.bound_store,
        bound_clerk: card.bound_clerk,
        purchases: card.purchases,
    })?;
    private(&mut response);
    Ok(response)
}

/// A fresh code for the card page, before the one shown runs out.
async fn fresh_code(
    ctx: web::Data<Context>,
    link: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = member_card::fresh_code(&ctx, &link).await?;
    let mut response = HttpResponse::Ok().json(code);
    private(&mut response);
    Ok(response)
}

fn private(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
}
