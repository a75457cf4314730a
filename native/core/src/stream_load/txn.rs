//! One load, driven through a transaction Stream Load until its rows are durable.
//!
//! Job: begin the label's transaction, send the body, prepare, commit — and after every
//! failure decide, from the step's [`Verdict`] and the label's state, where to pick up again:
//! the same step, the commit of a transaction already PREPARED, or a rollback and a new begin
//! under the same label. Between failures it waits the [`Backoff`], and it asks the
//! [`RetryPolicy`] whether the table now counts as failing and whether to give up.
//!
//! Invariants:
//! - Every attempt uses the SAME label and body, so an attempt whose answer was lost is found
//!   by its label (`COMMITTED`/`VISIBLE`: done; `PREPARED` after this run sent its prepare:
//!   commit it; otherwise roll back and begin again) and never loads a second copy. A
//!   `PREPARED` transaction this run did not prepare holds another body (under exactly-once a
//!   cut load keeps its announced label): it is rolled back, never committed.
//! - Under exactly-once the load step sends two bodies into one multi-table transaction: the
//!   table's rows, then its progress rows; they commit or roll back together.
//! - The commit waits for the load's turn: a table sends several loads at once, but each
//!   commits only after every load before it is durable, so the rows of one key become
//!   visible in the order they were written.
//! - Rows become visible only through this driver's commit. Once the load is cancelled no
//!   commit is sent: a cancelled load ends with its transaction rolled back or left to
//!   StarRocks' timeouts, never committed later. A commit already sent is settled by the
//!   label's state first.

use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::response::{classify, label_state, rejects_rows, LabelState, LoadResult, Op, Verdict};
use super::retry::{Backoff, FailureKind, Judgement, RetryPolicy};
use super::{LoadRequest, Part, StreamLoadClient};
use crate::error::Error;

/// How a load ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// This run of the driver committed the rows; the counters of its prepare.
    Loaded(LoadResult),
    /// The rows were committed under this label before: by an attempt whose answer was lost.
    AlreadyLoaded,
}

/// How a load ended without its rows becoming durable.
#[derive(Debug)]
pub enum Ended {
    /// The load was cancelled before its commit; nothing of it becomes visible.
    /// `rollback` tells whether a transaction may still be open (roll it back).
    Cancelled { rollback: bool },
    /// The policy gave up: the error names the label, the table and StarRocks' reason.
    GaveUp(Error),
    /// StarRocks rejected rows of the body (more than `max_filter_ratio` allows) and ended
    /// the transaction: no attempt of this body can succeed, and none is open. Which records
    /// those rows came from is found by `reject`.
    Rejected { reason: String },
}

/// One failed attempt, as the driver reports it before waiting out its backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1 for the first failed attempt of the load.
    pub number: u32,
    pub kind: FailureKind,
    /// What StarRocks said (with the first rejected rows, when it logged any).
    pub reason: String,
    pub judgement: Judgement,
    /// The wait before the next attempt.
    pub backoff: Duration,
}

/// Where the driver is in the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Begin,
    Load,
    /// The progress rows of a multi-table transaction (exactly-once), after the table's rows.
    LoadProgress,
    Prepare,
    Commit,
    /// Read the label's state to learn where the transaction is.
    AskState,
    /// Roll back whatever is open under the label, then begin again.
    Rollback,
}

/// What one step leads to.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Go(Step),
    Durable,
    /// StarRocks rejected rows: see [`Ended::Rejected`].
    Rejected(String),
    Fail {
        kind: FailureKind,
        reason: String,
        /// The rejected-row log StarRocks named, if any.
        error_url: Option<String>,
        then: Step,
    },
}

