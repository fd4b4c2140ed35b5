//! Bulk reassignment: every member of a clerk, or of a store, moved in one batch that HQ previews
//! first and confirms with the count it saw.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Select, TransactionTrait,
};

use crate::db::entities::bindings;
use crate::db::entities::enums::BindingChangeKind;
use crate::domain::members::Reason;
use crate::services::audit::{self, Actor};
use crate::services::error::{Error, RebindProblem, Refusal};

use super::super::{Directory, is_clerk};
use super::{
    NewChange, Target, audit_moves, check_target, insert_change, insert_members, now, parse_reason,
    rebind_problem,
};

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
