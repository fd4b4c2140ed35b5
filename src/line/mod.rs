//! Everything that speaks LINE: the API client (and, with the webhook, signatures and event types).
//! Only this module (and `sms`) knows reqwest.

pub mod client;
pub mod links;

pub use client::{LineApiError, LineClient, OutgoingMessage};
