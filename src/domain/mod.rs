//! Pure types and rules of the product: no web, no database, no network. Unit-tested beside the code.

pub mod checklist;
pub mod otp_code;
pub mod password;
pub mod phone;
pub mod sms_text;
pub mod tokens;
pub mod username;
