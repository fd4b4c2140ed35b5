//! A binding campaign: `--shoppers` shoppers, `--concurrency` at a time, each with a journey of
//! their own (as a scan creates it), bind through route A (`POST /api/liff/bind`, the ID token and
//! access token verified by a local fake LINE that also answers the friendship check) and route B
//! (`POST /j/{journey}/phone`, the code read from the `log` SMS provider's outbox, then
//! `POST /j/{journey}/verify`). Reports bindings per second and the latency of one binding (route
//! B: both requests) and checks that every binding a shopper saw succeed is in the database.
//!
//! The server is the real `Application`, built in this process (the `log` SMS outbox lives in its
//! ctx) and serving on its own actix worker threads. Shoppers come from different loopback
//! addresses (127.0.x.y), as real shoppers come from different phones: the per-address SMS and
//! LIFF bind limits apply to them as they would in a store.
//!
//! `cargo run --release --example binding_campaign -- --database-url sqlite://bench/out/c.db`

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};
use store_assistant::config::Settings;
use store_assistant::db::entities::enums::Route;
use store_assistant::db::entities::{bindings, checklist_items, members, shop_settings, stores};
use store_assistant::domain::phone::TaiwanMobile;
use store_assistant::services::Context;
use store_assistant::services::journeys::{self as journey_service, NewJourney};
use store_assistant::services::otp::IP_CODES_PER_HOUR;
use store_assistant::services::qr::{self, TokenOwner};
use store_assistant::startup::Application;
use tokio::sync::Semaphore;

const LOGIN_CHANNEL_ID: &str = "1234567890";
const STORES: usize = 20;

