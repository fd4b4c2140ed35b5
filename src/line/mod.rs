//! Everything that speaks LINE: the webhook signature, the webhook event types, and (in `client`)
//! the Messaging API and LINE Login client. Nothing here knows actix or the database.

pub mod signature;
