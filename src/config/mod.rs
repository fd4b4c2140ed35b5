//! Settings from the environment (and `.env`), validated once at start.
//!
//! Every setting is listed in `.env.example` with its default. A bad value stops the start with one
//! line that names the setting and says how to fix it ([`SettingsError`]); secrets are held in
//! [`Secret`], whose `Debug` never shows the value.

mod parse;

use parse::{
    database_kind, decide_demo, parse_basic_id, parse_bool, parse_channel_id, parse_http_url,
    parse_liff_id, parse_retention, parse_sms, parse_sms_price,
};
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use url::Url;

use crate::domain::retention::Retention;

/// A value that must never reach a log line or an error page.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which database the one binary talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen_addr: SocketAddr,
    pub public_base_url: Url,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub line: LineSettings,
    pub sms: SmsSettings,
    /// Signs short-lived links and cookies. Generated per process when unset (see `secret_key_generated`).
    pub secret_key: Secret,
    pub secret_key_generated: bool,
    /// No LINE credentials: the built-in LINE emulator stands in for the LINE Platform.
    pub demo: bool,
    /// What one SMS costs, for the reports' cost estimate (`SMS_PRICE_TWD`).
    pub sms_price: SmsPrice,
    /// `WEBHOOK_WORKER`: whether this process handles stored webhook events. Off, it only
    /// receives and stores them, and another instance on the same database handles them.
    pub webhook_worker: bool,
    /// `TRUST_X_FORWARDED_FOR`: behind a reverse proxy that appends the client's address to
    /// `X-Forwarded-For`, the per-client limits (scans, SMS, sign-in) count that address instead
    /// of the proxy's. Off by default: without such a proxy any client could write the header.
    pub trust_forwarded_for: bool,
    /// `RETENTION_*_DAYS`: how long housekeeping keeps handled webhook events, one-time codes,
    /// funnel events and sign-in attempts.
    pub retention: Retention,
}

/// The price of one SMS (one cost unit of the provider) in hundredths of a New Taiwan dollar, so
/// estimates are exact sums, never floating-point drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsPrice {
    pub hundredths_twd: u32,
}

impl SmsPrice {
    pub const DEFAULT: SmsPrice = SmsPrice {
        hundredths_twd: 100,
    };

    /// `units` messages (cost units) at this price, in hundredths of a dollar.
    pub fn cost_hundredths(&self, units: u64) -> u64 {
        units * u64::from(self.hundredths_twd)
    }
}

#[derive(Debug, Clone)]
pub struct LineSettings {
    pub channel_secret: Option<Secret>,
    pub channel_access_token: Option<Secret>,
    pub oa_basic_id: Option<String>,
    pub login_channel_id: Option<String>,
    pub liff_id: Option<String>,
    pub api_base_url: Url,
    pub liff_sdk_url: Url,
    /// Where links into the LINE app point (add friend, prefilled OA chat): `https://line.me`, or
    /// the emulator's stand-in in demo mode (`LINE_APP_BASE_URL`).
    pub app_base_url: Url,
    /// Where route A sends a scan: `{liff_url_base}/{LIFF_ID}?ref={journey}` (`LIFF_URL_BASE`;
    /// LINE's own address by default, the demo's LINE emulator otherwise).
    pub liff_url_base: Url,
}

#[derive(Debug, Clone)]
pub enum SmsSettings {
    /// Writes each message to the log (and the demo outbox) instead of sending it.
    Log,
    Mitake {
        username: String,
        password: Secret,
        api_base_url: Url,
    },
    Every8d {
        uid: String,
        password: Secret,
        api_base_url: Url,
    },
    Twilio {
        account_sid: String,
        auth_token: Secret,
        from: String,
        api_base_url: Url,
    },
}

impl SmsSettings {
    pub fn provider_name(&self) -> &'static str {
        match self {
            SmsSettings::Log => "log",
            SmsSettings::Mitake { .. } => "mitake",
            SmsSettings::Every8d { .. } => "every8d",
            SmsSettings::Twilio { .. } => "twilio",
        }
    }
}

/// One bad setting, rendered as the single line the operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name}: {problem}")]
pub struct SettingsError {
    pub name: &'static str,
    pub problem: String,
}

impl SettingsError {
    fn new(name: &'static str, problem: impl Into<String>) -> Self {
        Self {
            name,
            problem: problem.into(),
        }
    }
}

/// Every name this program reads, so a typo such as `LINE_CHANEL_SECRET` in `.env` is caught.
pub const KNOWN_SETTINGS: &[&str] = &[
    "LISTEN_ADDR",
    "PUBLIC_BASE_URL",
    "DATABASE_URL",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "LINE_OA_BASIC_ID",
    "LINE_LOGIN_CHANNEL_ID",
    "LIFF_ID",
    "LINE_API_BASE_URL",
    "LIFF_SDK_URL",
    "LINE_APP_BASE_URL",
    "LIFF_URL_BASE",
    "SMS_PROVIDER",
    "MITAKE_USERNAME",
    "MITAKE_PASSWORD",
    "MITAKE_API_BASE_URL",
    "EVERY8D_UID",
    "EVERY8D_PASSWORD",
    "EVERY8D_API_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM",
    "TWILIO_API_BASE_URL",
    "SECRET_KEY",
    "DEMO",
    "SMS_PRICE_TWD",
    "WEBHOOK_WORKER",
    "TRUST_X_FORWARDED_FOR",
    "RETENTION_WEBHOOK_EVENTS_DAYS",
    "RETENTION_OTP_DAYS",
    "RETENTION_FUNNEL_EVENTS_DAYS",
    "RETENTION_LOGIN_ATTEMPTS_DAYS",
];

pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/store-assistant.db";
/// Where demo mode keeps its data when `DATABASE_URL` is not set.
pub const DEMO_DATABASE_URL: &str = "sqlite://data/demo.db";
pub const DEFAULT_LINE_API_BASE_URL: &str = "https://api.line.me";
pub const DEFAULT_LIFF_SDK_URL: &str = "https://static.line-scdn.net/liff/edge/2/sdk.js";
pub const DEFAULT_LINE_APP_BASE_URL: &str = "https://line.me";
pub const DEFAULT_LIFF_URL_BASE: &str = "https://liff.line.me";

impl Settings {
    /// Reads the process environment, after loading `.env` from the working directory if present.
    pub fn from_env(force_demo: bool) -> Result<Self, SettingsError> {
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            return Err(SettingsError::new(
                "(.env)",
                format!("the .env file could not be read ({err}); fix or remove it"),
            ));
        }
        let vars: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| KNOWN_SETTINGS.contains(&k.as_str()))
            .collect();
        Self::from_vars(&vars, force_demo)
    }

    /// Builds settings from a map of variables; the environment is only one source (tests are another).
    pub fn from_vars(
        vars: &HashMap<String, String>,
        force_demo: bool,
    ) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let listen_text = get("LISTEN_ADDR").unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned());
        let listen_addr: SocketAddr = listen_text.parse().map_err(|_| {
            SettingsError::new(
                "LISTEN_ADDR",
                format!(
                    "{listen_text:?} is not an address and port; use host:port, for example {DEFAULT_LISTEN_ADDR} or 0.0.0.0:8080"
                ),
            )
        })?;

        let public_base_url = match get("PUBLIC_BASE_URL") {
            Some(text) => parse_http_url("PUBLIC_BASE_URL", &text)?,
            None => {
                let host = if listen_addr.ip().is_unspecified() {
                    "127.0.0.1".to_owned()
                } else {
                    listen_addr.ip().to_string()
                };
                Url::parse(&format!("http://{host}:{}", listen_addr.port()))
                    .expect("an address and port form a valid URL")
            }
        };

        let line = LineSettings {
            channel_secret: get("LINE_CHANNEL_SECRET").map(Secret::new),
            channel_access_token: get("LINE_CHANNEL_ACCESS_TOKEN").map(Secret::new),
            oa_basic_id: get("LINE_OA_BASIC_ID")
                .map(|id| parse_basic_id(&id))
                .transpose()?,
            login_channel_id: get("LINE_LOGIN_CHANNEL_ID")
                .map(|id| parse_channel_id(&id))
                .transpose()?,
            liff_id: get("LIFF_ID").map(|id| parse_liff_id(&id)).transpose()?,
            api_base_url: parse_http_url(
                "LINE_API_BASE_URL",
                &get("LINE_API_BASE_URL").unwrap_or_else(|| DEFAULT_LINE_API_BASE_URL.to_owned()),
            )?,
            liff_sdk_url: parse_http_url(
                "LIFF_SDK_URL",
                &get("LIFF_SDK_URL").unwrap_or_else(|| DEFAULT_LIFF_SDK_URL.to_owned()),
            )?,
            app_base_url: parse_http_url(
                "LINE_APP_BASE_URL",
                &get("LINE_APP_BASE_URL").unwrap_or_else(|| DEFAULT_LINE_APP_BASE_URL.to_owned()),
            )?,
            liff_url_base: parse_http_url(
                "LIFF_URL_BASE",
                &get("LIFF_URL_BASE").unwrap_or_else(|| DEFAULT_LIFF_URL_BASE.to_owned()),
            )?,
        };

        let demo = decide_demo(&line, force_demo || parse_bool("DEMO", get("DEMO"))?)?;
        // The demo gets a file of its own, so its made-up accounts never land in the shop's data.
        let default_database = if demo {
            DEMO_DATABASE_URL
        } else {
            DEFAULT_DATABASE_URL
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| default_database.to_owned());
        let database_kind = database_kind(&database_url)?;
        let sms = parse_sms(&get)?;
        let sms_price = match get("SMS_PRICE_TWD") {
            Some(text) => parse_sms_price(&text)?,
            None => SmsPrice::DEFAULT,
        };

        let webhook_worker = match get("WEBHOOK_WORKER") {
            None => true,
            value => parse_bool("WEBHOOK_WORKER", value)?,
        };

        let trust_forwarded_for =
            parse_bool("TRUST_X_FORWARDED_FOR", get("TRUST_X_FORWARDED_FOR"))?;

        let retention = parse_retention(&get)?;

        let (secret_key, secret_key_generated) = match get("SECRET_KEY") {
            Some(key) if key.len() >= 32 => (Secret::new(key), false),
            Some(_) => {
                return Err(SettingsError::new(
                    "SECRET_KEY",
                    "is shorter than 32 characters; generate one with `openssl rand -base64 48`",
                ));
            }
            None => (Secret::new(crate::domain::tokens::random_token(32)), true),
        };

        Ok(Settings {
            listen_addr,
            public_base_url,
            database_url,
            database_kind,
            line,
            sms,
            secret_key,
            secret_key_generated,
            demo,
            sms_price,
            webhook_worker,
            trust_forwarded_for,
            retention,
        })
    }

    /// `https` public URL: cookies get the `Secure` flag.
    pub fn cookies_secure(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }

    /// An absolute URL on this server for a path such as `/q/abc`.
    pub fn public_url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.public_base_url.as_str().trim_end_matches('/'),
            path
        )
    }
}
