//! `spawn_app()`: the real application on port 0, its own fresh database (SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set), and a fake LINE API (wiremock).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use store_assistant::config::Settings;
use store_assistant::services::Context;
use store_assistant::startup::{Application, BuildOptions};
use wiremock::MockServer;

pub const CHANNEL_SECRET: &str = "test_secret";
pub const CHANNEL_ACCESS_TOKEN: &str = "test-channel-access-token";
pub const OA_BASIC_ID: &str = "@storetest";
pub const LOGIN_CHANNEL_ID: &str = "1234567890";
pub const LIFF_ID: &str = "1234567890-AbCdEfGh";

pub struct TestApp {
    pub address: String,
    /// The database this app uses: for running the binary or a second application against it.
    #[allow(dead_code)]
    pub database_url: String,
    pub db: DatabaseConnection,
    /// The fake LINE API every LINE call of the app goes to.
    #[allow(dead_code)]
    pub line_api: MockServer,
    pub client: reqwest::Client,
    /// The running app's ctx (settings, SMS provider and its outbox) for calling services directly.
    pub ctx: Context,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings variables first.
///
/// Without background housekeeping: its first round could run between a test's inserts and its
/// checks, and rows a test dates on a fixed day would one day be past their retention. Tests of
/// housekeeping run rounds themselves or ask for the task with [`spawn_app_with_options`].
pub async fn spawn_app_with(customise: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    let options = BuildOptions {
        housekeeping: None,
        ..BuildOptions::default()
    };
    spawn_app_with_options(customise, options).await
}

/// Like [`spawn_app_with`], also choosing the build options (hooks, worker timing).
pub async fn spawn_app_with_options(
    customise: impl FnOnce(&mut HashMap<String, String>),
    options: BuildOptions,
) -> TestApp {
    let line_api = MockServer::start().await;
    let mut vars: HashMap<String, String> = [
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", fresh_database_url().await),
        ("LINE_CHANNEL_SECRET", CHANNEL_SECRET.to_owned()),
        ("LINE_CHANNEL_ACCESS_TOKEN", CHANNEL_ACCESS_TOKEN.to_owned()),
        ("LINE_OA_BASIC_ID", OA_BASIC_ID.to_owned()),
        ("LINE_LOGIN_CHANNEL_ID", LOGIN_CHANNEL_ID.to_owned()),
        ("LIFF_ID", LIFF_ID.to_owned()),
        ("LINE_API_BASE_URL", line_api.uri()),
        (
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    customise(&mut vars);
    let settings = Settings::from_vars(&vars, false).expect("test settings are valid");
    let database_url = settings.database_url.clone();
    let app = Application::build_with(settings, options)
        .await
        .expect("the application builds");
    let port = app.port();
    let db = app.ctx.db.clone();
    let ctx = app.ctx.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        database_url,
        db,
        line_api,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        ctx,
    }
}

/// The app in demo mode: no LINE credentials, so it makes up its own channel, seeds the demo shop
/// and serves the LINE emulator, to which every LINE setting points (`line_api` is unused).
#[allow(dead_code)]
pub async fn spawn_demo_app() -> TestApp {
    spawn_demo_app_on(fresh_database_url().await).await
}

/// A demo app on a given database (a restart: the second app on the first one's database).
#[allow(dead_code)]
pub async fn spawn_demo_app_on(database_url: String) -> TestApp {
    spawn_app_with(|vars| {
        for name in [
            "LINE_CHANNEL_SECRET",
            "LINE_CHANNEL_ACCESS_TOKEN",
            "LINE_OA_BASIC_ID",
            "LINE_LOGIN_CHANNEL_ID",
            "LIFF_ID",
            "LINE_API_BASE_URL",
            // The demo keeps a key of its own in the database.
            "SECRET_KEY",
        ] {
            vars.remove(name);
        }
        vars.insert("DATABASE_URL".to_owned(), database_url);
    })
    .await
}

/// A database of its own for one test, so tests run in parallel.
pub async fn fresh_database_url() -> String {
    let name = format!("sa_test_{}", uuid::Uuid::new_v4().simple());
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let server = server.trim_end_matches('/');
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .expect("TEST_DATABASE_URL points at a running PostgreSQL server");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("the test database can be created");
            admin.close().await.ok();
            format!("{server}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join("store-assistant-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join(format!("{name}.db")).display())
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Posts a webhook body signed with the test channel secret, as LINE would.
    #[allow(dead_code)]
    pub async fn post_webhook(&self, body: impl Into<Vec<u8>>) -> reqwest::Response {
        let body = body.into();
        let signature = store_assistant::line::signature::sign(CHANNEL_SECRET.as_bytes(), &body);
        self.post_webhook_raw(body, Some(&signature)).await
    }

    /// Posts a webhook body with the given `X-Line-Signature` (or none).
    #[allow(dead_code)]
    pub async fn post_webhook_raw(
        &self,
        body: impl Into<Vec<u8>>,
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/line/webhook"))
            .header("content-type", "application/json")
            .body(body.into());
        if let Some(signature) = signature {
            request = request.header("x-line-signature", signature);
        }
        request.send().await.expect("request sent")
    }
}

// --- Seeding: rows the flows start from, written straight to the test database. ---

pub struct SeededJourney {
    pub id: store_assistant::domain::journey::JourneyId,
    pub nonce: String,
}

impl TestApp {
    /// A store named "{code} 店" (in a group of that name, created if needed); returns its id.
    pub async fn seed_store(&self, code: &str, group: Option<&str>) -> i32 {
        self.create_store(code, &format!("{code} 店"), group).await
    }

    /// Renames a store as HQ would (names with markup, for escaping tests).
    pub async fn rename_store(&self, store_id: i32, name: &str) {
        stores::rename_store(&self.db, &Actor::cli(), store_id, name)
            .await
            .expect("the store is renamed");
    }

    /// A route A journey of the store (through the store's QR token) that ends `valid_for` from
    /// now: started by the scan's own service, back-dated so it lasts no longer than asked (a
    /// negative `valid_for` gives one that has already expired).
    pub async fn seed_journey(&self, store_id: i32, valid_for: chrono::Duration) -> SeededJourney {
        use store_assistant::services::qr::TokenOwner;
        self.seed_journey_of(TokenOwner::Store(store_id), valid_for)
            .await
    }

    /// A route A journey through the QR code of `owner` (a store's poster or a clerk's card).
    pub async fn seed_journey_of(
        &self,
        owner: store_assistant::services::qr::TokenOwner,
        valid_for: chrono::Duration,
    ) -> SeededJourney {
        use store_assistant::db::entities::enums::Route;
        use store_assistant::domain::scan::JOURNEY_VALIDITY_HOURS;
        use store_assistant::services::journeys::{self, NewJourney};
        use store_assistant::services::qr::{TokenOwner, ensure_token};
        let token = ensure_token(&self.db, owner, None).await.unwrap();
        let started_at =
            chrono::Utc::now() + valid_for - chrono::Duration::hours(JOURNEY_VALIDITY_HOURS);
        let journey = journeys::start(
            &self.db,
            NewJourney {
                qr_token_id: token.id,
                store_id: owner.store_id(),
                clerk_id: match owner {
                    TokenOwner::Store(_) => None,
                    TokenOwner::Clerk { clerk_id, .. } => Some(clerk_id),
                },
                route: Route::Liff,
            },
            started_at,
        )
        .await
        .expect("the journey starts");
        SeededJourney {
            id: journey.id,
            nonce: journey.nonce,
        }
    }
}

// ---- The SMS step ----

#[allow(dead_code)]
impl TestApp {
    /// Answers the checklist item 顧客請求發送驗證碼通知 (SMS codes allowed) yes or no, as HQ
    /// does on the set-up page.
    pub async fn allow_sms(&self, on: bool) {
        setup::answer(
            &self.db,
            &Actor::cli(),
            "sms_template_enabled",
            if on { "yes" } else { "no" },
        )
        .await
        .expect("the checklist item is answered");
    }

    /// The code in the newest SMS to the phone (the `log` provider's outbox).
    pub fn last_sms_code(&self, phone: &str) -> String {
        let phone = store_assistant::domain::phone::TaiwanMobile::parse(phone).unwrap();
        let message = self
            .ctx
            .sms
            .outbox()
            .expect("log provider")
            .latest_to(&phone)
            .expect("an SMS was sent");
        message
            .text
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(6)
            .collect()
    }

    /// How many SMS the `log` provider sent.
    pub fn sms_count(&self) -> usize {
        self.ctx.sms.outbox().expect("log provider").len()
    }

    /// Turns the shop setting "LIFF members must verify their phone too" on or off.
    pub async fn set_liff_requires_phone(&self, on: bool) {
        let current = setup::shop_settings(&self.db).await.unwrap();
        setup::update_settings(
            &self.db,
            &Actor::cli(),
            setup::SettingsInput {
                shop_name: current.shop_name,
                welcome_message: current.welcome_message,
                sms_template: current.sms_template,
                sms_daily_budget: current.sms_daily_budget.into(),
                liff_requires_phone: on,
            },
        )
        .await
        .expect("the settings are saved");
    }
}

// ---- Test actors for the admin ----

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use store_assistant::db::entities::enums::StaffRole;
use store_assistant::db::entities::{staff_sessions, store_groups};
use store_assistant::domain::tokens::token_hash;
use store_assistant::services::accounts::{self, NewStaff};
use store_assistant::services::audit::Actor;
use store_assistant::services::stores::{self, NewStore};

pub const STAFF_PASSWORD: &str = "a-long-test-password";

/// A signed-in staff member's browser: its session cookie, and its CSRF token for forms.
#[allow(dead_code)]
pub struct StaffClient {
    pub id: i32,
    pub username: String,
    /// The session token (the `sa_session` cookie's value).
    pub session: String,
    pub csrf: String,
    address: String,
    client: reqwest::Client,
}

#[allow(dead_code)]
impl StaffClient {
    fn cookie(&self) -> String {
        format!("sa_session={}", self.session)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .header(reqwest::header::COOKIE, self.cookie())
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &self.csrf));
        self.post_form_as_is(path, &fields).await
    }

