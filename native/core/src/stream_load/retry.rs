//! How long a failing load is retried, and when its table counts as failing: pure decisions.
//!
//! Job: the [`Backoff`] schedule between attempts, and [`RetryPolicy::judge`], which decides
//! after each failed attempt whether the load's table now counts as *failing* (logged at ERROR
//! and shown over JMX) and whether the load gives up (which fails the task).
//!
//! The rules, in one place:
//! - A permanent failure (StarRocks refused the rows, the table or the privilege is missing,
//!   the credentials are wrong) makes the table failing at once.
//! - A transient failure (no connection, a timeout, HTTP 5xx, no FE leader, a transaction
//!   aborted under the load) makes it failing only once the load has been retried at least
//!   `sink.maxretries` times **and** has been failing for at least `sink.retry.timeoutms`;
//!   `sink.maxretries=-1` never lets a transient failure count as failing.
//! - A failing table keeps retrying with backoff under `sink.table.failure=retry` (the
//!   default), so a fixed cause resumes it by itself; under `fail` the load gives up and the
//!   task fails, naming the table.
//!
//! Invariant: nothing here gives up on a load whose table is not failing; with the defaults no
//! outage, however long, fails the task.

use std::hash::Hasher as _;
use std::time::Duration;

use twox_hash::XxHash3_64;

use crate::config::{RetryLimit, SinkConfig, TableFailure};

/// Exponential backoff: `initial`, doubling per attempt, at most `cap`; with a jitter that is
/// a pure function of a seed (the label), so a test or a replay sees the same delays while
/// different loads retrying after one outage spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    cap: Duration,
    /// `Some(seed)`: each delay is scaled into `[1/2, 1]` of itself by a hash of the seed and
    /// the attempt number.
    jitter_seed: Option<u64>,
}

impl Backoff {
    /// The first delay.
    pub const INITIAL: Duration = Duration::from_millis(200);
    /// The longest delay: StarRocks coming back is noticed within it.
    pub const CAP: Duration = Duration::from_secs(15);

    /// Backoff from `initial` doubling up to `cap`, without jitter.
    pub fn new(initial: Duration, cap: Duration) -> Backoff {
        Backoff {
            initial,
            cap,
            jitter_seed: None,
        }
    }

    /// The default backoff (200 ms doubling up to 15 s) with a jitter seeded by `label`.
    pub fn for_label(label: &str) -> Backoff {
        Backoff {
            jitter_seed: Some(XxHash3_64::oneshot(label.as_bytes())),
            ..Backoff::new(Backoff::INITIAL, Backoff::CAP)
        }
    }

    /// The wait after failure number `failures` (1 for the first); zero for 0.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (failures - 1).min(31);
        let base = self
            .initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap);
        match self.jitter_seed {
            None => base,
            Some(seed) => {
                let mut h = XxHash3_64::with_seed(seed);
                h.write(&failures.to_le_bytes());
                // A fraction in [0, 1) from the hash's top 24 bits.
                let fraction = (h.finish() >> 40) as f64 / f64::from(1u32 << 24);
                base.mul_f64(0.5 + 0.5 * fraction)
            }
        }
    }
}

/// Whether trying the same rows again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// It may work later, unchanged: connections, timeouts, 5xx, leader elections.
    Transient,
    /// It cannot work until someone changes something: the data, the table, the grants.
    Permanent,
}

/// What the policy says after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    /// The table counts as failing: ERROR logs, the JMX attribute.
    pub failing: bool,
    /// The load stops retrying and the task fails.
    pub give_up: bool,
}

/// `sink.maxretries`, `sink.retry.timeoutms` and `sink.table.failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: RetryLimit,
    pub retry_timeout: Duration,
    pub table_failure: TableFailure,
}

impl RetryPolicy {
    pub fn of(config: &SinkConfig) -> RetryPolicy {
        RetryPolicy {
            max_retries: config.max_retries,
            retry_timeout: config.retry_timeout,
            table_failure: config.table_failure,
        }
    }

