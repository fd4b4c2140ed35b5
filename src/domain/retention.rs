//! How long rows that hold personal data, or only pile up, are kept before housekeeping deletes
//! them: the settings `RETENTION_*_DAYS`, their defaults and the bounds they are checked against.
//! Pure; the deletes are in `services::housekeeping`.
//!
//! Defaults, and why:
//! - handled webhook events, 30 days: they hold LINE user ids, chat text and postbacks; a month is
//!   enough to look into a problem a shopper reports, and far beyond any redelivery by LINE;
//! - one-time codes, 7 days: a code lives 10 minutes and the per-phone, per-client and per-journey
//!   caps look back a day at most (a journey lasts 3 days); a week answers "I never got a code";
//! - funnel events, 400 days: the reports compare a month with the same month a year before;
//! - sign-in attempts, 90 days: a quarter of who tried to sign in from where, for a security review.
//!
//! 0 is refused rather than read as "keep forever": keeping personal data without end is what the
//! settings exist to prevent. The lower bound, 7 days, keeps every limit that counts recent rows
//! (SMS caps, one code series per journey, sign-in throttling, webhook redelivery) working.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

pub const MIN_DAYS: u32 = 7;
pub const MAX_DAYS: u32 = 3650;

/// Days each kind of row is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Webhook events once handled (or given up on); events waiting in the queue are never deleted.
    pub webhook_events: Days,
    /// One-time codes (the phone number they were sent to).
    pub one_time_codes: Days,
    pub funnel_events: Days,
    pub login_attempts: Days,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            webhook_events: Days(30),
            one_time_codes: Days(7),
            funnel_events: Days(400),
            login_attempts: Days(90),
        }
    }
}

/// A retention period: a whole number of days from [`MIN_DAYS`] to [`MAX_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Days(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a number of days from {MIN_DAYS} to {MAX_DAYS} (0 would keep nothing and is refused)"
)]
pub struct DaysError {
    pub text: String,
}

impl Days {
    pub fn parse(text: &str) -> Result<Self, DaysError> {
        match text.trim().parse::<u32>() {
            Ok(days) if (MIN_DAYS..=MAX_DAYS).contains(&days) => Ok(Self(days)),
            _ => Err(DaysError {
                text: text.to_owned(),
            }),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Rows from before this instant are past their retention.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.0))
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} days", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_whole_numbers_within_the_bounds() {
        assert_eq!(Days::parse("30").unwrap().get(), 30);
        assert_eq!(Days::parse(" 7 ").unwrap().get(), 7);
        assert_eq!(Days::parse("3650").unwrap().get(), 3650);
        for bad in ["0", "-1", "6", "3651", "30d", "1.5", "", "forever"] {
            let err = Days::parse(bad).unwrap_err();
            assert!(err.to_string().contains("from 7 to 3650"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_defaults_are_within_the_bounds() {
        let defaults = Retention::default();
        for days in [
            defaults.webhook_events,
            defaults.one_time_codes,
            defaults.funnel_events,
            defaults.login_attempts,
        ] {
            assert_eq!(Days::parse(&days.get().to_string()), Ok(days));
        }
    }

    #[test]
    fn the_cutoff_is_that_many_days_back() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Days(30).cutoff(now).to_rfc3339(),
            "2026-11-05T12:00:00+00:00"
        );
    }
}