    /// POSTs exactly these fields (no CSRF token unless given).
    pub async fn post_form_as_is(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .header(reqwest::header::COOKIE, self.cookie())
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs a raw body (a CSV file) with the CSRF token in `X-CSRF-Token`.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .header(reqwest::header::COOKIE, self.cookie())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header("x-csrf-token", &self.csrf)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }
}

/// The value of the cookie `name` set by a response, if any.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        })
}

#[allow(dead_code)]
impl TestApp {
    /// Creates an account directly (password [`STAFF_PASSWORD`]); returns its id and username.
    pub async fn create_account(&self, role: StaffRole, store_id: Option<i32>) -> (i32, String) {
        let prefix = match role {
            StaffRole::Hq => "hq",
            StaffRole::Store => "clerk",
        };
        let username = format!(
            "{prefix}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let account = accounts::create_staff(
            &self.db,
            &self.ctx.passwords,
            NewStaff {
                username: username.clone(),
                password: STAFF_PASSWORD.to_owned(),
                role,
                store_id,
                display_name: String::new(),
            },
        )
        .await
        .expect("the account is created");
        (account.id, username)
    }

    /// Goes through the sign-in page like a browser; returns the POST's response.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let page = self.get("/admin/login").await;
        let token = set_cookie(&page, "sa_login_csrf").expect("the sign-in page sets its token");
        self.client
            .post(self.url("/admin/login"))
            .header(reqwest::header::COOKIE, format!("sa_login_csrf={token}"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("request sent")
    }

    /// Signs in and returns the browser; panics if the sign-in is refused.
    pub async fn sign_in(&self, id: i32, username: &str) -> StaffClient {
        let response = self.login(username, STAFF_PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "sign-in succeeds");
        let session = set_cookie(&response, "sa_session").expect("a session cookie is set");
        let csrf = staff_sessions::Entity::find_by_id(token_hash(&session))
            .one(&self.db)
            .await
            .unwrap()
            .expect("the session is stored")
            .csrf_token;
        StaffClient {
            id,
            username: username.to_owned(),
            session,
            csrf,
            address: self.address.clone(),
            client: self.client.clone(),
        }
    }

    /// A new HQ account, signed in.
    pub async fn hq(&self) -> StaffClient {
        let (id, username) = self.create_account(StaffRole::Hq, None).await;
        self.sign_in(id, &username).await
    }

    /// A new staff account of `store_id`, signed in.
    pub async fn store_staff(&self, store_id: i32) -> StaffClient {
        let (id, username) = self.create_account(StaffRole::Store, Some(store_id)).await;
        self.sign_in(id, &username).await
    }

    /// Creates a store (and its group when it does not exist yet); returns the store id.
    pub async fn create_store(&self, code: &str, name: &str, group: Option<&str>) -> i32 {
        let group_id = match group {
            None => None,
            Some(group) => match self.group_id(group).await {
                Some(id) => Some(id),
                None => Some(
                    stores::create_group(&self.db, &Actor::cli(), group)
                        .await
                        .expect("the group is created")
                        .id,
                ),
            },
        };
        stores::create_store(
            &self.db,
            &Actor::cli(),
            NewStore {
                code: code.to_owned(),
                name: name.to_owned(),
                group_id,
            },
        )
        .await
        .expect("the store is created")
        .id
    }

    /// The id of the group with this name.
    pub async fn group_id(&self, name: &str) -> Option<i32> {
        store_groups::Entity::find()
            .filter(store_groups::Column::Name.eq(name))
            .one(&self.db)
            .await
            .unwrap()
            .map(|g| g.id)
    }
}

// ---- Setup and the JSON API ----

use store_assistant::services::{api_tokens, setup};

/// Calls `/api/v1` as one kind of caller: a session (with or without its CSRF header), a bearer
/// token, or nobody.
#[allow(dead_code)]
#[derive(Clone)]
pub struct ApiCaller {
    pub label: String,
    session: Option<String>,
    csrf: Option<String>,
    pub token: Option<String>,
    address: String,
    client: reqwest::Client,
}

#[allow(dead_code)]
impl ApiCaller {
    /// Sends `method path` with an optional JSON body; `path` is relative to `/api/v1`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.address));
        if let Some(session) = &self.session {
            request = request.header(reqwest::header::COOKIE, format!("sa_session={session}"));
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send("GET", path, None).await
    }

