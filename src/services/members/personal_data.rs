//! A member's personal data under Taiwan's Personal Data Protection Act (個人資料保護法): the
//! export of everything held about them, and erasure on request. Both are HQ's, both audited.
//!
//! The export holds the member row, consent, binding and its history, conflicts, the audit trail,
//! and the rows that carry the member's LINE user id or phone: the webhook events LINE sent about
//! them (chat text, postbacks, follows), their orders, and the SMS sent to them.
//!
//! Erasure anonymises the member row (LINE id, phone, name and the times they were verified are
//! cleared, `erased_at` set) and removes the identifiers from every row that carries them: the
//! webhook events about them are deleted (queued ones too: handled after the erasure they would
//! write the follower record back), orders keep their amounts, store and member id but lose the
//! customer's phone and LINE user id, and the journeys, conflicts, SMS log, one-time codes and the
//! follower record lose theirs. The binding row stays: the store really brought a member in, so
//! per-store counts and reports stay right. Funnel events, binding attempts and sales rollups name
//! no person (stores, clerks, member ids), and audit rows never hold personal data (they name
//! members by id), so they stay as they are.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};

use crate::db::entities::{
    binding_attempts, binding_change_members, binding_changes, bindings, journeys, line_followers,
    member_conflicts, members, orders, otp_challenges, sms_messages, webhook_events,
};
use crate::domain::line_user::LineUserId;
use crate::domain::taipei_time;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::{Error, Refusal};

use super::rebinding::parse_reason;
use super::{Directory, audit_trail, member_not_found};

fn iso(instant: DateTime<Utc>) -> String {
    instant.with_timezone(&taipei_time::offset()).to_rfc3339()
}

fn iso_opt(instant: Option<DateTime<Utc>>) -> Value {
    instant.map(iso).map(Value::String).unwrap_or(Value::Null)
}

