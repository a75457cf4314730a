//! One exactly-once load, driven through a multi-table transaction until its rows and their
//! progress are durable together.
//!
//! StarRocks' multi-table transactions (4.0, `transaction_type: multi`) differ from the
//! single-table ones `txn` drives (`reference/stream-load-protocol.md`, and the emulator's
//! `http/multi.rs`): there is no prepare (commit goes straight from the open state); the label
//! of a transaction that was rolled back cannot begin again; and `get_load_state` knows a label
//! only once it is committed. So:
//!
//! - The load is sent as a series of **attempts**, `attempt_label(label, k)`: begin, the rows,
//!   the progress rows, commit. Whatever goes wrong before the commit, the attempt is rolled
//!   back and the next one begins; the attempt counter lives with the load, so a load cut and
//!   sent again (a revoked partition) continues the series.
//! - A begin is repeated under the same attempt until it is known to have happened (an answer
//!   `OK`, or `LABEL_ALREADY_EXISTS` with the transaction still open — our own begin whose
//!   answer was lost), so attempt k+1 exists only once attempt k did. Recovery relies on it: it
//!   scans a load's attempts until one does not exist.
//! - A commit whose outcome is unknown is settled by **rolling the attempt back**: StarRocks
//!   either aborts it (it was not committed, and now never will be) or refuses because it is
//!   committed; the label's state then confirms. No guess, and no window in which a late
//!   commit could still land.
//!
//! - The commit waits for the load's turn: a table's loads are sent overlapping, but each
//!   commits only after every load ahead of it in the chain is durable (the chain in
//!   `progress`, the turn in `table`). A load cancelled by the time its turn comes stops.
//!
//! Invariant: rows become visible only through this driver's commit of an attempt; an attempt
//! is committed at most once and every other attempt of the load is rolled back before the
//! next begins, so the load's rows become visible at most once, and its progress with them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::response::{classify, rejects_rows, LoadResult, Op, Verdict};
use super::retry::{Backoff, FailureKind, RetryPolicy};
use super::txn::{is_cancelled, until_cancelled, Ended, Failure, LoadOutcome};
use super::{Attempt, LoadRequest, Part, StreamLoadClient};
use crate::error::Error;
use crate::label::attempt_label;

/// How long a best-effort rollback of an abandoned attempt may take.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a rollback's answer says about the attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fence {
    /// It was open and is now aborted, or was aborted already: it never commits.
    Aborted,
    /// StarRocks refused because it is committed (or visible).
    Committed,
    /// No transaction was ever begun under the label (or StarRocks forgot it).
    NeverBegun,
    /// No clear answer (no FE answered, an HTTP error): ask again.
    Unclear(String),
}

/// Reads the answer to a rollback of a multi-table transaction.
pub fn fence(attempt: &Attempt) -> Fence {
    let Attempt::Answered {
        http_status: 200,
        body,
    } = attempt
    else {
        return Fence::Unclear(format!("{attempt:?}"));
    };
    let Some(result) = LoadResult::parse(body) else {
        return Fence::Unclear(body.clone());
    };
    let message = result.message.to_ascii_lowercase();
    if result.status.eq_ignore_ascii_case("OK") {
        return Fence::Aborted;
    }
    if message.contains("does not exist") || message.contains("not found") {
        Fence::NeverBegun
    } else if message.contains("can not abort visible")
        || message.contains("can not abort committed")
    {
        Fence::Committed
    } else if message.contains("already aborted")
        || message.contains("cancelled")
        || message.contains("aborted")
    {
        Fence::Aborted
    } else {
        Fence::Unclear(format!("{} \"{}\"", result.status, result.message))
    }
}

/// What a begin's `LABEL_ALREADY_EXISTS` says: the transaction is open (ours, whose answer was
/// lost), committed, or cancelled.
fn existing(result: &LoadResult) -> Existing {
    let status = result
        .existing_job_status
        .as_deref()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match status.as_str() {
        "BEGIN" | "RUNNING" | "PREPARE" | "PREPARED" => Existing::Open,
        "COMMITED" | "COMMITTED" | "VISIBLE" | "FINISHED" => Existing::Committed,
        _ => Existing::Gone,
    }
}

