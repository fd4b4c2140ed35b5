//! The one integration test binary: each file mirrors an area of `src/http`.

mod helpers;

mod admin_access;
mod admin_accounts;
mod admin_auth;
mod admin_import;
mod admin_members;
mod admin_reports;
mod admin_setup;
mod admin_stores;
mod api_v1;
mod architecture;
mod bad_input;
mod binding;
mod browser;
mod crash;
mod demo;
mod demo_browser;
mod health;
mod in_store_orders;
mod liff;
mod line_client;
mod member_fixtures;
mod order_webhooks;
mod orders;
mod otp;
mod posters;
mod request_log;
mod route_b;
mod sales_report;
mod scan;
mod schema;
mod security_headers;
mod settings;
mod sms_providers;
mod webhook;
