//! Signed order webhooks from web shops (`POST /webhooks/orders/{generic|shopify|woocommerce}`),
//! and HQ's secrets for them.
//!
//! Order of checks, so a forged or replayed request never reaches the parser or the books: the
//! shop's secret must be set (else 401), the signature is checked on the raw bytes (401; for the
//! generic webhook also the 5-minute window), then the payload is read (400 with the field named),
//! then the delivery is applied and recorded under what identifies it at its source, in a
//! transaction shared with other requests' deliveries ([`group_commit`]). The delivery row commits
//! with the order, or not at all, so a delivery that failed is processed when it is sent again;
//! one that succeeded is answered "duplicate" (Shopify, WooCommerce: they retry until they hear
//! 2xx) or refused as a replay (the generic webhook, 409).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::json;

use crate::config::Secret;
use crate::db::entities::enums::WebShop;
use crate::db::entities::{order_webhook_deliveries, order_webhook_secrets};
use crate::domain::hmac;
use crate::domain::orders::OrderInput;
use crate::services::Context;
use crate::services::audit::{self, Actor, Change};
use crate::services::orders::{
    self, Booking, ChangedAmount, OrderError, Recorded, RecordedOrder, retrying,
};
use crate::webshops::generic::{self, OrderJson, SignatureRefusal};
use crate::webshops::{PayloadError, ShopEvent, shopify, woocommerce};

mod group_commit;

pub use group_commit::DeliveryStore;

/// Deliveries are remembered this long: longer than any platform retries.
pub const DELIVERY_RETENTION_DAYS: i64 = 7;

/// The request as received: the raw body and the headers that matter to its shop.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub body: &'a [u8],
    pub signature: Option<&'a [u8]>,
    /// Generic webhook only.
    pub timestamp: Option<&'a [u8]>,
    /// Shopify, WooCommerce.
    pub topic: Option<&'a str>,
    /// Shopify's webhook id, WooCommerce's delivery id.
    pub delivery_id: Option<&'a str>,
}

