//! `spawn_app()`: the real application on port 0, its own fresh database (SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set), and a fake LINE API (wiremock).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use store_assistant::config::Settings;
use store_assistant::startup::{Application, BuildOptions};
use wiremock::MockServer;

pub const CHANNEL_SECRET: &str = "test_secret";
pub const CHANNEL_ACCESS_TOKEN: &str = "test-channel-access-token";
pub const OA_BASIC_ID: &str = "@storetest";
pub const LOGIN_CHANNEL_ID: &str = "1234567890";
pub const LIFF_ID: &str = "1234567890-AbCdEfGh";

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    /// The fake LINE API every LINE call of the app goes to.
    #[allow(dead_code)]
    pub line_api: MockServer,
    pub client: reqwest::Client,
    /// This app's database, so a second application can be started on it.
    #[allow(dead_code)]
    pub database_url: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings variables first.
pub async fn spawn_app_with(customise: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    spawn_app_with_options(customise, BuildOptions::default()).await
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
    let db = app.state.db.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        line_api,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database_url,
    }
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
