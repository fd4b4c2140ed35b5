//! Everything that speaks LINE: the API client, the webhook signature and the webhook event types.
//! Only this module (and `sms`) knows reqwest; nothing here knows actix or the database.

pub mod client;
pub mod events;
pub mod links;
pub mod signature;

pub use client::{LineApiError, LineClient, OutgoingMessage};
