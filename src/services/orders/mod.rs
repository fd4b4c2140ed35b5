//! Orders in: one order per transaction, whatever the way in (the API, a signed web-shop webhook,
//! the POS import, a clerk's in-store entry), with the attribution snapshot and the report totals
//! written in the same transaction.
//!
//! Nothing here is read-then-write: the unique index on `(source, external_id)` with
//! `INSERT … ON CONFLICT DO NOTHING` makes a repeated order (an API retry, a webhook redelivered,
//! a form submitted twice, two requests racing) a no-op that is answered with the order already
//! stored; each refund row has an id of its own derived from what the source said (see
//! [`ExternalId::refund_id`]), and a sale's refunded total is moved with a compare-and-set, so two
//! refunds racing on one sale cannot both book against the same remainder — the loser's
//! transaction is retried from the start.
//!
//! What the rows mean is in `docs/data-model.md`; [`books`] keeps `sales_daily` and `sales_buyers`;
//! [`in_store`] records and voids clerks' purchases; [`import`] applies a POS file.

mod books;
mod customer;
pub mod import;
pub mod in_store;
mod refunds;

use customer::{CustomerMatch, binding_history, match_customers};
use refunds::{adjust, insert_rows};
pub use refunds::{cancel_in, refund_in};

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::db::entities::enums::{AttributionLevel, OrderKind, OrderStatus, SalesChannel};
use crate::db::entities::{orders, shop_settings, stores};
use crate::domain::access::AccessDenied;
use crate::domain::attribution::{AttributionRules, SalesCredit, credit_order};
use crate::domain::orders::{
    Adjustment, CustomerRef, EntryStore, OrderFieldError, OrderInput, RefundKey,
    booked_day_and_month,
};

/// A transaction that lost a race is tried again this many times in all.
const ATTEMPTS: usize = 4;

/// A sale and its refund rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOrder {
    pub sale: orders::Model,
    pub refunds: Vec<orders::Model>,
}

/// The answer to an order coming in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub order: RecordedOrder,
    /// False when the order was already there (it may have taken a refund or cancellation now).
    pub created: bool,
    /// Refund rows this call booked.
    pub refunds_booked: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("{0}")]
    Field(#[from] OrderFieldError),
    #[error("no store has the code {0}")]
    UnknownStore(String),
    /// The same source and external id were recorded with another amount (or member).
    #[error("order {} is already recorded with other details", .existing.sale.external_id)]
    DifferentOrder { existing: Box<RecordedOrder> },
    /// An in-store receipt number already recorded in that store.
    #[error("receipt {receipt_no} is already recorded")]
    ReceiptTaken {
        receipt_no: String,
        ordered_at: DateTime<Utc>,
    },
    #[error("the order does not exist")]
    OrderNotFound,
    #[error("the member does not exist")]
    MemberNotFound,
    #[error("purchase entry is off for this store")]
    PurchaseEntryOff,
    #[error("the order cannot be voided: {0}")]
    NotVoidable(&'static str),
    #[error("the idempotency key is malformed")]
    BadIdempotencyKey,
    #[error("a void needs a reason")]
    VoidReason,
    /// A POS file with problems, every one by line; nothing was imported.
    #[error("the file was refused")]
    FileRejected(Vec<crate::domain::pos_csv::LineProblem>),
    #[error(transparent)]
    Access(#[from] AccessDenied),
    /// Lost a race every time it was tried.
    #[error("too many concurrent changes to the same order")]
    Busy,
    /// Lost a race: try the transaction again.
    #[error("retry")]
    Retry,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// How an order is recorded: the settings read in its transaction, who recorded it, and what a
/// changed amount means.
#[derive(Debug, Clone, Copy)]
pub struct Booking {
    pub rules: AttributionRules,
    pub operator_staff_id: Option<i32>,
    pub now: DateTime<Utc>,
    pub changed_amount: ChangedAmount,
}

/// What to do when an order comes again with another amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedAmount {
    /// Refuse (409): an API caller or a file made a mistake and should hear of it.
    Refuse,
    /// Keep the amount first recorded: a web shop's later edit of an order's total is not a
    /// refund, and refusing would make the platform retry (and, after enough failures, stop
    /// sending).
    Keep,
}

impl Booking {
    /// Reads HQ's attribution settings inside `txn`.
    pub async fn load(
        txn: &impl ConnectionTrait,
        operator_staff_id: Option<i32>,
        changed_amount: ChangedAmount,
    ) -> Result<Self, DbErr> {
        Ok(Self {
            rules: attribution_rules(txn).await?,
            operator_staff_id,
            now: Utc::now(),
            changed_amount,
        })
    }
}

/// HQ's attribution level and window.
pub async fn attribution_rules(db: &impl ConnectionTrait) -> Result<AttributionRules, DbErr> {
    let settings = shop_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("shop_settings row 1".to_owned()))?;
    Ok(AttributionRules {
        level: settings.attribution_level,
        window_days: settings
            .attribution_window_days
            .and_then(|d| u32::try_from(d).ok()),
    })
}

/// Runs `work` in a transaction, again from the start when it lost a race ([`OrderError::Retry`]).
pub(crate) async fn retrying<T>(
    db: &DatabaseConnection,
    mut work: impl AsyncFnMut(&DatabaseTransaction) -> Result<T, OrderError>,
) -> Result<T, OrderError> {
    for _ in 0..ATTEMPTS {
        let txn = db.begin().await?;
        match work(&txn).await {
            Ok(done) => {
                txn.commit().await?;
                return Ok(done);
            }
            Err(err) if err.lost_a_race() => txn.rollback().await?,
            Err(err) => return Err(err),
        }
    }
    Err(OrderError::Busy)
}

impl OrderError {
    /// The transaction lost a race ([`OrderError::Retry`], or a lock below): the same work tried
    /// again from the start succeeds or gives the real answer.
    pub(crate) fn lost_a_race(&self) -> bool {
        match self {
            OrderError::Retry => true,
            OrderError::Database(err) => lost_to_a_lock(err),
            _ => false,
        }
    }
}

/// PostgreSQL ended the transaction to break a deadlock (40P01) or a serialisation conflict
/// (40001): two bookings took the same report cells in opposite orders. Trying again is the fix.
fn lost_to_a_lock(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|db| db.code())
            .is_some_and(|code| code == "40P01" || code == "40001"),
        _ => false,
    }
}

