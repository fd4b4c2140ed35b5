//! The one integration test binary: each file mirrors an area of `src/http`.

mod helpers;

mod binding;
mod browser;
mod health;
mod liff;
mod line_client;
mod schema;
mod settings;
mod webhook;
