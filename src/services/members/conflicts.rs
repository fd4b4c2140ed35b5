//! The conflicts queue (HQ): a LINE user id and a phone that belong to two different members.
//! The binding service records them and never merges silently; HQ either merges the two or keeps
//! them apart. Resolved conflicts leave the queue.
//!
//! The merge rule, shown before HQ confirms: the phone member absorbs the LINE id (and the LINE
//! display name if it has none); the LINE member's binding wins if it is older, else the phone
//! member's (first binding wins, as everywhere); the LINE member is erased (anonymised), its
//! binding attempts move to the phone member, and its binding, now a duplicate of the same
//! person, is removed so the person is counted once.

use chrono::{SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::json;

use crate::db::entities::enums::ConflictStatus;
use crate::db::entities::{binding_attempts, bindings, journeys, member_conflicts, members};
use crate::domain::members::MergeBlocked;
use crate::domain::members::{BindingWinner, Reason, merge_binding_winner, parse_note};
use crate::domain::taipei_time;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Invalid, NotFound, Refusal};

use super::{Directory, PhoneView, member_label};

/// One side of a conflict as HQ compares them.
pub struct MemberBrief {
    pub id: i32,
    pub name: String,
    pub erased: bool,
    pub phone: Option<String>,
    pub line_linked: bool,
    /// "北區｜台北信義店" and when, or `None` when not bound.
    pub binding: Option<String>,
}

pub struct ConflictListItem {
    pub id: i32,
    pub created_at: String,
    pub line_member: MemberBrief,
    pub phone_member: MemberBrief,
}

/// What a merge would do, in words, before HQ confirms it.
pub struct MergePlan {
    pub winner: BindingWinner,
    /// The binding the merged member keeps, if any.
    pub kept_binding: Option<String>,
    /// The duplicate binding that goes away, if any.
    pub dropped_binding: Option<String>,
}

pub struct ConflictDetail {
    pub id: i32,
    pub status: ConflictStatus,
    pub created_at: String,
    pub line_member: MemberBrief,
    pub phone_member: MemberBrief,
    pub plan: MergePlan,
    /// Why a merge is not possible (an erased member, a phone member with another LINE id).
    pub merge_blocked: Option<MergeBlocked>,
    pub resolved_at: Option<String>,
    pub resolution_note: Option<String>,
}

fn conflict_not_found() -> Error {
    NotFound::Conflict.into()
}

fn already_resolved() -> Error {
    Refusal::ConflictResolved.into()
}

type Side = (members::Model, Option<bindings::Model>);

async fn side(db: &impl ConnectionTrait, member_id: i32) -> Result<Side, Error> {
    members::Entity::find_by_id(member_id)
        .find_also_related(bindings::Entity)
        .one(db)
        .await?
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("conflict names member {member_id}")))
}

fn brief(directory: &Directory, (member, binding): &Side) -> MemberBrief {
    let erased = member.erased_at.is_some();
    MemberBrief {
        id: member.id,
        name: member_label(erased, member.display_name.as_deref()),
        erased,
        phone: member
            .phone_e164
            .as_deref()
            .map(|p| PhoneView::Full.show(p)),
        line_linked: member.line_user_id.is_some(),
        binding: binding.as_ref().map(|b| binding_words(directory, b)),
    }
}

fn binding_words(directory: &Directory, binding: &bindings::Model) -> String {
    format!(
        "{}（{} 綁定）",
        directory.store_label(binding.store_id),
        taipei_time::format(binding.bound_at)
    )
}

fn plan(directory: &Directory, line: &Side, phone: &Side) -> MergePlan {
    let winner = merge_binding_winner(
        line.1.as_ref().map(|b| b.bound_at),
        phone.1.as_ref().map(|b| b.bound_at),
    );
    let words = |b: &Option<bindings::Model>| b.as_ref().map(|b| binding_words(directory, b));
    let (kept_binding, dropped_binding) = match winner {
        BindingWinner::LineMember => (words(&line.1), words(&phone.1)),
        BindingWinner::PhoneMember => (words(&phone.1), words(&line.1)),
        BindingWinner::Neither => (None, None),
    };
    MergePlan {
        winner,
        kept_binding,
        dropped_binding,
    }
}

/// Why these two cannot be merged as the rule says, if they cannot.
fn merge_blocked(
    conflict: &member_conflicts::Model,
    line: &Side,
    phone: &Side,
) -> Option<MergeBlocked> {
    if line.0.erased_at.is_some() || phone.0.erased_at.is_some() {
        return Some(MergeBlocked::Erased);
    }
    if line.0.line_user_id.as_ref() != Some(&conflict.line_user_id)
        || phone.0.phone_e164.as_ref() != Some(&conflict.phone_e164)
    {
        return Some(MergeBlocked::ChangedSince);
    }
    if phone
        .0
        .line_user_id
        .as_ref()
        .is_some_and(|id| *id != conflict.line_user_id)
    {
        return Some(MergeBlocked::PhoneLinkedElsewhere);
    }
    None
}

