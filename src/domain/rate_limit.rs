//! Token buckets per key: each client address (or journey) may do `burst` things at once and then
//! one every `refill` — enough for a queue of shoppers behind one mobile carrier's shared address,
//! far too little for a bot that scans a poster in a loop to fill the database.
//!
//! Pure: the caller passes the time. The map of keys is bounded: idle entries are dropped when it
//! grows, and if it is still full (a flood from very many addresses) it starts over, which only
//! ever errs on the side of letting people through. [`SharedRateLimiter`] is the one instance a
//! process keeps for a kind of limit (built once in `Application`, shared by every worker).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::client_network::network;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed at once from a quiet key.
    pub burst: u32,
    /// One more request is allowed every `refill`.
    pub refill: Duration,
    /// Keys remembered at most.
    pub max_addresses: usize,
}

impl RateLimit {
    /// Scans per client address: 30 at once, then one every 2 seconds.
    pub const SCANS: RateLimit = RateLimit {
        burst: 30,
        refill: Duration::from_secs(2),
        max_addresses: 100_000,
    };

    /// LIFF binds per client address (each costs several LINE Login calls): as many as scans.
    pub const LIFF_BINDS_PER_ADDRESS: RateLimit = RateLimit::SCANS;

    /// LIFF binds per journey: one shopper's tries (not a friend yet, a wrong SMS code, a retry
    /// after LINE was down), 10 at once, then one every 6 seconds.
    pub const LIFF_BINDS_PER_JOURNEY: RateLimit = RateLimit {
        burst: 10,
        refill: Duration::from_secs(6),
        max_addresses: 100_000,
    };
}

/// What a bucket is kept for.
pub trait LimitKey: Eq + Hash {
    /// The bucket this key counts in.
    fn bucket(self) -> Self;
}

/// IPv6 addresses count per /64 (`client_network`).
impl LimitKey for IpAddr {
    fn bucket(self) -> Self {
        network(self)
    }
}

/// A journey id (or any other name) is its own bucket.
impl LimitKey for String {
    fn bucket(self) -> Self {
        self
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens left, in units of 1/1000 of a request (whole numbers, no float drift).
    milli: u64,
    updated: Instant,
}

/// The buckets of every key seen recently.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    limit: RateLimit,
    buckets: HashMap<K, Bucket>,
}

impl<K: LimitKey> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// Takes one request from `key`'s bucket: `Ok` if allowed, `Err(wait)` until the next one
    /// would be.
    pub fn check(&mut self, key: K, now: Instant) -> Result<(), Duration> {
        let key = key.bucket();
        let full = u64::from(self.limit.burst) * 1000;
        if !self.buckets.contains_key(&key) && self.buckets.len() >= self.limit.max_addresses {
            self.forget_idle(now);
            if self.buckets.len() >= self.limit.max_addresses {
                self.buckets.clear();
            }
        }
        let refill_ms = self.limit.refill.as_millis().max(1) as u64;
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            milli: full,
            updated: now,
        });
        let elapsed_ms = now.saturating_duration_since(bucket.updated).as_millis() as u64;
        bucket.milli = (bucket.milli + elapsed_ms.saturating_mul(1000) / refill_ms).min(full);
        bucket.updated = now;
        if bucket.milli >= 1000 {
            bucket.milli -= 1000;
            Ok(())
        } else {
            let missing = 1000 - bucket.milli;
            Err(Duration::from_millis((missing * refill_ms).div_ceil(1000)))
        }
    }

    /// Drops keys whose bucket has filled up again: they are as good as new.
    fn forget_idle(&mut self, now: Instant) {
        let refill_all = self.limit.refill * self.limit.burst;
        self.buckets
            .retain(|_, b| now.saturating_duration_since(b.updated) < refill_all);
    }

    pub fn addresses(&self) -> usize {
        self.buckets.len()
    }
}

/// One [`RateLimiter`] shared by every worker of the process.
#[derive(Debug, Clone)]
pub struct SharedRateLimiter<K = IpAddr>(Arc<Mutex<RateLimiter<K>>>);

impl<K: LimitKey> SharedRateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        Self(Arc::new(Mutex::new(RateLimiter::new(limit))))
    }

    /// [`RateLimiter::check`] at `now`.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-check; the map is still usable.
        let mut limiter = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiter.check(key, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        burst: 3,
        refill: Duration::from_secs(2),
        max_addresses: 4,
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_for_the_refill() {
        let mut limiter = RateLimiter::new(LIMIT);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip("10.0.0.1"), t0), Ok(()));
        }
        assert_eq!(
            limiter.check(ip("10.0.0.1"), t0),
            Err(Duration::from_secs(2))
        );
        // Another address is not affected.
        assert_eq!(limiter.check(ip("10.0.0.2"), t0), Ok(()));
        // Half a refill later: still waiting, for the other half.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(
            limiter.check(ip("10.0.0.1"), t1),
            Err(Duration::from_secs(1))
        );
        let t2 = t0 + Duration::from_secs(2);
        assert_eq!(limiter.check(ip("10.0.0.1"), t2), Ok(()));
        assert!(limiter.check(ip("10.0.0.1"), t2).is_err());
    }

    #[test]
    fn a_quiet_address_is_refilled_only_up_to_the_burst() {
        let mut limiter = RateLimiter::new(LIMIT);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(limiter.check(ip("10.0.0.1"), t0), Ok(()));
        for _ in 0..3 {
            assert_eq!(limiter.check(ip("10.0.0.1"), later), Ok(()));
        }
        assert!(limiter.check(ip("10.0.0.1"), later).is_err());
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_bucket() {
        let mut limiter = RateLimiter::new(LIMIT);
        let t0 = Instant::now();
        for host in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"] {
            assert_eq!(limiter.check(ip(host), t0), Ok(()));
        }
        assert!(limiter.check(ip("2001:db8:1:2::77"), t0).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), t0), Ok(()));
        // IPv4 written as IPv6 is the IPv4 address.
        assert_eq!(limiter.check(ip("::ffff:10.0.0.9"), t0), Ok(()));
        assert_eq!(limiter.check(ip("10.0.0.9"), t0), Ok(()));
    }

    #[test]
    fn journeys_count_apart() {
        let mut limiter = RateLimiter::<String>::new(LIMIT);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("journey-a".to_owned(), t0), Ok(()));
        }
        assert!(limiter.check("journey-a".to_owned(), t0).is_err());
        assert_eq!(limiter.check("journey-b".to_owned(), t0), Ok(()));
    }

    #[test]
    fn the_map_of_addresses_stays_bounded() {
        let mut limiter = RateLimiter::new(LIMIT);
        let t0 = Instant::now();
        for i in 0..100u8 {
            let _ = limiter.check(IpAddr::from([10, 1, 0, i]), t0);
            assert!(limiter.addresses() <= LIMIT.max_addresses);
        }
        // Idle addresses make room before anything is forgotten wholesale.
        let mut limiter = RateLimiter::new(LIMIT);
        for i in 0..4u8 {
            limiter.check(IpAddr::from([10, 2, 0, i]), t0).unwrap();
        }
        let later = t0 + Duration::from_secs(60);
        limiter.check(ip("10.9.9.9"), later).unwrap();
        assert_eq!(limiter.addresses(), 1);
    }
}