enum Existing {
    Open,
    Committed,
    Gone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Begin,
    Load,
    LoadProgress,
    Commit,
    /// Roll the attempt back to learn whether its commit happened.
    Settle,
    /// Roll the attempt back and begin the next one.
    Abandon,
}

/// Loads `req` (whose `label` is the first attempt's) until its rows and progress are durable,
/// the policy gives up, or `cancel` turns true before a commit. `attempt` is the load's attempt
/// counter: read at the start, advanced as attempts are used. A commit is sent only once
/// `turn` is true: the loads of a table's chain commit in chain order, whatever order their
/// rows were sent in.
pub async fn load(
    client: &StreamLoadClient,
    req: &LoadRequest,
    attempt: &AtomicU32,
    policy: &RetryPolicy,
    on_failure: &mut (dyn FnMut(&Failure) + Send),
    cancel: &mut watch::Receiver<bool>,
    turn: &mut watch::Receiver<bool>,
) -> Result<LoadOutcome, Ended> {
    let backoff = Backoff::for_label(&req.label);
    let mut step = Step::Begin;
    let mut failures: u32 = 0;
    let mut streak: u32 = 0;
    let mut first_failure: Option<Instant> = None;
    let mut begun = false;
    let mut commit_sent = false;
    let mut loaded: Option<LoadResult> = None;
    // The commit said StarRocks rejected rows: once the attempt is known aborted, the load
    // ends `Ended::Rejected`.
    let mut rejected: Option<String> = None;
    loop {
        let current = attempt_request(req, attempt.load(Ordering::SeqCst));
        // The table dropped the load (the sink stopped): nothing will send it again here, and
        // the partitions' next owner settles the attempt (recovery rolls it back).
        let dropped = turn.has_changed().is_err();
        if is_cancelled(cancel) && stops_when_cancelled(step, commit_sent, dropped) {
            if begun {
                abandon(client, &current, attempt).await;
            }
            return Err(Ended::Cancelled { rollback: false });
        }
        // (kind, reason, next step) of a failed step.
        let failed: Option<(FailureKind, String, Step)> = match step {
            Step::Begin => {
                let answer = client.step(Op::Begin, &current).await;
                match classify(Op::Begin, &answer) {
                    Verdict::Done(_) => {
                        begun = true;
                        step = Step::Load;
                        None
                    }
                    Verdict::AskState(reason) => match answered(&answer).map(|r| existing(&r)) {
                        Some(Existing::Open) => {
                            begun = true;
                            step = Step::Load;
                            None
                        }
                        Some(Existing::Committed) => return Ok(LoadOutcome::AlreadyLoaded),
                        Some(Existing::Gone) => {
                            attempt.fetch_add(1, Ordering::SeqCst);
                            None
                        }
                        // The begin may or may not have arrived: begin again, same attempt.
                        None => Some((FailureKind::Transient, reason, Step::Begin)),
                    },
                    Verdict::Fatal { message, .. } => {
                        Some((FailureKind::Permanent, message, Step::Begin))
                    }
                    Verdict::Retry(r) | Verdict::Restart(r) => {
                        Some((FailureKind::Transient, r, Step::Begin))
                    }
                }
            }
            Step::Load | Step::LoadProgress => {
                let part = if step == Step::Load {
                    Part::Main
                } else {
                    Part::Progress
                };
                let answer = until_cancelled(client.step_part(Op::Load, &current, part), cancel);
                let Some(answer) = answer.await else {
                    continue;
                };
                match classify(Op::Load, &answer) {
                    Verdict::Done(result) => {
                        if step == Step::Load {
                            loaded = Some(result);
                            step = Step::LoadProgress;
                        } else {
                            step = Step::Commit;
                        }
                        None
                    }
                    Verdict::Fatal { message, .. } => {
                        Some((FailureKind::Permanent, message, Step::Abandon))
                    }
                    Verdict::AskState(r) | Verdict::Retry(r) | Verdict::Restart(r) => {
                        Some((FailureKind::Transient, r, Step::Abandon))
                    }
                }
            }
            Step::Commit => {
                let waited = until_cancelled(turn.wait_for(|t| *t), cancel)
                    .await
                    .map(|answer| answer.is_ok());
                match waited {
                    Some(true) => {}
                    // Cancelled: the check above stops the load.
                    None => continue,
                    // The table dropped the load (the sink stopped).
                    Some(false) => {
                        abandon(client, &current, attempt).await;
                        return Err(Ended::Cancelled { rollback: false });
                    }
                }
                // Cancelled by the time its turn came: the check above stops it.
                if is_cancelled(cancel) {
                    continue;
                }
                commit_sent = true;
                let answer = client.step(Op::Commit, &current).await;
                match classify(Op::Commit, &answer) {
                    Verdict::Done(_) => {
                        return Ok(LoadOutcome::Loaded(loaded.take().unwrap_or_default()))
                    }
                    Verdict::Fatal { message, .. } if rejects_rows(&message) => {
                        rejected = Some(message);
                        step = Step::Settle;
                        None
                    }
                    Verdict::Fatal { message, .. } => {
                        Some((FailureKind::Permanent, message, Step::Settle))
                    }
                    Verdict::AskState(r) | Verdict::Retry(r) | Verdict::Restart(r) => {
                        Some((FailureKind::Transient, r, Step::Settle))
                    }
                }
            }
            Step::Settle => {
                let answer = client.step(Op::Rollback, &current).await;
                match fence(&answer) {
                    Fence::Committed => {
                        match client.load_state(&req.database, &current.label).await {
                            Ok(state) if matches!(state.as_str(), "COMMITTED" | "VISIBLE") => {
                                return Ok(LoadOutcome::AlreadyLoaded)
                            }
                            Ok(state) => Some((
                                FailureKind::Transient,
                                format!(
                                "the rollback of '{}' said it is committed, its state is {state}",
                                current.label
                            ),
                                Step::Settle,
                            )),
                            Err(e) => Some((FailureKind::Transient, e.to_string(), Step::Settle)),
                        }
                    }
                    Fence::Aborted | Fence::NeverBegun => {
                        attempt.fetch_add(1, Ordering::SeqCst);
                        if let Some(reason) = rejected.take() {
                            return Err(Ended::Rejected { reason });
                        }
                        commit_sent = false;
                        begun = false;
                        step = Step::Begin;
                        None
                    }
                    Fence::Unclear(reason) => Some((FailureKind::Transient, reason, Step::Settle)),
                }
            }
            Step::Abandon => {
                abandon(client, &current, attempt).await;
                begun = false;
                step = Step::Begin;
                None
            }
        };
        let Some((kind, reason, then)) = failed else {
            streak = 0;
            continue;
        };
        failures = failures.saturating_add(1);
        streak = streak.saturating_add(1);
        let failing_for = first_failure.get_or_insert_with(Instant::now).elapsed();
        let judgement = policy.judge(kind, failures, failing_for);
        let failure = Failure {
            number: failures,
            kind,
            judgement,
            backoff: backoff.delay(streak),
            reason,
        };
        on_failure(&failure);
        if judgement.give_up && then != Step::Settle {
            if begun {
                abandon(client, &current, attempt).await;
            }
            return Err(Ended::GaveUp(give_up_error(req, &current.label, &failure)));
        }
        if then == Step::Abandon {
            // Roll back at once; wait before the next begin.
            abandon(client, &current, attempt).await;
            begun = false;
            step = Step::Begin;
        } else {
            step = then;
        }
        if commit_sent {
            tokio::time::sleep(failure.backoff).await;
        } else if until_cancelled(tokio::time::sleep(failure.backoff), cancel)
            .await
            .is_none()
        {
            continue;
        }
    }
}

