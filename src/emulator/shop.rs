//! The emulated web shop (demo mode only): a demo visitor picks a member (or types a phone) and
//! an amount and places an order; the shop sends it as a real web shop does — the generic order
//! webhook, signed with HMAC-SHA256 over `{timestamp}.{body}` (`webshops::generic`), posted over
//! HTTP to this server's own `/webhooks/orders/generic` — so the order takes the same path as a
//! real shop's and shows in 業績報表. Refund and cancel resend the order with its new status.
//!
//! The shop signs with the generic secret set at Sales settings (`services::demo::web_shop_secret`:
//! a demo without one gets one on its first order). It writes the documented headers itself, as
//! an independent sender would, rather than borrowing the server's side of the rule. The orders
//! it sent are remembered in memory only, like the rest of the emulator; the orders themselves
//! are in the database.

use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Emulator, PREFIX};
use crate::domain::access::Scope;
use crate::domain::hmac;
use crate::domain::members::mask_phone;
use crate::domain::taipei_time;
use crate::domain::tokens::random_token;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::render;
use crate::services::Context;
use crate::services::audit::Actor;
use crate::services::demo;
use crate::services::members::{self, MemberFilter};

/// The `source` of the demo shop's orders.
pub const SOURCE: &str = "demo-shop";
/// Orders the page lists, newest first.
const LOG_CAPACITY: usize = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop", web::get().to(page))
        .route("/shop/orders", web::post().to(place))
        .route("/shop/orders/{order_no}/{action}", web::post().to(change));
}

/// An order the shop sent, and what the server answered last.
#[derive(Debug, Clone)]
pub struct SentOrder {
    pub order_no: String,
    /// Who it names, as the shop shows it ("王小明 · 0912***678", or "—").
    pub customer: String,
    member: Value,
    amount: String,
    ordered_at: DateTime<Utc>,
    /// `paid`, `refunded` or `cancelled`: what the shop last said.
    pub status: &'static str,
    /// The server took it at least once.
    pub recorded: bool,
    pub answer: Answer,
}

impl SentOrder {
    pub fn time(&self) -> String {
        taipei_time::format(self.ordered_at)
    }

    pub fn amount_text(&self) -> &str {
        &self.amount
    }

    /// Refund and cancel are offered for a recorded order still paid.
    pub fn can_change(&self) -> bool {
        self.recorded && self.status == "paid"
    }

    pub fn status_text(&self) -> &'static str {
        match (self.recorded, self.status) {
            (false, _) => "未記錄 not recorded",
            (true, "refunded") => "已退款 refunded",
            (true, "cancelled") => "已取消 cancelled",
            (true, _) => "已付款 paid",
        }
    }

    fn body(&self) -> Value {
        let mut body = json!({
            "source": SOURCE,
            "external_id": self.order_no,
            "channel": "online",
            "amount": self.amount,
            "ordered_at": self.ordered_at.to_rfc3339(),
            "status": self.status,
        });
        if !self.member.is_null() {
            body["member"] = self.member.clone();
        }
        body
    }
}

/// The server's answer to one delivery, as the shop shows it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status, or 0 when nothing was delivered.
    pub status: u16,
    pub summary: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The orders the shop sent, newest first; shared by the emulator's workers.
#[derive(Clone, Default)]
pub struct ShopLog {
    orders: Arc<Mutex<Vec<SentOrder>>>,
}

impl ShopLog {
    fn lock(&self) -> MutexGuard<'_, Vec<SentOrder>> {
        // A panic elsewhere leaves a usable list.
        self.orders.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, order: SentOrder) {
        let mut orders = self.lock();
        match orders.iter_mut().find(|o| o.order_no == order.order_no) {
            Some(existing) => *existing = order,
            None => {
                orders.insert(0, order);
                orders.truncate(LOG_CAPACITY);
            }
        }
    }

    fn get(&self, order_no: &str) -> Option<SentOrder> {
        self.lock().iter().find(|o| o.order_no == order_no).cloned()
    }

    fn all(&self) -> Vec<SentOrder> {
        self.lock().clone()
    }
}

/// A member the visitor can pick.
pub struct MemberChoice {
    pub id: i32,
    pub label: String,
}

#[derive(Template)]
#[template(path = "emulator/shop.html")]
struct ShopPage {
    layout: Layout,
    members: Vec<MemberChoice>,
    orders: Vec<SentOrder>,
    /// A fresh order number for the form: a double submit sends the same order twice.
    order_no: String,
    webhook_url: String,
}

fn new_order_no() -> String {
    format!("DEMO-{}", random_token(6).to_ascii_uppercase())
}

