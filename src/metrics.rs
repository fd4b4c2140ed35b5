//! In-process counters, rendered in the Prometheus text format at `GET /metrics`.
//!
//! Deliberately small: plain atomics with fixed label sets (event types are LINE's known types plus
//! `unknown`), so a flood of made-up event types cannot grow memory, and no metrics crate is needed.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::line::events::KNOWN_EVENT_TYPES;

/// What processing an event came to; one counter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (whatever the event asked for, including nothing).
    Processed,
    /// Failed this time; will be tried again after a backoff.
    Retried,
    /// Failed for good (not retryable, or out of attempts).
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Processed, Outcome::Retried, Outcome::Failed];

    fn label(self) -> &'static str {
        match self {
            Outcome::Processed => "processed",
            Outcome::Retried => "retried",
            Outcome::Failed => "failed",
        }
    }
}

/// Upper bounds (seconds) of the processing-latency histogram buckets.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0];

#[derive(Default)]
pub struct Metrics {
    /// Indexed like `KNOWN_EVENT_TYPES`; the extra last slot counts unknown types.
    events_received: [AtomicU64; KNOWN_EVENT_TYPES.len() + 1],
    outcomes: [AtomicU64; 3],
    signature_failures: AtomicU64,
    bad_bodies: AtomicU64,
    line_api_errors: AtomicU64,
    password_verifications: AtomicU64,
    password_hashes: AtomicU64,
    order_deliveries_together: AtomicU64,
    order_deliveries_one_by_one: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    pub fn event_received(&self, event_type: &str) {
        let index = KNOWN_EVENT_TYPES
            .iter()
            .position(|known| *known == event_type)
            .unwrap_or(KNOWN_EVENT_TYPES.len());
        self.events_received[index].fetch_add(1, Relaxed);
    }

    pub fn signature_failure(&self) {
        self.signature_failures.fetch_add(1, Relaxed);
    }

    pub fn bad_body(&self) {
        self.bad_bodies.fetch_add(1, Relaxed);
    }

    pub fn line_api_error(&self) {
        self.line_api_errors.fetch_add(1, Relaxed);
    }

