//! Group commit for received webhook events: one writer task stores the events of many concurrent
//! requests in one transaction, and each request is answered only after the transaction holding
//! its events has committed.
//!
//! Why: SQLite has one writer, and a commit per request caps the webhook at the commit rate (and
//! queues every request for the one connection). Batching whatever arrived while the previous
//! transaction was committing costs nothing when traffic is light (a batch of one) and turns a
//! burst into a few transactions. Duplicates inside a batch are folded by the same unique index
//! and INSERT … ON CONFLICT DO NOTHING as across batches.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Notify, mpsc, oneshot};

use super::queue::{new_row, store_rows};
use crate::db::entities::webhook_events;
use crate::line::events::WebhookEvent;

/// Rows committed in one transaction at most.
const MAX_BATCH_ROWS: usize = 2_000;
/// Requests waiting for the writer before new ones wait to be queued (back-pressure).
const QUEUE: usize = 4_096;

/// Hands events to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct EventStore {
    queue: mpsc::Sender<Pending>,
}

struct Pending {
    rows: Vec<webhook_events::ActiveModel>,
    done: oneshot::Sender<Result<(), DbErr>>,
}

impl EventStore {
    /// Starts the writer; it wakes the worker (`wake`) after each commit that stored something new.
    pub fn spawn(db: DatabaseConnection, wake: Arc<Notify>) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(write(db, wake, pending));
        Self { queue }
    }

    /// Stores the events (those already stored are skipped); returns once they are committed.
    pub async fn store(
        &self,
        events: &[WebhookEvent],
        received_at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if events.is_empty() {
            return Ok(());
        }
        let rows = events
            .iter()
            .map(|event| new_row(event, received_at))
            .collect();
        let (done, committed) = oneshot::channel();
        let stopped = || DbErr::Custom("the webhook event writer has stopped".to_owned());
        self.queue
            .send(Pending { rows, done })
            .await
            .map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }
}

async fn write(db: DatabaseConnection, wake: Arc<Notify>, mut queue: mpsc::Receiver<Pending>) {
    while let Some(first) = queue.recv().await {
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while rows < MAX_BATCH_ROWS {
            let Ok(next) = queue.try_recv() else { break };
            rows += next.rows.len();
            batch.push(next);
        }
        let all = batch.iter().flat_map(|p| p.rows.iter().cloned()).collect();
        match store_rows(&db, all).await {
            Ok(inserted) => {
                if inserted > 0 {
                    wake.notify_one();
                }
                for pending in batch {
                    let _ = pending.done.send(Ok(()));
                }
            }
            Err(err) => {
                // Retry each request on its own, so one cannot fail the others.
                tracing::warn!(error = %err, requests = batch.len(), "storing a batch of webhook events failed; storing them one request at a time");
                for pending in batch {
                    let result = store_rows(&db, pending.rows).await;
                    if matches!(result, Ok(inserted) if inserted > 0) {
                        wake.notify_one();
                    }
                    let _ = pending.done.send(result.map(drop));
                }
            }
        }
    }
}
