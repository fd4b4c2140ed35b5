//! Pure types and rules of the product: no web, no database, no network. Unit-tested beside the code.

pub mod attribution;
pub mod binding_code;
pub mod checklist;
pub mod id_token;
pub mod names;
pub mod password;
pub mod signed_link;
pub mod tokens;
pub mod username;
