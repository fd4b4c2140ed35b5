//! What every use case may reach: the database, LINE, SMS, settings, metrics, the stores of
//! webhook events and order webhook deliveries and the process-wide limiters. Built once by
//! `startup`, shared by handlers, the CLI and the webhook worker; it knows nothing of HTTP.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::line::LineClient;
use crate::metrics::Metrics;
use crate::services::binding::liff::LiffBindLimiter;
use crate::services::order_webhooks::{DeliveryStore, SecretsRead};
use crate::services::passwords::Passwords;
use crate::services::scan::ScanLimiter;
use crate::services::webhook::BindingCodeHandler;
use crate::services::webhook::EventStore;
use crate::sms::SmsProvider;

/// Everything a use case may use. Cheap to clone; built once, outside the worker closures.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub line: LineClient,
    pub sms: SmsProvider,
    pub metrics: Arc<Metrics>,
    /// Wakes the webhook worker as soon as new events are stored.
    pub webhook_wake: Arc<Notify>,
    /// Stores received webhook events (group commit).
    pub webhook_store: EventStore,
    /// Records verified order webhook deliveries (group commit).
    pub order_webhook_store: DeliveryStore,
    /// The web shops' webhook secrets as last read (one for the whole process).
    pub order_webhook_secrets: SecretsRead,
    /// Texts users send the OA are offered here (route B's binding codes).
    pub binding_codes: Arc<dyn BindingCodeHandler>,
    /// Scans per client address (one for the whole process, not one per worker).
    pub scan_limiter: ScanLimiter,
    /// LIFF binds per client address and per journey (one for the whole process).
    pub liff_bind_limiter: LiffBindLimiter,
    /// Password hashing, a few at a time (one for the whole process, not one per worker).
    pub passwords: Passwords,
}
