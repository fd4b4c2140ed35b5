//! `GET /metrics`: the in-process counters in the Prometheus text format.

use actix_web::{HttpResponse, web};

use crate::services::Context;

pub async fn metrics(ctx: web::Data<Context>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(ctx.metrics.render())
}
