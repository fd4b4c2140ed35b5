//! The clerk's phone view (`/clerk`): the clerk's own referral QR code for a shopper to scan, a
//! member found by whole phone number or by the member card's code, 新增門市消費 for that member,
//! and the void of a purchase.
//!
//! Store staff work in their own store; HQ picks a store first. A member may be bound to any
//! store (staff of store B may record for a member of store A), so what a lookup shows is only
//! the name, the phone (masked for store staff) and the bound store. A purchase is recorded only
//! for a member this clerk looked up: the form carries a signed [`MemberPick`], not a member id
//! anyone could type. Recording and voiding are `orders::in_store`'s, with its idempotency key,
//! its purchase-entry switch and its audit.

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::enums::OrderKind;
use crate::db::entities::{bindings, members, orders, stores};
use crate::domain::access::{AccessDenied, Scope};
use crate::domain::amount::{AmountError, Ntd};
use crate::domain::member_card::{self, CardCodeError};
use crate::domain::orders::IN_STORE_SOURCE;
use crate::domain::phone::TaiwanMobile;
use crate::domain::signed_link::{self, LinkError, MemberPick};
use crate::domain::taipei_time;
use crate::services::audit::Actor;
use crate::services::members::{Directory, PhoneView, member_label};
use crate::services::orders::in_store::{self, NewPurchase};
use crate::services::orders::{OrderError, Recorded};
use crate::services::qr::{self, TokenOwner};

