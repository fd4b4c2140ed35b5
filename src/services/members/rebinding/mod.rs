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

mod reassign;
mod undo;
pub use reassign::{
    ChangeDone, ReassignKind, ReassignPreview, ReassignRequest, preview_reassign, reassign,
};
pub use undo::{ChangeView, ChangesPage, UndoDone, list_changes, undo};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::BindingChangeKind;
use crate::db::entities::{binding_change_members, binding_changes, bindings, members};
use crate::domain::members::Reason;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, RebindProblem, Refusal};

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
// ---- Undo ----
