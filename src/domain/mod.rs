//! Pure types and rules of the product: no web, no database, no network. Unit-tested beside the code.

pub mod access;
pub mod checklist;
pub mod login_throttle;
pub mod password;
pub mod store_csv;
pub mod stores;
pub mod tokens;
pub mod username;