/// How a delivery was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Recorded {
        order: Box<RecordedOrder>,
        created: bool,
    },
    /// This delivery was handled before.
    Duplicate,
    /// Nothing to record, and why.
    Ignored(&'static str),
    /// WooCommerce's test ping when a webhook is saved.
    Ping,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no secret is set for {0:?}")]
    NotConfigured(WebShop),
    #[error("signature refused: {0}")]
    Signature(&'static str),
    #[error("the timestamp is outside the 5-minute window")]
    Stale,
    #[error("this signed request was received before")]
    Replay,
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A refund of an order not recorded yet: the shop retries, by then the order is there.
    #[error("the refund's order has not been received")]
    OrderNotReceived,
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Verifies, reads and records one delivery. The signature check and the parsing run here, in
/// the request; the recording joins the deliveries of other requests in one transaction
/// ([`group_commit`]) and this returns once it has committed.
pub async fn receive(
    ctx: &Context,
    shop: WebShop,
    delivery: Delivery<'_>,
) -> Result<Handled, WebhookError> {
    let now = Utc::now();
    if shop == WebShop::WooCommerce && woocommerce::is_ping(delivery.body) {
        return Ok(Handled::Ping);
    }
    let secrets = &ctx.order_webhook_secrets;
    let (current, read_now) = secrets.get(&ctx.db).await?;
    let (event, key) = match verify_and_read(shop, &current, delivery, now) {
        // Refused with the secrets read a moment ago: HQ may have set or changed it since.
        Err(WebhookError::NotConfigured(_) | WebhookError::Signature(_)) if !read_now => {
            let current = secrets.read(&ctx.db).await?;
            verify_and_read(shop, &current, delivery, now)?
        }
        read => read?,
    };
    let verified = VerifiedDelivery {
        shop,
        event,
        key,
        received_at: now,
    };
    match ctx
        .order_webhook_store
        .record(verified)
        .await
        .map_err(unwrap_not_received)?
    {
        Some(handled) => Ok(handled),
        None => duplicate(shop),
    }
}

/// Checks the delivery's signature with its shop's secret, then reads its payload: the event and
/// what identifies the delivery at its source.
fn verify_and_read(
    shop: WebShop,
    secrets: &ShopSecrets,
    delivery: Delivery<'_>,
    now: DateTime<Utc>,
) -> Result<(ShopEvent, Option<String>), WebhookError> {
    let secret = secrets
        .get(&shop)
        .ok_or(WebhookError::NotConfigured(shop))?;
    let secret = secret.expose().as_bytes();
    Ok(match shop {
        WebShop::Generic => {
            let signature = generic::verify(
                secret,
                delivery.timestamp,
                delivery.signature,
                delivery.body,
                now,
            )
            .map_err(|refusal| match refusal {
                SignatureRefusal::Stale => WebhookError::Stale,
                other => WebhookError::Signature(refusal_reason(other)),
            })?;
            let input = OrderJson::from_bytes(delivery.body)?.into_input(now)?;
            (ShopEvent::Order(Box::new(input)), Some(signature))
        }
        WebShop::Shopify | WebShop::WooCommerce => {
            hmac::verify_base64(secret, delivery.body, delivery.signature)
                .map_err(|err| WebhookError::Signature(hmac_reason(err)))?;
            let topic = delivery.topic.unwrap_or_default();
            let event = if shop == WebShop::Shopify {
                shopify::event(topic, delivery.body)?
            } else {
                woocommerce::event(topic, delivery.body)?
            };
            (event, delivery.delivery_id.map(str::to_owned))
        }
    })
}

/// A delivery whose signature was checked and whose payload was read: what is left is to record it.
#[derive(Debug)]
pub(crate) struct VerifiedDelivery {
    shop: WebShop,
    event: ShopEvent,
    /// What identifies the delivery at its source (the generic webhook's signature, Shopify's
    /// webhook id, WooCommerce's delivery id), when it has one.
    key: Option<String>,
    received_at: DateTime<Utc>,
}

/// Records one delivery inside `txn`: nothing when it was recorded before (`None`), else its
/// event is applied and the delivery recorded with it. How any delivery is recorded, in a batch
/// (under a savepoint) and alone (see [`group_commit`]); [`record_new_orders`] records a batch's
/// new orders together to the same effect. `booking` is the transaction's; what a changed amount
/// means is the shop's. `known` is what the transaction read of its deliveries beforehand
/// ([`Known`]); this one's delivery and order join it.
async fn record_in(
    txn: &DatabaseTransaction,
    booking: &Booking,
    known: &mut Known,
    delivery: &VerifiedDelivery,
) -> Result<Option<Handled>, OrderError> {
    if known.has_delivery(delivery) {
        return Ok(None);
    }
    let booking = Booking {
        changed_amount: changed_amount(delivery.shop),
        ..*booking
    };
    let handled = apply(txn, &booking, known, delivery.shop, &delivery.event).await?;
    if let Some(key) = &delivery.key {
        if !record_delivery(txn, delivery, key, &handled).await? {
            // A twin of this delivery committed meanwhile: roll back, and the next try sees it.
            return Err(OrderError::Retry);
        }
        known.add_delivery(delivery);
    }
    Ok(Some(handled))
}

/// Records one delivery in a transaction of its own, tried again when it lost a race.
async fn record_alone(
    db: &DatabaseConnection,
    delivery: &VerifiedDelivery,
) -> Result<Option<Handled>, OrderError> {
    retrying(db, async |txn| {
        let booking = Booking::load(txn, None, changed_amount(delivery.shop)).await?;
        let mut known = Known::read(txn, &[delivery]).await?;
        record_in(txn, &booking, &mut known, delivery).await
    })
    .await
}

/// Records deliveries of orders new to the transaction together, one statement per step for all
/// of them instead of several per delivery ([`orders::insert_sales`], one insert of their
/// deliveries): the common case of a burst of webhooks. For each, what [`record_in`] gives a new
/// order. When not all of them went in, the caller rolls back to before this (see [`Together`]).
async fn record_new_orders(
    txn: &DatabaseTransaction,
    booking: &Booking,
    known: &mut Known,
    new_orders: &[(&VerifiedDelivery, &OrderInput)],
) -> Result<Together, OrderError> {
    let inputs: Vec<&OrderInput> = new_orders.iter().map(|(_, input)| *input).collect();
    let sales = orders::insert_sales(txn, booking, &inputs).await?;
    let recorded_elsewhere: Vec<usize> = (0..sales.len()).filter(|&n| sales[n].is_none()).collect();
    if !recorded_elsewhere.is_empty() {
        return Ok(Together::OrdersRecordedElsewhere(recorded_elsewhere));
    }
    let handled: Vec<Handled> = sales
        .into_iter()
        .flatten()
        .map(|sale| Handled::Recorded {
            order: Box::new(RecordedOrder {
                sale,
                refunds: Vec::new(),
            }),
            created: true,
        })
        .collect();
    let keyed: Vec<_> = new_orders
        .iter()
        .zip(&handled)
        .filter_map(|((delivery, _), handled)| Some((*delivery, delivery.key.as_deref()?, handled)))
        .collect();
    if record_deliveries(txn, &keyed).await? < keyed.len() as u64 {
        return Ok(Together::DeliveryRecordedElsewhere);
    }
    for (delivery, input) in new_orders {
        known.add_delivery(delivery);
        known.add_order(input);
    }
    Ok(Together::Recorded(handled))
}

/// What recording new orders together came to.
#[derive(Debug)]
enum Together {
    /// All of them: what each gave.
    Recorded(Vec<Handled>),
    /// These (positions among them) were recorded by another transaction meanwhile (PostgreSQL: an
    /// API call with the same order), or an in-store receipt is taken. The caller rolls back and
    /// tries the others together again, then these one by one: recording them one by one at
    /// once would hold the day cells' locks while waiting for other transactions' orders, which
    /// wait for those cells (a deadlock a second each, for every such order).
    OrdersRecordedElsewhere(Vec<usize>),
    /// A delivery was recorded by another transaction meanwhile: the caller rolls back and
    /// records them all one by one.
    DeliveryRecordedElsewhere,
}

impl VerifiedDelivery {
    /// The order, when this delivery brings one with nothing refunded or cancelled yet: one
    /// [`record_new_orders`] can record with others, when it is new.
    fn new_order(&self) -> Option<&OrderInput> {
        match &self.event {
            ShopEvent::Order(input)
                if input.refunds.is_empty() && input.status.adjustment().is_none() =>
            {
                Some(input)
            }
            _ => None,
        }
    }

    /// The order this delivery brings or changes (source, external id), if any.
    fn order_ref(&self) -> Option<(&str, &str)> {
        match &self.event {
            ShopEvent::Order(input) => Some(order_key(input)),
            ShopEvent::Refund {
                order_external_id, ..
            }
            | ShopEvent::Cancel { order_external_id } => {
                Some((shop_source(self.shop), order_external_id.as_str()))
            }
            ShopEvent::Ignored(_) => None,
        }
    }
}

/// What a transaction knows before it records its deliveries, read for a whole batch in two
/// statements instead of two per delivery: which deliveries were recorded before, and which of
/// their orders are recorded. Kept up to date as the transaction records.
///
/// Anything recorded by another transaction after the read (PostgreSQL, several instances) is
/// still caught: recording a delivery again inserts nothing and the delivery is tried again
/// alone; inserting an order again inserts nothing and the order already there is the answer.
#[derive(Debug, Default)]
struct Known {
    deliveries: HashSet<(WebShop, String)>,
    /// (source, external id)
    orders: HashSet<(String, String)>,
}

impl Known {
    async fn read(
        txn: &DatabaseTransaction,
        deliveries: &[&VerifiedDelivery],
    ) -> Result<Self, DbErr> {
        let keys = deliveries
            .iter()
            .filter_map(|delivery| Some((delivery.shop, delivery.key.as_deref()?)));
        let recorded_deliveries = match crate::db::pairs_in(
            order_webhook_deliveries::Column::Source,
            order_webhook_deliveries::Column::DeliveryKey,
            keys,
        ) {
            None => Vec::new(),
            Some(any) => {
                order_webhook_deliveries::Entity::find()
                    .select_only()
                    .column(order_webhook_deliveries::Column::Source)
                    .column(order_webhook_deliveries::Column::DeliveryKey)
                    .filter(any)
                    .into_tuple::<(WebShop, String)>()
                    .all(txn)
                    .await?
            }
        };
        let orders = orders::recorded_of(
            txn,
            deliveries
                .iter()
                .filter_map(|delivery| match &delivery.event {
                    ShopEvent::Order(input) => Some(order_key(input)),
                    _ => None,
                }),
        )
        .await?;
        Ok(Self {
            deliveries: recorded_deliveries.into_iter().collect(),
            orders,
        })
    }

    /// The deliveries [`record_new_orders`] can record together (with their orders and where
    /// they are in `deliveries`): new orders never recorded, with nothing refunded or cancelled,
    /// whose order no other delivery of the batch brings or changes (so the batch's deliveries of
    /// one order stay in the order they came), each delivery once.
    fn new_orders<'a>(
        &self,
        deliveries: &[&'a VerifiedDelivery],
    ) -> Vec<(usize, &'a VerifiedDelivery, &'a OrderInput)> {
        let mut refs: HashMap<(&str, &str), usize> = HashMap::new();
        let mut keys: HashMap<(WebShop, &str), usize> = HashMap::new();
        for delivery in deliveries {
            if let Some(order) = delivery.order_ref() {
                *refs.entry(order).or_default() += 1;
            }
            if let Some(key) = &delivery.key {
                *keys.entry((delivery.shop, key)).or_default() += 1;
            }
        }
        deliveries
            .iter()
            .enumerate()
            .filter_map(|(n, &delivery)| {
                let input = delivery.new_order()?;
                let alone = refs[&order_key(input)] == 1
                    && delivery
                        .key
                        .as_ref()
                        .is_none_or(|key| keys[&(delivery.shop, key.as_str())] == 1);
                (alone && !self.has_delivery(delivery) && !self.has_order(input))
                    .then_some((n, delivery, input))
            })
            .collect()
    }

    fn has_delivery(&self, delivery: &VerifiedDelivery) -> bool {
        delivery
            .key
            .as_ref()
            .is_some_and(|key| self.deliveries.contains(&(delivery.shop, key.clone())))
    }

    fn add_delivery(&mut self, delivery: &VerifiedDelivery) {
        if let Some(key) = &delivery.key {
            self.deliveries.insert((delivery.shop, key.clone()));
        }
    }

    fn has_order(&self, input: &OrderInput) -> bool {
        let (source, external_id) = order_key(input);
        self.orders
            .contains(&(source.to_owned(), external_id.to_owned()))
    }

    fn add_order(&mut self, input: &OrderInput) {
        let (source, external_id) = order_key(input);
        self.orders
            .insert((source.to_owned(), external_id.to_owned()));
    }
}

fn order_key(input: &OrderInput) -> (&str, &str) {
    (input.source.as_str(), input.external_id.as_str())
}

/// A web shop's later edit of an order's total is kept out (they retry until they hear 2xx); the
/// generic webhook's sender hears of it (409).
fn changed_amount(shop: WebShop) -> ChangedAmount {
    match shop {
        WebShop::Generic => ChangedAmount::Refuse,
        WebShop::Shopify | WebShop::WooCommerce => ChangedAmount::Keep,
    }
}

/// The source a shop's orders are recorded under, for its refunds and cancellations (the generic
/// webhook's orders name their own source, and it sends neither).
fn shop_source(shop: WebShop) -> &'static str {
    match shop {
        WebShop::Shopify => shopify::SOURCE,
        WebShop::WooCommerce => woocommerce::SOURCE,
        WebShop::Generic => "",
    }
}

fn duplicate(shop: WebShop) -> Result<Handled, WebhookError> {
    match shop {
        WebShop::Generic => Err(WebhookError::Replay),
        WebShop::Shopify | WebShop::WooCommerce => Ok(Handled::Duplicate),
    }
}

/// A refund of an unknown order travels through the transaction as an `OrderNotFound`.
fn unwrap_not_received(err: OrderError) -> WebhookError {
    match err {
        OrderError::OrderNotFound => WebhookError::OrderNotReceived,
        other => WebhookError::Order(other),
    }
}

async fn apply(
    txn: &DatabaseTransaction,
    booking: &Booking,
    known: &mut Known,
    shop: WebShop,
    event: &ShopEvent,
) -> Result<Handled, OrderError> {
    let source = shop_source(shop);
    let recorded = |recorded: Recorded| Handled::Recorded {
        created: recorded.created,
        order: Box::new(recorded.order),
    };
    Ok(match event {
        ShopEvent::Order(input) => {
            let done = if known.has_order(input) {
                orders::ingest_in(txn, booking, input).await?
            } else {
                orders::ingest_unrecorded_in(txn, booking, input).await?
            };
            known.add_order(input);
            recorded(done)
        }
        ShopEvent::Refund {
            order_external_id,
            refund,
        } => recorded(
            orders::refund_in(txn, booking, source, order_external_id.as_str(), refund)
                .await?
                .ok_or(OrderError::OrderNotFound)?,
        ),
        ShopEvent::Cancel { order_external_id } => {
            match orders::cancel_in(txn, booking, source, order_external_id.as_str()).await? {
                Some(done) => recorded(done),
                None => Handled::Ignored("cancelled before it was paid"),
            }
        }
        ShopEvent::Ignored(reason) => Handled::Ignored(reason),
    })
}

/// Records the delivery; false when the same delivery was recorded meanwhile.
async fn record_delivery(
    txn: &DatabaseTransaction,
    delivery: &VerifiedDelivery,
    key: &str,
    handled: &Handled,
) -> Result<bool, DbErr> {
    Ok(record_deliveries(txn, &[(delivery, key, handled)]).await? == 1)
}

/// Records deliveries (each with its key and how it was handled) in one statement; how many
/// were inserted: those missing were recorded meanwhile.
async fn record_deliveries(
    txn: &DatabaseTransaction,
    deliveries: &[(&VerifiedDelivery, &str, &Handled)],
) -> Result<u64, DbErr> {
    let rows = deliveries.iter().map(|(delivery, key, handled)| {
        let (outcome, order_id) = match handled {
            Handled::Recorded { order, created } => (
                if *created { "recorded" } else { "updated" }.to_owned(),
                Some(order.sale.id),
            ),
            Handled::Ignored(reason) => (format!("ignored: {reason}"), None),
            Handled::Duplicate | Handled::Ping => ("duplicate".to_owned(), None),
        };
        order_webhook_deliveries::ActiveModel {
            id: NotSet,
            source: Set(delivery.shop),
            delivery_key: Set((*key).to_owned()),
            received_at: Set(delivery.received_at),
            outcome: Set(outcome),
            order_id: Set(order_id),
        }
    });
    order_webhook_deliveries::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(txn)
        .await
}

fn refusal_reason(refusal: SignatureRefusal) -> &'static str {
    match refusal {
        SignatureRefusal::Missing => "missing",
        SignatureRefusal::Malformed => "malformed",
        SignatureRefusal::Stale => "stale",
        SignatureRefusal::Mismatch => "mismatch",
    }
}

