//! The audit log: who changed what in the admin, when, with the state before and after.
//!
//! Every service that changes stores, groups, accounts or settings calls [`record`] with the same
//! connection or transaction it made the change with, so a change and its audit row commit or
//! roll back together.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use crate::db::entities::audit_log;
use crate::domain::access::Scope;
use crate::services::error::Error;

/// Who is acting: a signed-in staff member, or the command line (which acts as HQ). Services take
/// an `&Actor` to check the scope and to name the actor in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: Option<i32>,
    /// As shown in the audit log: the username, or `cli`.
    pub label: String,
    pub scope: Scope,
}

impl Actor {
    pub fn staff(staff_id: i32, username: &str, scope: Scope) -> Self {
        Self {
            staff_id: Some(staff_id),
            label: username.to_owned(),
            scope,
        }
    }

    /// A shopper binding through a journey of `store_id`: no admin rights, recorded as `shopper`.
    pub fn shopper(store_id: i32) -> Self {
        Self {
            staff_id: None,
            label: "shopper".to_owned(),
            scope: Scope::Store(store_id),
        }
    }

    /// The operator at the server's command line: full access, recorded as `cli`.
    pub fn cli() -> Self {
        Self {
            staff_id: None,
            label: "cli".to_owned(),
            scope: Scope::Hq,
        }
    }
}

/// One change, as [`record`] writes it.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// `store.create`, `store.rename`, `group.delete`, `staff.reset_password`, ...
    pub action: &'static str,
    /// `store`, `group`, `staff`, `settings`, ...
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    /// The store the change concerns, so HQ can filter the log by store.
    pub store_id: Option<i32>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl Change {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: impl ToString) -> Self {
        Self {
            action,
            entity_type,
            entity_id: Some(entity_id.to_string()),
            ..Default::default()
        }
    }

    pub fn store(mut self, store_id: Option<i32>) -> Self {
        self.store_id = store_id;
        self
    }

    pub fn before(mut self, before: Value) -> Self {
        self.before = Some(before);
        self
    }

    pub fn after(mut self, after: Value) -> Self {
        self.after = Some(after);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// Writes one audit row on `db` — pass the transaction that made the change.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    change: Change,
) -> Result<(), sea_orm::DbErr> {
    audit_log::ActiveModel {
        occurred_at: Set(Utc::now()),
        actor_staff_id: Set(actor.staff_id),
        actor_label: Set(actor.label.clone()),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        store_id: Set(change.store_id),
        before_json: Set(change.before),
        after_json: Set(change.after),
        reason: Set(change.reason),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes one audit row per change, in batches (a bulk reassignment writes one per member).
pub async fn record_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    changes: Vec<Change>,
) -> Result<(), sea_orm::DbErr> {
    // 11 columns a row: 400 rows stay far below SQLite's and PostgreSQL's parameter limits.
    const BATCH: usize = 400;
    let now = Utc::now();
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let rows: Vec<audit_log::ActiveModel> = changes
            .by_ref()
            .take(BATCH)
            .map(|change| audit_log::ActiveModel {
                occurred_at: Set(now),
                actor_staff_id: Set(actor.staff_id),
                actor_label: Set(actor.label.clone()),
                action: Set(change.action.to_owned()),
                entity_type: Set(change.entity_type.to_owned()),
                entity_id: Set(change.entity_id),
                store_id: Set(change.store_id),
                before_json: Set(change.before),
                after_json: Set(change.after),
                reason: Set(change.reason),
                ..Default::default()
            })
            .collect();
        audit_log::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub const PAGE_SIZE: u64 = 50;

/// One page of the log, newest first.
pub struct AuditPage {
    pub rows: Vec<audit_log::Model>,
    pub page: u64,
    pub pages: u64,
}

/// The log for HQ, optionally only the rows about one store; `page` counts from 1.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    store_id: Option<i32>,
    page: u64,
) -> Result<AuditPage, Error> {
    actor.scope.require_hq()?;
    let mut query = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::OccurredAt)
        .order_by_desc(audit_log::Column::Id);
    if let Some(store_id) = store_id {
        query = query.filter(audit_log::Column::StoreId.eq(store_id));
    }
    let paginator = query.paginate(db, PAGE_SIZE);
    let pages = paginator.num_pages().await?.max(1);
    let page = page.clamp(1, pages);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(AuditPage { rows, page, pages })
}