/// Whether a cancelled load stops before `step`. It does, except while it settles a commit
/// already sent and its table still holds it: that goes on until StarRocks tells, however long
/// it takes, since the load's next attempt must never begin while this one may still commit
/// (its rows would land twice). Once the table dropped it (`dropped`: the sink stopped), no
/// next attempt comes from here.
fn stops_when_cancelled(step: Step, commit_sent: bool, dropped: bool) -> bool {
    !(commit_sent && step == Step::Settle && !dropped)
}

/// Rolls the attempt back (best effort: an attempt not committed never is, whatever the
/// answer) and moves the load to its next attempt.
async fn abandon(client: &StreamLoadClient, current: &LoadRequest, attempt: &AtomicU32) {
    let answer = tokio::time::timeout(ROLLBACK_TIMEOUT, client.step(Op::Rollback, current)).await;
    tracing::debug!(label = %current.label, ?answer, "Rolled back an abandoned attempt.");
    attempt.fetch_add(1, Ordering::SeqCst);
}

/// `req` under the label of attempt `k`.
fn attempt_request(req: &LoadRequest, k: u32) -> LoadRequest {
    LoadRequest {
        label: attempt_label(&req.label, k),
        ..req.clone()
    }
}

fn answered(attempt: &Attempt) -> Option<LoadResult> {
    match attempt {
        Attempt::Answered {
            http_status: 200,
            body,
        } => LoadResult::parse(body),
        _ => None,
    }
}