fn hmac_reason(err: hmac::HmacError) -> &'static str {
    match err {
        hmac::HmacError::Missing => "missing",
        hmac::HmacError::Malformed => "malformed",
        hmac::HmacError::Mismatch => "mismatch",
    }
}

/// Deletes up to `batch` deliveries older than the retention; returns how many.
pub async fn delete_old_deliveries(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    crate::db::delete_batch::<order_webhook_deliveries::Entity>(
        db,
        order_webhook_deliveries::Column::Id,
        Condition::all().add(
            order_webhook_deliveries::Column::ReceivedAt
                .lt(now - Duration::days(DELIVERY_RETENTION_DAYS)),
        ),
        batch,
    )
    .await
}

// ---- HQ's secrets ----

/// The secret a shop signs with, if HQ set one.
pub async fn secret(db: &impl ConnectionTrait, shop: WebShop) -> Result<Option<Secret>, DbErr> {
    Ok(order_webhook_secrets::Entity::find_by_id(shop)
        .one(db)
        .await?
        .map(|row| Secret::new(row.secret)))
}

/// The secrets the shops sign with, those HQ set.
type ShopSecrets = HashMap<WebShop, Secret>;

/// How long the shops' secrets, once read, check requests: a burst of webhooks reads them a few
/// times a second instead of once per request (on SQLite, one statement less per order queued on
/// the one connection). A secret HQ sets, changes or clears is in force within this time on every
/// instance; a request refused with secrets read before is checked again with the current ones.
const SECRETS_FRESH_FOR: std::time::Duration = std::time::Duration::from_millis(250);

