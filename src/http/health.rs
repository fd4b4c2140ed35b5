//! `GET /healthz`: for load balancers and uptime checks.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::services::Context;

/// 200 when the database answers within 2 s, 503 otherwise; always a small JSON body.
pub async fn healthz(ctx: web::Data<Context>) -> HttpResponse {
    let database_ok = matches!(
        tokio::time::timeout(Duration::from_secs(2), ctx.db.ping()).await,
        Ok(Ok(()))
    );
    let body = serde_json::json!({
        "status": if database_ok { "ok" } else { "unavailable" },
        "database": if database_ok { "ok" } else { "unreachable" },
        "demo": ctx.settings.demo,
    });
    if database_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
