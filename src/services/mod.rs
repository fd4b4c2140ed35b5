//! Use cases. Transactions live here; handlers and the CLI call one function each.

pub mod accounts;
pub mod binding;
pub mod followers;
pub mod liff;
pub mod setup;
pub mod webhook;
pub mod webhook_store;
pub mod webhook_worker;