/// Everything held about the member, as one JSON document (times in Taiwan time, with offset).
/// The export itself is audited.
pub async fn export(
    db: &DatabaseConnection,
    actor: &Actor,
    member_id: i32,
) -> Result<Value, Error> {
    actor.scope.require_hq()?;
    let txn = db.begin().await?;
    let (member, binding) = members::Entity::find_by_id(member_id)
        .find_also_related(bindings::Entity)
        .one(&txn)
        .await?
        .ok_or_else(member_not_found)?;
    let directory = Directory::load(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change::new("member.data_export", "member", member_id)
            .store(binding.as_ref().map(|b| b.store_id)),
    )
    .await?;

    let store = |id: i32| {
        json!({
            "store_id": id,
            "store_code": directory.store_code(id),
            "store_name": directory.store_name(id),
            "group_name": directory.group_of(id),
        })
    };
    let clerk = |id: Option<i32>| id.and_then(|id| directory.clerk(id));
    let binding_json = binding.as_ref().map(|b| {
        let mut value = store(b.store_id);
        value["clerk"] = json!(clerk(b.clerk_id));
        value["route"] = json!(b.route);
        value["bound_at"] = json!(iso(b.bound_at));
        value["updated_at"] = json!(iso(b.updated_at));
        value
    });
    let attempts: Vec<Value> = binding_attempts::Entity::find()
        .filter(binding_attempts::Column::MemberId.eq(member_id))
        .order_by_asc(binding_attempts::Column::AttemptedAt)
        .order_by_asc(binding_attempts::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| {
            let mut value = store(a.store_id);
            value["clerk"] = json!(clerk(a.clerk_id));
            value["outcome"] = json!(a.outcome);
            value["already_bound_store_id"] = json!(a.bound_store_id);
            value["attempted_at"] = json!(iso(a.attempted_at));
            value
        })
        .collect();
    let moves = binding_change_members::Entity::find()
        .filter(binding_change_members::Column::MemberId.eq(member_id))
        .find_also_related(binding_changes::Entity)
        .order_by_asc(binding_change_members::Column::Id)
        .all(&txn)
        .await?;
    let changes: Vec<Value> = moves
        .into_iter()
        .map(|(item, change)| {
            json!({
                "change_id": item.change_id,
                "kind": change.as_ref().map(|c| c.kind),
                "performed_at": iso_opt(change.as_ref().map(|c| c.performed_at)),
                "reason": change.as_ref().map(|c| c.reason.clone()),
                "from": { "store": store(item.from_store_id), "clerk": clerk(item.from_clerk_id) },
                "to": { "store": store(item.to_store_id), "clerk": clerk(item.to_clerk_id) },
            })
        })
        .collect();
    let conflicts: Vec<Value> = member_conflicts::Entity::find()
        .filter(
            member_conflicts::Column::LineMemberId
                .eq(member_id)
                .or(member_conflicts::Column::PhoneMemberId.eq(member_id)),
        )
        .order_by_asc(member_conflicts::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "conflict_id": c.id,
                "line_member_id": c.line_member_id,
                "phone_member_id": c.phone_member_id,
                "status": c.status,
                "created_at": iso(c.created_at),
                "resolved_at": iso_opt(c.resolved_at),
            })
        })
        .collect();
    let webhook_events: Vec<Value> = match &member.line_user_id {
        Some(user_id) => webhook_events::Entity::find()
            .filter(about_line_user(user_id))
            .order_by_asc(webhook_events::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(|event| {
                json!({
                    "webhook_event_id": event.webhook_event_id,
                    "type": event.event_type,
                    "received_at": iso(event.received_at),
                    "handled_at": iso_opt(event.processed_at),
                    // LINE's event as received: the user id, a message's text, a postback's data.
                    "event": serde_json::from_str::<Value>(&event.payload)
                        .unwrap_or(Value::String(event.payload)),
                })
            })
            .collect(),
        None => Vec::new(),
    };
    let orders: Vec<Value> = orders::Entity::find()
        .filter(customer_orders(&member))
        .order_by_asc(orders::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|order| {
            json!({
                "order_id": order.id,
                "kind": order.kind,
                "source": order.source,
                "external_id": order.external_id,
                "status": order.status,
                "amount_twd": order.amount,
                "ordered_at": iso(order.ordered_at),
                "customer_phone": order.customer_phone,
                "customer_line_user_id": order.customer_line_user_id,
                "credited_store": order.credited_store_id.map(store),
            })
        })
        .collect();
    let sms: Vec<Value> = match &member.phone_e164 {
        Some(phone) => sms_messages::Entity::find()
            .filter(sms_messages::Column::PhoneE164.eq(phone.as_str()))
            .order_by_asc(sms_messages::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(|message| {
                json!({
                    "sent_at": iso(message.sent_at),
                    "purpose": message.purpose,
                    "status": message.status,
                    "phone": message.phone_e164,
                })
            })
            .collect(),
        None => Vec::new(),
    };
    let audit: Vec<Value> = audit_trail(&txn, member_id)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "occurred_at": iso(row.occurred_at),
                "actor": row.actor_label,
                "action": row.action,
                "before": row.before_json,
                "after": row.after_json,
                "reason": row.reason,
            })
        })
        .collect();
    txn.commit().await?;

    Ok(json!({
        "exported_at": iso(Utc::now()),
        "member": {
            "member_id": member.id,
            "display_name": member.display_name,
            "phone": member.phone_e164,
            "line_user_id": member.line_user_id,
            "registered_via": member.registered_via,
            "phone_verified_at": iso_opt(member.phone_verified_at),
            "line_linked_at": iso_opt(member.line_linked_at),
            "created_at": iso(member.created_at),
            "erased_at": iso_opt(member.erased_at),
        },
        "consent": {
            "consented_at": iso_opt(member.consent_at),
            "notice_version": member.consent_version,
        },
        "binding": binding_json,
        "binding_attempts": attempts,
        "binding_changes": changes,
        "conflicts": conflicts,
        "webhook_events": webhook_events,
        "orders": orders,
        "sms_messages": sms,
        "audit_log": audit,
    }))
}

/// Webhook events about a LINE user: theirs (`source.userId`), or naming them elsewhere in the
/// event (a group's `memberJoined`). The text match is used for a well-formed id only (`U` and 32
/// hex digits): it then cannot catch another user, and holds no `LIKE` wildcard.
fn about_line_user(user_id: &LineUserId) -> Condition {
    let condition = Condition::any().add(webhook_events::Column::SourceUserId.eq(user_id.as_str()));
    match LineUserId::parse(user_id) {
        Some(_) => condition.add(webhook_events::Column::Payload.contains(user_id.as_str())),
        None => condition,
    }
}

/// The member's orders: linked to the member, or naming their phone or LINE user id (an order
/// that came in before the member registered).
fn customer_orders(member: &members::Model) -> Condition {
    let mut condition = Condition::any().add(orders::Column::MemberId.eq(member.id));
    if let Some(phone) = &member.phone_e164 {
        condition = condition.add(orders::Column::CustomerPhone.eq(phone.as_str()));
    }
    if let Some(user_id) = &member.line_user_id {
        condition = condition.add(orders::Column::CustomerLineUserId.eq(user_id.as_str()));
    }
    condition
}

