//! `GET /metrics`: the in-process counters in the Prometheus text format.

use actix_web::{HttpResponse, web};

use crate::startup::AppState;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render())
}