fn is_order_no(text: &str) -> bool {
    text.strip_prefix("DEMO-").is_some_and(|rest| {
        (4..=40).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// The shop's members: the newest members, phones masked (the page is open to any demo visitor).
async fn member_choices(ctx: &Context) -> Result<Vec<MemberChoice>, AppError> {
    let found = members::list(&ctx.db, &shop_actor(), &MemberFilter::default(), 1).await?;
    Ok(found
        .items
        .into_iter()
        .filter(|m| !m.erased)
        .map(|m| {
            let mut label = m.name;
            if let Some(phone) = m.phone.as_deref() {
                label.push_str(&format!(" · {}", mask_phone(phone)));
            }
            match (m.group_name, m.store_name) {
                (Some(group), Some(store)) => label.push_str(&format!(" · {group}｜{store}")),
                (None, Some(store)) => label.push_str(&format!(" · {store}")),
                _ => label.push_str(" · 未綁定"),
            }
            MemberChoice { id: m.id, label }
        })
        .collect())
}

/// The shop reads its customers as HQ does (phones are masked on the page).
fn shop_actor() -> Actor {
    Actor {
        staff_id: None,
        label: "demo web shop".to_owned(),
        scope: Scope::Hq,
    }
}

async fn page(
    ctx: web::Data<Context>,
    emulator: web::Data<Emulator>,
) -> Result<HttpResponse, AppError> {
    render(&ShopPage {
        layout: Layout::demo(),
        members: member_choices(&ctx).await?,
        orders: emulator.inner.shop.all(),
        order_no: new_order_no(),
        webhook_url: emulator.url(WEBHOOK_PATH),
    })
}

const WEBHOOK_PATH: &str = "/webhooks/orders/generic";

#[derive(Deserialize)]
struct OrderForm {
    order_no: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    amount: String,
}

async fn place(
    ctx: web::Data<Context>,
    emulator: web::Data<Emulator>,
    form: web::Form<OrderForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !is_order_no(&form.order_no) {
        return Err(AppError::bad_request(
            "訂單編號不正確，請重新整理網店頁面。",
            "The order number is not valid; reload the shop page.",
        ));
    }
    // The same order number again is a double submit (nothing more to send once the server has
    // the order) or a retry of one the server did not take (sent again, freshly signed).
    if let Some(sent) = emulator.inner.shop.get(&form.order_no) {
        if !sent.recorded {
            let answer = emulator.send(&ctx, &sent.body()).await?;
            let recorded = answer.ok();
            emulator.inner.shop.record(SentOrder {
                answer,
                recorded,
                ..sent
            });
        }
        return Ok(back());
    }
    let choices = member_choices(&ctx).await?;
    let phone = form.phone.trim();
    let (member, customer) = if !phone.is_empty() {
        (json!({ "phone": phone }), phone.chars().take(20).collect())
    } else if let Ok(id) = form.member_id.trim().parse::<i32>() {
        let label = choices
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| format!("會員 #{id}"), |m| m.label.clone());
        (json!({ "member_id": id }), label)
    } else {
        (Value::Null, "—（沒有會員資料）".to_owned())
    };
    let mut order = SentOrder {
        order_no: form.order_no,
        customer,
        member,
        amount: form.amount.trim().chars().take(30).collect(),
        ordered_at: Utc::now(),
        status: "paid",
        recorded: false,
        answer: Answer {
            status: 0,
            summary: String::new(),
        },
    };
    order.answer = emulator.send(&ctx, &order.body()).await?;
    order.recorded = order.answer.ok();
    emulator.inner.shop.record(order);
    Ok(back())
}

async fn change(
    ctx: web::Data<Context>,
    emulator: web::Data<Emulator>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (order_no, action) = path.into_inner();
    let status = match action.as_str() {
        "refund" => "refunded",
        "cancel" => "cancelled",
        _ => {
            return Err(AppError::not_found(
                "網店沒有這個動作。",
                "No such shop action.",
            ));
        }
    };
    let Some(sent) = emulator.inner.shop.get(&order_no).filter(|o| o.recorded) else {
        return Err(AppError::not_found(
            "網店沒有這筆訂單（模擬器重新啟動後會忘記先前的訂單）。",
            "The shop has no such order (the emulator forgets its orders when it restarts).",
        ));
    };
    let mut order = SentOrder { status, ..sent };
    order.answer = emulator.send(&ctx, &order.body()).await?;
    if !order.answer.ok() {
        // The server did not take the new status: the shop still has the order as it was.
        order.status = "paid";
    }
    emulator.inner.shop.record(order);
    Ok(back())
}

fn back() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{PREFIX}/shop")))
        .finish()
}

impl Emulator {
    /// Signs `body` with the generic secret and posts it to this server's generic order webhook.
    async fn send(&self, ctx: &Context, body: &Value) -> Result<Answer, AppError> {
        let secret = demo::web_shop_secret(&ctx.db).await?;
        let body = serde_json::to_vec(body).expect("JSON serialises");
        // The documented rule: hex HMAC-SHA256 of "{timestamp}.{raw body}", Unix seconds.
        let timestamp = Utc::now().timestamp().to_string();
        let signature = hmac::sign_hex(
            secret.expose().as_bytes(),
            &[timestamp.as_bytes(), b".", &body],
        );
        let sent = self
            .inner
            .http
            .post(self.url(WEBHOOK_PATH))
            .header("content-type", "application/json; charset=utf-8")
            .header("x-store-assistant-timestamp", timestamp)
            .header("x-store-assistant-signature", format!("sha256={signature}"))
            .header("user-agent", "store-assistant demo web shop")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                tracing::warn!(error = %err, "demo web shop: the order webhook was not reached");
                return Ok(Answer {
                    status: 0,
                    summary: "連不到伺服器 The webhook was not reached".to_owned(),
                });
            }
        };
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            summary: summary(&answer),
        })
    }
}

/// What the webhook said, in a line: the outcome and order, or the refusal's message.
fn summary(answer: &Value) -> String {
    if let Some(message) = answer["message"].as_str() {
        return message.to_owned();
    }
    match answer["status"].as_str() {
        Some("recorded") if answer["created"] == true => {
            format!("已記錄訂單 #{} recorded", answer["order_id"])
        }
        Some("recorded") => format!(
            "同一筆訂單，已更新 #{}（退款 {} 筆） same order",
            answer["order_id"], answer["refunds"]
        ),
        Some(other) => other.to_owned(),
        None => answer.to_string(),
    }
}
