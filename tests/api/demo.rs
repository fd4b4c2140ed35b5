//! Demo mode and the built-in LINE emulator: the product's real LINE code paths (ID token verify,
//! friendship, reply, bot info, webhook test, signed webhooks) run against the emulator unchanged;
//! the emulated web shop's orders take the real signed order webhook.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use store_assistant::config::Settings;
use store_assistant::db::entities::enums::{CheckOutcome, Route, WebShop};
use store_assistant::db::entities::{
    bindings, checklist_items, journeys, members, order_webhook_deliveries, orders, staff_accounts,
    store_groups, stores,
};
use store_assistant::services::audit::Actor;
use store_assistant::services::demo::{self, DemoRoute};
use store_assistant::services::setup;

use crate::helpers::{
    SeededJourney, TestApp, set_cookie, spawn_app, spawn_demo_app, spawn_demo_app_on,
};
use crate::member_fixtures::phone_member;

/// A shopper's phone talking to the emulator: its `emu_line_user` cookie.
pub struct Phone<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Phone<'a> {
    pub async fn new(app: &'a TestApp) -> Phone<'a> {
        let response = app.get("/emulator/phone").await;
        assert_eq!(response.status().as_u16(), 200);
        let user = set_cookie(&response, "emu_line_user").expect("the phone gets a LINE user");
        Phone {
            app,
            cookie: format!("emu_line_user={user}"),
        }
    }

    pub fn user_id(&self) -> &str {
        self.cookie.trim_start_matches("emu_line_user=")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Logs in to the LIFF app through the consent screen (adding the OA or not).
    pub async fn liff_login(&self, add_friend: bool) {
        let mut form = vec![("liff_id", demo::LIFF_ID), ("redirect_uri", "/liff")];
        if add_friend {
            form.push(("add_friend", "on"));
        }
        let response = self.post("/emulator/liff/login", &form).await;
        assert_eq!(response.status().as_u16(), 303);
    }

    /// What `liff.init` learns.
    pub async fn liff_session(&self) -> serde_json::Value {
        self.get(&format!("/emulator/liff/session?liff_id={}", demo::LIFF_ID))
            .await
            .json()
            .await
            .unwrap()
    }

    /// The chat screen's HTML once it contains `needle` (the OA answers asynchronously).
    pub async fn chat_containing(&self, needle: &str) -> String {
        for _ in 0..150 {
            let page = self.get("/emulator/chat").await.text().await.unwrap();
            if page.contains(needle) {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the chat never showed {needle:?}");
    }
}

/// Answers the checklist for `route` and activates, as HQ does in the demo.
pub async fn open_shop(app: &TestApp, route: DemoRoute) {
    demo::use_route(&app.db, &Actor::cli(), route)
        .await
        .unwrap();
    setup::activate(&app.db, &Actor::cli()).await.unwrap();
}

/// A journey of demo store D001 (what a scan makes): route A, or route B with a binding code.
pub async fn demo_journey(app: &TestApp, store_code: &str, route: Route) -> SeededJourney {
    let store = stores::Entity::find()
        .filter(stores::Column::Code.eq(store_code))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a demo store");
    let journey = app
        .seed_journey(store.id, chrono::Duration::hours(72))
        .await;
    if route == Route::Phone {
        let row = journeys::Entity::find_by_id(journey.id.clone())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut row: journeys::ActiveModel = row.into();
        let code: String = journey
            .id
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(6)
            .collect::<String>()
            .to_ascii_uppercase();
        row.binding_code = Set(Some(code));
        row.route = Set(Route::Phone);
        row.update(&app.db).await.unwrap();
    }
    journey
}

#[test]
fn demo_mode_cannot_be_on_with_real_credentials() {
    let vars: HashMap<String, String> = [
        ("LINE_CHANNEL_SECRET", "real-secret"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "real-token"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert!(!Settings::from_vars(&vars, false).unwrap().demo);
    assert_eq!(Settings::from_vars(&vars, true).unwrap_err().name, "DEMO");
    let mut with_env = vars.clone();
    with_env.insert("DEMO".to_owned(), "true".to_owned());
    assert_eq!(
        Settings::from_vars(&with_env, false).unwrap_err().name,
        "DEMO"
    );
}

#[tokio::test]
async fn the_emulator_routes_do_not_exist_outside_demo_mode() {
    let app = spawn_app().await;
    assert!(!app.ctx.settings.demo);
    for path in [
        "/emulator",
        "/emulator/phone",
        "/emulator/liff-sdk.js",
        "/emulator/chat",
        "/emulator/sms",
        "/emulator/api/v2/bot/info",
        "/emulator/liff/1234567890-AbCdEfGh",
        "/emulator/shop",
    ] {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "GET {path}");
    }
    for path in [
        "/emulator/api/oauth2/v2.1/verify",
        "/emulator/line/friend",
        "/emulator/chat/send",
        "/emulator/shop/orders",
    ] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "POST {path}");
    }
}

#[tokio::test]
async fn a_demo_start_points_line_at_the_emulator_and_seeds_the_shop_once() {
    let app = spawn_demo_app().await;
    let settings = &app.ctx.settings;
    assert!(settings.demo);
    assert_eq!(
        settings.line.api_base_url.as_str(),
        app.url("/emulator/api")
    );
    assert_eq!(
        settings.line.liff_sdk_url.as_str(),
        app.url("/emulator/liff-sdk.js")
    );
    assert_eq!(
        settings.line.oa_basic_id.as_deref(),
        Some(demo::OA_BASIC_ID)
    );
    let counts = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                stores::Entity::find().count(&db).await.unwrap(),
                store_groups::Entity::find().count(&db).await.unwrap(),
                staff_accounts::Entity::find().count(&db).await.unwrap(),
            )
        }
    };
    assert_eq!(counts(&app).await, (3, 2, 2));
    let clerk = staff_accounts::Entity::find()
        .filter(staff_accounts::Column::Username.eq(demo::CLERK_USERNAME))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the clerk login");
    assert!(clerk.store_id.is_some());

    // A restart on the same database: nothing new, the same made-up channel.
    let again = spawn_demo_app_on(app.database_url.clone()).await;
    assert_eq!(counts(&again).await, (3, 2, 2));
    assert_eq!(
        again.ctx.settings.line.channel_secret,
        app.ctx.settings.line.channel_secret
    );
    assert_eq!(
        again.ctx.settings.line.channel_access_token,
        app.ctx.settings.line.channel_access_token
    );
    // Without SECRET_KEY the demo's own key signs links, so links in the chat survive a restart.
    assert!(!app.ctx.settings.secret_key_generated);
    assert_eq!(again.ctx.settings.secret_key, app.ctx.settings.secret_key);
}