/// Loads `req` until its rows are durable (`Ok`), the policy gives up, or `cancel` turns true
/// before the commit. The commit is sent once `turn` is true (see [`now`]). `on_failure` hears
/// of every failed attempt (for logs, metrics and the table's health), before its backoff.
pub async fn load(
    client: &StreamLoadClient,
    req: &LoadRequest,
    policy: &RetryPolicy,
    on_failure: &mut (dyn FnMut(&Failure) + Send),
    cancel: &mut watch::Receiver<bool>,
    turn: &mut watch::Receiver<bool>,
) -> Result<LoadOutcome, Ended> {
    let backoff = Backoff::for_label(&req.label);
    let mut step = Step::Begin;
    let mut failures: u32 = 0;
    // The backoff grows with the failures of one step in a row, and starts over once that
    // step gets through (StarRocks came back), so recovery is not held up by a long outage.
    let mut streak: (Option<Step>, u32) = (None, 0);
    let mut first_failure: Option<Instant> = None;
    let mut prepared: Option<LoadResult> = None;
    let mut began = false;
    // A PREPARED transaction under the label is this run's only if it sent a prepare: under
    // exactly-once a label is re-used for a cut body once the old one is rolled back, and the
    // old one must never be committed in its place.
    let mut prepare_sent = false;
    let mut commit_sent = false;
    loop {
        if is_cancelled(cancel) {
            // The table dropped the load (the sink stopped): nothing will send it again.
            let dropped = turn.has_changed().is_err();
            if let Some(ended) = stop_when_cancelled(step, began, commit_sent, dropped) {
                if commit_sent && step == Step::AskState {
                    tracing::warn!(label = %req.label, "A cancelled load's commit could not be settled; StarRocks' label state will tell.");
                }
                return Err(ended);
            }
        }
        let next = match step {
            Step::Begin | Step::Load | Step::LoadProgress | Step::Prepare => {
                let (op, part) = match step {
                    Step::Begin => (Op::Begin, Part::Main),
                    Step::Load => (Op::Load, Part::Main),
                    Step::LoadProgress => (Op::Load, Part::Progress),
                    _ => (Op::Prepare, Part::Main),
                };
                began = true;
                prepare_sent |= op == Op::Prepare;
                let Some(attempt) = until_cancelled(client.step_part(op, req, part), cancel).await
                else {
                    continue;
                };
                match after(op, classify(op, &attempt), &mut prepared) {
                    Next::Go(Step::Prepare) if step == Step::Load && req.is_multi_table() => {
                        Next::Go(Step::LoadProgress)
                    }
                    next => next,
                }
            }
            Step::Commit => {
                if !commit_sent {
                    match until_cancelled(turn.wait_for(|t| *t), cancel).await {
                        Some(Ok(_)) => {}
                        // Cancelled: the check above stops the load.
                        None => continue,
                        // The table dropped the load (the sink stopped).
                        Some(Err(_)) => return Err(Ended::Cancelled { rollback: true }),
                    }
                    // Cancelled by the time its turn came: the check above stops it.
                    if is_cancelled(cancel) {
                        continue;
                    }
                }
                commit_sent = true;
                let attempt = client.step(Op::Commit, req).await;
                after(Op::Commit, classify(Op::Commit, &attempt), &mut prepared)
            }
            Step::AskState => match client.load_state(&req.database, &req.label).await {
                Ok(state) => {
                    let cancelled = is_cancelled(cancel);
                    match on_state(label_state(&state), cancelled, commit_sent, prepare_sent) {
                        OnState::Go(next) => next,
                        OnState::Stop => return Err(Ended::Cancelled { rollback: true }),
                        OnState::FenceThenAsk => {
                            let answer = client.step(Op::Rollback, req).await;
                            match classify(Op::Rollback, &answer) {
                                Verdict::Done(_) => Next::Go(Step::AskState),
                                Verdict::Fatal { message: r, .. }
                                | Verdict::AskState(r)
                                | Verdict::Retry(r)
                                | Verdict::Restart(r) => Next::Fail {
                                    kind: FailureKind::Transient,
                                    reason: format!(
                                        "the rollback of cancelled '{}', whose commit was sent, \
                                         failed: {r}",
                                        req.label
                                    ),
                                    error_url: None,
                                    then: Step::AskState,
                                },
                            }
                        }
                    }
                }
                Err(e) => Next::Fail {
                    kind: if e.is_fatal() {
                        FailureKind::Permanent
                    } else {
                        FailureKind::Transient
                    },
                    reason: e.to_string(),
                    error_url: None,
                    then: Step::AskState,
                },
            },
            Step::Rollback => {
                if let Some(attempt) = until_cancelled(client.step(Op::Rollback, req), cancel).await
                {
                    tracing::debug!(label = %req.label, ?attempt, "Rolled back before beginning again.");
                }
                Next::Go(Step::Begin)
            }
        };
        if !matches!(next, Next::Fail { .. }) && streak.0 == Some(step) {
            streak = (None, 0);
        }
        match next {
            Next::Go(s) => step = s,
            Next::Rejected(reason) => return Err(Ended::Rejected { reason }),
            Next::Durable => {
                return Ok(match prepared {
                    Some(result) => LoadOutcome::Loaded(result),
                    None => LoadOutcome::AlreadyLoaded,
                })
            }
            Next::Fail {
                kind,
                reason,
                error_url,
                then,
            } => {
                failures = failures.saturating_add(1);
                streak = (Some(step), streak.1.saturating_add(1));
                let failing_for = first_failure.get_or_insert_with(Instant::now).elapsed();
                let judgement = policy.judge(kind, failures, failing_for);
                let reason = match error_url {
                    Some(url) => with_rejected_rows(client, reason, &url).await,
                    None => reason,
                };
                let failure = Failure {
                    number: failures,
                    kind,
                    judgement,
                    backoff: backoff.delay(streak.1),
                    reason,
                };
                on_failure(&failure);
                if judgement.give_up {
                    return Err(Ended::GaveUp(give_up_error(
                        req,
                        client.username(),
                        &failure,
                    )));
                }
                // A cancelled load whose commit was sent keeps settling; any other stops.
                if !commit_sent {
                    if let Some(()) = until_cancelled(sleep(failure.backoff), cancel).await {
                        step = then;
                    }
                } else {
                    tokio::time::sleep(failure.backoff).await;
                    step = then;
                }
            }
        }
    }
}

