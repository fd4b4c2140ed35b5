//! The built-in LINE emulator (demo mode only): a stand-in for the LINE Platform served by the
//! same process under `/emulator`, faithful enough that the product's real code paths run against
//! it unchanged.
//!
//! - `/emulator/api/...` ([`api`]): LINE's HTTP API — ID and access token verify, the user's
//!   profile and friendship (LINE Login),
//!   reply, push, profile, bot info and webhook test (Messaging API) — with LINE's JSON shapes.
//!   `LINE_API_BASE_URL` points here in demo mode.
//! - `/emulator/liff-sdk.js` and `/emulator/liff/...` ([`phone`]): a stand-in LIFF SDK, the LIFF
//!   URL launcher (`https://liff.line.me/{liffId}`, which `LIFF_URL_BASE` names in demo mode, so a
//!   route-A scan lands there) and the LINE Login consent screen.
//! - `/emulator/line/R/...`, `/emulator/chat`: the LINE app — the OA's profile with its add-friend
//!   button, the OA chat (prefilled message links land here). Adding the friend and sending a
//!   message POST **signed** webhooks to `/line/webhook`, as LINE does.
//! - `/emulator/phone`: a phone-sized frame playing the shopper's phone; `/emulator/sms`: the SMS
//!   the `log` provider "sent", so the shopper can read the code.
//! - `/emulator/shop` ([`shop`]): the brand's web shop, which sends orders to `/webhooks/orders/generic`
//!   signed as a real shop does, and their refunds and cancellations.
//!
//! The routes exist only in demo mode (see `startup`); nothing outside this module depends on it.

mod api;
pub mod id_token;
mod phone;
pub mod shop;
mod world;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use serde_json::{Value, json};
use url::Url;

use crate::config::Settings;
use crate::services::demo::{self, DemoChannel};
use crate::sms::{Outbox, SmsProvider};

pub use world::is_user_id;

/// Where everything of the emulator lives.
pub const PREFIX: &str = "/emulator";

/// Points every LINE setting at the emulator and fills in the demo channel (demo mode only).
pub fn configure_settings(settings: &mut Settings, channel: &DemoChannel) {
    let at = |path: &str| {
        Url::parse(&settings.public_url(&format!("{PREFIX}{path}")))
            .expect("the public base URL and a path form a URL")
    };
    let line = crate::config::LineSettings {
        channel_secret: Some(channel.channel_secret.clone()),
        channel_access_token: Some(channel.channel_access_token.clone()),
        oa_basic_id: Some(demo::OA_BASIC_ID.to_owned()),
        login_channel_id: Some(demo::LOGIN_CHANNEL_ID.to_owned()),
        liff_id: Some(demo::LIFF_ID.to_owned()),
        api_base_url: at("/api"),
        liff_sdk_url: at("/liff-sdk.js"),
        app_base_url: at("/line"),
        liff_url_base: at("/liff"),
    };
    settings.line = line;
    if settings.secret_key_generated {
        // The demo keeps its key, so the signed links in the emulated chat survive a restart.
        settings.secret_key = channel.secret_key.clone();
        settings.secret_key_generated = false;
    }
}

/// The emulator: its configuration and its in-memory world. Cheap to clone.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    public_base_url: String,
    channel: DemoChannel,
    world: world::Worlds,
    outbox: Option<Outbox>,
    http: reqwest::Client,
    /// The orders the emulated web shop sent.
    shop: shop::ShopLog,
}

impl Emulator {
    pub fn new(settings: &Settings, channel: DemoChannel, sms: &SmsProvider) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client builds with static settings");
        Self {
            inner: Arc::new(Inner {
                public_base_url: settings
                    .public_base_url
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned(),
                channel,
                world: world::Worlds::default(),
                outbox: match sms {
                    SmsProvider::Log(sender) => Some(sender.outbox().clone()),
                    _ => None,
                },
                http,
                shop: shop::ShopLog::default(),
            }),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.public_base_url)
    }

    /// `true` for absolute URLs on this server (the only places the emulator sends a browser to).
    fn is_own_url(&self, url: &str) -> bool {
        url.strip_prefix(&self.inner.public_base_url)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn world(&self) -> &world::Worlds {
        &self.inner.world
    }

    /// Sends `events` to `endpoint` as LINE does: `{destination, events}`, signed with the channel
    /// secret in `X-Line-Signature`. Returns the HTTP status, or why nothing was delivered.
    async fn deliver(&self, endpoint: &str, events: Vec<Value>) -> Result<u16, String> {
        let body = serde_json::to_vec(&json!({
            "destination": demo::BOT_USER_ID,
            "events": events,
        }))
        .expect("JSON serialises");
        let signature = crate::line::signature::sign(
            self.inner.channel.channel_secret.expose().as_bytes(),
            &body,
        );
        let response = self
            .inner
            .http
            .post(endpoint)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-line-signature", signature)
            .header("user-agent", "LineBotWebhook/2.0")
            .body(body)
            .send()
            .await
            .map_err(|err| {
                if err.is_timeout() {
                    "timed out".to_owned()
                } else {
                    "connection failed".to_owned()
                }
            })?;
        Ok(response.status().as_u16())
    }

    /// One user event (follow, message, ...) to this server's webhook, with a fresh reply token.
    async fn send_user_event(
        &self,
        user_id: &str,
        kind: &str,
        extra: Value,
    ) -> Result<u16, String> {
        let mut event = json!({
            "type": kind,
            "mode": "active",
            "timestamp": chrono::Utc::now().timestamp_millis(),
            "source": { "type": "user", "userId": user_id },
            "webhookEventId": webhook_event_id(),
            "deliveryContext": { "isRedelivery": false },
            "replyToken": self.world().issue_reply_token(user_id),
        });
        if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
            event.extend(extra);
        }
        let status = self.deliver(&self.url("/line/webhook"), vec![event]).await;
        if !matches!(status, Ok(200..=299)) {
            tracing::warn!(
                ?status,
                kind,
                "emulator: the webhook did not take the event"
            );
        }
        status
    }
}

/// LINE's webhook event ids are ULIDs: 26 characters of Crockford base32.
fn webhook_event_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..26)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The emulator's routes, under [`PREFIX`]. Registered by `startup` in demo mode only.
pub fn routes(cfg: &mut web::ServiceConfig, emulator: Emulator) {
    cfg.service(
        web::scope(PREFIX)
            .app_data(web::Data::new(emulator))
            .configure(api::routes)
            .configure(phone::routes)
            .configure(shop::routes),
    );
}
