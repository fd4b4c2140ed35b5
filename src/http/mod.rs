//! The HTTP surface. [`routes`] is the one table a reader scans to see every endpoint (in demo mode
//! `startup` also mounts the LINE emulator's own table, `emulator::routes`, under `/emulator`).
//! Handlers extract, call one service, and render; they hold no SQL and no HTTP client calls.

mod admin;
pub mod api;
pub(crate) mod assets;
mod clerk;
pub mod error;
mod health;
pub mod layout;
mod metrics;
mod order_webhooks;
mod public;
pub mod security_headers;
pub mod staff;
mod webhook;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::client_network::limit_key;
use error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().error_handler(|err, _| bad_input(err)))
        .app_data(web::QueryConfig::default().error_handler(|err, _| bad_input(err)))
        .app_data(web::PathConfig::default().error_handler(|err, _| bad_input(err)))
        .app_data(web::JsonConfig::default().error_handler(|err, _| bad_input(err)))
        .route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/line/webhook", web::post().to(webhook::receive))
        .route(
            "/webhooks/orders/{shop}",
            web::post().to(order_webhooks::receive),
        )
        .configure(public::routes)
        .configure(admin::routes)
        .configure(clerk::routes)
        .configure(api::routes)
        .configure(assets::routes)
        .default_service(web::to(not_found));
}

/// Extractor failures (a malformed form, query or JSON body) become our 400 with a clear message.
fn bad_input(err: impl std::fmt::Display) -> actix_web::Error {
    AppError::bad_request(
        format!("送出的資料格式不正確：{err}"),
        format!("The submitted data is not in the expected format: {err}"),
    )
    .into()
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found(
        "找不到這個頁面，請確認網址是否正確。",
        "This page does not exist; please check the address.",
    ))
}

/// The client's address for the per-client limits (scans, SMS, sign-in): the TCP peer, or with
/// `TRUST_X_FORWARDED_FOR` the last `X-Forwarded-For` entry — the one our own proxy appended;
/// earlier entries are whatever the client wrote.
pub(crate) fn client_addr(req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let trusted = req
        .app_data::<web::Data<crate::services::Context>>()
        .is_some_and(|ctx| ctx.settings.trust_forwarded_for);
    let forwarded = trusted
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok());
    forwarded.or_else(|| req.peer_addr().map(|addr| addr.ip()))
}

/// [`client_addr`] as the sign-in and SMS limits count and store it: an IPv4 address, or an IPv6
/// address's /64 network (`domain::client_network`).
pub(crate) fn client_network(req: &actix_web::HttpRequest) -> String {
    client_addr(req).map_or_else(|| "unknown".to_owned(), limit_key)
}

/// Renders a page; a template failure is an unexpected error, not a half-written page.
pub(crate) fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|err| AppError::Unexpected(anyhow::Error::new(err).context("rendering a page")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
