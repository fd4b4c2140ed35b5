//! The machine's limit for a LINE webhook endpoint: a bare actix-web server that only checks the
//! signature and parses the body (the same `signature::verify` and `WebhookBody::parse` the server
//! uses) and answers 200. No database, no logging, no worker. `bench/run.sh` drives it with the
//! same load as store-assistant, which also stores every event before answering.
//!
//! `cargo run --release --example webhook_bare -- --port 28381 --secret S`

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use clap::Parser;
use store_assistant::line::events::WebhookBody;
use store_assistant::line::signature;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value_t = 28381)]
    port: u16,
    /// The channel secret the bodies are signed with.
    #[arg(long)]
    secret: String,
}

async fn receive(secret: web::Data<String>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let header = req
        .headers()
        .get("x-line-signature")
        .map(|value| value.as_bytes());
    if signature::verify(secret.as_bytes(), &body, header).is_err() {
        return HttpResponse::Unauthorized().finish();
    }
    match WebhookBody::parse(&body) {
        Ok(parsed) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "events": parsed.events.len()
        })),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let secret = web::Data::new(args.secret);
    HttpServer::new(move || {
        App::new()
            .app_data(secret.clone())
            .app_data(web::PayloadConfig::new(1024 * 1024))
            .route("/line/webhook", web::post().to(receive))
            .route("/healthz", web::get().to(HttpResponse::Ok))
    })
    .bind(("127.0.0.1", args.port))?
    .run()
    .await
}