/// Clears the member's identity on the member row and the rows that repeat it. Used by erasure
/// and by a conflict merge (for the member that is merged away).
pub(crate) async fn anonymise(
    txn: &impl ConnectionTrait,
    member_id: i32,
    at: DateTime<Utc>,
) -> Result<members::Model, DbErr> {
    let member = members::Entity::find_by_id(member_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("member {member_id}")))?;
    members::Entity::update_many()
        .col_expr(members::Column::LineUserId, Expr::value(None::<String>))
        .col_expr(members::Column::PhoneE164, Expr::value(None::<String>))
        .col_expr(members::Column::DisplayName, Expr::value(None::<String>))
        .col_expr(
            members::Column::PhoneVerifiedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            members::Column::LineLinkedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(members::Column::ErasedAt, Expr::value(at))
        .col_expr(members::Column::UpdatedAt, Expr::value(at))
        .filter(members::Column::Id.eq(member_id))
        .exec(txn)
        .await?;
    journeys::Entity::update_many()
        .col_expr(journeys::Column::LineUserId, Expr::value(None::<String>))
        .filter(journeys::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?;
    if let Some(phone) = &member.phone_e164 {
        // The SMS log keeps its store and cost (for the reports), not the number.
        sms_messages::Entity::update_many()
            .col_expr(sms_messages::Column::PhoneE164, Expr::value(""))
            .filter(sms_messages::Column::PhoneE164.eq(phone.as_str()))
            .exec(txn)
            .await?;
        otp_challenges::Entity::update_many()
            .col_expr(otp_challenges::Column::PhoneE164, Expr::value(""))
            .filter(otp_challenges::Column::PhoneE164.eq(phone.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(member)
}

/// Erases the member's personal data on their request; the binding stays as an anonymous count.
pub async fn erase(
    db: &DatabaseConnection,
    actor: &Actor,
    member_id: i32,
    reason: &str,
) -> Result<(), Error> {
    actor.scope.require_hq()?;
    let reason = parse_reason(reason)?;
    let txn = db.begin().await?;
    let (member, binding) = members::Entity::find_by_id(member_id)
        .find_also_related(bindings::Entity)
        .one(&txn)
        .await?
        .ok_or_else(member_not_found)?;
    if member.erased_at.is_some() {
        return Err(Refusal::AlreadyErased.into());
    }
    let at = Utc::now().trunc_subsecs(6);
    // Orders keep what accounting needs (amounts, store, the anonymous member), not the customer.
    let orders_cleared = orders::Entity::update_many()
        .col_expr(orders::Column::CustomerPhone, Expr::value(None::<String>))
        .col_expr(
            orders::Column::CustomerLineUserId,
            Expr::value(None::<String>),
        )
        .filter(customer_orders(&member))
        .exec(&txn)
        .await?
        .rows_affected;
    anonymise(&txn, member_id, at).await?;
    let mut webhook_events_deleted = 0;
    if let Some(line_user_id) = &member.line_user_id {
        webhook_events_deleted = webhook_events::Entity::delete_many()
            .filter(about_line_user(line_user_id))
            .exec(&txn)
            .await?
            .rows_affected;
        journeys::Entity::update_many()
            .col_expr(journeys::Column::LineUserId, Expr::value(None::<String>))
            .filter(journeys::Column::LineUserId.eq(line_user_id.as_str()))
            .exec(&txn)
            .await?;
        otp_challenges::Entity::update_many()
            .col_expr(
                otp_challenges::Column::LineUserId,
                Expr::value(None::<String>),
            )
            .filter(otp_challenges::Column::LineUserId.eq(line_user_id.as_str()))
            .exec(&txn)
            .await?;
        line_followers::Entity::delete_by_id(line_user_id.clone())
            .exec(&txn)
            .await?;
        member_conflicts::Entity::update_many()
            .col_expr(member_conflicts::Column::LineUserId, Expr::value(""))
            .filter(member_conflicts::Column::LineMemberId.eq(member_id))
            .exec(&txn)
            .await?;
    }
    if member.phone_e164.is_some() {
        member_conflicts::Entity::update_many()
            .col_expr(member_conflicts::Column::PhoneE164, Expr::value(""))
            .filter(member_conflicts::Column::PhoneMemberId.eq(member_id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        Change::new("member.erase", "member", member_id)
            .store(binding.as_ref().map(|b| b.store_id))
            .before(json!({
                "line_linked": member.line_user_id.is_some(),
                "phone_verified": member.phone_verified_at.is_some(),
                "had_display_name": member.display_name.is_some(),
            }))
            .after(json!({
                "erased_at": at,
                "binding_kept": binding.is_some(),
                "orders_kept_without_customer": orders_cleared,
                "webhook_events_deleted": webhook_events_deleted,
            }))
            .reason(reason.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