    /// Sends and returns the status and the JSON body (`null` when the body is empty, a string
    /// for a CSV).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let response = self.send(method, path, body.as_ref()).await;
        let status = response.status().as_u16();
        let is_csv = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/csv"));
        let text = response.text().await.unwrap_or_default();
        let json = if is_csv {
            // A CSV download: its text, so callers can still look into it.
            serde_json::Value::String(text)
        } else if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{method} {path} → {status}: not JSON: {text}"))
        };
        (status, json)
    }

    /// The same caller without its CSRF header.
    pub fn without_csrf(&self) -> Self {
        Self {
            csrf: None,
            label: format!("{} without CSRF", self.label),
            ..self.clone()
        }
    }
}

#[allow(dead_code)]
impl StaffClient {
    /// This browser's session calling the API, with its CSRF token in `X-CSRF-Token`.
    pub fn api(&self) -> ApiCaller {
        ApiCaller {
            label: format!("{} (session)", self.username),
            session: Some(self.session.clone()),
            csrf: Some(self.csrf.clone()),
            token: None,
            address: self.address.clone(),
            client: self.client.clone(),
        }
    }
}

#[allow(dead_code)]
impl TestApp {
    /// An API token issued for the account `staff_id`.
    pub async fn api_token(&self, staff_id: i32, name: &str) -> ApiCaller {
        let issued = api_tokens::create(&self.db, &Actor::cli(), name, staff_id)
            .await
            .expect("the token is issued");
        ApiCaller {
            label: format!("token {name}"),
            session: None,
            csrf: None,
            token: Some(issued.token),
            address: self.address.clone(),
            client: self.client.clone(),
        }
    }

