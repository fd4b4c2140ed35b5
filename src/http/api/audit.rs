//! `/api/v1/audit` (HQ): the audit log, newest first, optionally for one store.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use serde::Deserialize;
use serde_json::json;

use super::ok;
use crate::http::error::AppError;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::audit;

#[derive(Deserialize)]
pub struct AuditQuery {
    store_id: Option<i32>,
    page: Option<u64>,
}

pub async fn list(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let log = audit::list(
        &ctx.db,
        &staff.actor(),
        query.store_id,
        query.page.unwrap_or(1),
    )
    .await?;
    let entries: Vec<_> = log
        .rows
        .into_iter()
        .map(|row| {
            json!({
                "id": row.id,
                "occurred_at": row.occurred_at,
                "actor": row.actor_label,
                "actor_staff_id": row.actor_staff_id,
                "action": row.action,
                "entity_type": row.entity_type,
                "entity_id": row.entity_id,
                "store_id": row.store_id,
                "before": row.before_json,
                "after": row.after_json,
                "reason": row.reason,
            })
        })
        .collect();
    ok(&json!({
        "page": log.page,
        "pages": log.pages,
        "page_size": audit::PAGE_SIZE,
        "entries": entries,
    }))
}
