//! Group commit for order webhooks: one writer task records the deliveries of many concurrent
//! requests in one transaction, and each request is answered only after the transaction holding
//! its delivery has committed.
//!
//! Why: SQLite has one connection, and a transaction per delivery queued every request behind the
//! ~15 round trips and the commit of the one before it. Here the requests check signatures and
//! read payloads in parallel, and BEGIN, HQ's attribution settings and COMMIT are paid once per
//! batch of whatever arrived meanwhile (a batch of one when traffic is light). The new orders of a
//! batch, the bulk of a burst, are recorded together in a few statements for all of them; the
//! rest each under a savepoint of its own. The same design as the LINE webhook's
//! `services::webhook::group_commit`.
//!
//! A delivery whose work fails is rolled back to its savepoint and undoes none of the others; its
//! error is its answer, as it would have been alone. When one of the new orders recorded together
//! does not go in, all of them are rolled back and the others tried together again; what could
//! not go in is recorded one by one. One that lost a race (a twin delivery or a refund of the same
//! sale committed by another transaction, a PostgreSQL deadlock), and every delivery of a batch
//! that could not commit, is handed back to its request and recorded there alone, in a
//! transaction of its own tried again as often as any order's, so every answer is what a
//! transaction of its own would have given.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::{
    Handled, Known, Together, VerifiedDelivery, record_alone, record_in, record_new_orders,
};
use crate::metrics::Metrics;
use crate::services::orders::{Booking, ChangedAmount, OrderError};

/// Deliveries recorded in one transaction at most.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for the writer before new ones wait to be queued (back-pressure).
const QUEUE: usize = 1_024;

/// What recording a delivery gave: `None` when it was recorded before.
type Outcome = Result<Option<Handled>, OrderError>;

/// Hands verified deliveries to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct DeliveryStore {
    db: DatabaseConnection,
    queue: mpsc::Sender<Pending>,
    metrics: Arc<Metrics>,
}

struct Pending {
    delivery: VerifiedDelivery,
    done: oneshot::Sender<Answer>,
}

/// The writer's answer to one request.
enum Answer {
    /// Recorded (or refused) in a batch that committed.
    Batched(Outcome),
    /// Lost a race in the batch, or the batch could not commit: to be recorded alone.
    Alone(VerifiedDelivery),
}

impl DeliveryStore {
    /// Starts the writer task.
    pub fn spawn(db: DatabaseConnection, metrics: Arc<Metrics>) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(write(db.clone(), pending, metrics.clone()));
        Self { db, queue, metrics }
    }

    /// Records the delivery; returns once the transaction that recorded it has committed.
    pub(super) async fn record(&self, delivery: VerifiedDelivery) -> Outcome {
        let (done, answer) = oneshot::channel();
        let stopped = || {
            OrderError::Database(DbErr::Custom(
                "the order webhook writer has stopped".to_owned(),
            ))
        };
        self.queue
            .send(Pending { delivery, done })
            .await
            .map_err(|_| stopped())?;
        match answer.await.map_err(|_| stopped())? {
            Answer::Batched(outcome) => outcome,
            // In the request's task, so the writer goes on with the next batch meanwhile.
            Answer::Alone(delivery) => {
                self.metrics.order_deliveries_written(0, 1);
                record_alone(&self.db, &delivery).await
            }
        }
    }
}

async fn write(db: DatabaseConnection, mut queue: mpsc::Receiver<Pending>, metrics: Arc<Metrics>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let Ok(next) = queue.try_recv() else { break };
            batch.push(next);
        }
        let deliveries: Vec<&VerifiedDelivery> = batch.iter().map(|p| &p.delivery).collect();
        let outcomes = match record_batch(&db, &deliveries).await {
            Ok((outcomes, together)) => {
                metrics.order_deliveries_written(together, outcomes.len() - together);
                outcomes
            }
            Err(err) => {
                tracing::warn!(error = %err, deliveries = batch.len(), "recording a batch of order webhooks failed; recording them one at a time");
                batch.iter().map(|_| Err(OrderError::Retry)).collect()
            }
        };
        for (pending, outcome) in batch.into_iter().zip(outcomes) {
            let answer = match outcome {
                Err(err) if err.lost_a_race() => Answer::Alone(pending.delivery),
                outcome => Answer::Batched(outcome),
            };
            // The request may have gone (its client hung up); its delivery stays recorded.
            let _ = pending.done.send(answer);
        }
    }
}