#[tokio::test]
async fn every_page_carries_the_demo_banner() {
    let app = spawn_demo_app().await;
    for path in [
        "/admin/login",
        "/privacy",
        "/liff",
        "/emulator/phone",
        "/no-such-page",
    ] {
        let page = app.get(path).await.text().await.unwrap();
        assert!(page.contains("demo-banner"), "{path} has no demo banner");
    }
    let hq = app.hq().await;
    let page = hq.get("/admin/setup").await.text().await.unwrap();
    assert!(page.contains("demo-banner"));
    assert!(page.contains("demo-route-a"));
}

#[tokio::test]
async fn the_checks_that_call_line_pass_against_the_emulator() {
    let app = spawn_demo_app().await;
    let checks = setup::run_checks(&app.ctx, &Actor::cli()).await.unwrap();
    for check in checks {
        assert_eq!(
            check.outcome,
            Some(CheckOutcome::Ok),
            "{:?}: {:?}",
            check.check,
            check.detail
        );
    }
    let stored = checklist_items::Entity::find()
        .filter(checklist_items::Column::Key.eq("line_webhook"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_check_outcome, Some(CheckOutcome::Ok));
}

#[tokio::test]
async fn hq_switches_the_demo_route_from_the_checklist() {
    let app = spawn_demo_app().await;
    let hq = app.hq().await;
    let page = hq
        .post_form("/admin/setup/demo-route", &[("route", "a")])
        .await;
    assert_eq!(page.status().as_u16(), 200);
    let flags = setup::flags(&app.db).await.unwrap();
    assert!(flags.certified_provider && flags.auto_liff);
    hq.post_form("/admin/setup/demo-route", &[("route", "b")])
        .await;
    let flags = setup::flags(&app.db).await.unwrap();
    assert!(!flags.certified_provider && !flags.auto_liff);
    let page = hq.post_form("/admin/setup/activate", &[]).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(setup::flags(&app.db).await.unwrap().activated);
    // Store staff cannot.
    let store = stores::Entity::find().one(&app.db).await.unwrap().unwrap();
    let clerk = app.store_staff(store.id).await;
    let refused = clerk
        .post_form("/admin/setup/demo-route", &[("route", "a")])
        .await;
    assert_eq!(refused.status().as_u16(), 403);
}

#[tokio::test]
async fn emulator_id_tokens_verify_only_through_the_emulator_and_only_as_issued() {
    let app = spawn_demo_app().await;
    let phone = Phone::new(&app).await;
    assert_eq!(phone.liff_session().await["loggedIn"], false);
    phone.liff_login(true).await;
    let session = phone.liff_session().await;
    let id_token = session["idToken"].as_str().unwrap().to_owned();
    let access_token = session["accessToken"].as_str().unwrap().to_owned();

    // The product's own client, unchanged, against the emulator.
    let claims = app
        .ctx
        .line
        .verify_id_token(&id_token, None)
        .await
        .expect("the emulator vouches for its token");
    assert_eq!(claims.sub, phone.user_id());
    assert!(app.ctx.line.friendship_status(&access_token).await.unwrap());

    // A token with another user's id in it does not verify.
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: serde_json::Value =
        serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = serde_json::json!("Uffffffffffffffffffffffffffffffff");
    parts[1] = engine.encode(serde_json::to_vec(&payload).unwrap());
    assert!(
        app.ctx
            .line
            .verify_id_token(&parts.join("."), None)
            .await
            .is_err()
    );
    // Another channel's client id, and a nonce it does not carry, are refused like LINE does.
    for (client_id, nonce, why) in [
        ("999", None, "Invalid IdToken Audience."),
        (demo::LOGIN_CHANNEL_ID, Some("n"), "Invalid IdToken Nonce."),
    ] {
        let mut form = vec![("id_token", id_token.as_str()), ("client_id", client_id)];
        if let Some(nonce) = nonce {
            form.push(("nonce", nonce));
        }
        let response = app
            .client
            .post(app.url("/emulator/api/oauth2/v2.1/verify"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error_description"], why);
    }
}

#[tokio::test]
async fn emulator_access_tokens_verify_for_the_demo_channel_and_name_their_user() {
    let app = spawn_demo_app().await;
    let phone = Phone::new(&app).await;
    phone.liff_login(true).await;
    let session = phone.liff_session().await;
    let access_token = session["accessToken"].as_str().unwrap().to_owned();

    let info = app
        .ctx
        .line
        .verify_access_token(&access_token)
        .await
        .expect("the emulator vouches for its access token");
    assert_eq!(info.client_id, demo::LOGIN_CHANNEL_ID);
    assert!(info.expires_in > 0);
    let profile = app.ctx.line.user_profile(&access_token).await.unwrap();
    assert_eq!(profile.user_id, phone.user_id());

    // A token the emulator did not issue is refused, like LINE refuses one.
    assert!(
        app.ctx
            .line
            .verify_access_token("emu.made-up")
            .await
            .is_err()
    );
    let refused = app
        .client
        .get(app.url("/emulator/api/v2/profile"))
        .bearer_auth("emu.made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
}

#[tokio::test]
async fn the_messaging_api_wants_the_demo_channel_token() {
    let app = spawn_demo_app().await;
    let response = app
        .client
        .get(app.url("/emulator/api/v2/bot/info"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Authentication failed")
    );
    let info = app.ctx.line.bot_info().await.unwrap();
    assert_eq!(info.basic_id, demo::OA_BASIC_ID);
}

#[tokio::test]
async fn route_a_binds_through_the_emulator_with_the_real_liff_endpoint() {
    let app = spawn_demo_app().await;
    open_shop(&app, DemoRoute::Liff).await;
    let journey = demo_journey(&app, "D001", Route::Liff).await;
    let phone = Phone::new(&app).await;
    phone.liff_login(true).await;
    let session = phone.liff_session().await;
    let response = app
        .client
        .post(app.url("/api/liff/bind"))
        .json(&serde_json::json!({
            "journey": journey.id,
            "id_token": session["idToken"],
            "access_token": session["accessToken"],
            "consent": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "bound");
    let member = members::Entity::find()
        .filter(members::Column::LineUserId.eq(phone.user_id()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a member keyed by the emulated LINE user id");
    assert_eq!(
        bindings::Entity::find()
            .filter(bindings::Column::MemberId.eq(member.id))
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_shopper_who_declined_the_friend_option_is_asked_to_add_the_oa() {
    let app = spawn_demo_app().await;
    open_shop(&app, DemoRoute::Liff).await;
    let journey = demo_journey(&app, "D001", Route::Liff).await;
    let phone = Phone::new(&app).await;
    phone.liff_login(false).await;
    let session = phone.liff_session().await;
    let response = app
        .client
        .post(app.url("/api/liff/bind"))
        .json(&serde_json::json!({
            "journey": journey.id,
            "id_token": session["idToken"],
            "access_token": session["accessToken"],
            "consent": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 409);
}

#[tokio::test]
async fn the_prefilled_code_sent_in_the_emulated_chat_gets_the_phone_button() {
    let app = spawn_demo_app().await;
    open_shop(&app, DemoRoute::OaChat).await;
    let journey = demo_journey(&app, "D001", Route::Phone).await;
    let code = journeys::Entity::find_by_id(journey.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .binding_code
        .unwrap();
    let landing = app
        .get(&format!("/j/{}", journey.id))
        .await
        .text()
        .await
        .unwrap();
    let chat_link = app.url("/emulator/line/R/oaMessage/@demo-shop/?");
    assert!(landing.contains(&chat_link), "{landing}");

    let phone = Phone::new(&app).await;
    phone.post("/emulator/line/friend", &[]).await;
    // The follow webhook was signed correctly: the OA's welcome message came back by reply.
    phone.chat_containing("歡迎").await;
    phone
        .post(
            "/emulator/chat/send",
            &[("text", &format!("綁定碼 {code}"))],
        )
        .await;
    let chat = phone.chat_containing("chat-button").await;
    let link_start = chat
        .find(&app.url("/p/"))
        .expect("a link to the phone page");
    let link: String = chat[link_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let journey = journeys::Entity::find_by_id(journey.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(journey.line_user_id.as_deref(), Some(phone.user_id()));
}

#[tokio::test]
async fn a_webhook_with_a_wrong_signature_is_still_refused_in_demo_mode() {
    let app = spawn_demo_app().await;
    let body = br#"{"destination":"U1","events":[]}"#.to_vec();
    let signature = store_assistant::line::signature::sign(b"test_secret", &body);
    let response = app.post_webhook_raw(body, Some(&signature)).await;
    assert_eq!(response.status().as_u16(), 401);
}

/// Starts an application on `database_url`, with or without LINE credentials, and returns why it
/// refused to start.
async fn start_refusal(database_url: &str, with_line_credentials: bool) -> String {
    let mut vars: HashMap<String, String> = [
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", database_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if with_line_credentials {
        vars.insert("LINE_CHANNEL_SECRET".to_owned(), "real-secret".to_owned());
        vars.insert(
            "LINE_CHANNEL_ACCESS_TOKEN".to_owned(),
            "real-token".to_owned(),
        );
    }
    let settings = Settings::from_vars(&vars, false).unwrap();
    match store_assistant::startup::Application::build(settings).await {
        Ok(_) => panic!("the application started on {database_url}"),
        Err(err) => format!("{err:#}"),
    }
}

#[tokio::test]
async fn the_demo_and_a_real_shop_never_share_a_database() {
    // A database the demo ran on (demo-hq's password was printed) is refused for the real shop …
    let demo_app = spawn_demo_app().await;
    let refusal = start_refusal(&demo_app.database_url, true).await;
    assert!(refusal.contains("used for the demo"), "{refusal}");

    // … and demo mode refuses a database that holds a shop's own staff accounts.
    let real_app = spawn_app().await;
    assert!(
        staff_accounts::Entity::find()
            .count(&real_app.db)
            .await
            .unwrap()
            > 0
    );
    let refusal = start_refusal(&real_app.database_url, false).await;
    assert!(refusal.contains("already holds"), "{refusal}");
    let demo_rows = store_assistant::db::entities::demo_settings::Entity::find()
        .count(&real_app.db)
        .await
        .unwrap();
    assert_eq!(demo_rows, 0, "nothing of the demo was written");
}

#[tokio::test]
async fn the_emulator_login_redirects_only_to_this_server() {
    let app = spawn_demo_app().await;
    let phone = Phone::new(&app).await;
    for target in [
        "//evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "https://evil.example/",
    ] {
        let response = phone
            .post(
                "/emulator/liff/login",
                &[("liff_id", demo::LIFF_ID), ("redirect_uri", target)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 400, "{target:?}");
        assert!(response.headers().get("location").is_none(), "{target:?}");
    }
}

// ---- The emulated web shop ----

/// The order number the shop's form carries.
fn shop_order_no(page: &str) -> String {
    let at = page
        .find("name=\"order_no\" value=\"")
        .expect("the order form")
        + 23;
    page[at..].split('"').next().unwrap().to_owned()
}

async fn shop_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> u16 {
    let response = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn demo_shop_orders(app: &TestApp) -> Vec<orders::Model> {
    orders::Entity::find()
        .filter(orders::Column::Source.eq("demo-shop"))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_web_shop_sends_signed_orders_that_the_sales_report_credits() {
    let app = spawn_demo_app().await;
    let xinyi = stores::Entity::find()
        .filter(stores::Column::Code.eq("D001"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let member = phone_member(&app, xinyi.id, None, "+886912340001", None).await;
    let page = app.get("/emulator/shop").await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("0912***001"),
        "the member to pick, masked: {page}"
    );
    assert!(page.contains("北區｜台北信義店"));
    assert!(
        !page.contains("0912340001"),
        "no whole phone on an open page"
    );
    let order_no = shop_order_no(&page);

    let member_id = member.to_string();
    let form = [
        ("order_no", order_no.as_str()),
        ("member_id", member_id.as_str()),
        ("amount", "1,200"),
    ];
    assert_eq!(shop_post(&app, "/emulator/shop/orders", &form).await, 303);
    // A double submit sends the same order again: still one order.
    assert_eq!(shop_post(&app, "/emulator/shop/orders", &form).await, 303);
    let sent = demo_shop_orders(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let order = &sent[0];
    assert_eq!(order.external_id, order_no);
    assert_eq!(order.amount, 1_200);
    assert_eq!(order.member_id, Some(member));
    assert_eq!(order.credited_store_id, Some(xinyi.id));
    // It came in through the signed webhook, over HTTP, as a real shop's would.
    let deliveries = order_webhook_deliveries::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(!deliveries.is_empty());
    assert!(deliveries.iter().all(|d| d.source == WebShop::Generic));
    assert!(
        store_assistant::services::order_webhooks::secret(&app.db, WebShop::Generic)
            .await
            .unwrap()
            .is_some(),
        "the shop set the generic secret it signs with"
    );
    let page = app.get("/emulator/shop").await.text().await.unwrap();
    assert!(page.contains("已記錄訂單"), "{page}");

    let hq = app.hq().await;
    let sales = hq.get("/admin/sales").await.text().await.unwrap();
    assert!(sales.contains("NT$1,200"), "{sales}");
    assert!(sales.contains("台北信義店"));

    // Refunded at the shop: booked as a refund, the net back to 0.
    let refund = format!("/emulator/shop/orders/{order_no}/refund");
    assert_eq!(shop_post(&app, &refund, &[]).await, 303);
    let sent = demo_shop_orders(&app).await;
    assert_eq!(sent.len(), 2, "the sale and its refund: {sent:?}");
    assert_eq!(sent.iter().map(|o| o.amount).sum::<i64>(), 0);
    let sales = hq.get("/admin/sales").await.text().await.unwrap();
    assert!(sales.contains("-NT$1,200"), "{sales}");

    // An order for a typed phone, cancelled.
    let order_no = shop_order_no(&app.get("/emulator/shop").await.text().await.unwrap());
    let form = [
        ("order_no", order_no.as_str()),
        ("phone", "0912-340-001"),
        ("amount", "500"),
    ];
    assert_eq!(shop_post(&app, "/emulator/shop/orders", &form).await, 303);
    let cancel = format!("/emulator/shop/orders/{order_no}/cancel");
    assert_eq!(shop_post(&app, &cancel, &[]).await, 303);
    let cancelled: Vec<_> = demo_shop_orders(&app)
        .await
        .into_iter()
        .filter(|o| o.external_id.starts_with(&order_no))
        .collect();
    assert_eq!(cancelled.len(), 2, "{cancelled:?}");
    assert_eq!(cancelled.iter().map(|o| o.amount).sum::<i64>(), 0);
    assert!(cancelled.iter().all(|o| o.member_id == Some(member)));

    // What the webhook refuses, the shop shows with the server's reason; nothing is recorded.
    let order_no = shop_order_no(&app.get("/emulator/shop").await.text().await.unwrap());
    let form = [("order_no", order_no.as_str()), ("amount", "免費")];
    assert_eq!(shop_post(&app, "/emulator/shop/orders", &form).await, 303);
    let page = app.get("/emulator/shop").await.text().await.unwrap();
    assert!(page.contains("400"), "{page}");
    assert!(page.contains("金額"), "{page}");
    assert_eq!(demo_shop_orders(&app).await.len(), 4);
    // A made-up order number is refused before anything is sent.
    let form = [("order_no", "../x"), ("amount", "100")];
    assert_eq!(shop_post(&app, "/emulator/shop/orders", &form).await, 400);
}