/// Whether a cancelled load stops before `step`, and how. Once cancelled, nothing is sent but
/// the questions that settle a commit already sent: no begin, no load, and above all no
/// commit. Those questions go on until the label's state tells, however long that takes, as
/// long as the table still holds the load (`dropped`: the sink stopped): the load comes back
/// to its queue afterwards and is sent again under a new label if its commit did not land, so
/// giving up without knowing could load its rows twice. `began`: a transaction may be open.
fn stop_when_cancelled(step: Step, began: bool, commit_sent: bool, dropped: bool) -> Option<Ended> {
    match commit_sent {
        true if step == Step::AskState && !dropped => None,
        true => Some(Ended::Cancelled { rollback: true }),
        false => Some(Ended::Cancelled { rollback: began }),
    }
}

/// What the driver does once the label's state is known.
#[derive(Debug, PartialEq, Eq)]
enum OnState {
    Go(Next),
    /// Cancelled, and nothing of the load can commit any more: it stops (its transaction
    /// rolled back in the background).
    Stop,
    /// Cancelled with its commit sent and the transaction still uncommitted: that commit may
    /// yet land. Roll the transaction back first (it then never commits, or the rollback is
    /// refused because it did), then ask the state again: the load goes back to its queue,
    /// to be sent again under a new label, only once its rows cannot also land under this one.
    FenceThenAsk,
}

/// The rule for a label's `state`. `prepare_sent`: a PREPARED transaction under the label is
/// this run's (see `load`).
fn on_state(state: LabelState, cancelled: bool, commit_sent: bool, prepare_sent: bool) -> OnState {
    match state {
        LabelState::Durable => OnState::Go(Next::Durable),
        LabelState::Prepared | LabelState::Open if cancelled && commit_sent => {
            OnState::FenceThenAsk
        }
        // Cancelled: never commit; roll the prepared transaction back instead.
        LabelState::Prepared if cancelled => OnState::Stop,
        LabelState::Prepared if prepare_sent => OnState::Go(Next::Go(Step::Commit)),
        LabelState::Prepared | LabelState::Open => OnState::Go(Next::Go(Step::Rollback)),
        LabelState::Absent => OnState::Go(Next::Go(Step::Begin)),
    }
}

/// The step after `op` answered `verdict`.
fn after(op: Op, verdict: Verdict, prepared: &mut Option<LoadResult>) -> Next {
    let fail = |kind, reason: String, then| Next::Fail {
        kind,
        reason,
        error_url: None,
        then,
    };
    match (op, verdict) {
        (Op::Begin, Verdict::Done(_)) => Next::Go(Step::Load),
        (Op::Load, Verdict::Done(_)) => Next::Go(Step::Prepare),
        (Op::Prepare, Verdict::Done(result)) => {
            *prepared = Some(result);
            Next::Go(Step::Commit)
        }
        (Op::Commit, Verdict::Done(_)) => Next::Durable,
        // The prepare found rows it filters past `max_filter_ratio` and aborted the
        // transaction.
        (Op::Prepare, Verdict::Fatal { message, .. }) if rejects_rows(&message) => {
            Next::Rejected(message)
        }
        (_, Verdict::Fatal { message, error_url }) => Next::Fail {
            kind: FailureKind::Permanent,
            reason: message,
            error_url,
            // A refused commit is settled by the label's state; anything else begins anew.
            then: if op == Op::Commit {
                Step::AskState
            } else {
                Step::Rollback
            },
        },
        (Op::Commit, Verdict::AskState(r) | Verdict::Retry(r) | Verdict::Restart(r)) => {
            fail(FailureKind::Transient, r, Step::AskState)
        }
        (_, Verdict::AskState(r)) => fail(FailureKind::Transient, r, Step::AskState),
        (Op::Load, Verdict::Retry(r)) => fail(FailureKind::Transient, r, Step::Rollback),
        (op, Verdict::Retry(r)) => fail(FailureKind::Transient, r, step_of(op)),
        (_, Verdict::Restart(r)) => fail(FailureKind::Transient, r, Step::Rollback),
        (Op::Rollback, Verdict::Done(_)) => Next::Go(Step::Begin),
    }
}

