//! Registering a member and binding the referrer: the heart of both routes, [`liff`] (route A:
//! LINE Login in a LIFF page) and [`phone`] (route B: the OA chat, then the phone by SMS).
//!
//! [`bind`] runs in one transaction: find or create the member by the identifier that keys it (the
//! LINE user id in route A, the phone in route B), attach the other identifier the shopper proved,
//! if any (a LINE id the journey established, or a phone verified by SMS in route A; one that
//! already belongs to another member is recorded as a conflict for HQ, never merged), decide the
//! binding with the attribution policy, and record the attempt, the funnel step and the audit entry. Duplicates are ruled out by the
//! unique indexes (`members.line_user_id`, `members.phone_e164`, `bindings.member_id`,
//! `member_conflicts` pair) with INSERT … ON CONFLICT DO NOTHING, not by looking first.
//!
//! One scan binds one member: the first binding completes the journey with a conditional update
//! (`… WHERE completed_at IS NULL`), so of two tabs submitting different shoppers at once exactly
//! one wins and the other is refused ([`BindError::JourneyCompleted`]) with nothing written. The
//! shopper who completed it may come again (a double tap, a reload) and gets their own answer.

pub mod liff;
pub mod phone;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait, TryInsertResult,
};

use crate::db::entities::enums::{AttemptOutcome, ConflictStatus, FunnelStage, Route};
use crate::db::entities::{
    accepted_id_tokens, binding_attempts, bindings, journeys, member_conflicts, members,
    store_groups, stores,
};
use crate::domain::attribution::{
    AttributionDecision, AttributionPolicy, FirstBindingWins, Referrer,
};
use crate::domain::journey::JourneyId;
use crate::domain::line_user::LineUserId;
use crate::domain::phone::TaiwanMobile;
use crate::services::audit::{self, Actor, Change};
use crate::services::journeys as journey_steps;

/// Who the shopper proved to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Route A: the user id LINE vouched for when verifying the ID token, and the phone verified by
    /// SMS code when HQ requires one for LIFF members too.
    Line {
        user_id: LineUserId,
        display_name: Option<String>,
        phone: Option<TaiwanMobile>,
        /// The ID token LINE vouched for the user with; it binds on this journey only.
        id_token: Option<IdTokenUse>,
    },
    /// Route B (or route A with the phone step): a phone verified by SMS code, and the LINE user
    /// id the journey established through the OA chat, if any.
    Phone {
        phone: TaiwanMobile,
        line_user_id: Option<LineUserId>,
    },
}

/// An ID token the LIFF page sent (as its hash) and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenUse {
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

impl Identity {
    fn route(&self) -> Route {
        match self {
            Identity::Line { .. } => Route::Liff,
            Identity::Phone { .. } => Route::Phone,
        }
    }
}

/// The store a member is bound to, as the member reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundStore {
    pub store_id: i32,
    pub store_name: String,
    pub group_name: Option<String>,
}