/// The shops' secrets as last read. Cheap to clone; one for the whole process.
#[derive(Clone, Default)]
pub struct SecretsRead(Arc<tokio::sync::Mutex<Option<LastRead>>>);

/// When the secrets were read, and what they were.
type LastRead = (Instant, Arc<ShopSecrets>);

impl SecretsRead {
    /// The secrets, read again when the last read is older than [`SECRETS_FRESH_FOR`]; true
    /// when they were read now.
    async fn get(&self, db: &impl ConnectionTrait) -> Result<(Arc<ShopSecrets>, bool), DbErr> {
        let mut last = self.0.lock().await;
        if let Some((at, secrets)) = last.as_ref()
            && at.elapsed() < SECRETS_FRESH_FOR
        {
            return Ok((secrets.clone(), false));
        }
        let secrets = Arc::new(shop_secrets(db).await?);
        *last = Some((Instant::now(), secrets.clone()));
        Ok((secrets, true))
    }

    /// The secrets as they are now.
    async fn read(&self, db: &impl ConnectionTrait) -> Result<Arc<ShopSecrets>, DbErr> {
        let mut last = self.0.lock().await;
        let secrets = Arc::new(shop_secrets(db).await?);
        *last = Some((Instant::now(), secrets.clone()));
        Ok(secrets)
    }
}

