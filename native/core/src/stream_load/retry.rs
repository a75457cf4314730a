//! Retrying a load until StarRocks holds its rows, refuses them for good, or retries run out.
//!
//! Job: drive [`StreamLoadClient::load`] attempts for one [`LoadRequest`], act on each
//! [`Verdict`], settle in-doubt attempts by the label's state, and wait a [`Backoff`] between
//! attempts.
//!
//! Invariant: every attempt sends the SAME label and body. That is what makes a retry safe
//! after an ambiguous failure: if an earlier attempt committed, StarRocks answers "Label
//! Already Exists" (`FINISHED`) instead of loading a second copy. An in-doubt attempt is
//! resolved only by the label's state — `COMMITTED`/`VISIBLE` is success, `ABORTED`/`UNKNOWN`
//! means nothing is committed and the load is sent again, `PREPARE`/`PREPARED` is waited out.

use std::hash::Hasher as _;
use std::time::{Duration, Instant};

use twox_hash::XxHash3_64;

use super::response::{classify, label_state, LabelState, LoadResult, Verdict};
use super::{LoadRequest, StreamLoadClient};
use crate::config::RetryLimit;
use crate::error::{Error, Result};

/// How a load ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// This call's attempt committed the rows (`Success` or `Publish Timeout`).
    Loaded(LoadResult),
    /// The rows were committed under this label already: by an earlier attempt whose answer
    /// was lost, or by an earlier run of the connector.
    AlreadyLoaded,
}

/// Exponential backoff: `initial`, doubling per attempt, at most `cap`; with a jitter that is
/// a pure function of a seed (the label), so a test or a replay sees the same delays while
/// different batches retrying after one outage spread out.
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
    /// The longest delay.
    pub const CAP: Duration = Duration::from_secs(10);

    /// Backoff from `initial` doubling up to `cap`, without jitter.
    pub fn new(initial: Duration, cap: Duration) -> Backoff {
        Backoff {
            initial,
            cap,
            jitter_seed: None,
        }
    }

    /// The default backoff (200 ms doubling up to 10 s) with a jitter seeded by `label`.
    pub fn for_label(label: &str) -> Backoff {
        Backoff {
            jitter_seed: Some(XxHash3_64::oneshot(label.as_bytes())),
            ..Backoff::new(Backoff::INITIAL, Backoff::CAP)
        }
    }

    /// The wait before retry number `attempt` (1 for the first retry); zero for 0.
    pub fn delay(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let doublings = (attempt - 1).min(31);
        let base = self
            .initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap);
        match self.jitter_seed {
            None => base,
            Some(seed) => {
                let mut h = XxHash3_64::with_seed(seed);
                h.write(&attempt.to_le_bytes());
                // A fraction in [0, 1) from the hash's top 24 bits.
                let fraction = (h.finish() >> 40) as f64 / f64::from(1u32 << 24);
                base.mul_f64(0.5 + 0.5 * fraction)
            }
        }
    }
}

/// Loads `req` until its rows are durable (`Ok`), StarRocks refuses them for good
/// (`Err`, [`Error::is_fatal`]), or `limit` retries have failed (`Err`,
/// [`Error::is_retriable`]). `RetryLimit::AtMost(n)` allows n retries after the first attempt;
/// `Forever` never gives up. `on_retry(n, reason)` is called before retry number `n`.
///
/// A fatal error's message has StarRocks' message, the label, the table, the user, and the
/// first lines of the rejected-row log when StarRocks named one.
pub async fn load_with_retries(
    client: &StreamLoadClient,
    req: &LoadRequest,
    limit: RetryLimit,
    on_retry: &mut (dyn FnMut(u32, &str) + Send),
) -> Result<LoadOutcome> {
    let backoff = Backoff::for_label(&req.label);
    let mut retries: u32 = 0;
    loop {
        let attempt = client.load(req).await;
        let reason = match classify(&attempt) {
            Verdict::Loaded(result) => return Ok(LoadOutcome::Loaded(result)),
            Verdict::AlreadyLoaded => return Ok(LoadOutcome::AlreadyLoaded),
            Verdict::Fatal { message, error_url } => {
                let rejected = match &error_url {
                    Some(url) => client.error_log(url).await,
                    None => None,
                };
                return Err(Error::fatal(fatal_message(
                    req,
                    client.username(),
                    &message,
                    error_url.as_deref(),
                    rejected.as_deref(),
                )));
            }
            Verdict::Retriable(reason) => reason,
            Verdict::InDoubt(reason) => match settle(client, req, &backoff).await {
                Settled::Durable => return Ok(LoadOutcome::AlreadyLoaded),
                Settled::NotCommitted(why) => format!("{reason}; {why}"),
            },
        };
        if !limit.allows_retry(u64::from(retries)) {
            return Err(Error::retriable(format!(
                "Stream Load of label '{}' into {}.{} failed after {} attempt{}: {reason}",
                req.label,
                req.database,
                req.table,
                retries + 1,
                if retries == 0 { "" } else { "s" },
            )));
        }
        retries = retries.saturating_add(1);
        on_retry(retries, &reason);
        tokio::time::sleep(backoff.delay(retries)).await;
    }
}