/// Records the deliveries in one transaction and commits it; the outcome of each, in order, and
/// how many were new orders recorded together. An error (begin, a savepoint, the commit) means
/// none of them was recorded.
///
/// New orders are recorded together first ([`record_new_orders`]), under one savepoint: should
/// any of them not go in, that is rolled back, and the others are tried together again without
/// them ([`Together`]); what was left out is recorded one by one with the rest.
/// The rest (refunds, cancellations, orders seen before, twins) each under a savepoint of its
/// own, so one that fails undoes none of the others.
async fn record_batch(
    db: &DatabaseConnection,
    deliveries: &[&VerifiedDelivery],
) -> Result<(Vec<Outcome>, usize), DbErr> {
    let txn = db.begin().await?;
    // What a changed amount means is each delivery's shop's (`record_in`).
    let booking = Booking::load(&txn, None, ChangedAmount::Refuse).await?;
    let mut known = Known::read(&txn, deliveries).await?;
    let mut outcomes: Vec<Option<Outcome>> = deliveries.iter().map(|_| None).collect();
    let mut new_orders = known.new_orders(deliveries);
    let mut together_count = 0;
    while !new_orders.is_empty() {
        let together: Vec<_> = new_orders
            .iter()
            .map(|&(_, delivery, input)| (delivery, input))
            .collect();
        txn.execute_unprepared("SAVEPOINT new_orders").await?;
        let elsewhere = match record_new_orders(&txn, &booking, &mut known, &together).await {
            Ok(Together::Recorded(handled)) => {
                together_count = handled.len();
                for ((n, ..), handled) in new_orders.into_iter().zip(handled) {
                    outcomes[n] = Some(Ok(Some(handled)));
                }
                txn.execute_unprepared("RELEASE SAVEPOINT new_orders")
                    .await?;
                break;
            }
            Ok(Together::OrdersRecordedElsewhere(positions)) => positions,
            Ok(Together::DeliveryRecordedElsewhere) => (0..new_orders.len()).collect(),
            Err(err) => {
                // An error here that every batch met would cost the speed of all of them, unseen.
                tracing::warn!(error = %err, orders = together.len(), "recording new orders together failed; recording them one by one");
                (0..new_orders.len()).collect()
            }
        };
        txn.execute_unprepared("ROLLBACK TO SAVEPOINT new_orders; RELEASE SAVEPOINT new_orders")
            .await?;
        // Those go one by one below; the others are tried together again.
        new_orders = new_orders
            .into_iter()
            .enumerate()
            .filter(|(n, _)| !elsewhere.contains(n))
            .map(|(_, new_order)| new_order)
            .collect();
    }
    // One savepoint name, released and set again in one round trip between deliveries (sea-orm's
    // nested transactions take two); the commit releases the last.
    let mut savepoint = "SAVEPOINT delivery";
    for (delivery, outcome) in deliveries.iter().zip(&mut outcomes) {
        if outcome.is_some() {
            continue;
        }
        txn.execute_unprepared(savepoint).await?;
        savepoint = "RELEASE SAVEPOINT delivery; SAVEPOINT delivery";
        let recorded = record_in(&txn, &booking, &mut known, delivery).await;
        if recorded.is_err() {
            txn.execute_unprepared("ROLLBACK TO SAVEPOINT delivery")
                .await?;
        }
        *outcome = Some(recorded);
    }
    txn.commit().await?;
    Ok((outcomes.into_iter().flatten().collect(), together_count))
}
