//! Login throttling: how many failed sign-ins an account and a client address get before further
//! tries are refused for a while. Guessing passwords stays slow even across many accounts (the
//! per-address limit) or from many addresses (the per-account limit).

use chrono::{DateTime, Duration, Utc};

/// Failures counted within this window.
pub const WINDOW_MINUTES: i64 = 15;
/// Failures per account within the window before the account is paused.
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// Failures per client address within the window before that address is paused.
pub const MAX_FAILURES_PER_IP: usize = 20;

pub fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// Decides whether a sign-in may be tried now, from the recent failures of the account and of the
/// client address (each within [`window`]). `Err(until)` says when the next try is allowed.
pub fn check(
    account_failures: &[DateTime<Utc>],
    ip_failures: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    let until = [
        paused_until(account_failures, MAX_FAILURES_PER_ACCOUNT, now),
        paused_until(ip_failures, MAX_FAILURES_PER_IP, now),
    ]
    .into_iter()
    .flatten()
    .max();
    match until {
        Some(until) => Err(until),
        None => Ok(()),
    }
}

/// With `limit` or more failures in the window, the pause lasts until enough of them have aged out
/// of the window to leave `limit - 1`.
fn paused_until(
    failures: &[DateTime<Utc>],
    limit: usize,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut recent: Vec<DateTime<Utc>> = failures
        .iter()
        .copied()
        .filter(|at| *at > now - window())
        .collect();
    if recent.len() < limit {
        return None;
    }
    recent.sort_unstable();
    // The try after this many have expired brings the count back under the limit.
    let index = recent.len() - limit;
    Some(recent[index] + window())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::minutes(minutes_ago)
    }

    #[test]
    fn four_account_failures_still_allow_a_try() {
        let now = Utc::now();
        let failures: Vec<_> = (1..=4).map(|m| at(m, now)).collect();
        assert_eq!(check(&failures, &failures, now), Ok(()));
    }

    #[test]
    fn the_fifth_account_failure_pauses_until_the_oldest_ages_out() {
        let now = Utc::now();
        let failures: Vec<_> = (1..=5).map(|m| at(m, now)).collect();
        assert_eq!(check(&failures, &[], now), Err(at(5, now) + window()));
    }

    #[test]
    fn old_failures_do_not_count() {
        let now = Utc::now();
        let failures: Vec<_> = (16..=30).map(|m| at(m, now)).collect();
        assert_eq!(check(&failures, &failures, now), Ok(()));
    }

    #[test]
    fn twenty_failures_from_one_address_pause_it() {
        let now = Utc::now();
        let failures: Vec<_> = (0..20).map(|s| now - Duration::seconds(s * 10)).collect();
        assert!(check(&[], &failures, now).is_err());
        assert_eq!(check(&[], &failures[..19], now), Ok(()));
    }
}