#[derive(Debug, Parser)]
struct Args {
    /// A fresh database (SQLite file or PostgreSQL database).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 2_000)]
    shoppers: usize,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, value_enum, default_value = "both")]
    route: Which,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    A,
    B,
    Both,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    store_assistant::telemetry::init();
    let args = Args::parse();
    let line_port = start_fake_line()?;
    let vars: HashMap<String, String> = [
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", args.database_url.clone()),
        ("LINE_CHANNEL_SECRET", "campaign-channel-secret".to_owned()),
        (
            "LINE_CHANNEL_ACCESS_TOKEN",
            "campaign-access-token".to_owned(),
        ),
        ("LINE_OA_BASIC_ID", "@campaign".to_owned()),
        ("LINE_LOGIN_CHANNEL_ID", LOGIN_CHANNEL_ID.to_owned()),
        ("LIFF_ID", "1234567890-Campaign".to_owned()),
        ("LINE_API_BASE_URL", format!("http://127.0.0.1:{line_port}")),
        ("SMS_PROVIDER", "log".to_owned()),
        (
            "SECRET_KEY",
            "campaign-secret-key-0123456789abcdefghijklmnopqrstuvwxyz".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_vars(&vars, false).context("campaign settings")?;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let ctx = app.ctx.clone();
    tokio::spawn(app.run_until_stopped());
    let backend = if args.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let store_ids = seed(&ctx).await?;
    if matches!(args.route, Which::A | Which::Both) {
        let journeys = seed_journeys(&ctx, &store_ids, Route::Liff, args.shoppers).await?;
        let report = campaign(&args, journeys, |n, journey, clients| {
            // Shoppers on one address stay under its LIFF bind limit.
            let client = clients[n / IP_CODES_PER_HOUR % clients.len()].clone();
            route_a(base.clone(), client, n, journey)
        })
        .await?;
        report.print("A (LIFF, ID token verified by LINE)", backend, &args);
    }
    if matches!(args.route, Which::B | Which::Both) {
        let journeys = seed_journeys(&ctx, &store_ids, Route::Phone, args.shoppers).await?;
        let report = campaign(&args, journeys, |n, journey, clients| {
            let client = clients[n / IP_CODES_PER_HOUR % clients.len()].clone();
            route_b(base.clone(), client, ctx.clone(), n, journey)
        })
        .await?;
        report.print("B (phone, SMS code)", backend, &args);
    }
    let (members, bindings) = (
        members::Entity::find().count(&ctx.db).await?,
        bindings::Entity::find().count(&ctx.db).await?,
    );
    println!("database: {members} members, {bindings} bindings");
    Ok(())
}

struct Report {
    bound: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    in_database: u64,
}

impl Report {
    fn print(&self, route: &str, backend: &str, args: &Args) {
        let pct = |p: f64| {
            let index = ((self.latencies.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies.len())
                - 1;
            self.latencies[index].as_secs_f64() * 1000.0
        };
        println!(
            "RESULT route {route} on {backend}: {} shoppers, concurrency {}: {:.0} bindings/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} bindings seen by shoppers, {} in the database",
            args.shoppers,
            args.concurrency,
            self.bound as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0),
            self.bound,
            self.in_database,
        );
    }
}

/// Runs one shopper per journey, `--concurrency` at a time.
async fn campaign<F, Fut>(args: &Args, journeys: Vec<String>, shopper: F) -> anyhow::Result<Report>
where
    F: Fn(usize, String, &[reqwest::Client]) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Duration>> + Send + 'static,
{
    // Route B: shoppers on one address stay under its hourly SMS limit.
    let clients = (0..args.shoppers.div_ceil(IP_CODES_PER_HOUR))
        .map(|n| {
            let ip = Ipv4Addr::new(127, 0, 1 + (n / 250) as u8, 1 + (n % 250) as u8);
            reqwest::Client::builder()
                .local_address(IpAddr::V4(ip))
                .timeout(Duration::from_secs(30))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = journeys.clone();
    let limit = Arc::new(Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, journey) in journeys.into_iter().enumerate() {
        let permit = limit.clone().acquire_owned().await?;
        let run = shopper(n, journey, &clients);
        tasks.spawn(async move {
            let result = run.await;
            drop(permit);
            result
        });
    }
    let mut latencies = Vec::new();
    while let Some(result) = tasks.join_next().await {
        latencies.push(result??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(Report {
        bound: latencies.len(),
        elapsed,
        latencies,
        in_database: bound_journeys(&ids).await?,
    })
}

static DB: std::sync::OnceLock<sea_orm::DatabaseConnection> = std::sync::OnceLock::new();

/// How many of these journeys ended with a binding in the database.
async fn bound_journeys(ids: &[String]) -> anyhow::Result<u64> {
    let db = DB.get().expect("seeded");
    let mut total = 0;
    for chunk in ids.chunks(500) {
        total += bindings::Entity::find()
            .filter(bindings::Column::JourneyId.is_in(chunk.iter().cloned()))
            .count(db)
            .await?;
    }
    Ok(total)
}

async fn route_a(
    base: String,
    client: reqwest::Client,
    n: usize,
    journey: String,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/liff/bind"))
        .json(&serde_json::json!({
            "journey": journey,
            "id_token": format!("campaign.U{n:032x}"),
            "access_token": format!("campaign.U{n:032x}"),
            "consent": true,
        }))
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    anyhow::ensure!(
        status.is_success() && body["outcome"] == "bound",
        "route A shopper {n}: {status} {body}"
    );
    Ok(started.elapsed())
}

async fn route_b(
    base: String,
    client: reqwest::Client,
    ctx: Context,
    n: usize,
    journey: String,
) -> anyhow::Result<Duration> {
    let phone = format!("09{:08}", 10_000_000 + n);
    let mobile = TaiwanMobile::parse(&phone)?;
    let started = Instant::now();
    let sent = client
        .post(format!("{base}/j/{journey}/phone"))
        .form(&[("phone", phone.as_str()), ("consent", "yes")])
        .send()
        .await?;
    let status = sent.status();
    let page = sent.text().await?;
    anyhow::ensure!(
        status.is_success(),
        "route B shopper {n}: code: {status} {page}"
    );
    let text = ctx
        .sms
        .outbox()
        .context("SMS_PROVIDER=log")?
        .latest_to(&mobile)
        .with_context(|| format!("route B shopper {n}: no SMS in the outbox"))?
        .text;
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    let verified = client
        .post(format!("{base}/j/{journey}/verify"))
        .form(&[("phone", phone.as_str()), ("code", code.as_str())])
        .send()
        .await?;
    let status = verified.status();
    let page = verified.text().await?;
    anyhow::ensure!(
        status.is_success(),
        "route B shopper {n}: verify: {status} {page}"
    );
    Ok(started.elapsed())
}

/// Stores in groups, the SMS template allowed by HQ, a daily SMS budget for the campaign.
async fn seed(ctx: &Context) -> anyhow::Result<Vec<i32>> {
    let db = &ctx.db;
    let _ = DB.set(db.clone());
    let now = chrono::Utc::now();
    checklist_items::ActiveModel {
        key: Set("sms_template_enabled".to_owned()),
        value: Set(Some("yes".to_owned())),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    shop_settings::Entity::update_many()
        .col_expr(
            shop_settings::Column::SmsDailyBudget,
            Expr::value(1_000_000),
        )
        .filter(shop_settings::Column::Id.eq(1))
        .exec(db)
        .await?;
    let mut ids = Vec::new();
    for n in 0..STORES {
        let store = stores::ActiveModel {
            code: Set(format!("C{n:03}")),
            name: Set(format!("活動門市 {n}")),
            group_id: Set(None),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        ids.push(store.id);
    }
    Ok(ids)
}

/// One journey per shopper, started as a scan of the store's poster starts one (the store's QR
/// code, the journey, its funnel events; route B journeys with their binding code).
async fn seed_journeys(
    ctx: &Context,
    store_ids: &[i32],
    route: Route,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let db = &ctx.db;
    let mut tokens = Vec::new();
    for &store_id in store_ids {
        tokens.push(qr::ensure_token(db, TokenOwner::Store(store_id), None).await?);
    }
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let token = &tokens[n % tokens.len()];
        let new = NewJourney {
            qr_token_id: token.id,
            store_id: token.store_id,
            clerk_id: None,
            route,
        };
        ids.push(
            journey_service::start(db, new, chrono::Utc::now())
                .await?
                .id
                .into_string(),
        );
    }
    Ok(ids)
}

/// LINE Login as far as route A needs it: the ID token `campaign.{userId}` verifies as that user,
/// for our channel, valid for an hour; everyone is a friend of the OA.
fn start_fake_line() -> anyhow::Result<u16> {
    #[derive(serde::Deserialize)]
    struct Verify {
        id_token: String,
    }
    async fn verify(form: web::Form<Verify>) -> HttpResponse {
        let sub = form.id_token.trim_start_matches("campaign.");
        let exp = chrono::Utc::now().timestamp() + 3600;
        HttpResponse::Ok().json(serde_json::json!({
            "iss": "https://access.line.me", "sub": sub, "aud": LOGIN_CHANNEL_ID,
            "exp": exp, "iat": exp - 3600, "name": "活動顧客", "amr": ["linesso"]
        }))
    }
    /// `GET /oauth2/v2.1/verify?access_token=campaign.{userId}`: ours, valid.
    async fn verify_access_token() -> HttpResponse {
        HttpResponse::Ok().json(serde_json::json!({
            "scope": "profile openid", "client_id": LOGIN_CHANNEL_ID, "expires_in": 3600
        }))
    }
    /// `GET /v2/profile`: the access token `campaign.{userId}` is that user's.
    async fn profile(req: actix_web::HttpRequest) -> HttpResponse {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer campaign."))
            .unwrap_or_default();
        HttpResponse::Ok().json(serde_json::json!({"userId": token, "displayName": "活動顧客"}))
    }
    let server = HttpServer::new(|| {
        App::new()
            .route("/oauth2/v2.1/verify", web::post().to(verify))
            .route("/oauth2/v2.1/verify", web::get().to(verify_access_token))
            .route("/v2/profile", web::get().to(profile))
            .route(
                "/friendship/v1/status",
                web::get().to(|| async {
                    HttpResponse::Ok().json(serde_json::json!({"friendFlag": true}))
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Ok(port)
}
