//! `/admin/sales-settings` (HQ): the attribution level and window, the web shops' webhook secrets
//! (set, generate — shown once —, clear; never shown back in full) with the URL each shop posts
//! to, and which stores may record in-store purchases.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, taipei_time};
use crate::config::Secret;
use crate::db::entities::enums::{AttributionLevel, WebShop};
use crate::domain::tokens::random_token;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::{CsrfForm, Staff};
use crate::services::Context;
use crate::services::order_webhooks::{self, SecretState};
use crate::services::{sales_settings, stores};

/// What just happened, said at the top of the page.
pub enum Notice {
    RulesSaved,
    SecretSaved(WebShop),
    /// A secret the server made up: shown this once.
    SecretGenerated(WebShop, Secret),
    SecretCleared(WebShop),
}

/// One web shop's row.
pub struct ShopRow {
    key: &'static str,
    name: &'static str,
    url: String,
    hint: Option<String>,
    updated_at: Option<String>,
    how_zh: &'static str,
}

/// One store's purchase-entry switch.
pub struct StoreRow {
    id: i32,
    code: String,
    name: String,
    active: bool,
    purchase_entry: bool,
}

#[derive(Template)]
#[template(path = "admin/sales_settings.html")]
pub struct SalesSettingsPage {
    layout: Layout,
    clerk_level: bool,
    window_days: String,
    shops: Vec<ShopRow>,
    stores: Vec<StoreRow>,
    saved: Option<String>,
    generated: Option<(String, String)>,
}

fn shop_name(shop: WebShop) -> &'static str {
    match shop {
        WebShop::Generic => "通用 Generic",
        WebShop::Shopify => "Shopify",
        WebShop::WooCommerce => "WooCommerce",
    }
}

fn how_zh(shop: WebShop) -> &'static str {
    match shop {
        WebShop::Generic => {
            "自建網店或中介程式：以 HMAC-SHA256 簽署「時間戳.內容」，見 README 的簽章規則。"
        }
        WebShop::Shopify => {
            "Shopify 後台 › 設定 › 通知 › Webhook：建立 orders/paid、orders/cancelled、refunds/create（JSON），把頁面上「您的 webhook 會以此簽署」的密鑰貼到這裡。"
        }
        WebShop::WooCommerce => {
            "WooCommerce › 設定 › 進階 › Webhooks：主題選「訂單已更新」，API 版本 v3，密鑰填同一組（可按「產生」取得）。"
        }
    }
}

async fn page(
    ctx: &Context,
    staff: &Staff,
    notice: Option<Notice>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let rules = sales_settings::rules(&ctx.db, &actor).await?;
    let shops = order_webhooks::secret_states(&ctx.db, &actor)
        .await?
        .into_iter()
        .map(
            |SecretState {
                 shop,
                 hint,
                 updated_at,
             }| ShopRow {
                key: order_webhooks::shop_key(shop),
                name: shop_name(shop),
                url: ctx.settings.public_url(&format!(
                    "/webhooks/orders/{}",
                    order_webhooks::shop_key(shop)
                )),
                hint,
                updated_at: updated_at.map(taipei_time),
                how_zh: how_zh(shop),
            },
        )
        .collect();
    let stores = stores::list_stores(&ctx.db, &actor)
        .await?
        .into_iter()
        .map(|s| StoreRow {
            id: s.id,
            code: s.code,
            name: s.name,
            active: s.active,
            purchase_entry: s.purchase_entry_enabled,
        })
        .collect();
    let (saved, generated) = match notice {
        None => (None, None),
        Some(Notice::RulesSaved) => (
            Some("已儲存歸因設定。 Attribution settings saved.".to_owned()),
            None,
        ),
        Some(Notice::SecretSaved(shop)) => (
            Some(format!("已設定 {} 的密鑰。 Secret saved.", shop_name(shop))),
            None,
        ),
        Some(Notice::SecretCleared(shop)) => (
            Some(format!(
                "已清除 {} 的密鑰：它的 webhook 將被拒絕。 Secret cleared; its webhooks are refused.",
                shop_name(shop)
            )),
            None,
        ),
        Some(Notice::SecretGenerated(shop, secret)) => (
            None,
            Some((shop_name(shop).to_owned(), secret.expose().to_owned())),
        ),
    };
    render(&SalesSettingsPage {
        layout: Layout::staff(ctx, staff, "sales-settings"),
        clerk_level: rules.level == AttributionLevel::Clerk,
        window_days: rules.window_days.map(|d| d.to_string()).unwrap_or_default(),
        shops,
        stores,
        saved,
        generated,
    })
}

pub async fn show(ctx: Data<Context>, staff: Staff) -> Result<HttpResponse, AppError> {
    page(&ctx, &staff, None).await
}

#[derive(Deserialize)]
pub struct RulesForm {
    level: String,
    #[serde(default)]
    window_days: String,
}

pub async fn save_rules(
    ctx: Data<Context>,
    staff: Staff,
    CsrfForm(form): CsrfForm<RulesForm>,
) -> Result<HttpResponse, AppError> {
    sales_settings::update_rules(&ctx.db, &staff.actor(), &form.level, &form.window_days).await?;
    page(&ctx, &staff, Some(Notice::RulesSaved)).await
}

/// The secret HQ pasted; never in a log line.
#[derive(Deserialize)]
pub struct SecretForm {
    #[serde(default)]
    secret: String,
    /// "generate": make one up and show it once.
    #[serde(default)]
    action: String,
}

impl std::fmt::Debug for SecretForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretForm")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

fn shop_from_path(shop: &str) -> Result<WebShop, AppError> {
    order_webhooks::shop_of(shop)
        .ok_or_else(|| AppError::not_found("沒有這個網店來源。", "No such web shop."))
}

pub async fn set_secret(
    ctx: Data<Context>,
    staff: Staff,
    shop: Path<String>,
    CsrfForm(form): CsrfForm<SecretForm>,
) -> Result<HttpResponse, AppError> {
    let shop = shop_from_path(&shop)?;
    if form.action == "generate" {
        let secret = Secret::new(random_token(32));
        order_webhooks::set_secret(&ctx.db, &staff.actor(), shop, &secret).await?;
        return page(&ctx, &staff, Some(Notice::SecretGenerated(shop, secret))).await;
    }
    order_webhooks::set_secret(&ctx.db, &staff.actor(), shop, &Secret::new(form.secret)).await?;
    page(&ctx, &staff, Some(Notice::SecretSaved(shop))).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn clear_secret(
    ctx: Data<Context>,
    staff: Staff,
    shop: Path<String>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let shop = shop_from_path(&shop)?;
    order_webhooks::clear_secret(&ctx.db, &staff.actor(), shop).await?;
    page(&ctx, &staff, Some(Notice::SecretCleared(shop))).await
}

#[derive(Deserialize)]
pub struct PurchaseEntryForm {
    /// "on" or "off".
    enabled: String,
}

pub async fn set_purchase_entry(
    ctx: Data<Context>,
    staff: Staff,
    id: Path<i32>,
    CsrfForm(form): CsrfForm<PurchaseEntryForm>,
) -> Result<HttpResponse, AppError> {
    let enabled = match form.enabled.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(AppError::bad_request(
                "請選擇開啟或關閉。",
                "Choose on or off.",
            ));
        }
    };
    sales_settings::set_purchase_entry(&ctx.db, &staff.actor(), id.into_inner(), enabled).await?;
    Ok(see_other("/admin/sales-settings#stores"))
}
