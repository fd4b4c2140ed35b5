//! HQ's changes to bindings: rebinding one member, reassigning all members of a clerk or a store
//! (a clerk leaves, a store closes or merges), and undoing either on the same Taipei day.
//!
//! Each change is one transaction that writes the bindings, a `binding_changes` row (the batch),
//! a `binding_change_members` row per member (before and after) and an audit row per member.
//! Bulk reassignment is guarded twice: the confirmation carries the count HQ saw in the preview
//! (a different count now refuses the change), and every binding is updated only if it still
//! belongs to the clerk or store being emptied (a concurrent change makes the counts disagree and
//! the whole batch rolls back). An undo restores a member only if their binding is exactly as the
//! change left it.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::BindingChangeKind;
use crate::db::entities::{binding_change_members, binding_changes, bindings, members};
use crate::domain::members::Reason;
use crate::domain::taipei_time;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NotFound, RebindProblem, Refusal};

use super::{Directory, is_clerk, member_not_found};

/// Timestamps of changes are kept to the microsecond, PostgreSQL's precision, so the value read
/// back equals the value written on both databases (the undo compares them).
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub(crate) fn parse_reason(text: &str) -> Result<Reason, Error> {
    Reason::parse(text).map_err(|err| Invalid::Reason(err).into())
}

/// Where a binding points: a store and maybe a clerk of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    pub store_id: i32,
    pub clerk_id: Option<i32>,
}

impl Target {
    fn of(binding: &bindings::Model) -> Self {
        Self {
            store_id: binding.store_id,
            clerk_id: binding.clerk_id,
        }
    }

    fn json(self) -> serde_json::Value {
        json!({ "store_id": self.store_id, "clerk_id": self.clerk_id })
    }
}

fn rebind_problem(problem: RebindProblem) -> Error {
    Invalid::Rebind(problem).into()
}

/// Checks that a store (and clerk) can receive members: both exist and are active, and the clerk
/// is a store account of that store.
fn check_target(directory: &Directory, target: Target) -> Result<(), Error> {
    let store = directory
        .stores
        .get(&target.store_id)
        .ok_or_else(|| rebind_problem(RebindProblem::StoreMissing))?;
    if !store.active {
        return Err(rebind_problem(RebindProblem::StoreInactive(
            store.name.clone(),
        )));
    }
    if let Some(clerk_id) = target.clerk_id {
        let clerk = directory
            .staff
            .get(&clerk_id)
            .filter(|c| is_clerk(c))
            .ok_or_else(|| rebind_problem(RebindProblem::ClerkMissing))?;
        if clerk.store_id != Some(target.store_id) {
            return Err(rebind_problem(RebindProblem::ClerkOfOtherStore));
        }
        if !clerk.active {
            return Err(rebind_problem(RebindProblem::ClerkInactive));
        }
    }
    Ok(())
}

/// A `binding_changes` row to write: the batch's kind, why, from where to where, and who moved.
struct NewChange<'a> {
    kind: BindingChangeKind,
    reason: &'a str,
    /// (store, clerk) before and after.
    from: (Option<i32>, Option<i32>),
    to: (Option<i32>, Option<i32>),
    member_ids: &'a [i32],
    undoes: Option<i32>,
    at: DateTime<Utc>,
}

async fn insert_change(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    change: NewChange<'_>,
) -> Result<binding_changes::Model, sea_orm::DbErr> {
    binding_changes::ActiveModel {
        id: NotSet,
        kind: Set(change.kind),
        performed_by_staff_id: Set(actor.staff_id),
        performed_at: Set(change.at),
        reason: Set(change.reason.to_owned()),
        from_store_id: Set(change.from.0),
        from_clerk_id: Set(change.from.1),
        to_store_id: Set(change.to.0),
        to_clerk_id: Set(change.to.1),
        member_count: Set(change.member_ids.len() as i32),
        member_ids: Set(json!(change.member_ids)),
        undone_at: Set(None),
        undone_by_staff_id: Set(None),
        undoes_change_id: Set(change.undoes),
    }
    .insert(txn)
    .await
}

