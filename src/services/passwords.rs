//! Password hashing and checking (argon2id, `domain::password`) off the async threads, a few at a
//! time.
//!
//! One argon2 run takes about 19 MiB and tens of milliseconds of one core. Run on the async
//! threads it stalls every other request; run without a bound, a burst of sign-ins takes the
//! memory of the process past a gigabyte. So every run goes to `spawn_blocking` behind one
//! semaphore with as many permits as there are cores (more would only queue inside the CPU); a
//! request that cannot get a permit within [`QUEUE_WAIT`] is told the server is busy (503).
//!
//! One [`Passwords`] per process, built in `Application` (not per actix worker), in `Context`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::domain::password;
use crate::metrics::Metrics;

/// How long a request waits for a free hashing slot before it is told to try again.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("every password hashing slot stayed busy")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
}

/// The process's password hashing: bounded, off the async threads, counted in the metrics.
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    queue_wait: Duration,
    metrics: Arc<Metrics>,
}

impl Passwords {
    /// `slots` argon2 runs at once (at least one); a run waits at most `queue_wait` for a slot.
    pub fn new(slots: usize, queue_wait: Duration, metrics: Arc<Metrics>) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            queue_wait,
            metrics,
        }
    }

    /// One slot per core, [`QUEUE_WAIT`].
    pub fn per_core(metrics: Arc<Metrics>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, QUEUE_WAIT, metrics)
    }

    /// Checks a typed password against a stored hash. Without a stored hash (an unknown account)
    /// it checks against a dummy one, so the time taken does not tell which usernames exist.
    pub async fn verify(
        &self,
        typed: &str,
        stored_hash: Option<&str>,
    ) -> Result<bool, HashingError> {
        let typed = typed.to_owned();
        let stored_hash = stored_hash.map(str::to_owned);
        self.metrics.password_verified();
        self.run(move || {
            let stored = stored_hash.as_deref().unwrap_or_else(|| dummy_hash());
            password::verify_password(&typed, stored)
        })
        .await
    }

    /// Hashes a new password for storing.
    pub async fn hash(&self, new_password: &str) -> Result<String, HashingError> {
        let new_password = new_password.to_owned();
        self.metrics.password_hashed();
        self.run(move || password::hash_password(&new_password))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashingError::Busy)?
            .expect("the hashing semaphore is never closed");
        Ok(tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await?)
    }
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_password("not-a-real-password-only-for-timing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_off_the_async_threads_and_are_counted() {
        let metrics = Arc::new(Metrics::default());
        let passwords = Passwords::new(1, QUEUE_WAIT, metrics.clone());
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(
            passwords
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("wrong", Some(&hash)).await.unwrap());
        assert!(!passwords.verify("anything", None).await.unwrap());
        assert_eq!(metrics.password_verifications(), 3);
    }

    #[tokio::test]
    async fn a_request_that_finds_every_slot_busy_is_told_so() {
        let passwords = Passwords::new(1, Duration::from_millis(20), Arc::new(Metrics::default()));
        let held = passwords.slots.clone().acquire_owned().await.unwrap();
        let refused = passwords.hash("correct horse battery").await;
        assert!(matches!(refused, Err(HashingError::Busy)), "{refused:?}");
        drop(held);
        assert!(passwords.hash("correct horse battery").await.is_ok());
    }
}