    /// A caller without any credentials.
    pub fn anonymous_api(&self) -> ApiCaller {
        ApiCaller {
            label: "anonymous".to_owned(),
            session: None,
            csrf: None,
            token: None,
            address: self.address.clone(),
            client: self.client.clone(),
        }
    }

    /// Answers all eight checklist items so that they hold (with or without a Certified
    /// Provider); activation then needs only an active store.
    pub async fn complete_checklist(&self, certified_provider: bool) {
        let yes_no = if certified_provider { "yes" } else { "no" };
        for (key, value) in [
            ("channels_linked", "yes"),
            ("quick_login", "yes"),
            ("oa_verified", "blue"),
            ("certified_provider", yes_no),
            ("auto_liff", yes_no),
            ("quick_checkout_register", "yes"),
            ("member_phone_verification", "yes"),
            ("sms_template_enabled", "yes"),
        ] {
            setup::answer(&self.db, &Actor::cli(), key, value)
                .await
                .expect("the answer is stored");
        }
    }
}

// ---- Orders ----

use store_assistant::db::entities::enums::WebShop;
use store_assistant::db::entities::{
    orders, sales_buyer_counts, sales_buyers, sales_daily, sales_monthly,
};

/// `sales_monthly` and `sales_buyer_counts` rows, in key order.
pub type MonthTotals = (Vec<sales_monthly::Model>, Vec<sales_buyer_counts::Model>);

