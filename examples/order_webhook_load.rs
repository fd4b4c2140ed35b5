//! Load generator for the generic signed order webhook (`POST /webhooks/orders/generic`) of a
//! running server: `--concurrency` connections send orders back to back for `--duration` seconds
//! (after a `--warmup`), each order with its own external id, signed at the moment it is sent
//! (`X-Store-Assistant-Timestamp` is the current second, so no request is stale however long the
//! run), then it counts the orders actually stored in the server's database and reports stored
//! orders per second, requests per second, latency percentiles and every answer that was not 200.
//!
//! The orders are a realistic mix: members named by LINE user id, phone or member id (most bound
//! to a store, some through a clerk), unknown phones, orders with no customer; online and in
//! store; a few stated as refunded or cancelled. Before the run it seeds the database, if it has
//! no stores yet, with stores, clerks, members and bindings, and sets the generic webhook's
//! secret (as HQ does on the settings page).
//!
//! ```sh
//! cargo run --release --example order_webhook_load -- \
//!     --url http://127.0.0.1:8080 --database-url sqlite://data/store-assistant.db
//! ```
//! (`bench/orders.sh` starts a release server on a fresh SQLite database and runs this.)

#[path = "support/seed.rs"]
mod seed;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context as _;
use chrono::{Duration, Utc};
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Statement};
use store_assistant::config::Secret;
use store_assistant::db::entities::enums::WebShop;
use store_assistant::db::entities::stores;
use store_assistant::services::audit::Actor;
use store_assistant::services::order_webhooks::set_secret;
use store_assistant::webshops::generic::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

use seed::{Mix, Shape};

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's DATABASE_URL: seeded, given the webhook secret, and counted after the run.
    #[arg(long)]
    database_url: String,
    /// The generic webhook's secret to set (at least 16 characters).
    #[arg(long, default_value = "bench-order-webhook-secret-0123456789")]
    secret: String,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of load first, not measured (connections, caches, the database's first pages).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Requests in flight at once (closed loop: each connection sends its next order when the
    /// previous one is answered).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seeded when the database has no stores yet.
    #[arg(long, default_value_t = 100)]
    stores: usize,
    #[arg(long, default_value_t = 20_000)]
    members: usize,
    /// The server's process id: report the CPU time it used during the measured load.
    #[arg(long)]
    server_pid: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = seed::open(&args.database_url).await?;
    if stores::Entity::find().count(&db).await? == 0 {
        let now = Utc::now();
        seed::shop(
            &db,
            Shape {
                stores: args.stores,
                stores_per_group: 10,
                clerks_per_store: 3,
                members: args.members,
                bound_percent: 85,
                clerk_percent: 60,
                bound_from: now - Duration::days(200),
                bound_to: now - Duration::days(1),
            },
            &mut Mix::new(4),
        )
        .await?;
    }
    set_secret(
        &db,
        &Actor::cli(),
        WebShop::Generic,
        &Secret::new(args.secret.clone()),
    )
    .await
    .map_err(|err| anyhow::anyhow!("setting the webhook secret: {err}"))?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let warmup_source = format!("bench-{run}-warmup");
    let source = format!("bench-{run}");
    load(&client, &args, &warmup_source, args.warmup).await?;
    let cpu_before = (
        cpu_seconds("self"),
        args.server_pid.map(|pid| cpu_seconds(&pid.to_string())),
    );
    let started = Instant::now();
    let mut outcome = load(&client, &args, &source, args.duration).await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = (
        cpu_seconds("self"),
        args.server_pid.map(|pid| cpu_seconds(&pid.to_string())),
    );

    let stored = count(
        &db,
        &format!("SELECT COUNT(*) AS n FROM orders WHERE kind = 'sale' AND source = '{source}'"),
    )
    .await?;
    // Every sale is in the report totals (they are kept in the order's own transaction).
    let sales = count(
        &db,
        "SELECT COUNT(*) AS n FROM orders WHERE kind = 'sale' AND voided_at IS NULL",
    )
    .await?;
    let totalled = count(
        &db,
        "SELECT CAST(COALESCE(SUM(order_count), 0) AS BIGINT) AS n FROM sales_daily",
    )
    .await?;
    anyhow::ensure!(
        sales == totalled,
        "the report totals count {totalled} sales, the orders table {sales}"
    );

    outcome.latencies.sort_unstable();
    let lat = &outcome.latencies;
    let pct = |p: f64| {
        if lat.is_empty() {
            return 0.0;
        }
        let index = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[index].as_secs_f64() * 1000.0
    };
    let requests = lat.len() as u64 + outcome.transport_errors;
    let non_200: u64 = outcome.statuses.values().sum();
    println!(
        "{requests} signed order webhooks in {seconds:.1} s, {} connections: {:.0} requests/s, \
         {stored} orders stored ({:.0} stored/s; {} answered created); latency p50 {:.2} ms, \
         p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; not 200: {non_200} {:?}; transport errors: {}",
        args.concurrency,
        requests as f64 / seconds,
        stored as f64 / seconds,
        outcome.created,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0),
        outcome.statuses,
        outcome.transport_errors,
    );
    println!(
        "RESULT requests={requests} seconds={seconds:.3} rps={:.1} stored={stored} stored_per_s={:.1} \
         p50_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3} non200={non_200} errors={}",
        requests as f64 / seconds,
        stored as f64 / seconds,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0),
        outcome.transport_errors,
    );
    // The machine may be shared: CPU time used per stored order does not depend on the neighbours.
    let load_cpu = cpu_after.0? - cpu_before.0?;
    print!("CPU time: load generator {load_cpu:.1} s");
    if let (Some(before), Some(after)) = (cpu_before.1, cpu_after.1) {
        let server_cpu = after? - before?;
        print!(
            ", server {server_cpu:.1} s ({:.0}% of one core; {:.0} stored orders per server CPU-second)",
            server_cpu / seconds * 100.0,
            stored as f64 / server_cpu
        );
    }
    println!();
    Ok(())
}