async fn shop_secrets(db: &impl ConnectionTrait) -> Result<ShopSecrets, DbErr> {
    Ok(order_webhook_secrets::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.source, Secret::new(row.secret)))
        .collect())
}

/// A shop's secret as the settings page shows it: set or not, its last four characters, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretState {
    pub shop: WebShop,
    /// `…a1b2`: enough to tell which secret is set, never enough to use it.
    pub hint: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The state of every shop's secret (HQ only).
pub async fn secret_states(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<SecretState>, OrderError> {
    actor.scope.require_hq()?;
    let rows = order_webhook_secrets::Entity::find().all(db).await?;
    Ok([WebShop::Generic, WebShop::Shopify, WebShop::WooCommerce]
        .into_iter()
        .map(|shop| {
            let row = rows.iter().find(|row| row.source == shop);
            SecretState {
                shop,
                hint: row.map(|row| hint(&row.secret)),
                updated_at: row.map(|row| row.updated_at),
            }
        })
        .collect())
}

fn hint(secret: &str) -> String {
    let shown_from = secret.chars().count().saturating_sub(4);
    format!("…{}", secret.chars().skip(shown_from).collect::<String>())
}

/// Shortest secret accepted: anything shorter is guessable.
pub const MIN_SECRET_CHARS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret is shorter than 16 characters or has spaces or control characters")]
    Unusable,
    #[error(transparent)]
    Order(#[from] OrderError),
}

impl From<DbErr> for SecretError {
    fn from(err: DbErr) -> Self {
        SecretError::Order(err.into())
    }
}

/// Sets (or replaces) a shop's secret; the audit log records that it changed, never the value.
pub async fn set_secret(
    db: &DatabaseConnection,
    actor: &Actor,
    shop: WebShop,
    secret: &Secret,
) -> Result<(), SecretError> {
    actor.scope.require_hq().map_err(OrderError::from)?;
    let value = secret.expose().trim();
    if value.chars().count() < MIN_SECRET_CHARS
        || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(SecretError::Unusable);
    }
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    order_webhook_secrets::Entity::insert(order_webhook_secrets::ActiveModel {
        source: Set(shop),
        secret: Set(value.to_owned()),
        updated_at: Set(Utc::now()),
        updated_by_staff_id: Set(actor.staff_id),
    })
    .on_conflict(
        OnConflict::column(order_webhook_secrets::Column::Source)
            .update_columns([
                order_webhook_secrets::Column::Secret,
                order_webhook_secrets::Column::UpdatedAt,
                order_webhook_secrets::Column::UpdatedByStaffId,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change::new("order_webhook.secret_set", "order_webhook", shop_key(shop))
            .after(json!({ "secret": hint(value) })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a shop's secret: its webhooks are refused (401) from now on.
pub async fn clear_secret(
    db: &DatabaseConnection,
    actor: &Actor,
    shop: WebShop,
) -> Result<(), OrderError> {
    actor.scope.require_hq()?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let deleted = order_webhook_secrets::Entity::delete_by_id(shop)
        .exec(&txn)
        .await?;
    if deleted.rows_affected > 0 {
        audit::record(
            &txn,
            actor,
            Change::new(
                "order_webhook.secret_clear",
                "order_webhook",
                shop_key(shop),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// `generic`, `shopify`, `woocommerce`: as in URLs and the audit log.
pub fn shop_key(shop: WebShop) -> &'static str {
    match shop {
        WebShop::Generic => "generic",
        WebShop::Shopify => "shopify",
        WebShop::WooCommerce => "woocommerce",
    }
}

/// The shop a URL segment names.
pub fn shop_of(key: &str) -> Option<WebShop> {
    match key {
        "generic" => Some(WebShop::Generic),
        "shopify" => Some(WebShop::Shopify),
        "woocommerce" => Some(WebShop::WooCommerce),
        _ => None,
    }
}
