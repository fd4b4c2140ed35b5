//! The one integration test binary: each file mirrors an area of `src/http`.

mod helpers;

mod health;
mod line_client;
mod otp;
mod schema;
mod settings;
mod sms_providers;