fn give_up_error(req: &LoadRequest, label: &str, failure: &Failure) -> Error {
    let message = format!(
        "Exactly-once Stream Load of label '{label}' into {}.{} failed and will not be retried \
         after {} attempt{} (sink.table.failure=fail): {}",
        req.database,
        req.table,
        failure.number,
        if failure.number == 1 { "" } else { "s" },
        failure.reason,
    );
    match failure.kind {
        FailureKind::Permanent => Error::fatal(message),
        FailureKind::Transient => Error::retriable(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Attempt {
        Attempt::Answered {
            http_status: 200,
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_cancelled_load_settles_a_commit_it_sent_whatever_the_time_and_stops_otherwise() {
        for step in [
            Step::Begin,
            Step::Load,
            Step::LoadProgress,
            Step::Commit,
            Step::Abandon,
        ] {
            assert!(stops_when_cancelled(step, false, false), "{step:?}");
            assert!(stops_when_cancelled(step, true, false), "{step:?}");
        }
        assert!(stops_when_cancelled(Step::Settle, false, false));
        assert!(!stops_when_cancelled(Step::Settle, true, false));
        // The sink stopped: its next owner's recovery settles the attempt.
        assert!(stops_when_cancelled(Step::Settle, true, true));
    }

    #[test]
    fn a_rollback_answer_says_whether_the_attempt_can_still_commit() {
        assert_eq!(
            fence(&answer(
                r#"{"Status":"OK","Message":"stream load L abort"}"#
            )),
            Fence::Aborted
        );
        assert_eq!(
            fence(&answer(
                r#"{"Status":"OK","Message":"Transaction 5 has already aborted, label is L"}"#
            )),
            Fence::Aborted
        );
        assert_eq!(
            fence(&answer(
                r#"{"Status":"FAILED","Message":"Can not abort VISIBLE transaction 5, label is L"}"#
            )),
            Fence::Committed
        );
        assert_eq!(
            fence(&answer(
                r#"{"Status":"FAILED","Message":"class com.starrocks.common.StarRocksException: stream load taskLdoes not exist"}"#
            )),
            Fence::NeverBegun
        );
        assert!(matches!(
            fence(&Attempt::Transport {
                error: "refused".into(),
                reached: false
            }),
            Fence::Unclear(_)
        ));
        assert!(matches!(
            fence(&Attempt::Answered {
                http_status: 500,
                body: String::new()
            }),
            Fence::Unclear(_)
        ));
    }
}