/// User and system CPU time of a process (all its threads), from `/proc/{pid}/stat`.
fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) end with ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("malformed stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields.get(i).context("short stat")?.parse::<f64>()?)
    };
    // utime and stime (fields 14 and 15), in USER_HZ (100 a second on Linux).
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

#[derive(Default)]
struct Outcome {
    /// Of every answered request.
    latencies: Vec<StdDuration>,
    /// Answers that said the order was created.
    created: u64,
    /// Answers other than 200, by status.
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
}

/// Sends orders of `source` on `--concurrency` connections until `seconds` have passed.
async fn load(
    client: &reqwest::Client,
    args: &Args,
    source: &str,
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let url = format!("{}/webhooks/orders/generic", args.url.trim_end_matches('/'));
    let deadline = Instant::now() + StdDuration::from_secs(seconds);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for connection in 0..args.concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        let (source, secret, members) = (source.to_owned(), args.secret.clone(), args.members);
        tasks.spawn(async move {
            let mut mix = Mix::new(connection as u64 + 1);
            let mut outcome = Outcome::default();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = order_body(&source, n, members, &mut mix);
                let timestamp = Utc::now().timestamp();
                let signature = sign(secret.as_bytes(), timestamp, body.as_bytes());
                let started = Instant::now();
                let sent = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header(TIMESTAMP_HEADER, timestamp.to_string())
                    .header(SIGNATURE_HEADER, signature)
                    .body(body)
                    .send()
                    .await;
                let response = match sent {
                    Ok(response) => response,
                    Err(_) => {
                        outcome.transport_errors += 1;
                        continue;
                    }
                };
                let status = response.status();
                let Ok(answer) = response.bytes().await else {
                    outcome.transport_errors += 1;
                    continue;
                };
                outcome.latencies.push(started.elapsed());
                if status.as_u16() != 200 {
                    *outcome.statuses.entry(status.as_u16()).or_default() += 1;
                } else if answer.windows(14).any(|w| w == b"\"created\":true") {
                    outcome.created += 1;
                }
            }
            outcome
        });
    }
    let mut all = Outcome::default();
    while let Some(done) = tasks.join_next().await {
        let done = done.context("a load task failed")?;
        all.latencies.extend(done.latencies);
        all.created += done.created;
        all.transport_errors += done.transport_errors;
        for (status, n) in done.statuses {
            *all.statuses.entry(status).or_default() += n;
        }
    }
    Ok(all)
}

/// One order as a web shop sends it: who bought (member by LINE user id, phone or id; an unknown
/// phone; nobody), where, how much, and now and then already refunded or cancelled.
fn order_body(source: &str, n: u64, members: usize, mix: &mut Mix) -> String {
    let in_store = mix.percent(20);
    let amount = 100 + mix.below(4_900);
    let ordered_at = Utc::now() - Duration::seconds(60 + mix.below(3_600) as i64);
    let member = match mix.below(100) {
        0..10 => serde_json::Value::Null,
        10..15 => serde_json::json!({ "phone": format!("098{:07}", n % 10_000_000) }),
        r => {
            let m = mix.below(members as u64) as usize;
            match r {
                15..25 => serde_json::json!({ "member_id": m + 1 }),
                25..55 => serde_json::json!({
                    "phone": seed::member_phone_e164(m).replace("+886", "0")
                }),
                _ => serde_json::json!({ "line_user_id": seed::member_line_user_id(m) }),
            }
        }
    };
    let mut order = serde_json::json!({
        "source": source,
        "external_id": format!("{n}"),
        "channel": if in_store { "in_store" } else { "online" },
        "amount": amount,
        "ordered_at": ordered_at.to_rfc3339(),
        "member": member,
    });
    match mix.below(100) {
        0..4 => {
            order["status"] = "refunded".into();
            order["refunded_amount"] = (amount / 2).max(1).into();
        }
        4..5 => order["status"] = "cancelled".into(),
        _ => {}
    }
    order.to_string()
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?;
    Ok(row.try_get::<i64>("", "n")?)
}
