//! store-assistant (門市助理): a shopper scans a store's QR poster and becomes a friend of the
//! brand's LINE Official Account, a member, and bound to that store (and clerk) as referrer.
//!
//! Dependencies point one way, inward (`tests/api/architecture.rs` checks every `crate::` path):
//!
//! - `domain`: the product's types and rules; pure, uses nothing of ours.
//! - `config` → `domain`; then `db`, `line`, `sms`, `qr`, `webshops`, `metrics`: adapters to the
//!   database, LINE, SMS gateways, QR images and web-shop payloads.
//! - `services` → the adapters and `domain`: the use cases, with their transactions; they take a
//!   `services::Context` and return typed errors, and know nothing of HTTP.
//! - `http` → `services`: extract, call one use case, render; `http::error` is the one place an
//!   error becomes a status and the words a person reads.
//! - `emulator` (demo mode's stand-in for LINE), `telemetry`, `startup` (wires it all) and `cli`
//!   sit on top.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod emulator;
pub mod http;
pub mod line;
pub mod metrics;
pub mod qr;
pub mod services;
pub mod sms;
pub mod startup;
pub mod telemetry;
pub mod webshops;
