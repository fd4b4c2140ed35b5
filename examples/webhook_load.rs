//! Load generator for `POST /line/webhook`: sends `--requests` signed one-event follow webhooks,
//! each with its own `webhookEventId`, `--concurrency` at a time, and reports requests per second
//! and latency percentiles. With `--fake-line-port` it also serves a fake LINE reply endpoint, so
//! the server's worker answers the follows as it would in production, and it reports how long the
//! worker took to finish them all (from `/metrics`).
//!
//! With `--rate R --duration S` it sends at a fixed rate instead (open loop: each request has a
//! scheduled start, and its latency counts from then, so a stalled server cannot hide its queue).
//! With `--write-bodies DIR` it only writes signed bodies for `wrk` (`bench/wrk-webhook.lua`), and
//! with `--fake-line-only` it only serves the fake LINE until stopped.
//!
//! Used by `bench/webhook-load.sh` and `bench/run.sh`; run it by hand with
//! `cargo run --release --example webhook_load -- --url http://127.0.0.1:8080 --secret S`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use store_assistant::line::signature::sign;

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's LINE_CHANNEL_SECRET.
    #[arg(long)]
    secret: String,
    #[arg(long, default_value_t = 50_000)]
    requests: u64,
    #[arg(long, default_value_t = 64)]
    concurrency: u64,
    /// Requests sent first and not measured (connection set-up, caches).
    #[arg(long, default_value_t = 2_000)]
    warmup: u64,
    /// Serve a fake LINE Messaging API on this port (point the server's LINE_API_BASE_URL at it).
    #[arg(long)]
    fake_line_port: Option<u16>,
    /// Only serve the fake LINE (on `--fake-line-port`) until stopped.
    #[arg(long, requires = "fake_line_port")]
    fake_line_only: bool,
    /// Send this many requests per second (open loop) instead of `--concurrency` in a closed loop.
    #[arg(long)]
    rate: Option<u64>,
    /// Seconds to send at `--rate`.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Only write `--requests` signed bodies into this directory, split over `--body-files` files
    /// (`thread-0.txt`, ...; one `signature<TAB>body` a line) for wrk's threads.
    #[arg(long)]
    write_bodies: Option<PathBuf>,
    #[arg(long, default_value_t = 2)]
    body_files: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    if let Some(dir) = &args.write_bodies {
        return write_bodies(dir, &args, &run_id);
    }
    let replies = Arc::new(AtomicU64::new(0));
    if let Some(port) = args.fake_line_port {
        let server = start_fake_line(port, replies.clone())?;
        if args.fake_line_only {
            // actix stops its server on SIGINT or SIGTERM.
            server.await?;
            return Ok(());
        }
        tokio::spawn(server);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .build()?;

    run(&client, &args, &run_id, "warmup", args.warmup).await?;
    let started = Instant::now();
    let mut latencies = match args.rate {
        Some(rate) => run_at_rate(&client, &args, &run_id, rate).await?,
        None => run(&client, &args, &run_id, "load", args.requests).await?,
    };
    let elapsed = started.elapsed();

    latencies.sort_unstable();
    let pct = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    let mode = match args.rate {
        Some(rate) => format!("fixed rate {rate}/s for {} s", args.duration),
        None => format!("concurrency {}", args.concurrency),
    };
    println!(
        "{} signed one-event follow webhooks, {mode}: {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0),
    );

    if args.fake_line_port.is_some() {
        // The worker answers every follow with a reply; wait for the backlog to drain.
        let total = args.warmup + latencies.len() as u64;
        let drain_started = Instant::now();
        loop {
            let handled = handled_events(&client, &args.url).await?;
            if handled >= total {
                println!(
                    "worker: all {total} events handled {:.2} s after the last webhook was acknowledged ({} replies received by the fake LINE)",
                    drain_started.elapsed().as_secs_f64(),
                    replies.load(Ordering::Relaxed)
                );
                break;
            }
            if drain_started.elapsed() > Duration::from_secs(600) {
                println!("worker: only {handled} of {total} events handled after 600 s");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// Sends `count` webhooks, `concurrency` in flight; returns each request's latency.
async fn run(
    client: &reqwest::Client,
    args: &Args,
    run_id: &str,
    phase: &str,
    count: u64,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (client, next) = (client.clone(), next.clone());
        let url = format!("{}/line/webhook", args.url.trim_end_matches('/'));
        let secret = args.secret.clone();
        let prefix = format!("{run_id}-{phase}-");
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let body = follow_body(&format!("{prefix}{n}"), n);
                let signature = sign(secret.as_bytes(), body.as_bytes());
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-line-signature", signature)
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                response.bytes().await?;
                latencies.push(started.elapsed());
                anyhow::ensure!(status.is_success(), "the server answered {status}");
            }
        });
    }
    let mut all = Vec::with_capacity(count as usize);
    while let Some(result) = tasks.join_next().await {
        all.extend(result??);
    }
    Ok(all)
}

