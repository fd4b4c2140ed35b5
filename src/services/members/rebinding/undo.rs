//! Undoing a change on the day it was made, and the list of changes HQ reads.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::db::entities::enums::BindingChangeKind;
use crate::db::entities::{binding_change_members, binding_changes, bindings};
use crate::domain::taipei_time;
use crate::services::audit::{self, Actor};
use crate::services::error::{Error, NotFound, RebindProblem, Refusal};

use super::super::Directory;
use super::{NewChange, Target, audit_moves, insert_change, insert_members, now, rebind_problem};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoDone {
    pub change_id: i32,
    pub undo_change_id: i32,
    pub restored: u64,
    /// Members whose binding was changed again after the change: left as they are.
    pub not_restored: u64,
}

/// Restores the bindings a rebinding or reassignment changed, on the Taipei day it was made.
pub async fn undo(
    db: &DatabaseConnection,
    actor: &Actor,
    change_id: i32,
) -> Result<UndoDone, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let change = binding_changes::Entity::find_by_id(change_id)
        .one(&txn)
        .await?
        .ok_or(NotFound::BindingChange)?;
    if change.kind == BindingChangeKind::Undo {
        return Err(rebind_problem(RebindProblem::UndoOfUndo));
    }
    if change.undone_at.is_some() {
        return Err(Refusal::AlreadyUndone.into());
    }
    let at = now();
    if taipei_time::day_of(change.performed_at) != taipei_time::day_of(at) {
        return Err(Refusal::UndoTooLate {
            performed_at: change.performed_at,
        }
        .into());
    }
    // Claim the change first: of two HQ staff pressing undo at once, one does it.
    let claimed = binding_changes::Entity::update_many()
        .col_expr(binding_changes::Column::UndoneAt, Expr::value(at))
        .col_expr(
            binding_changes::Column::UndoneByStaffId,
            Expr::value(actor.staff_id),
        )
        .filter(binding_changes::Column::Id.eq(change_id))
        .filter(binding_changes::Column::UndoneAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(Refusal::AlreadyUndone.into());
    }
    let items = binding_change_members::Entity::find()
        .filter(binding_change_members::Column::ChangeId.eq(change_id))
        .order_by_asc(binding_change_members::Column::MemberId)
        .all(&txn)
        .await?;
    let mut restored = Vec::new();
    for item in &items {
        let to_clerk = match item.to_clerk_id {
            Some(clerk) => bindings::Column::ClerkId.eq(clerk),
            None => bindings::Column::ClerkId.is_null(),
        };
        // Untouched since the change: same store, same clerk, and not updated after it.
        let result = bindings::Entity::update_many()
            .col_expr(bindings::Column::StoreId, Expr::value(item.from_store_id))
            .col_expr(bindings::Column::ClerkId, Expr::value(item.from_clerk_id))
            .col_expr(bindings::Column::UpdatedAt, Expr::value(at))
            .filter(bindings::Column::MemberId.eq(item.member_id))
            .filter(bindings::Column::StoreId.eq(item.to_store_id))
            .filter(to_clerk)
            .filter(bindings::Column::UpdatedAt.eq(change.performed_at))
            .exec(&txn)
            .await?;
        if result.rows_affected == 1 {
            restored.push((
                item.member_id,
                Target {
                    store_id: item.to_store_id,
                    clerk_id: item.to_clerk_id,
                },
                Target {
                    store_id: item.from_store_id,
                    clerk_id: item.from_clerk_id,
                },
            ));
        }
    }
    let restored_ids: Vec<i32> = restored.iter().map(|m| m.0).collect();
    let reason = format!("復原變更 #{change_id}（undo of change #{change_id}）");
    let undo_change = insert_change(
        &txn,
        actor,
        NewChange {
            kind: BindingChangeKind::Undo,
            reason: &reason,
            from: (change.to_store_id, change.to_clerk_id),
            to: (change.from_store_id, change.from_clerk_id),
            member_ids: &restored_ids,
            undoes: Some(change_id),
            at,
        },
    )
    .await?;
    insert_members(&txn, undo_change.id, &restored).await?;
    audit::record_many(
        &txn,
        actor,
        audit_moves("binding.undo", undo_change.id, &reason, &restored),
    )
    .await?;
    txn.commit().await?;
    Ok(UndoDone {
        change_id,
        undo_change_id: undo_change.id,
        restored: restored.len() as u64,
        not_restored: (items.len() - restored.len()) as u64,
    })
}

// ---- The list of changes ----

pub struct ChangeView {
    pub id: i32,
    pub kind: &'static str,
    pub at: String,
    pub by: String,
    pub reason: String,
    pub from: String,
    pub to: String,
    pub members: i32,
    /// A single member's id, for a link.
    pub member_id: Option<i32>,
    pub undone_at: Option<String>,
    pub undoes: Option<i32>,
    pub can_undo: bool,
}

pub struct ChangesPage {
    pub changes: Vec<ChangeView>,
    pub page: u64,
    pub pages: u64,
}

/// HQ's binding changes, newest first; the ones made today (Taipei) can be undone.
pub async fn list_changes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: u64,
) -> Result<ChangesPage, Error> {
    actor.scope.require_hq()?;
    let directory = Directory::load(db).await?;
    let paginator = binding_changes::Entity::find()
        .order_by_desc(binding_changes::Column::PerformedAt)
        .order_by_desc(binding_changes::Column::Id)
        .paginate(db, 50);
    let pages = paginator.num_pages().await?.max(1);
    let page = page.clamp(1, pages);
    let today = taipei_time::day_of(Utc::now());
    let side = |store: Option<i32>, clerk: Option<i32>| match (store, clerk) {
        (_, Some(clerk)) => directory.clerk_with_store(clerk),
        (Some(store), None) => format!(
            "{} {}",
            directory.store_code(store),
            directory.store_label(store)
        ),
        (None, None) => String::new(),
    };
    let changes = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|c| ChangeView {
            id: c.id,
            kind: match c.kind {
                BindingChangeKind::Rebind => "改綁 rebind",
                BindingChangeKind::ReassignClerk => "人員移轉 clerk reassignment",
                BindingChangeKind::ReassignStore => "門市移轉 store reassignment",
                BindingChangeKind::Undo => "復原 undo",
            },
            at: taipei_time::format(c.performed_at),
            by: c
                .performed_by_staff_id
                .and_then(|id| directory.staff.get(&id).map(|s| s.username.clone()))
                .unwrap_or_else(|| "—".to_owned()),
            reason: c.reason.clone(),
            from: side(c.from_store_id, c.from_clerk_id),
            to: side(c.to_store_id, c.to_clerk_id),
            members: c.member_count,
            member_id: match (c.kind, c.member_ids.as_array()) {
                (BindingChangeKind::Rebind, Some(ids)) if ids.len() == 1 => {
                    ids[0].as_i64().and_then(|id| i32::try_from(id).ok())
                }
                _ => None,
            },
            undone_at: c.undone_at.map(taipei_time::format),
            undoes: c.undoes_change_id,
            can_undo: c.kind != BindingChangeKind::Undo
                && c.undone_at.is_none()
                && taipei_time::day_of(c.performed_at) == today,
        })
        .collect();
    Ok(ChangesPage {
        changes,
        page,
        pages,
    })
}
