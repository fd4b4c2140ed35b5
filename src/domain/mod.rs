//! Pure types and rules of the product: no web, no database, no network. Unit-tested beside the code.

pub mod attribution;
pub mod checklist;
pub mod id_token;
pub mod names;
pub mod password;
pub mod tokens;
pub mod username;