/// Records one order (API, webhook): see the module docs.
pub async fn ingest(
    db: &DatabaseConnection,
    operator_staff_id: Option<i32>,
    changed_amount: ChangedAmount,
    input: &OrderInput,
) -> Result<Recorded, OrderError> {
    retrying(db, async |txn| {
        let booking = Booking::load(txn, operator_staff_id, changed_amount).await?;
        ingest_in(txn, &booking, input).await
    })
    .await
}

/// [`ingest`] inside the caller's transaction (the webhooks record their delivery in it; the
/// import records a whole file).
pub async fn ingest_in(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
) -> Result<Recorded, OrderError> {
    let existing = find_row(txn, input.source.as_str(), input.external_id.as_str()).await?;
    ingest_looked_up(txn, booking, input, existing).await
}

/// [`ingest_in`] of an order the caller found not recorded in its transaction (the order
/// webhooks look for all the orders of a batch in one statement, [`recorded_of`]). Should it have
/// been recorded since, the insert finds it, as it finds one a concurrent request recorded.
pub async fn ingest_unrecorded_in(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
) -> Result<Recorded, OrderError> {
    ingest_looked_up(txn, booking, input, None).await
}

/// Which of these orders (source, external id) are recorded, in one statement.
pub async fn recorded_of(
    db: &impl ConnectionTrait,
    orders: impl IntoIterator<Item = (&str, &str)>,
) -> Result<HashSet<(String, String)>, DbErr> {
    let Some(any) = crate::db::pairs_in(orders::Column::Source, orders::Column::ExternalId, orders)
    else {
        return Ok(HashSet::new());
    };
    let found = orders::Entity::find()
        .select_only()
        .column(orders::Column::Source)
        .column(orders::Column::ExternalId)
        .filter(any)
        .into_tuple::<(String, String)>()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// The rest of [`ingest_in`], once the order was looked for: `existing` is what was found.
async fn ingest_looked_up(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
    existing: Option<orders::Model>,
) -> Result<Recorded, OrderError> {
    let (sale, created) = match existing {
        Some(existing) => (existing, false),
        None => match insert_sale(txn, booking, input).await? {
            Some(sale) => (sale, true),
            // Inserted by a concurrent request since our look: answer with theirs.
            None => (
                find_row(txn, input.source.as_str(), input.external_id.as_str())
                    .await?
                    .ok_or(OrderError::Retry)?,
                false,
            ),
        },
    };
    if !created {
        check_same_order(txn, booking, input, &sale).await?;
    }
    let adjusting = !input.refunds.is_empty() || input.status.adjustment().is_some();
    // Concurrent refunds of one sale queue on its row (PostgreSQL; SQLite has one writer), so
    // they book one after the other instead of losing the compare-and-set below.
    let mut sale = if adjusting && !created {
        lock(txn, sale.id).await?
    } else {
        sale
    };
    let mut refunds_booked = 0;
    // A refund or cancellation stated with a new order happened at an unknown time before we
    // heard of it: booked with the sale. Learned later, it is booked when we learn it.
    let learned_at = if created {
        input.ordered_at
    } else {
        booking.now
    };
    for refund in &input.refunds {
        let key = RefundKey::Numbered(refund.refund_id.clone());
        let at = refund.refunded_at.max(sale.ordered_at);
        if let Some(next) = adjust(
            txn,
            booking,
            &sale,
            &key,
            Adjustment::Refund(refund.amount.get()),
            at,
        )
        .await?
        {
            refunds_booked += usize::from(next.1);
            sale = next.0;
        }
    }
    if let Some((key, adjustment)) = input.status.adjustment()
        && let Some(next) = adjust(txn, booking, &sale, &key, adjustment, learned_at).await?
    {
        refunds_booked += usize::from(next.1);
        sale = next.0;
    }
    let order = if created && refunds_booked == 0 {
        // Just inserted, and no refund was booked with it: it has none to read back.
        RecordedOrder {
            sale,
            refunds: Vec::new(),
        }
    } else {
        with_refunds(txn, sale).await?
    };
    Ok(Recorded {
        order,
        created,
        refunds_booked,
    })
}

/// A repeated order must be the same order: same amount (and, in store, the same member).
async fn check_same_order(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
    existing: &orders::Model,
) -> Result<(), OrderError> {
    let different_member = input.channel == SalesChannel::InStore
        && input.customer.member_id.is_some()
        && existing.member_id != input.customer.member_id;
    let different_amount = existing.amount != input.amount.get();
    let refuse = existing.kind != OrderKind::Sale
        || different_member
        || (different_amount && booking.changed_amount == ChangedAmount::Refuse);
    if refuse {
        return Err(OrderError::DifferentOrder {
            existing: Box::new(with_refunds(txn, existing.clone()).await?),
        });
    }
    if different_amount {
        tracing::warn!(
            source = %existing.source,
            external_id = %existing.external_id,
            recorded = existing.amount,
            now = input.amount.get(),
            "an order came again with another amount; the amount first recorded is kept"
        );
    }
    Ok(())
}

/// Inserts the sale with its attribution snapshot and adds it to the report totals; `None` when
/// the same order was inserted concurrently. An in-store receipt already recorded is refused.
async fn insert_sale(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
) -> Result<Option<orders::Model>, OrderError> {
    if let Some(sale) = insert_sales(txn, booking, &[input]).await?.pop().flatten() {
        return Ok(Some(sale));
    }
    if find_row(txn, input.source.as_str(), input.external_id.as_str())
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let entry_store_id = entry_store_id(txn, input).await?;
    Err(receipt_taken(txn, entry_store_id, input.receipt_no.as_deref()).await?)
}

/// Inserts new sales, each with its attribution snapshot, and adds them to the report totals:
/// one statement per step for all of them (the members, the rows, the day cells). For each input
/// in order, its row, or `None` when nothing was inserted for it: the same order is recorded, or
/// (in store) the same receipt.
pub async fn insert_sales(
    txn: &DatabaseTransaction,
    booking: &Booking,
    inputs: &[&OrderInput],
) -> Result<Vec<Option<orders::Model>>, OrderError> {
    let customers: Vec<&CustomerRef> = inputs.iter().map(|input| &input.customer).collect();
    let customers = match_customers(txn, &customers).await?;
    let mut rows = Vec::with_capacity(inputs.len());
    for (input, customer) in inputs.iter().zip(customers) {
        rows.push(sale_row(txn, booking, input, customer).await?);
    }
    let inserted = insert_rows(txn, rows).await?;
    books::add_sales(txn, &inserted).await?;
    let mut by_key: HashMap<(String, String), orders::Model> = inserted
        .into_iter()
        .map(|sale| ((sale.source.clone(), sale.external_id.clone()), sale))
        .collect();
    Ok(inputs
        .iter()
        .map(|input| {
            by_key.remove(&(
                input.source.as_str().to_owned(),
                input.external_id.as_str().to_owned(),
            ))
        })
        .collect())
}

/// The sale's row: the order as stated, with who is credited as the member's binding stood at
/// the order's time.
async fn sale_row(
    txn: &DatabaseTransaction,
    booking: &Booking,
    input: &OrderInput,
    customer: CustomerMatch,
) -> Result<orders::ActiveModel, OrderError> {
    let entry_store_id = entry_store_id(txn, input).await?;
    let binding = match (customer.member_id, customer.binding) {
        (Some(member_id), Some(current)) => {
            Some(binding_history(txn, member_id, current, input.ordered_at).await?)
        }
        _ => None,
    };
    let credit = match customer.member_id {
        None => SalesCredit::Unattributed(customer.missing),
        Some(_) => credit_order(
            binding.as_ref().map(|b| &b.history),
            input.ordered_at,
            booking.rules,
        ),
    };
    let (credited_store_id, credited_clerk_id, unattributed_reason) = match credit {
        SalesCredit::Credited { store_id, clerk_id } => (Some(store_id), clerk_id, None),
        SalesCredit::Unattributed(reason) => (None, None, Some(reason)),
    };
    let credited_group_id = match credited_store_id {
        None => None,
        Some(id) => match binding.as_ref().and_then(|b| b.group_of(id)) {
            Some(group_id) => group_id,
            // Credited to a store the member has since moved away from.
            None => stores::Entity::find_by_id(id)
                .one(txn)
                .await?
                .and_then(|s| s.group_id),
        },
    };
    let (booked_day, booked_month) = booked_day_and_month(input.ordered_at);
    Ok(orders::ActiveModel {
        id: NotSet,
        kind: Set(OrderKind::Sale),
        parent_id: Set(None),
        channel: Set(input.channel),
        source: Set(input.source.as_str().to_owned()),
        external_id: Set(input.external_id.as_str().to_owned()),
        status: Set(OrderStatus::Paid),
        amount: Set(input.amount.get()),
        refunded_amount: Set(0),
        ordered_at: Set(input.ordered_at),
        booked_day: Set(booked_day),
        booked_month: Set(booked_month),
        received_at: Set(booking.now),
        member_id: Set(customer.member_id),
        customer_phone: Set(input.customer.phone.clone()),
        customer_line_user_id: Set(input.customer.line_user_id.clone()),
        attribution_level: Set(booking.rules.level),
        credited_store_id: Set(credited_store_id),
        credited_group_id: Set(credited_group_id),
        credited_clerk_id: Set(credited_clerk_id),
        unattributed_reason: Set(unattributed_reason),
        entry_store_id: Set(entry_store_id),
        operator_staff_id: Set(booking.operator_staff_id),
        receipt_no: Set(input.receipt_no.clone()),
        note: Set(input.note.clone()),
        voided_at: Set(None),
        voided_by_staff_id: Set(None),
        void_reason: Set(None),
    })
}

/// The store the order was entered at, if it says; an unknown store code is refused.
async fn entry_store_id(
    txn: &DatabaseTransaction,
    input: &OrderInput,
) -> Result<Option<i32>, OrderError> {
    Ok(match &input.entry_store {
        None => None,
        Some(EntryStore::Id(id)) => Some(*id),
        Some(EntryStore::Code(code)) => Some(
            stores::Entity::find()
                .filter(stores::Column::Code.eq(code.as_str()))
                .one(txn)
                .await?
                .ok_or_else(|| OrderError::UnknownStore(code.to_string()))?
                .id,
        ),
    })
}

async fn receipt_taken(
    txn: &DatabaseTransaction,
    entry_store_id: Option<i32>,
    receipt_no: Option<&str>,
) -> Result<OrderError, DbErr> {
    let (Some(store_id), Some(receipt_no)) = (entry_store_id, receipt_no) else {
        return Ok(OrderError::Retry);
    };
    let existing = orders::Entity::find()
        .filter(orders::Column::EntryStoreId.eq(store_id))
        .filter(orders::Column::ReceiptNo.eq(receipt_no))
        .filter(orders::Column::VoidedAt.is_null())
        .one(txn)
        .await?;
    Ok(match existing {
        Some(existing) => OrderError::ReceiptTaken {
            receipt_no: receipt_no.to_owned(),
            ordered_at: existing.ordered_at,
        },
        None => OrderError::Retry,
    })
}

/// The sale, read again with a row lock held to the end of the transaction.
async fn lock(txn: &DatabaseTransaction, id: i64) -> Result<orders::Model, OrderError> {
    orders::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(OrderError::Retry)
}

async fn find_row(
    db: &impl ConnectionTrait,
    source: &str,
    external_id: &str,
) -> Result<Option<orders::Model>, DbErr> {
    orders::Entity::find()
        .filter(orders::Column::Source.eq(source))
        .filter(orders::Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// The sale with its refunds, oldest first.
pub async fn with_refunds(
    db: &impl ConnectionTrait,
    sale: orders::Model,
) -> Result<RecordedOrder, DbErr> {
    let refunds = orders::Entity::find()
        .filter(orders::Column::ParentId.eq(sale.id))
        .order_by_asc(orders::Column::Id)
        .all(db)
        .await?;
    Ok(RecordedOrder { sale, refunds })
}

/// One sale and its refunds by id.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<RecordedOrder, OrderError> {
    let sale = orders::Entity::find_by_id(id)
        .filter(orders::Column::Kind.eq(OrderKind::Sale))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)?;
    Ok(with_refunds(db, sale).await?)
}

/// `store` or `clerk`, as the settings page and the CSV export say it.
pub fn level_label(level: AttributionLevel) -> &'static str {
    match level {
        AttributionLevel::Store => "門市",
        AttributionLevel::Clerk => "店員",
    }
}
