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

// --- Seeding: rows the flows start from, written straight to the test database. ---

pub struct SeededJourney {
    pub id: String,
    pub nonce: String,
}

impl TestApp {
    /// A store (in a group of that name, created if needed); returns its id.
    pub async fn seed_store(&self, code: &str, group: Option<&str>) -> i32 {
        use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
        use store_assistant::db::entities::{store_groups, stores};
        let now = chrono::Utc::now();
        let group_id = match group {
            None => None,
            Some(name) => Some(
                match store_groups::Entity::find()
                    .filter(store_groups::Column::Name.eq(name))
                    .one(&self.db)
                    .await
                    .unwrap()
                {
                    Some(existing) => existing.id,
                    None => {
                        store_groups::ActiveModel {
                            name: Set(name.to_owned()),
                            created_at: Set(now),
                            updated_at: Set(now),
                            ..Default::default()
                        }
                        .insert(&self.db)
                        .await
                        .unwrap()
                        .id
                    }
                },
            ),
        };
        stores::ActiveModel {
            code: Set(code.to_owned()),
            name: Set(format!("{code} 店")),
            group_id: Set(group_id),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .unwrap()
        .id
    }

    /// Renames a store (names with markup, for escaping tests).
    pub async fn rename_store(&self, store_id: i32, name: &str) {
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        use store_assistant::db::entities::stores;
        let store = stores::Entity::find_by_id(store_id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let mut store: stores::ActiveModel = store.into();
        store.name = Set(name.to_owned());
        store.update(&self.db).await.unwrap();
    }

    /// A journey of the store (with its own QR token), valid for `valid_for` from now.
    pub async fn seed_journey(&self, store_id: i32, valid_for: chrono::Duration) -> SeededJourney {
        use sea_orm::{ActiveModelTrait, Set};
        use store_assistant::db::entities::enums::Route;
        use store_assistant::db::entities::{journeys, qr_tokens};
        use store_assistant::domain::tokens::random_token;
        let now = chrono::Utc::now();
        let token = qr_tokens::ActiveModel {
            token: Set(random_token(16)),
            store_id: Set(store_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .unwrap();
        let journey = SeededJourney {
            id: random_token(16),
            nonce: random_token(16),
        };
        journeys::ActiveModel {
            id: Set(journey.id.clone()),
            qr_token_id: Set(token.id),
            store_id: Set(store_id),
            clerk_id: Set(None),
            route: Set(Route::Liff),
            nonce: Set(journey.nonce.clone()),
            binding_code: Set(None),
            line_user_id: Set(None),
            member_id: Set(None),
            created_at: Set(now - chrono::Duration::minutes(1)),
            expires_at: Set(now + valid_for),
            completed_at: Set(None),
        }
        .insert(&self.db)
        .await
        .unwrap();
        journey
    }
}
