//! Settings from the environment (and `.env`), validated once at start.
//!
//! Every setting is listed in `.env.example` with its default. A bad value stops the start with one
//! line that names the setting and says how to fix it ([`SettingsError`]); secrets are held in
//! [`Secret`], whose `Debug` never shows the value.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use url::Url;

use crate::domain::retention::{Days, Retention};

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

fn database_kind(url: &str) -> Result<DatabaseKind, SettingsError> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" => Ok(DatabaseKind::Sqlite),
        "postgres" | "postgresql" => Ok(DatabaseKind::Postgres),
        _ => Err(SettingsError::new(
            "DATABASE_URL",
            format!(
                "the scheme {scheme:?} is not supported; use sqlite://path/to/file.db or postgres://user@host:5432/dbname"
            ),
        )),
    }
}

fn parse_http_url(name: &'static str, text: &str) -> Result<Url, SettingsError> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(SettingsError::new(
            name,
            format!("{text:?} is not an http(s) URL; use for example https://shop.example.com"),
        )),
    }
}

fn parse_bool(name: &'static str, value: Option<String>) -> Result<bool, SettingsError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => Err(SettingsError::new(
            name,
            format!("{other:?} is not a yes/no value; use true or false"),
        )),
    }
}

/// LINE basic IDs look like `@123abcde`; the `@` is part of the ID and is added when missing.
fn parse_basic_id(text: &str) -> Result<String, SettingsError> {
    let id = text.strip_prefix('@').unwrap_or(text);
    if !id.is_empty()
        && id.len() <= 40
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Ok(format!("@{id}"))
    } else {
        Err(SettingsError::new(
            "LINE_OA_BASIC_ID",
            format!(
                "{text:?} is not a LINE basic ID; copy it from the OA Manager, for example @123abcde"
            ),
        ))
    }
}

fn parse_channel_id(text: &str) -> Result<String, SettingsError> {
    if !text.is_empty() && text.len() <= 20 && text.chars().all(|c| c.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(SettingsError::new(
            "LINE_LOGIN_CHANNEL_ID",
            format!(
                "{text:?} is not a channel ID; it is the number shown on the LINE Login channel's Basic settings tab"
            ),
        ))
    }
}