/// Sends `rate` requests a second for `duration` seconds, each at its scheduled time whatever
/// the server's answers; a request's latency runs from its scheduled start.
async fn run_at_rate(
    client: &reqwest::Client,
    args: &Args,
    run_id: &str,
    rate: u64,
) -> anyhow::Result<Vec<Duration>> {
    let url = format!("{}/line/webhook", args.url.trim_end_matches('/'));
    let count = rate * args.duration;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..count {
        let body = follow_body(&format!("{run_id}-rate-{n}"), n);
        let signature = sign(args.secret.as_bytes(), body.as_bytes());
        let scheduled = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(scheduled).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            let response = client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-line-signature", signature)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            response.bytes().await?;
            anyhow::ensure!(status.is_success(), "the server answered {status}");
            Ok::<_, anyhow::Error>(scheduled.elapsed())
        });
    }
    let mut all = Vec::with_capacity(count as usize);
    while let Some(result) = tasks.join_next().await {
        all.push(result??);
    }
    Ok(all)
}

/// Writes `--requests` signed bodies for wrk, round robin over `--body-files` files.
fn write_bodies(dir: &std::path::Path, args: &Args, run_id: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut files = (0..args.body_files.max(1))
        .map(|t| {
            let file = std::fs::File::create(dir.join(format!("thread-{t}.txt")))?;
            Ok(std::io::BufWriter::new(file))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let per_file = files.len() as u64;
    for n in 0..args.requests {
        let body = follow_body(&format!("{run_id}-wrk-{n}"), n);
        let signature = sign(args.secret.as_bytes(), body.as_bytes());
        writeln!(files[(n % per_file) as usize], "{signature}\t{body}")?;
    }
    for mut file in files {
        file.flush()?;
    }
    Ok(())
}

/// A follow event as LINE sends it, with a unique id and user.
fn follow_body(event_id: &str, n: u64) -> String {
    serde_json::json!({
        "destination": "U0123456789abcdef0123456789abcdef",
        "events": [{
            "type": "follow",
            "mode": "active",
            "timestamp": 1_700_000_000_000_u64 + n,
            "source": {"type": "user", "userId": format!("U{:032x}", n)},
            "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": false},
            "replyToken": format!("rt{n}"),
            "follow": {"isUnblocked": false}
        }]
    })
    .to_string()
}

async fn handled_events(client: &reqwest::Client, url: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{}/metrics", url.trim_end_matches('/')))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|line| line.starts_with("store_assistant_webhook_events_handled_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

/// A fake LINE that accepts every reply (actix runs its workers on threads of their own).
fn start_fake_line(port: u16, replies: Arc<AtomicU64>) -> anyhow::Result<actix_web::dev::Server> {
    let server = actix_web::HttpServer::new(move || {
        let replies = replies.clone();
        actix_web::App::new().default_service(actix_web::web::to(move || {
            replies.fetch_add(1, Ordering::Relaxed);
            async {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(r#"{"sentMessages":[{"id":"1"}]}"#)
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run();
    Ok(server)
}
