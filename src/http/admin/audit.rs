//! `/admin/audit` (HQ): the audit log, newest first, filtered by store, paginated.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use askama::Template;
use chrono::FixedOffset;
use serde::Deserialize;

use super::{optional_id, render};
use crate::db::entities::audit_log;
use crate::http::error::AppError;
use crate::http::layout::Layout;
use crate::http::staff::Staff;
use crate::services::Context;
use crate::services::audit;
use crate::services::stores::{self, StoreView};

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditLogPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    page: u64,
    pages: u64,
    stores: Vec<(StoreView, bool)>,
    /// `&store_id=N` for the page links, or empty.
    store_query: String,
}

/// One row as shown: times in Taiwan time, JSON as compact text (escaped by the template).
pub struct AuditRow {
    time: String,
    actor: String,
    action: String,
    entity: String,
    store_id: Option<i32>,
    before: String,
    after: String,
    reason: String,
}

impl AuditRow {
    fn new(row: audit_log::Model) -> Self {
        let taipei = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
        let json =
            |value: Option<serde_json::Value>| value.map(|v| v.to_string()).unwrap_or_default();
        Self {
            time: row
                .occurred_at
                .with_timezone(&taipei)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: row.actor_label,
            action: row.action,
            entity: match row.entity_id {
                Some(id) => format!("{} #{id}", row.entity_type),
                None => row.entity_type,
            },
            store_id: row.store_id,
            before: json(row.before_json),
            after: json(row.after_json),
            reason: row.reason.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    store_id: String,
    page: Option<u64>,
}

pub async fn list(
    ctx: Data<Context>,
    staff: Staff,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let store_id = optional_id(&query.store_id)?;
    let log = audit::list(&ctx.db, &actor, store_id, query.page.unwrap_or(1)).await?;
    let stores = stores::list_stores(&ctx.db, &actor)
        .await?
        .into_iter()
        .map(|s| {
            let chosen = Some(s.id) == store_id;
            (s, chosen)
        })
        .collect();
    render(&AuditLogPage {
        layout: Layout::staff(&ctx, &staff, "audit"),
        rows: log.rows.into_iter().map(AuditRow::new).collect(),
        page: log.page,
        pages: log.pages,
        stores,
        store_query: store_id
            .map(|id| format!("&store_id={id}"))
            .unwrap_or_default(),
    })
}
