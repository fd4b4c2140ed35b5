//! A member's page: who they are, their binding, attempts, conflicts and audit trail.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::enums::{AttemptOutcome, ConflictStatus, Route};
use crate::db::entities::{binding_attempts, bindings, member_conflicts, members};
use crate::domain::access::Scope;
use crate::domain::journey::JourneyId;
use crate::domain::taipei_time::{self};
use crate::services::audit::Actor;
use crate::services::error::Error;

use super::directory::Directory;
use super::{PhoneView, audit_trail, member_label, member_not_found};

pub struct BindingView {
    pub store_id: i32,
    pub store_code: String,
    /// "北區｜台北信義店", as the member reads it.
    pub store_label: String,
    pub clerk: Option<String>,
    pub clerk_id: Option<i32>,
    pub route: Route,
    pub journey_id: Option<JourneyId>,
    pub bound_at: String,
    pub updated_at: String,
    /// Changed by HQ since it was made.
    pub changed: bool,
}

pub struct AttemptView {
    pub at: String,
    pub store: String,
    pub clerk: Option<String>,
    pub outcome: &'static str,
    /// For "already bound": where the member was bound.
    pub bound_store: Option<String>,
}

pub struct MemberConflictView {
    pub id: i32,
    pub status: ConflictStatus,
    /// Whether this member holds the LINE id (else the phone) in the conflict.
    pub as_line_member: bool,
    pub other_member_id: i32,
    pub created_at: String,
}

pub struct AuditEntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// Compact JSON; empty for store staff (it names other stores' ids).
    pub before: String,
    pub after: String,
    pub reason: String,
}

pub struct MemberDetail {
    pub id: i32,
    pub name: String,
    pub erased_at: Option<String>,
    pub phone: Option<String>,
    pub phones: PhoneView,
    pub phone_verified_at: Option<String>,
    pub line_linked_at: Option<String>,
    pub line_linked: bool,
    pub registered_via: Route,
    pub created_at: String,
    pub consent_at: Option<String>,
    pub consent_version: Option<String>,
    pub binding: Option<BindingView>,
    pub attempts: Vec<AttemptView>,
    /// HQ only.
    pub conflicts: Vec<MemberConflictView>,
    pub audit: Vec<AuditEntryView>,
}

impl MemberDetail {
    pub fn erased(&self) -> bool {
        self.erased_at.is_some()
    }
}

fn outcome_label(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Bound => "綁定成功 bound",
        AttemptOutcome::AlreadyBound => "已綁定 already bound",
        AttemptOutcome::Conflict => "身分衝突 conflict",
        AttemptOutcome::Expired => "連結過期 expired",
    }
}

/// Loads a member the actor may see: store staff only members bound to their store.
pub(crate) async fn visible_member(
    db: &impl ConnectionTrait,
    actor: &Actor,
    member_id: i32,
) -> Result<(members::Model, Option<bindings::Model>), Error> {
    let (member, binding) = members::Entity::find_by_id(member_id)
        .find_also_related(bindings::Entity)
        .one(db)
        .await?
        .ok_or_else(member_not_found)?;
    if let Scope::Store(own) = actor.scope
        && binding.as_ref().map(|b| b.store_id) != Some(own)
    {
        return Err(member_not_found());
    }
    Ok((member, binding))
}

/// A member's page: identity, binding, attempts, conflicts (HQ), consent and audit trail.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    member_id: i32,
) -> Result<MemberDetail, Error> {
    let (member, binding) = visible_member(db, actor, member_id).await?;
    let directory = Directory::load(db).await?;
    let phones = PhoneView::of(actor.scope);
    let hq = actor.scope.is_hq();

    let binding = binding.map(|b| BindingView {
        store_id: b.store_id,
        store_code: directory.store_code(b.store_id),
        store_label: directory.store_label(b.store_id),
        clerk: b.clerk_id.and_then(|id| directory.clerk(id)),
        clerk_id: b.clerk_id,
        route: b.route,
        journey_id: b.journey_id.clone(),
        bound_at: taipei_time::format(b.bound_at),
        updated_at: taipei_time::format(b.updated_at),
        changed: b.updated_at != b.bound_at,
    });

    let mut attempts = binding_attempts::Entity::find()
        .filter(binding_attempts::Column::MemberId.eq(member_id))
        .order_by_desc(binding_attempts::Column::AttemptedAt)
        .order_by_desc(binding_attempts::Column::Id);
    if let Some(own) = actor.scope.store_filter() {
        // Another store's attempt is that store's business.
        attempts = attempts.filter(binding_attempts::Column::StoreId.eq(own));
    }
    let attempts = attempts
        .all(db)
        .await?
        .into_iter()
        .map(|a| AttemptView {
            at: taipei_time::format(a.attempted_at),
            store: directory.store_label(a.store_id),
            clerk: a.clerk_id.and_then(|id| directory.clerk(id)),
            outcome: outcome_label(a.outcome),
            bound_store: a
                .bound_store_id
                .filter(|_| hq)
                .map(|id| directory.store_label(id)),
        })
        .collect();

    let conflicts = if hq {
        member_conflicts::Entity::find()
            .filter(
                member_conflicts::Column::LineMemberId
                    .eq(member_id)
                    .or(member_conflicts::Column::PhoneMemberId.eq(member_id)),
            )
            .order_by_desc(member_conflicts::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| {
                let as_line_member = c.line_member_id == member_id;
                MemberConflictView {
                    id: c.id,
                    status: c.status,
                    as_line_member,
                    other_member_id: if as_line_member {
                        c.phone_member_id
                    } else {
                        c.line_member_id
                    },
                    created_at: taipei_time::format(c.created_at),
                }
            })
            .collect()
    } else {
        Vec::new()
    };

    let audit = audit_trail(db, member_id)
        .await?
        .into_iter()
        .map(|row| {
            let json = |value: Option<serde_json::Value>| match (hq, value) {
                (true, Some(v)) => v.to_string(),
                _ => String::new(),
            };
            AuditEntryView {
                at: taipei_time::format(row.occurred_at),
                actor: row.actor_label,
                action: row.action,
                before: json(row.before_json),
                after: json(row.after_json),
                reason: if hq {
                    row.reason.unwrap_or_default()
                } else {
                    String::new()
                },
            }
        })
        .collect();

    let erased = member.erased_at.is_some();
    Ok(MemberDetail {
        id: member.id,
        name: member_label(erased, member.display_name.as_deref()),
        erased_at: member.erased_at.map(taipei_time::format),
        phone: member.phone_e164.as_deref().map(|p| phones.show(p)),
        phones,
        phone_verified_at: member.phone_verified_at.map(taipei_time::format),
        line_linked_at: member.line_linked_at.map(taipei_time::format),
        line_linked: member.line_user_id.is_some(),
        registered_via: member.registered_via,
        created_at: taipei_time::format(member.created_at),
        consent_at: member.consent_at.map(taipei_time::format),
        consent_version: member.consent_version,
        binding,
        attempts,
        conflicts,
        audit,
    })
}