/// A secret long enough for the settings' rule.
#[allow(dead_code)]
pub const SHOP_SECRET: &str = "shop-webhook-secret-0123456789";

#[allow(dead_code)]
impl TestApp {
    /// Sets a web shop's webhook secret as HQ would.
    pub async fn set_shop_secret(&self, shop: WebShop, secret: &str) {
        store_assistant::services::order_webhooks::set_secret(
            &self.db,
            &Actor::cli(),
            shop,
            &store_assistant::config::Secret::new(secret),
        )
        .await
        .expect("the secret is set");
    }

    /// Posts a web-shop webhook with these headers.
    pub async fn post_shop_webhook(
        &self,
        shop: &str,
        headers: &[(&str, String)],
        body: impl Into<Vec<u8>>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .post(self.url(&format!("/webhooks/orders/{shop}")))
            .header("content-type", "application/json")
            .body(body.into());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Posts `body` to the generic order webhook, signed with `secret` at `timestamp`.
    pub async fn post_generic_order(
        &self,
        secret: &str,
        timestamp: i64,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let body = body.to_string();
        let signature =
            store_assistant::webshops::generic::sign(secret.as_bytes(), timestamp, body.as_bytes());
        self.post_shop_webhook(
            "generic",
            &[
                ("x-store-assistant-timestamp", timestamp.to_string()),
                ("x-store-assistant-signature", signature),
            ],
            body,
        )
        .await
    }

    /// Every order row (sales and refunds), oldest first.
    pub async fn order_rows(&self) -> Vec<orders::Model> {
        orders::Entity::find()
            .order_by_asc(orders::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// Totals over all `sales_daily` rows: (orders, gross, refunds, refunded).
    pub async fn daily_totals(&self) -> (i64, i64, i64, i64) {
        sales_daily::Entity::find()
            .all(&self.db)
            .await
            .unwrap()
            .iter()
            .fold((0, 0, 0, 0), |(o, g, r, a), row| {
                (
                    o + i64::from(row.order_count),
                    g + row.gross_amount,
                    r + i64::from(row.refund_count),
                    a + row.refund_amount,
                )
            })
    }

    /// The `sales_buyers` rows.
    pub async fn buyer_rows(&self) -> Vec<sales_buyers::Model> {
        sales_buyers::Entity::find().all(&self.db).await.unwrap()
    }

    /// The month totals and buyer counts the database's triggers keep (`sales_monthly`,
    /// `sales_buyer_counts`), in key order.
    pub async fn month_totals(&self) -> MonthTotals {
        async fn by_key<E: EntityTrait>(db: &DatabaseConnection) -> Vec<E::Model> {
            use sea_orm::{Iterable, PrimaryKeyToColumn, QueryOrder};
            let mut rows = E::find();
            for key in E::PrimaryKey::iter() {
                rows = rows.order_by_asc(key.into_column());
            }
            rows.all(db).await.unwrap()
        }
        (
            by_key::<sales_monthly::Entity>(&self.db).await,
            by_key::<sales_buyer_counts::Entity>(&self.db).await,
        )
    }

    /// The month totals and buyer counts summed and counted afresh from the day cells and buyer
    /// rows, by undoing the migration that keeps them and doing it again (as when a database with
    /// orders is migrated); the triggers are back afterwards.
    pub async fn recounted_month_totals(&self) -> MonthTotals {
        use migrations::MigratorTrait;
        let undo = migrations::undo_to_before_month_totals();
        migrations::Migrator::down(&self.db, Some(undo))
            .await
            .unwrap();
        migrations::Migrator::up(&self.db, None).await.unwrap();
        self.month_totals().await
    }

    /// Sets HQ's attribution level (`store`/`clerk`) and window ("" for none).
    pub async fn set_attribution(&self, level: &str, window_days: &str) {
        store_assistant::services::sales_settings::update_rules(
            &self.db,
            &Actor::cli(),
            level,
            window_days,
        )
        .await
        .expect("the attribution settings are saved");
    }
}

use sea_orm::QueryOrder;

// --- The real binary, for what only a separate process shows (kill -9, its log). ---

/// Where the binary's log goes.
#[allow(dead_code)]
pub enum BinaryLog {
    /// Errors only, thrown away.
    Quiet,
    /// Everything from `info` up, into this file.
    To(std::path::PathBuf),
}

/// The `store-assistant` binary serving the test app's database and fake LINE, on a port of its
/// own; killed and reaped when dropped.
#[allow(dead_code)]
pub struct BinaryServer {
    child: std::process::Child,
    pub address: String,
}

#[allow(dead_code)]
impl BinaryServer {
    pub async fn start(app: &TestApp, log: BinaryLog) -> BinaryServer {
        use std::process::{Command, Stdio};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (rust_log, stderr) = match log {
            BinaryLog::Quiet => ("error", Stdio::null()),
            BinaryLog::To(path) => (
                "info",
                Stdio::from(std::fs::File::create(path).expect("the log file can be created")),
            ),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_store-assistant"))
            .arg("serve")
            .env_clear()
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &app.database_url)
            .env("LINE_CHANNEL_SECRET", CHANNEL_SECRET)
            .env("LINE_CHANNEL_ACCESS_TOKEN", "binary-server-token")
            .env("LINE_LOGIN_CHANNEL_ID", LOGIN_CHANNEL_ID)
            .env("LINE_API_BASE_URL", app.line_api.uri())
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("the store-assistant binary starts");
        // Owned by `BinaryServer` at once: dropped (killed and reaped) if the start fails.
        let server = BinaryServer {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..600 {
            if let Ok(response) = reqwest::get(format!("{}/healthz", server.address)).await
                && response.status() == 200
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not answer /healthz within 30 s");
    }

    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL is delivered");
        self.child.wait().unwrap();
    }
}

impl Drop for BinaryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
