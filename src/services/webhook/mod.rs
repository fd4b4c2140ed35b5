//! LINE webhooks, received and processed durably and exactly once.
//!
//! The request path does as little as possible (LINE wants an answer within 2 s and recommends
//! processing asynchronously): verify the signature on the raw bytes, parse, store every event in
//! `webhook_events` (one transaction per request, or per group of concurrent requests: see
//! `group_commit`), answer. The unique `webhook_event_id` with
//! INSERT … ON CONFLICT DO NOTHING makes a redelivery, or the same body posted ten times at once,
//! one row. The worker (`worker`) then claims pending rows — a lease in `claimed_until`,
//! taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL so several server instances never take the
//! same row — handles them, and records the outcome. Rows survive restarts: a row whose lease ran
//! out without an outcome is claimed again.
//!
//! The arrows point one way: `receive` → `group_commit` → `queue` ← `worker` → `dispatch`.
//! - [`receive`]: the request path (signature, parse, hand to the group commit).
//! - [`group_commit`]: one writer stores the events of many concurrent requests per transaction.
//! - [`queue`]: the `webhook_events` rows as a queue: store, claim with a lease, record verdicts.
//! - [`worker`]: the background loop that claims, dispatches and records.
//! - [`dispatch`]: what one event means for the product (follow, unfollow, a binding code).

pub mod dispatch;
pub mod group_commit;
pub mod queue;
pub mod receive;
pub mod worker;

pub use dispatch::{BindingCodeHandler, HandleError, IncomingText, handle_event, push_retry_key};
pub use group_commit::EventStore;
pub use queue::{claim_pending, record_verdicts, store_rows};
pub use receive::{Receipt, ReceiveError, receive};
pub use worker::{WebhookWorker, WorkerConfig};
