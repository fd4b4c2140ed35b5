//! SMS providers behind one small interface: [`SmsProvider::send`] hands one text to one Taiwan
//! mobile and says what happened. Chosen by `SMS_PROVIDER` (see `config::SmsSettings`):
//!
//! - `log` ([`log::LogSender`]): sends nothing; writes the message to the log and keeps the last
//!   messages in an in-memory [`Outbox`] that the demo shows on screen and browser tests read.
//! - `mitake` (三竹資訊, [`mitake`]), `every8d` (互動資通, [`every8d`]), `twilio` ([`twilio`]): over
//!   HTTP with one reqwest client with timeouts; base URL and credentials from settings, so tests
//!   point them at a fake server.
//!
//! What a failure means matters more than its text: [`SmsError::surely_not_sent`] separates "the
//! gateway never got it or refused it" (nothing sent, nothing charged, safe to try again) from
//! "unknown" (a timeout after the request went out, a server error, an unreadable answer: the
//! message may be on its way and billed). Only a failed connection — the request never left — is
//! retried here; everything else is reported once, so a shopper never gets the same code twice
//! because of us. Only this module (and `line`) knows reqwest.

pub mod every8d;
pub mod log;
pub mod mitake;
pub mod twilio;

use std::time::Duration;

use crate::config::SmsSettings;
use crate::domain::phone::TaiwanMobile;

pub use self::log::{LogSender, Outbox, OutboxMessage};
pub use self::{every8d::Every8dSender, mitake::MitakeSender, twilio::TwilioSender};

/// Tries in all when the gateway cannot be connected to (the only failure that is retried).
const CONNECT_TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The configured SMS gateway. Cheap to clone (the HTTP client and the outbox are shared).
#[derive(Clone, Debug)]
pub enum SmsProvider {
    Log(LogSender),
    Mitake(MitakeSender),
    Every8d(Every8dSender),
    Twilio(TwilioSender),
}

/// What the gateway said when it took the message.
#[derive(Debug, Clone, PartialEq)]
pub struct SmsReceipt {
    /// The gateway's id for the message, for support requests and delivery reports.
    pub provider_message_id: Option<String>,
    /// Billed parts (long or Chinese texts are split into several).
    pub cost_units: i32,
    /// Credit left on the account, when the gateway reports it (三竹 points, every8d credit).
    pub credit_left: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The connection failed: the request never reached the gateway. Not sent, not charged.
    #[error("the SMS gateway could not be reached: {0}")]
    Unreachable(String),
    /// The gateway answered and refused the message before accepting it. Not sent, not charged.
    #[error("the SMS gateway refused the message ({code}): {message}")]
    Rejected { code: String, message: String },
    /// The request went out but the outcome is unknown (timeout, server error, unreadable answer):
    /// the message may have been sent and billed, so it is never sent again automatically.
    #[error("unknown whether the SMS was sent: {0}")]
    Uncertain(String),
}

impl SmsError {
    /// Nothing went out and nothing was charged: the caller may try again and need not count it.
    pub fn surely_not_sent(&self) -> bool {
        !matches!(self, SmsError::Uncertain(_))
    }
}

/// Timeouts of the HTTP client. Tests shorten them to exercise a slow gateway quickly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            total: Duration::from_secs(15),
        }
    }
}

impl SmsProvider {
    /// The provider the settings name, with the default timeouts.
    pub fn from_settings(settings: &SmsSettings) -> Self {
        Self::with_timeouts(settings, Timeouts::default())
    }

    pub fn with_timeouts(settings: &SmsSettings, timeouts: Timeouts) -> Self {
        match settings {
            SmsSettings::Log => SmsProvider::Log(LogSender::new()),
            SmsSettings::Mitake {
                username,
                password,
                api_base_url,
            } => SmsProvider::Mitake(MitakeSender::new(
                http_client(timeouts),
                api_base_url.clone(),
                username.clone(),
                password.clone(),
            )),
            SmsSettings::Every8d {
                uid,
                password,
                api_base_url,
            } => SmsProvider::Every8d(Every8dSender::new(
                http_client(timeouts),
                api_base_url.clone(),
                uid.clone(),
                password.clone(),
            )),
            SmsSettings::Twilio {
                account_sid,
                auth_token,
                from,
                api_base_url,
            } => SmsProvider::Twilio(TwilioSender::new(
                http_client(timeouts),
                api_base_url.clone(),
                account_sid.clone(),
                auth_token.clone(),
                from.clone(),
            )),
        }
    }

    /// The `SMS_PROVIDER` value, recorded with each message.
    pub fn name(&self) -> &'static str {
        match self {
            SmsProvider::Log(_) => "log",
            SmsProvider::Mitake(_) => "mitake",
            SmsProvider::Every8d(_) => "every8d",
            SmsProvider::Twilio(_) => "twilio",
        }
    }

    /// The messages "sent" by the `log` provider; `None` for real gateways.
    pub fn outbox(&self) -> Option<&Outbox> {
        match self {
            SmsProvider::Log(sender) => Some(sender.outbox()),
            _ => None,
        }
    }

    /// Hands one text to the gateway. A failed connection is retried (with backoff) because the
    /// request never left; nothing else is.
    pub async fn send(&self, to: &TaiwanMobile, text: &str) -> Result<SmsReceipt, SmsError> {
        if let SmsProvider::Log(sender) = self {
            return Ok(sender.send(to, text));
        }
        let mut backoff = FIRST_BACKOFF;
        let mut tries = 1;
        loop {
            let result = match self {
                SmsProvider::Log(_) => unreachable!("handled above"),
                SmsProvider::Mitake(sender) => sender.send(to, text).await,
                SmsProvider::Every8d(sender) => sender.send(to, text).await,
                SmsProvider::Twilio(sender) => sender.send(to, text).await,
            };
            match result {
                Err(SmsError::Unreachable(detail)) if tries < CONNECT_TRIES => {
                    tracing::warn!(provider = self.name(), try_number = tries, %detail, "SMS gateway unreachable; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    tries += 1;
                }
                other => return other,
            }
        }
    }
}

fn http_client(timeouts: Timeouts) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .user_agent(concat!("store-assistant/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with static settings")
}

/// Sorts a transport error: a failed connection means the request never left; anything after that
/// (a timeout waiting for the answer, a reset connection) leaves the outcome unknown.
fn transport_error(err: reqwest::Error) -> SmsError {
    let err = err.without_url();
    if err.is_connect() || err.is_builder() {
        SmsError::Unreachable(err.to_string())
    } else {
        SmsError::Uncertain(err.to_string())
    }
}

/// An HTTP error status without a readable refusal: 4xx means the gateway turned the request away
/// (not sent); 5xx and anything else leaves the outcome unknown.
fn status_error(status: reqwest::StatusCode, body: &str) -> SmsError {
    let snippet: String = body.chars().take(200).collect();
    if status.is_client_error() {
        SmsError::Rejected {
            code: format!("http {}", status.as_u16()),
            message: snippet,
        }
    } else {
        SmsError::Uncertain(format!("HTTP {}: {snippet}", status.as_u16()))
    }
}

/// Joins a base URL (which may carry a path prefix) and an absolute API path.
fn endpoint(base: &url::Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}