/// How long a looked-up member stays picked for the purchase form.
pub const PICK_VALIDITY: Duration = Duration::hours(2);
/// Purchases listed on the desk.
const RECENT_PURCHASES: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    /// HQ has not picked the store it works in.
    #[error("no store is picked")]
    NoStore,
    #[error("the store does not exist")]
    UnknownStore,
    #[error(transparent)]
    Access(#[from] AccessDenied),
    /// A phone search needs the whole number: partial numbers would let anyone browse members.
    #[error("the phone number is not a whole Taiwan mobile number")]
    NotWholePhone,
    #[error("no member has this phone number")]
    NoMemberWithPhone,
    /// The card's member does not exist any more (erased or merged).
    #[error("the card's member does not exist")]
    MemberGone,
    #[error(transparent)]
    Card(#[from] CardCodeError),
    /// The form's member pick is missing, forged, another clerk's or too old.
    #[error("the picked member is not valid: {0}")]
    Pick(LinkError),
    #[error(transparent)]
    Amount(#[from] AmountError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The store the clerk works in, as the page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskStore {
    pub id: i32,
    pub code: String,
    /// "北區｜台北信義店".
    pub label: String,
    pub active: bool,
    pub purchase_entry_enabled: bool,
}

impl DeskStore {
    /// Whether purchases can be recorded here now.
    pub fn takes_purchases(&self) -> bool {
        self.active && self.purchase_entry_enabled
    }
}

/// Whose QR code the desk shows: the clerk's own card, or (for HQ) the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrOwner {
    Clerk,
    Store,
}

/// What `/clerk` shows.
pub struct Desk {
    pub store: DeskStore,
    pub qr_token: String,
    pub qr_owner: QrOwner,
    /// Purchases entered in this store, newest first.
    pub recent: Vec<PurchaseView>,
}

/// An in-store purchase as the clerk's pages show it.
#[derive(Debug, Clone)]
pub struct PurchaseView {
    pub id: i64,
    /// `NT$1,200`.
    pub amount: String,
    pub member: String,
    /// Masked for store staff.
    pub member_phone: Option<String>,
    pub receipt_no: Option<String>,
    pub note: Option<String>,
    /// Taiwan time.
    pub entered_at: String,
    pub entry_store_id: Option<i32>,
    pub entry_store: Option<String>,
    pub operator: Option<String>,
    /// The store credited with it, as bound when it was recorded; `None`: not credited.
    pub credited_store: Option<String>,
    pub voided: Option<VoidView>,
    pub refunded: bool,
}

#[derive(Debug, Clone)]
pub struct VoidView {
    pub at: String,
    pub by: Option<String>,
    pub reason: String,
}

/// A member a lookup found: only what any clerk may see.
#[derive(Debug, Clone)]
pub struct FoundMember {
    pub member_id: i32,
    pub name: String,
    /// Masked for store staff, whole for HQ.
    pub phone: Option<String>,
    /// "北區｜台北信義店", or `None` when not bound.
    pub bound_store: Option<String>,
    /// The signed pick the purchase form carries.
    pub pick: String,
}

/// How the clerk is looking for a member.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// The whole mobile number, as typed.
    Phone(&'a str),
    /// The member card's code, scanned or typed.
    Card(&'a str),
}

/// The store the actor works in at the desk: store staff their own (asking for another store is
/// refused), HQ the one it picked (`None` until it picks one).
pub async fn desk_store(
    db: &DatabaseConnection,
    actor: &Actor,
    requested: Option<i32>,
) -> Result<Option<DeskStore>, ClerkError> {
    let store_id = match (actor.scope, requested) {
        (Scope::Store(own), None) => own,
        (Scope::Store(own), Some(asked)) if asked == own => own,
        (Scope::Store(_), Some(_)) => return Err(AccessDenied::OtherStore.into()),
        (Scope::Hq, Some(asked)) => asked,
        (Scope::Hq, None) => return Ok(None),
    };
    let directory = Directory::load(db).await?;
    let store = directory
        .stores
        .get(&store_id)
        .ok_or(ClerkError::UnknownStore)?;
    Ok(Some(DeskStore {
        id: store.id,
        code: store.code.clone(),
        label: directory.store_label(store.id),
        active: store.active,
        purchase_entry_enabled: store.purchase_entry_enabled,
    }))
}

/// A store HQ may pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChoice {
    pub id: i32,
    /// "D001 · 北區｜台北信義店".
    pub label: String,
    /// Purchases can be recorded there now.
    pub open: bool,
}

/// The stores HQ may pick, active first, then by code.
pub async fn pickable_stores(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<StoreChoice>, ClerkError> {
    actor.scope.require_hq()?;
    let directory = Directory::load(db).await?;
    let mut list: Vec<&stores::Model> = directory.stores_in(actor.scope);
    list.sort_by_key(|s| !s.active);
    Ok(list
        .into_iter()
        .map(|s| StoreChoice {
            id: s.id,
            label: format!("{} · {}", s.code, directory.store_label(s.id)),
            open: s.active && s.purchase_entry_enabled,
        })
        .collect())
}

/// The desk of `store`: the QR code to show and the store's recent purchases.
pub async fn desk(
    db: &DatabaseConnection,
    actor: &Actor,
    store: DeskStore,
) -> Result<Desk, ClerkError> {
    actor.scope.require_view_store(store.id)?;
    // Store staff show their own card, so the shopper's binding credits them; HQ has no card of
    // its own and shows the store's code.
    let (owner, qr_owner) = match (actor.scope, actor.staff_id) {
        (Scope::Store(_), Some(clerk_id)) => (
            TokenOwner::Clerk {
                store_id: store.id,
                clerk_id,
            },
            QrOwner::Clerk,
        ),
        _ => (TokenOwner::Store(store.id), QrOwner::Store),
    };
    let token = qr::ensure_token(db, owner, actor.staff_id).await?;
    let rows = orders::Entity::find()
        .filter(orders::Column::Kind.eq(OrderKind::Sale))
        .filter(orders::Column::Source.eq(IN_STORE_SOURCE))
        .filter(orders::Column::EntryStoreId.eq(store.id))
        .order_by_desc(orders::Column::Id)
        .limit(RECENT_PURCHASES)
        .all(db)
        .await?;
    let recent = purchase_views(db, actor.scope, rows).await?;
    Ok(Desk {
        store,
        qr_token: token.token,
        qr_owner,
        recent,
    })
}

/// Finds a member by whole phone number or by card code, and picks them for this clerk.
pub async fn find_member(
    db: &DatabaseConnection,
    secret: &[u8],
    actor: &Actor,
    lookup: Lookup<'_>,
) -> Result<FoundMember, ClerkError> {
    let member = match lookup {
        Lookup::Phone(typed) => {
            let phone = TaiwanMobile::parse(typed).map_err(|_| ClerkError::NotWholePhone)?;
            members::Entity::find()
                .filter(members::Column::PhoneE164.eq(phone.e164()))
                .filter(members::Column::ErasedAt.is_null())
                .one(db)
                .await?
                .ok_or(ClerkError::NoMemberWithPhone)?
        }
        Lookup::Card(typed) => {
            let member_id = member_card::verify(secret, typed, Utc::now().timestamp())?;
            live_member(db, member_id).await?
        }
    };
    found(db, secret, actor, member).await
}

/// The member a purchase form names, checked: signed for this clerk, not too old.
pub async fn picked_member(
    db: &DatabaseConnection,
    secret: &[u8],
    actor: &Actor,
    pick: &str,
) -> Result<FoundMember, ClerkError> {
    let pick: MemberPick = signed_link::verify(secret, pick.trim(), Utc::now().timestamp())
        .map_err(ClerkError::Pick)?;
    if Some(pick.staff_id) != actor.staff_id {
        return Err(ClerkError::Pick(LinkError::Invalid));
    }
    let member = live_member(db, pick.member_id).await?;
    found(db, secret, actor, member).await
}

async fn live_member(
    db: &DatabaseConnection,
    member_id: i32,
) -> Result<members::Model, ClerkError> {
    members::Entity::find_by_id(member_id)
        .filter(members::Column::ErasedAt.is_null())
        .one(db)
        .await?
        .ok_or(ClerkError::MemberGone)
}

async fn found(
    db: &DatabaseConnection,
    secret: &[u8],
    actor: &Actor,
    member: members::Model,
) -> Result<FoundMember, ClerkError> {
    let bound_store = match bindings::Entity::find()
        .filter(bindings::Column::MemberId.eq(member.id))
        .one(db)
        .await?
    {
        Some(binding) => Some(
            crate::services::binding::bound_store(db, binding.store_id)
                .await?
                .display_name(),
        ),
        None => None,
    };
    let phones = PhoneView::of(actor.scope);
    let pick = signed_link::sign(
        secret,
        &MemberPick {
            member_id: member.id,
            staff_id: actor.staff_id.unwrap_or_default(),
            expires_at: (Utc::now() + PICK_VALIDITY).timestamp(),
        },
    );
    Ok(FoundMember {
        member_id: member.id,
        name: member_label(false, member.display_name.as_deref()),
        phone: member.phone_e164.as_deref().map(|p| phones.show(p)),
        bound_store,
        pick,
    })
}

/// The purchase form as submitted.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseForm<'a> {
    pub store_id: i32,
    pub pick: &'a str,
    pub idempotency_key: &'a str,
    pub amount: &'a str,
    pub receipt_no: &'a str,
    pub note: &'a str,
}

/// Records the purchase once, however often the form is submitted.
pub async fn record(
    db: &DatabaseConnection,
    secret: &[u8],
    actor: &Actor,
    form: PurchaseForm<'_>,
) -> Result<Recorded, ClerkError> {
    let member = picked_member(db, secret, actor, form.pick).await?;
    let amount = Ntd::parse(form.amount)?;
    let optional = |text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    Ok(in_store::record_purchase(
        db,
        actor,
        NewPurchase {
            idempotency_key: form.idempotency_key.to_owned(),
            store_id: form.store_id,
            member_id: member.member_id,
            amount,
            receipt_no: optional(form.receipt_no),
            note: optional(form.note),
        },
    )
    .await?)
}

/// One in-store purchase: HQ any, store staff those entered in their store.
pub async fn purchase(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i64,
) -> Result<PurchaseView, ClerkError> {
    let sale = orders::Entity::find_by_id(order_id)
        .filter(orders::Column::Kind.eq(OrderKind::Sale))
        .filter(orders::Column::Source.eq(IN_STORE_SOURCE))
        .one(db)
        .await?
        // Another store's entry is "not found", as everywhere in the admin.
        .filter(|o| {
            o.entry_store_id
                .is_some_and(|store| actor.scope.can_view_store(store))
        })
        .ok_or(OrderError::OrderNotFound)?;
    let mut views = purchase_views(db, actor.scope, vec![sale]).await?;
    views
        .pop()
        .ok_or(ClerkError::Order(OrderError::OrderNotFound))
}

/// Voids a purchase with a reason (audited by `in_store::void_purchase`).
pub async fn void(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i64,
    reason: &str,
) -> Result<(), ClerkError> {
    in_store::void_purchase(db, actor, order_id, reason).await?;
    Ok(())
}

async fn purchase_views(
    db: &DatabaseConnection,
    scope: Scope,
    rows: Vec<orders::Model>,
) -> Result<Vec<PurchaseView>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let directory = Directory::load(db).await?;
    let member_ids: Vec<i32> = rows.iter().filter_map(|o| o.member_id).collect();
    let members: std::collections::HashMap<i32, members::Model> = members::Entity::find()
        .filter(members::Column::Id.is_in(member_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let phones = PhoneView::of(scope);
    Ok(rows
        .into_iter()
        .map(|order| {
            let member = order.member_id.and_then(|id| members.get(&id));
            PurchaseView {
                id: order.id,
                amount: Ntd::new(order.amount)
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| order.amount.to_string()),
                member: member.map_or_else(
                    || "（會員已不存在）".to_owned(),
                    |m| member_label(m.erased_at.is_some(), m.display_name.as_deref()),
                ),
                member_phone: member
                    .and_then(|m| m.phone_e164.as_deref())
                    .map(|p| phones.show(p)),
                receipt_no: order.receipt_no,
                note: order.note,
                entered_at: taipei_time::format(order.ordered_at),
                entry_store_id: order.entry_store_id,
                entry_store: order.entry_store_id.map(|id| directory.store_label(id)),
                operator: order
                    .operator_staff_id
                    .map(|id| directory.clerk(id).unwrap_or_else(|| format!("#{id}"))),
                credited_store: order.credited_store_id.map(|id| directory.store_label(id)),
                voided: order.voided_at.map(|at| VoidView {
                    at: taipei_time::format(at),
                    by: order.voided_by_staff_id.and_then(|id| directory.clerk(id)),
                    reason: order.void_reason.unwrap_or_default(),
                }),
                refunded: order.refunded_amount > 0,
            }
        })
        .collect())
}
