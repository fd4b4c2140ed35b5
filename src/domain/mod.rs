//! Pure types and rules of the product: no web, no database, no network. Unit-tested beside the code.

pub mod access;
pub mod attribution;
pub mod binding_code;
pub mod checklist;
pub mod client_network;
pub mod id_token;
pub mod login_throttle;
pub mod members;
pub mod otp_code;
pub mod password;
pub mod phone;
pub mod rate_limit;
pub mod reports;
pub mod scan;
pub mod shop_settings;
pub mod signed_link;
pub mod sms_text;
pub mod spreadsheet;
pub mod store_csv;
pub mod stores;
pub mod taipei_time;
pub mod tokens;
pub mod username;