/// Open conflicts, oldest first (the queue's order).
pub async fn list_open(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<ConflictListItem>, Error> {
    actor.scope.require_hq()?;
    let directory = Directory::load(db).await?;
    let conflicts = member_conflicts::Entity::find()
        .filter(member_conflicts::Column::Status.eq(ConflictStatus::Open))
        .order_by_asc(member_conflicts::Column::CreatedAt)
        .order_by_asc(member_conflicts::Column::Id)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(conflicts.len());
    for conflict in conflicts {
        let line = side(db, conflict.line_member_id).await?;
        let phone = side(db, conflict.phone_member_id).await?;
        items.push(ConflictListItem {
            id: conflict.id,
            created_at: taipei_time::format(conflict.created_at),
            line_member: brief(&directory, &line),
            phone_member: brief(&directory, &phone),
        });
    }
    Ok(items)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conflict_id: i32,
) -> Result<ConflictDetail, Error> {
    actor.scope.require_hq()?;
    let conflict = member_conflicts::Entity::find_by_id(conflict_id)
        .one(db)
        .await?
        .ok_or_else(conflict_not_found)?;
    let directory = Directory::load(db).await?;
    let line = side(db, conflict.line_member_id).await?;
    let phone = side(db, conflict.phone_member_id).await?;
    Ok(ConflictDetail {
        id: conflict.id,
        status: conflict.status,
        created_at: taipei_time::format(conflict.created_at),
        plan: plan(&directory, &line, &phone),
        merge_blocked: merge_blocked(&conflict, &line, &phone),
        line_member: brief(&directory, &line),
        phone_member: brief(&directory, &phone),
        resolved_at: conflict.resolved_at.map(taipei_time::format),
        resolution_note: conflict.resolution_note,
    })
}

fn parse(note: &str) -> Result<Option<Reason>, Error> {
    parse_note(note).map_err(|err| Invalid::Note(err).into())
}

/// Marks the conflict resolved, if it is still open (of two HQ staff acting at once, one wins).
async fn claim(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    conflict_id: i32,
    status: ConflictStatus,
    note: Option<&Reason>,
    at: chrono::DateTime<Utc>,
) -> Result<member_conflicts::Model, Error> {
    let conflict = member_conflicts::Entity::find_by_id(conflict_id)
        .one(txn)
        .await?
        .ok_or_else(conflict_not_found)?;
    let claimed = member_conflicts::Entity::update_many()
        .col_expr(member_conflicts::Column::Status, Expr::value(status))
        .col_expr(member_conflicts::Column::ResolvedAt, Expr::value(at))
        .col_expr(
            member_conflicts::Column::ResolvedByStaffId,
            Expr::value(actor.staff_id),
        )
        .col_expr(
            member_conflicts::Column::ResolutionNote,
            Expr::value(note.map(|n| n.as_str().to_owned())),
        )
        .filter(member_conflicts::Column::Id.eq(conflict_id))
        .filter(member_conflicts::Column::Status.eq(ConflictStatus::Open))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(already_resolved());
    }
    Ok(conflict)
}

/// Keeps the two members apart: nothing changes but the conflict's status.
pub async fn keep_apart(
    db: &DatabaseConnection,
    actor: &Actor,
    conflict_id: i32,
    note: &str,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let note = parse(note)?;
    let txn = db.begin().await?;
    let conflict = claim(
        &txn,
        actor,
        conflict_id,
        ConflictStatus::KeptApart,
        note.as_ref(),
        Utc::now(),
    )
    .await?;
    let mut change = Change::new("conflict.keep_apart", "conflict", conflict_id).after(json!({
        "line_member_id": conflict.line_member_id,
        "phone_member_id": conflict.phone_member_id,
        "status": ConflictStatus::KeptApart,
    }));
    if let Some(note) = &note {
        change = change.reason(note.as_str());
    }
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(())
}