fn step_of(op: Op) -> Step {
    match op {
        Op::Begin => Step::Begin,
        Op::Load => Step::Load,
        Op::Prepare => Step::Prepare,
        Op::Commit => Step::Commit,
        Op::Rollback => Step::Rollback,
    }
}

/// `reason` with the first lines of the rejected-row log at `url`, when it can be read.
async fn with_rejected_rows(client: &StreamLoadClient, reason: String, url: &str) -> String {
    match client.error_log(url).await {
        Some(rows) => format!("{reason}\nRejected rows (from {url}):\n{rows}"),
        None => {
            format!("{reason}\nThe rejected rows were logged at {url}, which could not be read.")
        }
    }
}

/// The error of a load the policy gave up on.
fn give_up_error(req: &LoadRequest, user: &str, failure: &Failure) -> Error {
    let message = format!(
        "Stream Load of label '{}' into {}.{} as user '{user}' failed and will not be retried \
         after {} attempt{} (sink.table.failure=fail): {}",
        req.label,
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

/// The turn of a load that waits for no other: it may commit at once.
pub fn now() -> watch::Receiver<bool> {
    watch::channel(true).1
}

/// True once the canceller said so, or is gone.
pub(super) fn is_cancelled(cancel: &watch::Receiver<bool>) -> bool {
    *cancel.borrow() || cancel.has_changed().is_err()
}

async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Runs `work` unless `cancel` turns true first; `None` when cancelled (the work is dropped,
/// which closes its connection).
pub(super) async fn until_cancelled<T>(
    work: impl std::future::Future<Output = T>,
    cancel: &mut watch::Receiver<bool>,
) -> Option<T> {
    if is_cancelled(cancel) {
        return None;
    }
    tokio::select! {
        out = work => Some(out),
        _ = cancel.wait_for(|c| *c) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_load_whose_commit_was_sent_fences_its_transaction_before_it_stops() {
        use LabelState::*;
        let go = |step| OnState::Go(Next::Go(step));
        for state in [Prepared, Open] {
            assert_eq!(on_state(state, true, true, true), OnState::FenceThenAsk);
        }
        assert_eq!(
            on_state(Durable, true, true, true),
            OnState::Go(Next::Durable)
        );
        // Aborted or unknown once fenced: nothing of it can land; the cancelled check stops
        // the load before it begins again.
        assert_eq!(on_state(Absent, true, true, true), go(Step::Begin));
        // No commit sent: nothing can land; stop at once.
        assert_eq!(on_state(Prepared, true, false, true), OnState::Stop);
        // Not cancelled: commit its own prepared transaction, roll back anything else.
        assert_eq!(on_state(Prepared, false, true, true), go(Step::Commit));
        assert_eq!(on_state(Prepared, false, false, false), go(Step::Rollback));
        assert_eq!(on_state(Open, false, false, false), go(Step::Rollback));
    }

    #[test]
    fn a_cancelled_load_only_settles_a_commit_it_already_sent() {
        let stops =
            |step, began, sent, dropped| match stop_when_cancelled(step, began, sent, dropped) {
                None => "go on",
                Some(Ended::Cancelled { rollback: true }) => "stop, roll back",
                Some(Ended::Cancelled { rollback: false }) => "stop",
                Some(Ended::GaveUp(_)) => "gave up",
                Some(Ended::Rejected { .. }) => "rejected",
            };
        // No commit sent: stop at once, whatever the step.
        assert_eq!(stops(Step::Begin, false, false, false), "stop");
        assert_eq!(stops(Step::Load, true, false, false), "stop, roll back");
        assert_eq!(stops(Step::AskState, true, false, false), "stop, roll back");
        // A commit sent: ask the label until it tells, while the table holds the load...
        assert_eq!(stops(Step::AskState, true, true, false), "go on");
        assert_eq!(stops(Step::AskState, true, true, true), "stop, roll back");
        // ...but never begin again, and never commit again (the label said PREPARED).
        assert_eq!(stops(Step::Begin, true, true, false), "stop, roll back");
        assert_eq!(stops(Step::Rollback, true, true, false), "stop, roll back");
        assert_eq!(stops(Step::Commit, true, true, false), "stop, roll back");
    }
}
