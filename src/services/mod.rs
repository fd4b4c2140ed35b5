//! Use cases. Transactions live here; handlers and the CLI call one function each.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod binding;
pub mod clerk;
mod context;
pub mod demo;
pub mod error;
pub mod followers;
pub mod housekeeping;
pub mod journeys;
pub mod member_card;
pub mod members;
pub mod order_webhooks;
pub mod orders;
pub mod otp;
pub mod passwords;
pub mod posters;
pub mod qr;
pub mod reports;
pub mod sales_report;
pub mod sales_settings;
pub mod scan;
pub mod sessions;
pub mod setup;
pub mod stores;
pub mod webhook;

pub use context::Context;
pub use error::Error;