impl BoundStore {
    /// "北區｜台北信義店", or the store name alone when it is in no group.
    pub fn display_name(&self) -> String {
        crate::domain::stores::binding_label(self.group_name.as_deref(), &self.store_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOutcome {
    /// A new binding to the journey's store.
    Bound,
    /// Already bound to this journey's store (a double tap, a second tab): nothing changed.
    AlreadyBoundHere,
    /// Already bound to another store: nothing changed; the attempt is recorded.
    AlreadyBoundElsewhere,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindResult {
    pub member_id: i32,
    pub outcome: BindOutcome,
    /// Where the member is bound now (the journey's store, or the earlier one).
    pub bound_to: BoundStore,
    /// The LINE user id and the phone belong to two different members; HQ will see it.
    pub conflict_recorded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("no such journey")]
    JourneyNotFound,
    #[error("the journey has expired")]
    JourneyExpired,
    /// Another member completed this journey: one scan binds one member.
    #[error("the journey already bound another member")]
    JourneyCompleted,
    /// The ID token was accepted on another journey already (a replay).
    #[error("the ID token was used on another journey")]
    IdTokenUsed,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The version of the personal-data notice the shopper agreed to (shown on the binding pages).
pub const CONSENT_VERSION: &str = "2026-11";

/// Registers (or finds) the member and binds the journey's referrer, in one transaction (a
/// savepoint when `db` is a transaction already).
pub async fn bind(
    db: &impl TransactionTrait<Transaction = DatabaseTransaction>,
    journey_id: &JourneyId,
    identity: Identity,
) -> Result<BindResult, BindError> {
    bind_with_policy(db, journey_id, identity, &FirstBindingWins, Utc::now()).await
}

pub async fn bind_with_policy(
    db: &impl TransactionTrait<Transaction = DatabaseTransaction>,
    journey_id: &JourneyId,
    identity: Identity,
    policy: &dyn AttributionPolicy,
    now: DateTime<Utc>,
) -> Result<BindResult, BindError> {
    let txn = db.begin().await?;
    let journey = journeys::Entity::find_by_id(journey_id.clone())
        .one(&txn)
        .await?
        .ok_or(BindError::JourneyNotFound)?;
    let offered = Referrer {
        store_id: journey.store_id,
        clerk_id: journey.clerk_id,
    };
    if journey.expires_at <= now {
        record_attempt(&txn, None, &journey, AttemptOutcome::Expired, None, now).await?;
        txn.commit().await?;
        return Err(BindError::JourneyExpired);
    }

    let route = identity.route();
    if let Identity::Line {
        id_token: Some(id_token),
        ..
    } = &identity
        && !accept_id_token(&txn, id_token, &journey.id, now).await?
    {
        txn.rollback().await?;
        return Err(BindError::IdTokenUsed);
    }
    let (member, also_proved) = match &identity {
        Identity::Line {
            user_id,
            display_name,
            phone,
            ..
        } => (
            member_by_line_user_id(&txn, user_id, display_name.as_deref(), now).await?,
            phone.as_ref().map(Proved::Phone),
        ),
        Identity::Phone {
            phone,
            line_user_id,
        } => (
            member_by_phone(&txn, phone, now).await?,
            line_user_id.as_ref().map(Proved::Line),
        ),
    };
    let conflict_recorded = match also_proved {
        Some(proved) => attach(&txn, &member, proved, journey_id, now).await?,
        None => false,
    };
    if !journey_steps::complete(&txn, &journey.id, member.id, now).await? {
        // Nothing of this request is kept: the member row, the identifier attached, the conflict.
        txn.rollback().await?;
        return Err(BindError::JourneyCompleted);
    }

    let existing = bindings::Entity::find()
        .filter(bindings::Column::MemberId.eq(member.id))
        .one(&txn)
        .await?;
    let mut decision = policy.decide(existing.as_ref().map(referrer_of), offered);
    if decision == AttributionDecision::Bind {
        let inserted = bindings::Entity::insert(bindings::ActiveModel {
            id: NotSet,
            member_id: Set(member.id),
            store_id: Set(offered.store_id),
            clerk_id: Set(offered.clerk_id),
            route: Set(route),
            journey_id: Set(Some(journey.id.clone())),
            bound_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing_on([bindings::Column::MemberId])
        .exec_without_returning(&txn)
        .await?;
        if matches!(
            inserted,
            TryInsertResult::Conflicted | TryInsertResult::Empty
        ) {
            // Another request bound this member between our look and our insert: decide again.
            let winner = bindings::Entity::find()
                .filter(bindings::Column::MemberId.eq(member.id))
                .one(&txn)
                .await?;
            decision = policy.decide(winner.as_ref().map(referrer_of), offered);
        }
    }

    let (outcome, attempt, bound_store_id) = match decision {
        AttributionDecision::Bind => (BindOutcome::Bound, AttemptOutcome::Bound, offered.store_id),
        AttributionDecision::AlreadyBoundHere => (
            BindOutcome::AlreadyBoundHere,
            AttemptOutcome::AlreadyBound,
            offered.store_id,
        ),
        AttributionDecision::AlreadyBoundElsewhere { store_id } => (
            BindOutcome::AlreadyBoundElsewhere,
            AttemptOutcome::AlreadyBound,
            store_id,
        ),
    };
    let attempt = if conflict_recorded {
        AttemptOutcome::Conflict
    } else {
        attempt
    };
    record_attempt(
        &txn,
        Some(member.id),
        &journey,
        attempt,
        (outcome != BindOutcome::Bound).then_some(bound_store_id),
        now,
    )
    .await?;

    match outcome {
        BindOutcome::Bound => {
            journey_steps::record_stage(&txn, &journey, FunnelStage::Bound, now).await?;
            record_binding_audit(&txn, member.id, offered, route, &journey.id).await?;
        }
        BindOutcome::AlreadyBoundElsewhere => {
            journey_steps::record_stage(&txn, &journey, FunnelStage::AlreadyBound, now).await?;
        }
        BindOutcome::AlreadyBoundHere => {}
    }
    let bound_to = bound_store(&txn, bound_store_id).await?;
    txn.commit().await?;
    Ok(BindResult {
        member_id: member.id,
        outcome,
        bound_to,
        conflict_recorded,
    })
}

/// Records the ID token for this journey, or finds it recorded for this journey already (the same
/// shopper again). `false`: it was accepted on another journey, so this is a replay. The primary
/// key decides a race; on PostgreSQL the second insert waits for the first transaction.
pub async fn accept_id_token(
    txn: &impl ConnectionTrait,
    id_token: &IdTokenUse,
    journey_id: &JourneyId,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    accepted_id_tokens::Entity::insert(accepted_id_tokens::ActiveModel {
        token_hash: Set(id_token.token_hash.clone()),
        journey_id: Set(journey_id.clone()),
        accepted_at: Set(now),
        expires_at: Set(id_token.expires_at),
    })
    .on_conflict_do_nothing_on([accepted_id_tokens::Column::TokenHash])
    .exec_without_returning(txn)
    .await?;
    id_token_free_for(txn, &id_token.token_hash, journey_id).await
}

/// Whether the ID token may bind on `journey_id`: not accepted yet, or accepted for this journey.
pub async fn id_token_free_for(
    db: &impl ConnectionTrait,
    token_hash: &str,
    journey_id: &JourneyId,
) -> Result<bool, DbErr> {
    let accepted = accepted_id_tokens::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await?;
    Ok(accepted.is_none_or(|row| row.journey_id == *journey_id))
}

fn referrer_of(binding: &bindings::Model) -> Referrer {
    Referrer {
        store_id: binding.store_id,
        clerk_id: binding.clerk_id,
    }
}

fn new_member(route: Route, now: DateTime<Utc>) -> members::ActiveModel {
    members::ActiveModel {
        id: NotSet,
        line_user_id: Set(None),
        phone_e164: Set(None),
        display_name: Set(None),
        registered_via: Set(route),
        phone_verified_at: Set(None),
        line_linked_at: Set(None),
        consent_at: Set(Some(now)),
        consent_version: Set(Some(CONSENT_VERSION.to_owned())),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn member_by_line_user_id(
    txn: &DatabaseTransaction,
    user_id: &LineUserId,
    display_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<members::Model, DbErr> {
    let mut member = new_member(Route::Liff, now);
    member.line_user_id = Set(Some(user_id.clone()));
    member.line_linked_at = Set(Some(now));
    member.display_name = Set(display_name.map(str::to_owned));
    members::Entity::insert(member)
        .on_conflict_do_nothing_on([members::Column::LineUserId])
        .exec_without_returning(txn)
        .await?;
    members::Entity::find()
        .filter(members::Column::LineUserId.eq(user_id.clone()))
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("member by LINE user id".to_owned()))
}

async fn member_by_phone(
    txn: &DatabaseTransaction,
    phone: &TaiwanMobile,
    now: DateTime<Utc>,
) -> Result<members::Model, DbErr> {
    let mut member = new_member(Route::Phone, now);
    member.phone_e164 = Set(Some(phone.clone()));
    member.phone_verified_at = Set(Some(now));
    members::Entity::insert(member)
        .on_conflict_do_nothing_on([members::Column::PhoneE164])
        .exec_without_returning(txn)
        .await?;
    // An existing member (e.g. from route A, or bound by phone before) gets the phone verified now.
    members::Entity::update_many()
        .col_expr(members::Column::PhoneVerifiedAt, Expr::value(now))
        .col_expr(members::Column::UpdatedAt, Expr::value(now))
        .filter(members::Column::PhoneE164.eq(phone.clone()))
        .filter(members::Column::PhoneVerifiedAt.is_null())
        .exec(txn)
        .await?;
    members::Entity::find()
        .filter(members::Column::PhoneE164.eq(phone.clone()))
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("member by phone".to_owned()))
}

/// The second identifier a shopper proved, attached to the member the first one found.
#[derive(Clone, Copy)]
enum Proved<'a> {
    /// A LINE user id (route B: established through the OA chat).
    Line(&'a LineUserId),
    /// A phone verified by SMS code (route A when HQ requires a verified phone).
    Phone(&'a TaiwanMobile),
}

impl Proved<'_> {
    fn column(self) -> members::Column {
        match self {
            Proved::Line(_) => members::Column::LineUserId,
            Proved::Phone(_) => members::Column::PhoneE164,
        }
    }

    fn value(self) -> sea_orm::Value {
        match self {
            Proved::Line(id) => id.clone().into(),
            Proved::Phone(phone) => phone.clone().into(),
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Proved::Line(_) => "LINE user id",
            Proved::Phone(_) => "phone",
        }
    }

    /// When the member got it: linked (LINE) or verified (phone).
    fn since_column(self) -> members::Column {
        match self {
            Proved::Line(_) => members::Column::LineLinkedAt,
            Proved::Phone(_) => members::Column::PhoneVerifiedAt,
        }
    }
}

/// Attaches the other proven identifier to `member`. Returns whether a conflict was recorded: it
/// already belongs to another member (never merged silently — HQ decides). A member that already
/// holds a different one keeps it (the shopper proved a second LINE account or a second phone).
async fn attach(
    txn: &DatabaseTransaction,
    member: &members::Model,
    proved: Proved<'_>,
    journey_id: &JourneyId,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let owner = member_holding(txn, proved).await?;
    match owner {
        Some(owner) if owner.id == member.id => {
            if let Proved::Phone(_) = proved {
                // The member's own phone, verified again: it is verified now if it was not.
                members::Entity::update_many()
                    .col_expr(members::Column::PhoneVerifiedAt, Expr::value(now))
                    .col_expr(members::Column::UpdatedAt, Expr::value(now))
                    .filter(members::Column::Id.eq(member.id))
                    .filter(members::Column::PhoneVerifiedAt.is_null())
                    .exec(txn)
                    .await?;
            }
            Ok(false)
        }
        Some(owner) => record_conflict(txn, member, &owner, proved, journey_id, now).await,
        None => {
            // A savepoint: when a concurrent request gave the identifier to another member since
            // the look above (PostgreSQL), the unique index refuses it and only this update is
            // undone; the clash is then recorded like any other.
            let savepoint = txn.begin().await?;
            let linked = members::Entity::update_many()
                .col_expr(proved.column(), Expr::value(proved.value()))
                .col_expr(proved.since_column(), Expr::value(now))
                .col_expr(members::Column::UpdatedAt, Expr::value(now))
                .filter(members::Column::Id.eq(member.id))
                .filter(proved.column().is_null())
                .exec(&savepoint)
                .await;
            match linked {
                Ok(linked) => {
                    savepoint.commit().await?;
                    if linked.rows_affected == 0 {
                        tracing::warn!(
                            member = member.id,
                            "member already holds another {}; not changed",
                            proved.kind()
                        );
                    }
                    Ok(false)
                }
                Err(err) if crate::db::is_unique_violation(&err) => {
                    savepoint.rollback().await?;
                    let owner = member_holding(txn, proved).await?.ok_or_else(|| {
                        DbErr::RecordNotFound(format!("the member holding the {}", proved.kind()))
                    })?;
                    record_conflict(txn, member, &owner, proved, journey_id, now).await
                }
                Err(err) => Err(err),
            }
        }
    }
}

async fn member_holding(
    txn: &DatabaseTransaction,
    proved: Proved<'_>,
) -> Result<Option<members::Model>, DbErr> {
    members::Entity::find()
        .filter(proved.column().eq(proved.value()))
        .one(txn)
        .await
}

/// `member` proved an identifier that `owner` holds: one open conflict per pair of members.
async fn record_conflict(
    txn: &DatabaseTransaction,
    member: &members::Model,
    owner: &members::Model,
    proved: Proved<'_>,
    journey_id: &JourneyId,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // The member found by one identifier holds it; the other was proved on this journey.
    let (line_member, phone_member, line_user_id, phone) = match proved {
        Proved::Line(line_user_id) => (
            owner,
            member,
            Some(line_user_id),
            member.phone_e164.as_ref(),
        ),
        Proved::Phone(phone) => (member, owner, member.line_user_id.as_ref(), Some(phone)),
    };
    let (Some(line_user_id), Some(phone)) = (line_user_id, phone) else {
        return Err(DbErr::Custom(
            "a conflict needs the LINE user id and the phone".to_owned(),
        ));
    };
    member_conflicts::Entity::insert(member_conflicts::ActiveModel {
        id: NotSet,
        line_user_id: Set(line_user_id.clone()),
        phone_e164: Set(phone.clone()),
        line_member_id: Set(line_member.id),
        phone_member_id: Set(phone_member.id),
        journey_id: Set(Some(journey_id.clone())),
        status: Set(ConflictStatus::Open),
        created_at: Set(now),
        resolved_at: Set(None),
        resolved_by_staff_id: Set(None),
        resolution_note: Set(None),
    })
    .on_conflict_do_nothing_on([
        member_conflicts::Column::LineMemberId,
        member_conflicts::Column::PhoneMemberId,
    ])
    .exec_without_returning(txn)
    .await?;
    tracing::warn!(
        line_member = line_member.id,
        phone_member = phone_member.id,
        "a LINE user id and a phone belong to two members; conflict recorded for HQ"
    );
    Ok(true)
}

async fn record_attempt(
    txn: &impl ConnectionTrait,
    member_id: Option<i32>,
    journey: &journeys::Model,
    outcome: AttemptOutcome,
    bound_store_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    binding_attempts::Entity::insert(binding_attempts::ActiveModel {
        id: NotSet,
        member_id: Set(member_id),
        journey_id: Set(Some(journey.id.clone())),
        store_id: Set(journey.store_id),
        clerk_id: Set(journey.clerk_id),
        outcome: Set(outcome),
        bound_store_id: Set(bound_store_id),
        attempted_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn record_binding_audit(
    txn: &impl ConnectionTrait,
    member_id: i32,
    referrer: Referrer,
    route: Route,
    journey_id: &JourneyId,
) -> Result<(), DbErr> {
    audit::record(
        txn,
        &Actor::shopper(referrer.store_id),
        Change::new("binding.created", "member", member_id)
            .store(Some(referrer.store_id))
            .after(serde_json::json!({
                "store_id": referrer.store_id,
                "clerk_id": referrer.clerk_id,
                "route": route,
                "journey_id": journey_id,
            })),
    )
    .await
}

/// The store as a member reads their binding.
pub async fn bound_store(txn: &impl ConnectionTrait, store_id: i32) -> Result<BoundStore, DbErr> {
    let (store, group) = stores::Entity::find_by_id(store_id)
        .find_also_related(store_groups::Entity)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("store {store_id}")))?;
    Ok(BoundStore {
        store_id,
        store_name: store.name,
        group_name: group.map(|g| g.name),
    })
}