/// What the label's state says about an in-doubt attempt.
enum Settled {
    /// Committed: the rows are durable.
    Durable,
    /// Not committed (or not known to be, within the wait): the load may be sent again under
    /// the same label.
    NotCommitted(String),
}

/// Reads the label's state until it is final or the load's own deadline has passed.
async fn settle(client: &StreamLoadClient, req: &LoadRequest, backoff: &Backoff) -> Settled {
    let deadline = Instant::now() + client.load_timeout();
    let mut polls: u32 = 0;
    loop {
        let state = match client.load_state(&req.database, &req.label).await {
            Ok(state) => state,
            Err(e) => return Settled::NotCommitted(format!("its label state is unknown: {e}")),
        };
        match label_state(&state) {
            LabelState::Durable => return Settled::Durable,
            LabelState::Absent => {
                return Settled::NotCommitted(format!("label state {state}: nothing was committed"))
            }
            LabelState::Pending => {
                let now = Instant::now();
                if now >= deadline {
                    return Settled::NotCommitted(format!(
                        "label state still {state} after {} s",
                        client.load_timeout().as_secs()
                    ));
                }
                polls = polls.saturating_add(1);
                tokio::time::sleep(backoff.delay(polls).min(deadline - now)).await;
            }
        }
    }
}

/// The message of a load StarRocks refused for good.
fn fatal_message(
    req: &LoadRequest,
    user: &str,
    message: &str,
    error_url: Option<&str>,
    rejected: Option<&str>,
) -> String {
    let mut out = format!(
        "Stream Load of label '{}' into {}.{} as user '{user}' failed and will not be retried: {message}",
        req.label, req.database, req.table
    );
    match (error_url, rejected) {
        (Some(url), Some(rows)) => {
            out.push_str(&format!("\nRejected rows (from {url}):\n{rows}"));
        }
        (Some(url), None) => {
            out.push_str(&format!(
                "\nThe rejected rows were logged at {url}, which could not be read."
            ));
        }
        (None, _) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn backoff_doubles_from_200_ms_up_to_10_s() {
        let b = Backoff::new(Backoff::INITIAL, Backoff::CAP);
        let delays: Vec<u64> = (0..10).map(|n| b.delay(n).as_millis() as u64).collect();
        assert_eq!(
            delays,
            [0, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        assert_eq!(b.delay(u32::MAX), Backoff::CAP);
    }

    #[test]
    fn jitter_stays_within_half_to_full_delay_and_repeats_for_a_label() {
        let plain = Backoff::new(Backoff::INITIAL, Backoff::CAP);
        let a = Backoff::for_label("kc-t-topic-0-0-9-0123456789abcdef");
        let b = Backoff::for_label("kc-t-topic-0-10-19-fedcba9876543210");
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
    fn a_fatal_message_names_the_label_table_user_reason_and_rejected_rows() {
        let req = LoadRequest {
            database: "example_db".into(),
            table: "test_tbl".into(),
            label: "kc-1".into(),
            body: Bytes::new(),
            row_count: 0,
        };
        let with_rows = fatal_message(
            &req,
            "root",
            "too many filtered rows",
            Some("http://be:8040/api/_load_error_log?file=f"),
            Some("Error: NULL value in non-nullable column 'id'. Row: [NULL]"),
        );
        assert_eq!(
            with_rows,
            "Stream Load of label 'kc-1' into example_db.test_tbl as user 'root' failed and will \
             not be retried: too many filtered rows\nRejected rows (from \
             http://be:8040/api/_load_error_log?file=f):\nError: NULL value in non-nullable \
             column 'id'. Row: [NULL]"
        );
        let unread = fatal_message(&req, "root", "x", Some("http://be/log"), None);
        assert!(unread.ends_with("logged at http://be/log, which could not be read."));
        let plain = fatal_message(&req, "root", "unknown table", None, None);
        assert!(plain.ends_with("will not be retried: unknown table"));
    }
}