/// One row per moved member. 7 columns: 1,000 rows stay below every parameter limit.
async fn insert_members(
    txn: &impl ConnectionTrait,
    change_id: i32,
    moves: &[(i32, Target, Target)],
) -> Result<(), sea_orm::DbErr> {
    for chunk in moves.chunks(1000) {
        binding_change_members::Entity::insert_many(chunk.iter().map(|(member_id, from, to)| {
            binding_change_members::ActiveModel {
                id: NotSet,
                change_id: Set(change_id),
                member_id: Set(*member_id),
                from_store_id: Set(from.store_id),
                from_clerk_id: Set(from.clerk_id),
                to_store_id: Set(to.store_id),
                to_clerk_id: Set(to.clerk_id),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

fn audit_moves(
    action: &'static str,
    change_id: i32,
    reason: &str,
    moves: &[(i32, Target, Target)],
) -> Vec<Change> {
    moves
        .iter()
        .map(|(member_id, from, to)| {
            let mut after = to.json();
            after["change_id"] = json!(change_id);
            Change::new(action, "member", member_id)
                .store(Some(to.store_id))
                .before(from.json())
                .after(after)
                .reason(reason)
        })
        .collect()
}

// ---- One member ----

pub struct RebindRequest {
    pub member_id: i32,
    pub to_store_id: i32,
    pub to_clerk_id: Option<i32>,
    pub reason: String,
}

/// Moves one member's binding to another store (and clerk); returns the change's id.
pub async fn rebind(
    db: &DatabaseConnection,
    actor: &Actor,
    request: RebindRequest,
) -> Result<i32, Error> {
    actor.scope.require_hq()?;
    let reason = parse_reason(&request.reason)?;
    let to = Target {
        store_id: request.to_store_id,
        clerk_id: request.to_clerk_id,
    };
    let txn = db.begin().await?;
    let (_, binding) = members::Entity::find_by_id(request.member_id)
        .find_also_related(bindings::Entity)
        .one(&txn)
        .await?
        .ok_or_else(member_not_found)?;
    let binding = binding.ok_or(Refusal::NotBound)?;
    let directory = Directory::load(&txn).await?;
    check_target(&directory, to)?;
    let from = Target::of(&binding);
    if from == to {
        return Err(rebind_problem(RebindProblem::Unchanged));
    }
    let at = now();
    bindings::Entity::update_many()
        .col_expr(bindings::Column::StoreId, Expr::value(to.store_id))
        .col_expr(bindings::Column::ClerkId, Expr::value(to.clerk_id))
        .col_expr(bindings::Column::UpdatedAt, Expr::value(at))
        .filter(bindings::Column::Id.eq(binding.id))
        .exec(&txn)
        .await?;
    let change = insert_change(
        &txn,
        actor,
        NewChange {
            kind: BindingChangeKind::Rebind,
            reason: reason.as_str(),
            from: (Some(from.store_id), from.clerk_id),
            to: (Some(to.store_id), to.clerk_id),
            member_ids: &[request.member_id],
            undoes: None,
            at,
        },
    )
    .await?;
    let moves = [(request.member_id, from, to)];
    insert_members(&txn, change.id, &moves).await?;
    audit::record_many(
        &txn,
        actor,
        audit_moves("binding.rebind", change.id, reason.as_str(), &moves),
    )
    .await?;
    txn.commit().await?;
    Ok(change.id)
}

/// The choices of the rebinding form: active stores and active clerks, with their store.
pub struct RebindChoices {
    pub stores: Vec<(i32, String)>,
    /// (clerk id, store id, "TP01 · 小美")
    pub clerks: Vec<(i32, i32, String)>,
}

pub async fn rebind_choices(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<RebindChoices, Error> {
    actor.scope.require_hq()?;
    let directory = Directory::load(db).await?;
    let stores = directory
        .stores_in(actor.scope)
        .into_iter()
        .filter(|s| s.active)
        .map(|s| (s.id, format!("{} {}", s.code, s.name)))
        .collect();
    let clerks = directory
        .clerks_in(actor.scope)
        .into_iter()
        .filter_map(|(id, label)| {
            let account = directory.staff.get(&id)?;
            (account.active).then_some((id, account.store_id?, label))
        })
        .collect();
    Ok(RebindChoices { stores, clerks })
}

// ---- Bulk reassignment ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReassignKind {
    /// All members of one clerk to another clerk of the same store.
    Clerk,
    /// All members of one store to another store (their clerk is cleared: the old store's
    /// clerks do not work at the new one).
    Store,
}

impl ReassignKind {
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim() {
            "clerk" => Ok(ReassignKind::Clerk),
            "store" => Ok(ReassignKind::Store),
            _ => Err(rebind_problem(RebindProblem::ReassignKind)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReassignKind::Clerk => "clerk",
            ReassignKind::Store => "store",
        }
    }
}

pub struct ReassignRequest {
    pub kind: ReassignKind,
    pub from_id: i32,
    pub to_id: i32,
    pub reason: String,
}

/// What a reassignment would do: shown before HQ confirms it.
#[derive(Debug, Clone)]
pub struct ReassignPreview {
    pub kind: ReassignKind,
    pub from_id: i32,
    pub to_id: i32,
    pub from_label: String,
    pub to_label: String,
    pub reason: String,
    /// Members bound to the clerk or store being emptied, now.
    pub count: u64,
}

struct Plan {
    kind: ReassignKind,
    from_id: i32,
    to: Target,
    /// The store of the clerk being emptied (clerk kind), or the store (store kind).
    from_store_id: i32,
    from_label: String,
    to_label: String,
    reason: Reason,
}

impl Plan {
    fn affected(&self) -> Select<bindings::Entity> {
        let query = bindings::Entity::find();
        match self.kind {
            ReassignKind::Clerk => query.filter(bindings::Column::ClerkId.eq(self.from_id)),
            ReassignKind::Store => query.filter(bindings::Column::StoreId.eq(self.from_id)),
        }
    }
}

async fn plan(
    db: &impl ConnectionTrait,
    actor: &Actor,
    request: &ReassignRequest,
) -> Result<Plan, Error> {
    actor.scope.require_hq()?;
    let reason = parse_reason(&request.reason)?;
    if request.from_id == request.to_id {
        return Err(rebind_problem(RebindProblem::SameSourceAndTarget));
    }
    let directory = Directory::load(db).await?;
    match request.kind {
        ReassignKind::Clerk => {
            let clerk = |id: i32| {
                directory
                    .staff
                    .get(&id)
                    .filter(|c| is_clerk(c))
                    .ok_or_else(|| rebind_problem(RebindProblem::ClerkMissing))
            };
            let from = clerk(request.from_id)?;
            let to = clerk(request.to_id)?;
            if from.store_id != to.store_id {
                return Err(rebind_problem(RebindProblem::ReassignAcrossStores));
            }
            let target = Target {
                store_id: to.store_id.unwrap_or_default(),
                clerk_id: Some(to.id),
            };
            check_target(&directory, target)?;
            Ok(Plan {
                kind: request.kind,
                from_id: from.id,
                to: target,
                from_store_id: from.store_id.unwrap_or_default(),
                from_label: directory.clerk_with_store(from.id),
                to_label: directory.clerk_with_store(to.id),
                reason,
            })
        }
        ReassignKind::Store => {
            if !directory.stores.contains_key(&request.from_id) {
                return Err(rebind_problem(RebindProblem::StoreMissing));
            }
            let target = Target {
                store_id: request.to_id,
                clerk_id: None,
            };
            check_target(&directory, target)?;
            let label =
                |id: i32| format!("{} {}", directory.store_code(id), directory.store_label(id));
            Ok(Plan {
                kind: request.kind,
                from_id: request.from_id,
                to: target,
                from_store_id: request.from_id,
                from_label: label(request.from_id),
                to_label: label(request.to_id),
                reason,
            })
        }
    }
}

/// Counts the members a reassignment would move; changes nothing.
pub async fn preview_reassign(
    db: &impl ConnectionTrait,
    actor: &Actor,
    request: &ReassignRequest,
) -> Result<ReassignPreview, Error> {
    let plan = plan(db, actor, request).await?;
    let count = plan.affected().count(db).await?;
    Ok(ReassignPreview {
        kind: plan.kind,
        from_id: plan.from_id,
        to_id: request.to_id,
        from_label: plan.from_label,
        to_label: plan.to_label,
        reason: plan.reason.as_str().to_owned(),
        count,
    })
}

/// What a change did, for the page that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeDone {
    pub change_id: i32,
    pub moved: u64,
}

/// Moves every member of the clerk or store, if there are still exactly `expected` of them.
pub async fn reassign(
    db: &DatabaseConnection,
    actor: &Actor,
    request: &ReassignRequest,
    expected: u64,
) -> Result<ChangeDone, Error> {
    let txn = db.begin().await?;
    let plan = plan(&txn, actor, request).await?;
    let current = plan
        .affected()
        .order_by_asc(bindings::Column::MemberId)
        .all(&txn)
        .await?;
    let count_changed = || {
        Error::from(Refusal::PreviewChanged {
            expected,
            now: current.len() as u64,
        })
    };
    if current.len() as u64 != expected {
        return Err(count_changed());
    }
    if current.is_empty() {
        return Err(rebind_problem(RebindProblem::NothingToReassign));
    }
    let at = now();
    let moves: Vec<(i32, Target, Target)> = current
        .iter()
        .map(|b| (b.member_id, Target::of(b), plan.to))
        .collect();
    let member_ids: Vec<i32> = moves.iter().map(|m| m.0).collect();
    let (kind, from_clerk, to_clerk) = match plan.kind {
        ReassignKind::Clerk => (
            BindingChangeKind::ReassignClerk,
            Some(plan.from_id),
            plan.to.clerk_id,
        ),
        ReassignKind::Store => (BindingChangeKind::ReassignStore, None, None),
    };
    let change = insert_change(
        &txn,
        actor,
        NewChange {
            kind,
            reason: plan.reason.as_str(),
            from: (Some(plan.from_store_id), from_clerk),
            to: (Some(plan.to.store_id), to_clerk),
            member_ids: &member_ids,
            undoes: None,
            at,
        },
    )
    .await?;
    let mut updated = 0;
    for chunk in member_ids.chunks(500) {
        // Only bindings still on the clerk or store being emptied: a change made meanwhile
        // makes the count disagree and rolls the whole batch back.
        let still_there = match plan.kind {
            ReassignKind::Clerk => bindings::Column::ClerkId.eq(plan.from_id),
            ReassignKind::Store => bindings::Column::StoreId.eq(plan.from_id),
        };
        updated += bindings::Entity::update_many()
            .col_expr(bindings::Column::StoreId, Expr::value(plan.to.store_id))
            .col_expr(bindings::Column::ClerkId, Expr::value(plan.to.clerk_id))
            .col_expr(bindings::Column::UpdatedAt, Expr::value(at))
            .filter(bindings::Column::MemberId.is_in(chunk.iter().copied()))
            .filter(still_there)
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if updated != expected {
        txn.rollback().await?;
        return Err(count_changed());
    }
    insert_members(&txn, change.id, &moves).await?;
    audit::record_many(
        &txn,
        actor,
        audit_moves("binding.reassign", change.id, plan.reason.as_str(), &moves),
    )
    .await?;
    txn.commit().await?;
    Ok(ChangeDone {
        change_id: change.id,
        moved: expected,
    })
}

// ---- Undo ----

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