    /// One event handled by the worker: how it ended and how long the handling took.
    pub fn event_handled(&self, outcome: Outcome, took: Duration) {
        let index = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.outcomes[index].fetch_add(1, Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_micros
            .fetch_add(took.as_micros().min(u64::MAX as u128) as u64, Relaxed);
    }

    /// One password checked against a stored hash (sign-in, password change).
    pub fn password_verified(&self) {
        self.password_verifications.fetch_add(1, Relaxed);
    }

    /// One new password hashed (account created, reset, changed).
    pub fn password_hashed(&self) {
        self.password_hashes.fetch_add(1, Relaxed);
    }

    /// Order-webhook deliveries written by the group commit: `together` as a batch's new orders
    /// in one set of statements, `one_by_one` each on its own (under a savepoint or in a
    /// transaction of its own).
    pub fn order_deliveries_written(&self, together: usize, one_by_one: usize) {
        self.order_deliveries_together
            .fetch_add(together as u64, Relaxed);
        self.order_deliveries_one_by_one
            .fetch_add(one_by_one as u64, Relaxed);
    }

    /// (together, one by one): see [`Metrics::order_deliveries_written`].
    pub fn order_deliveries(&self) -> (u64, u64) {
        (
            self.order_deliveries_together.load(Relaxed),
            self.order_deliveries_one_by_one.load(Relaxed),
        )
    }

    pub fn password_verifications(&self) -> u64 {
        self.password_verifications.load(Relaxed)
    }

    pub fn signature_failures(&self) -> u64 {
        self.signature_failures.load(Relaxed)
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP store_assistant_webhook_events_received_total LINE webhook events received with a valid signature, by type."
        )?;
        writeln!(
            out,
            "# TYPE store_assistant_webhook_events_received_total counter"
        )?;
        let labels = KNOWN_EVENT_TYPES.iter().copied().chain(["unknown"]);
        for (label, count) in labels.zip(&self.events_received) {
            writeln!(
                out,
                "store_assistant_webhook_events_received_total{{type=\"{label}\"}} {}",
                count.load(Relaxed)
            )?;
        }

        writeln!(
            out,
            "# HELP store_assistant_webhook_events_handled_total Webhook events handled by the worker, by outcome."
        )?;
        writeln!(
            out,
            "# TYPE store_assistant_webhook_events_handled_total counter"
        )?;
        for (outcome, count) in Outcome::ALL.iter().zip(&self.outcomes) {
            writeln!(
                out,
                "store_assistant_webhook_events_handled_total{{outcome=\"{}\"}} {}",
                outcome.label(),
                count.load(Relaxed)
            )?;
        }

        for (name, help, value) in [
            (
                "store_assistant_webhook_signature_failures_total",
                "Webhook requests refused for a missing, malformed or wrong X-Line-Signature.",
                &self.signature_failures,
            ),
            (
                "store_assistant_webhook_bad_bodies_total",
                "Webhook requests with a valid signature whose body is not a LINE webhook body.",
                &self.bad_bodies,
            ),
            (
                "store_assistant_line_api_errors_total",
                "LINE Messaging API calls made by the webhook worker that failed.",
                &self.line_api_errors,
            ),
            (
                "store_assistant_password_verifications_total",
                "Passwords checked against a stored argon2 hash (sign-ins, password changes).",
                &self.password_verifications,
            ),
            (
                "store_assistant_password_hashes_total",
                "New passwords hashed with argon2 (accounts created, passwords reset or changed).",
                &self.password_hashes,
            ),
        ] {
            writeln!(out, "# HELP {name} {help}")?;
            writeln!(out, "# TYPE {name} counter")?;
            writeln!(out, "{name} {}", value.load(Relaxed))?;
        }

        let name = "store_assistant_order_webhook_deliveries_written_total";
        writeln!(
            out,
            "# HELP {name} Order-webhook deliveries written, by how: together (a batch's new orders in one set of statements) or one_by_one (each on its own: refunds, cancellations, orders seen before, new orders that could not go together)."
        )?;
        writeln!(out, "# TYPE {name} counter")?;
        for (way, count) in [
            ("together", &self.order_deliveries_together),
            ("one_by_one", &self.order_deliveries_one_by_one),
        ] {
            writeln!(out, "{name}{{way=\"{way}\"}} {}", count.load(Relaxed))?;
        }

        let name = "store_assistant_webhook_processing_seconds";
        writeln!(
            out,
            "# HELP {name} Time the worker spent handling one webhook event (LINE API calls included)."
        )?;
        writeln!(out, "# TYPE {name} histogram")?;
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            )?;
        }
        let count = self.latency_count.load(Relaxed);
        writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}")?;
        let sum = self.latency_sum_micros.load(Relaxed) as f64 / 1_000_000.0;
        writeln!(out, "{name}_sum {sum}")?;
        writeln!(out, "{name}_count {count}")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_bounded_labels() {
        let metrics = Metrics::default();
        metrics.event_received("follow");
        metrics.event_received("follow");
        metrics.event_received("somethingNew");
        metrics.event_received("another\"one");
        metrics.signature_failure();
        metrics.event_handled(Outcome::Processed, Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("store_assistant_webhook_events_received_total{type=\"follow\"} 2"));
        assert!(text.contains("store_assistant_webhook_events_received_total{type=\"unknown\"} 2"));
        assert!(text.contains("store_assistant_webhook_signature_failures_total 1"));
        assert!(text.contains("store_assistant_webhook_processing_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("store_assistant_webhook_processing_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("store_assistant_webhook_processing_seconds_count 1"));
        assert!(!text.contains("another"));
    }
}