fn parse_liff_id(text: &str) -> Result<String, SettingsError> {
    let valid = text.split_once('-').is_some_and(|(channel, rest)| {
        !channel.is_empty()
            && channel.chars().all(|c| c.is_ascii_digit())
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(SettingsError::new(
            "LIFF_ID",
            format!(
                "{text:?} is not a LIFF ID; copy it from the LIFF tab of the LINE Login channel, for example 1234567890-AbCdEfGh"
            ),
        ))
    }
}

/// `0.85`, `1`, `1.5`: dollars with at most two decimals, at most 100 per message.
fn parse_sms_price(text: &str) -> Result<SmsPrice, SettingsError> {
    let refuse = || {
        SettingsError::new(
            "SMS_PRICE_TWD",
            format!(
                "{text:?} is not a price per SMS; use New Taiwan dollars with at most two decimals, for example 0.85"
            ),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !digits(whole)
        || !digits(fraction)
    {
        return Err(refuse());
    }
    let whole: u32 = whole.parse().map_err(|_| refuse())?;
    let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| refuse())?;
    let hundredths_twd = whole * 100 + fraction;
    if hundredths_twd > 100 * 100 {
        return Err(refuse());
    }
    Ok(SmsPrice { hundredths_twd })
}

/// `RETENTION_*_DAYS`: each a number of days (`domain::retention`), the default when unset.
fn parse_retention(get: &dyn Fn(&str) -> Option<String>) -> Result<Retention, SettingsError> {
    let defaults = Retention::default();
    let days = |name: &'static str, default: Days| match get(name) {
        None => Ok(default),
        Some(text) => Days::parse(&text).map_err(|err| {
            SettingsError::new(name, format!("{err}; the default is {}", default.get()))
        }),
    };
    Ok(Retention {
        webhook_events: days("RETENTION_WEBHOOK_EVENTS_DAYS", defaults.webhook_events)?,
        one_time_codes: days("RETENTION_OTP_DAYS", defaults.one_time_codes)?,
        funnel_events: days("RETENTION_FUNNEL_EVENTS_DAYS", defaults.funnel_events)?,
        login_attempts: days("RETENTION_LOGIN_ATTEMPTS_DAYS", defaults.login_attempts)?,
    })
}

/// Demo mode only when no LINE credential is set; real credentials and demo never mix.
fn decide_demo(line: &LineSettings, demo_requested: bool) -> Result<bool, SettingsError> {
    let has_secret = line.channel_secret.is_some();
    let has_token = line.channel_access_token.is_some();
    match (has_secret, has_token) {
        (false, false) => Ok(true),
        (true, true) if demo_requested => Err(SettingsError::new(
            "DEMO",
            "demo mode was asked for but LINE credentials are set; unset LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN, or drop --demo/DEMO",
        )),
        (true, true) => Ok(false),
        (true, false) => Err(SettingsError::new(
            "LINE_CHANNEL_ACCESS_TOKEN",
            "is missing while LINE_CHANNEL_SECRET is set; copy the long-lived channel access token from the Messaging API tab",
        )),
        (false, true) => Err(SettingsError::new(
            "LINE_CHANNEL_SECRET",
            "is missing while LINE_CHANNEL_ACCESS_TOKEN is set; copy the channel secret from the Basic settings tab",
        )),
    }
}

fn parse_sms(get: &dyn Fn(&str) -> Option<String>) -> Result<SmsSettings, SettingsError> {
    let required = |name: &'static str, provider: &str| {
        get(name).ok_or_else(|| {
            SettingsError::new(
                name,
                format!("is required when SMS_PROVIDER={provider}; set it to the value from your {provider} account"),
            )
        })
    };
    let base_url = |name: &'static str, default: &str| {
        parse_http_url(name, &get(name).unwrap_or_else(|| default.to_owned()))
    };
    let provider = get("SMS_PROVIDER").unwrap_or_else(|| "log".to_owned());
    match provider.to_ascii_lowercase().as_str() {
        "log" => Ok(SmsSettings::Log),
        "mitake" => Ok(SmsSettings::Mitake {
            username: required("MITAKE_USERNAME", "mitake")?,
            password: Secret::new(required("MITAKE_PASSWORD", "mitake")?),
            api_base_url: base_url("MITAKE_API_BASE_URL", "https://smsapi.mitake.com.tw")?,
        }),
        "every8d" => Ok(SmsSettings::Every8d {
            uid: required("EVERY8D_UID", "every8d")?,
            password: Secret::new(required("EVERY8D_PASSWORD", "every8d")?),
            api_base_url: base_url("EVERY8D_API_BASE_URL", "https://oms.every8d.com")?,
        }),
        "twilio" => Ok(SmsSettings::Twilio {
            account_sid: required("TWILIO_ACCOUNT_SID", "twilio")?,
            auth_token: Secret::new(required("TWILIO_AUTH_TOKEN", "twilio")?),
            from: required("TWILIO_FROM", "twilio")?,
            api_base_url: base_url("TWILIO_API_BASE_URL", "https://api.twilio.com")?,
        }),
        other => Err(SettingsError::new(
            "SMS_PROVIDER",
            format!("{other:?} is not a known SMS provider; use log, mitake, every8d or twilio"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_sqlite_and_demo() {
        let settings = Settings::from_vars(&vars(&[]), false).unwrap();
        assert_eq!(settings.listen_addr.to_string(), DEFAULT_LISTEN_ADDR);
        assert_eq!(settings.database_kind, DatabaseKind::Sqlite);
        assert!(settings.demo);
        assert_eq!(settings.database_url, DEMO_DATABASE_URL);
        assert!(settings.secret_key_generated);
        assert_eq!(settings.public_url("/q/x"), "http://127.0.0.1:8080/q/x");
    }

    #[test]
    fn malformed_listen_addr_names_the_setting() {
        let err = Settings::from_vars(&vars(&[("LISTEN_ADDR", "nonsense")]), false).unwrap_err();
        assert_eq!(err.name, "LISTEN_ADDR");
        assert!(err.to_string().contains("host:port"), "{err}");
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let err =
            Settings::from_vars(&vars(&[("DATABASE_URL", "mysql://x/y")]), false).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        assert!(err.to_string().contains("\"mysql\""), "{err}");
    }

    #[test]
    fn half_set_line_credentials_are_refused() {
        let err = Settings::from_vars(&vars(&[("LINE_CHANNEL_SECRET", "s")]), false).unwrap_err();
        assert_eq!(err.name, "LINE_CHANNEL_ACCESS_TOKEN");
    }

    #[test]
    fn demo_cannot_be_forced_with_real_credentials() {
        let v = vars(&[
            ("LINE_CHANNEL_SECRET", "s"),
            ("LINE_CHANNEL_ACCESS_TOKEN", "t"),
        ]);
        let real = Settings::from_vars(&v, false).unwrap();
        assert!(!real.demo);
        assert_eq!(real.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(Settings::from_vars(&v, true).unwrap_err().name, "DEMO");
    }

    #[test]
    fn sms_provider_needs_its_credentials() {
        let err = Settings::from_vars(&vars(&[("SMS_PROVIDER", "mitake")]), false).unwrap_err();
        assert_eq!(err.name, "MITAKE_USERNAME");
        let err = Settings::from_vars(&vars(&[("SMS_PROVIDER", "pigeon")]), false).unwrap_err();
        assert_eq!(err.name, "SMS_PROVIDER");
    }

    #[test]
    fn basic_id_gets_its_at_sign() {
        let s = Settings::from_vars(&vars(&[("LINE_OA_BASIC_ID", "123abcde")]), false).unwrap();
        assert_eq!(s.line.oa_basic_id.as_deref(), Some("@123abcde"));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let v = vars(&[
            ("LINE_CHANNEL_SECRET", "super-secret-value"),
            ("LINE_CHANNEL_ACCESS_TOKEN", "token-value"),
        ]);
        let text = format!("{:?}", Settings::from_vars(&v, false).unwrap());
        assert!(!text.contains("super-secret-value"));
        assert!(!text.contains("token-value"));
    }

    #[test]
    fn webhook_worker_is_on_unless_turned_off() {
        let worker = |value: Option<&str>| {
            let vars = match value {
                Some(value) => vars(&[("WEBHOOK_WORKER", value)]),
                None => vars(&[]),
            };
            Settings::from_vars(&vars, false).map(|s| s.webhook_worker)
        };
        assert!(worker(None).unwrap());
        assert!(!worker(Some("false")).unwrap());
        assert!(worker(Some("on")).unwrap());
        assert_eq!(worker(Some("maybe")).unwrap_err().name, "WEBHOOK_WORKER");
    }

    #[test]
    fn sms_price_is_dollars_with_two_decimals() {
        let price = |text: &str| {
            Settings::from_vars(&vars(&[("SMS_PRICE_TWD", text)]), false)
                .map(|s| s.sms_price.hundredths_twd)
        };
        assert_eq!(
            Settings::from_vars(&vars(&[]), false).unwrap().sms_price,
            SmsPrice::DEFAULT
        );
        assert_eq!(price("0.85"), Ok(85));
        assert_eq!(price("1.5"), Ok(150));
        assert_eq!(price("2"), Ok(200));
        for bad in ["-1", "1.234", "abc", "1,5", ".5", "101"] {
            assert_eq!(price(bad).unwrap_err().name, "SMS_PRICE_TWD", "{bad}");
        }
    }

    #[test]
    fn retention_days_default_and_are_checked() {
        let settings = Settings::from_vars(&vars(&[]), false).unwrap();
        assert_eq!(settings.retention, Retention::default());
        let settings = Settings::from_vars(
            &vars(&[
                ("RETENTION_WEBHOOK_EVENTS_DAYS", "60"),
                ("RETENTION_OTP_DAYS", "14"),
            ]),
            false,
        )
        .unwrap();
        assert_eq!(settings.retention.webhook_events.get(), 60);
        assert_eq!(settings.retention.one_time_codes.get(), 14);
        assert_eq!(settings.retention.funnel_events.get(), 400);
        for (name, value) in [
            ("RETENTION_WEBHOOK_EVENTS_DAYS", "0"),
            ("RETENTION_OTP_DAYS", "-1"),
            ("RETENTION_FUNNEL_EVENTS_DAYS", "forever"),
            ("RETENTION_LOGIN_ATTEMPTS_DAYS", "3"),
        ] {
            let err = Settings::from_vars(&vars(&[(name, value)]), false).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.problem.contains("from 7 to 3650"), "{err}");
            assert!(err.problem.contains("the default is"), "{err}");
        }
    }

    #[test]
    fn short_secret_key_is_refused() {
        let err = Settings::from_vars(&vars(&[("SECRET_KEY", "short")]), false).unwrap_err();
        assert_eq!(err.name, "SECRET_KEY");
    }
}
