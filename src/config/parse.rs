//! How each setting's text becomes a value, with the error a person reads when it cannot.

use url::Url;

use crate::domain::retention::Days;
use crate::domain::retention::Retention;

use super::{DatabaseKind, LineSettings, Secret, SettingsError, SmsPrice, SmsSettings};

pub(super) fn database_kind(url: &str) -> Result<DatabaseKind, SettingsError> {
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

pub(super) fn parse_http_url(name: &'static str, text: &str) -> Result<Url, SettingsError> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(SettingsError::new(
            name,
            format!("{text:?} is not an http(s) URL; use for example https://shop.example.com"),
        )),
    }
}

pub(super) fn parse_bool(name: &'static str, value: Option<String>) -> Result<bool, SettingsError> {
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
pub(super) fn parse_basic_id(text: &str) -> Result<String, SettingsError> {
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

pub(super) fn parse_channel_id(text: &str) -> Result<String, SettingsError> {
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

pub(super) fn parse_liff_id(text: &str) -> Result<String, SettingsError> {
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
pub(super) fn parse_sms_price(text: &str) -> Result<SmsPrice, SettingsError> {
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

/// Demo mode only when no LINE credential is set; real credentials and demo never mix.
pub(super) fn decide_demo(
    line: &LineSettings,
    demo_requested: bool,
) -> Result<bool, SettingsError> {
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

pub(super) fn parse_sms(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<SmsSettings, SettingsError> {
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

/// `RETENTION_*_DAYS`: each a number of days (`domain::retention`), the default when unset.
pub(super) fn parse_retention(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Retention, SettingsError> {
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