    /// Judges a load after its failed attempt number `failures` (1 for the first), `failing_for`
    /// after its first failure. See the module rules.
    pub fn judge(&self, kind: FailureKind, failures: u32, failing_for: Duration) -> Judgement {
        let retries_done = u64::from(failures.saturating_sub(1));
        let failing = match kind {
            FailureKind::Permanent => true,
            FailureKind::Transient => {
                !self.max_retries.allows_retry(retries_done) && failing_for >= self.retry_timeout
            }
        };
        Judgement {
            failing,
            give_up: failing && self.table_failure == TableFailure::Fail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_200_ms_up_to_15_s() {
        let b = Backoff::new(Backoff::INITIAL, Backoff::CAP);
        let delays: Vec<u64> = (0..10).map(|n| b.delay(n).as_millis() as u64).collect();
        assert_eq!(
            delays,
            [0, 200, 400, 800, 1600, 3200, 6400, 12_800, 15_000, 15_000]
        );
        assert_eq!(b.delay(u32::MAX), Backoff::CAP);
    }

    #[test]
    fn jitter_stays_within_half_to_full_delay_and_repeats_for_a_label() {
        let plain = Backoff::new(Backoff::INITIAL, Backoff::CAP);
        let a = Backoff::for_label("kc-c-0-t-topic-0-0-9-0123456789abcdef-1");
        let b = Backoff::for_label("kc-c-0-t-topic-0-10-19-0123456789abcdef-2");
        for n in 1..40 {
            let full = plain.delay(n);
            let d = a.delay(n);
            assert!(d >= full / 2 && d <= full, "attempt {n}: {d:?} vs {full:?}");
            assert_eq!(d, a.delay(n), "deterministic");
        }
        let differs = (1..10).any(|n| a.delay(n) != b.delay(n));
        assert!(differs, "different labels spread out");
    }

    #[test]
    fn an_outage_of_ten_minutes_never_fails_the_task_with_the_defaults() {
        let defaults = RetryPolicy {
            max_retries: RetryLimit::AtMost(3),
            retry_timeout: Duration::from_millis(crate::config::DEFAULT_RETRY_TIMEOUT_MS as u64),
            table_failure: TableFailure::Retry,
        };
        // Failed attempts through ten minutes of backoff: never given up, and not even
        // counted as failing before the retry timeout.
        let backoff = Backoff::new(Backoff::INITIAL, Backoff::CAP);
        let mut elapsed = Duration::ZERO;
        let mut failures = 0;
        while elapsed <= Duration::from_secs(600) {
            failures += 1;
            let j = defaults.judge(FailureKind::Transient, failures, elapsed);
            assert!(!j.give_up, "after {failures} failures in {elapsed:?}");
            assert!(!j.failing, "after {failures} failures in {elapsed:?}");
            elapsed += backoff.delay(failures);
        }
        let fail_fast = RetryPolicy {
            table_failure: TableFailure::Fail,
            ..defaults
        };
        let ten_minutes = fail_fast.judge(FailureKind::Transient, 40, Duration::from_secs(600));
        assert!(
            !ten_minutes.give_up,
            "the fail-fast policy rides out 10 minutes too"
        );
    }

    #[test]
    fn the_policy_table() {
        let min = Duration::from_secs(60);
        let policy = |retries, table_failure| RetryPolicy {
            max_retries: retries,
            retry_timeout: min,
            table_failure,
        };
        use FailureKind::{Permanent, Transient};
        use TableFailure::{Fail, Retry};
        let s = Duration::from_secs;
        // (policy, kind, failures, failing for, failing, give up)
        let cases = [
            (
                policy(RetryLimit::AtMost(3), Retry),
                Transient,
                1,
                s(0),
                false,
                false,
            ),
            // Retries spent but not yet the time: not failing.
            (
                policy(RetryLimit::AtMost(3), Retry),
                Transient,
                9,
                s(59),
                false,
                false,
            ),
            // Time spent but not yet the retries: not failing.
            (
                policy(RetryLimit::AtMost(3), Retry),
                Transient,
                3,
                s(600),
                false,
                false,
            ),
            // Both spent: failing, retried on.
            (
                policy(RetryLimit::AtMost(3), Retry),
                Transient,
                4,
                s(60),
                true,
                false,
            ),
            // Both spent under fail: give up.
            (
                policy(RetryLimit::AtMost(3), Fail),
                Transient,
                4,
                s(60),
                true,
                true,
            ),
            // -1 retries: a transient failure never counts.
            (
                policy(RetryLimit::Forever, Fail),
                Transient,
                10_000,
                s(86_400),
                false,
                false,
            ),
            // A permanent failure counts at once.
            (
                policy(RetryLimit::Forever, Retry),
                Permanent,
                1,
                s(0),
                true,
                false,
            ),
            (
                policy(RetryLimit::AtMost(3), Fail),
                Permanent,
                1,
                s(0),
                true,
                true,
            ),
            // sink.maxretries=0 with no retry timeout: the first transient failure counts.
            (
                RetryPolicy {
                    max_retries: RetryLimit::AtMost(0),
                    retry_timeout: Duration::ZERO,
                    table_failure: Fail,
                },
                Transient,
                1,
                s(0),
                true,
                true,
            ),
        ];
        for (i, (p, kind, failures, failing_for, failing, give_up)) in cases.into_iter().enumerate()
        {
            assert_eq!(
                p.judge(kind, failures, failing_for),
                Judgement { failing, give_up },
                "case {i}"
            );
        }
    }
}
