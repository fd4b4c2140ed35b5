//! store-assistant (門市助理): a shopper scans a store's QR poster and becomes a friend of the
//! brand's LINE Official Account, a member, and bound to that store (and clerk) as referrer.
//!
//! Dependencies point inward: `http` → `services` → (`db`, `line`, `sms`, `qr`) → `domain`.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod emulator;
pub mod error;
pub mod http;
pub mod line;
pub mod metrics;
pub mod qr;
pub mod services;
pub mod sms;
pub mod startup;
pub mod telemetry;
pub mod webshops;