/// Merges by the rule in the module docs; returns the id of the member that remains.
pub async fn merge(
    db: &DatabaseConnection,
    actor: &Actor,
    conflict_id: i32,
    note: &str,
) -> Result<i32, Error> {
    actor.scope.require_hq()?;
    let note = parse(note)?;
    let txn = db.begin().await?;
    let at = Utc::now().trunc_subsecs(6);
    let conflict = claim(
        &txn,
        actor,
        conflict_id,
        ConflictStatus::Merged,
        note.as_ref(),
        at,
    )
    .await?;
    let line = side(&txn, conflict.line_member_id).await?;
    let phone = side(&txn, conflict.phone_member_id).await?;
    if let Some(blocked) = merge_blocked(&conflict, &line, &phone) {
        return Err(Refusal::MergeBlocked(blocked).into());
    }
    let (line_member, line_binding) = line;
    let (phone_member, phone_binding) = phone;
    let winner = merge_binding_winner(
        line_binding.as_ref().map(|b| b.bound_at),
        phone_binding.as_ref().map(|b| b.bound_at),
    );
    let binding_json = |b: &Option<bindings::Model>| {
        b.as_ref().map(|b| {
            json!({ "store_id": b.store_id, "clerk_id": b.clerk_id, "route": b.route,
                    "bound_at": b.bound_at, "journey_id": b.journey_id })
        })
    };
    let (kept, dropped) = match winner {
        BindingWinner::LineMember => (&line_binding, &phone_binding),
        BindingWinner::PhoneMember | BindingWinner::Neither => (&phone_binding, &line_binding),
    };
    // The duplicate goes first: `bindings.member_id` is unique.
    if let Some(dropped) = dropped {
        bindings::Entity::delete_by_id(dropped.id)
            .exec(&txn)
            .await?;
    }
    if let (BindingWinner::LineMember, Some(kept)) = (winner, kept) {
        bindings::Entity::update_many()
            .col_expr(bindings::Column::MemberId, Expr::value(phone_member.id))
            .col_expr(bindings::Column::UpdatedAt, Expr::value(at))
            .filter(bindings::Column::Id.eq(kept.id))
            .exec(&txn)
            .await?;
    }
    binding_attempts::Entity::update_many()
        .col_expr(
            binding_attempts::Column::MemberId,
            Expr::value(phone_member.id),
        )
        .filter(binding_attempts::Column::MemberId.eq(line_member.id))
        .exec(&txn)
        .await?;
    journeys::Entity::update_many()
        .col_expr(journeys::Column::MemberId, Expr::value(phone_member.id))
        .filter(journeys::Column::MemberId.eq(line_member.id))
        .exec(&txn)
        .await?;
    // The LINE id leaves the erased member before the phone member takes it (it is unique).
    super::personal_data::anonymise(&txn, line_member.id, at).await?;
    members::Entity::update_many()
        .col_expr(
            members::Column::LineUserId,
            Expr::value(conflict.line_user_id.clone()),
        )
        .col_expr(members::Column::LineLinkedAt, Expr::value(at))
        .col_expr(
            members::Column::DisplayName,
            Expr::value(
                phone_member
                    .display_name
                    .clone()
                    .or(line_member.display_name.clone()),
            ),
        )
        .col_expr(members::Column::UpdatedAt, Expr::value(at))
        .filter(members::Column::Id.eq(phone_member.id))
        .exec(&txn)
        .await?;

    let store_id = kept.as_ref().map(|b| b.store_id);
    let reason = note.as_ref().map(|n| n.as_str().to_owned());
    let with_reason = |change: Change| match &reason {
        Some(reason) => change.reason(reason.clone()),
        None => change,
    };
    audit::record(
        &txn,
        actor,
        with_reason(
            Change::new("conflict.merge", "conflict", conflict_id)
                .store(store_id)
                .before(json!({
                    "line_member_id": line_member.id,
                    "phone_member_id": phone_member.id,
                }))
                .after(json!({
                    "kept_member_id": phone_member.id,
                    "erased_member_id": line_member.id,
                    "binding_from": match winner {
                        BindingWinner::LineMember => "line_member",
                        BindingWinner::PhoneMember => "phone_member",
                        BindingWinner::Neither => "none",
                    },
                })),
        ),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        with_reason(
            Change::new("member.merge", "member", phone_member.id)
                .store(store_id)
                .before(json!({ "binding": binding_json(&phone_binding), "line_linked": phone_member.line_user_id.is_some() }))
                .after(json!({ "binding": binding_json(kept), "line_linked": true, "merged_member_id": line_member.id, "conflict_id": conflict_id })),
        ),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        Change::new("member.erase", "member", line_member.id)
            .store(line_binding.as_ref().map(|b| b.store_id))
            .before(json!({ "binding": binding_json(&line_binding) }))
            .after(json!({ "merged_into_member_id": phone_member.id, "conflict_id": conflict_id }))
            .reason(format!(
                "合併到會員 #{}（merged into member #{}）",
                phone_member.id, phone_member.id
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(phone_member.id)
}
