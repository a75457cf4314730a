//! The intake: a task's batches taken in behind `put`, beside Connect's next polls.
//!
//! Connect's task thread polls, converts and calls `put` in turn; whatever `put` does, the
//! consuming waits for. [`Intake::submit`] copies the batch to the sink's intake thread and
//! returns at once with the answers to the batches taken in since, so decoding, encoding and
//! flushing overlap polling and converting the next batches. The task thread waits only when
//! [`DEPTH`] batches are not yet taken in: the queue absorbs the moments the intake thread
//! does not get a core, as long as it keeps up on average.
//!
//! Invariants: batches are taken in in the order submitted, one at a time. Each answer is
//! handed over exactly once, in order, by a later `submit`. [`Intake::settled`] waits until
//! no submitted batch is still to be taken in, so `pre_commit`, `open` and `close` see every
//! record Connect counts as delivered. A panic while taking a batch in becomes that batch's
//! error. After [`Intake::close`] the thread takes nothing more in and ends.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::Answer;
use crate::error::{Error, Result};

/// How many submitted batches may wait to be taken in (the one being taken in included)
/// before `submit` waits.
pub const DEPTH: usize = 3;

pub(super) struct Intake {
    inner: Arc<Inner>,
}

struct Inner {
    slot: Mutex<Slot>,
    /// Wakes the thread: a batch was queued, or the intake closed.
    work: Condvar,
    /// Wakes `submit` and `settled`: a batch was taken in, or the intake closed.
    room: Condvar,
}

#[derive(Default)]
struct Slot {
    /// Batches submitted and not yet picked up by the thread, oldest first, with their
    /// numbers.
    queued: VecDeque<(u64, Vec<u8>)>,
    /// The thread is taking a batch in.
    busy: bool,
    /// The answers of the batches taken in, not yet handed over, oldest first.
    answers: Vec<Answer>,
    /// Memory of batches taken in, for the next copies.
    spare: Vec<Vec<u8>>,
    /// A batch failed: every later submit fails with this, since the batches after it were
    /// not taken in.
    failed: Option<String>,
    /// The error of the batch that failed, until a submit hands it over.
    error: Option<Error>,
    closed: bool,
    /// The thread waits for a batch: `submit` must wake it.
    idle: bool,
    /// How many callers wait in `wait_until`: the thread must wake them. Without waiters
    /// nobody is woken, which saves a system call per batch on either side.
    waiting: usize,
}

impl Slot {
    /// Why a batch cannot be submitted now: the intake closed, or a batch failed (its error
    /// once, handed over here, then the failure's text).
    fn refusal(&mut self) -> Option<Error> {
        if self.closed {
            return Some(stopped());
        }
        if let Some(e) = self.error.take() {
            return Some(e);
        }
        self.failed
            .as_ref()
            .map(|failed| Error::fatal(failed.clone()))
    }

    /// How many submitted batches are still to be taken in (none once closed: the thread
    /// drops them).
    fn in_progress(&self) -> usize {
        usize::from(self.busy) + if self.closed { 0 } else { self.queued.len() }
    }
}

impl Intake {
    /// Starts an intake thread that takes each batch in with `take` (the sink's
    /// `Shared::take`).
    pub(super) fn spawn(
        take: impl Fn(&[u8], u64) -> Result<Answer> + Send + 'static,
    ) -> Result<Intake> {
        let inner = Arc::new(Inner {
            slot: Mutex::new(Slot::default()),
            work: Condvar::new(),
            room: Condvar::new(),
        });
        let thread_inner = Arc::clone(&inner);
        std::thread::Builder::new()
            .name("starrocks-intake".to_owned())
            .spawn(move || run(&thread_inner, take))
            .map_err(|e| Error::fatal(format!("Could not start the sink's intake thread: {e}")))?;
        Ok(Intake { inner })
    }

    /// Hands `batch` (copied) to the thread, first waiting while [`DEPTH`] batches are still
    /// to be taken in, and returns the answers of those taken in since the last call. On a
    /// batch's error, `batch` is not taken.
    #[cfg(test)]
    pub(super) fn submit(&self, batch: &[u8], number: u64) -> Result<Vec<Answer>> {
        self.submit_with(
            batch.len(),
            |copy| {
                copy.copy_from_slice(batch);
                Ok(())
            },
            number,
        )
    }

    /// [`submit`](Self::submit) of a batch of `len` bytes that `fill` writes into the intake's
    /// buffer, so a caller whose bytes are not a slice (a Java array) copies them once. The
    /// lock is not held while `fill` runs; if it fails, nothing is queued.
    pub(super) fn submit_with(
        &self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<()>,
        number: u64,
    ) -> Result<Vec<Answer>> {
        let mut copy = {
            let mut slot = self.inner.wait_until(|s| s.in_progress() < DEPTH);
            if let Some(refused) = slot.refusal() {
                return Err(refused);
            }
            slot.spare.pop().unwrap_or_default()
        };
        // A spare buffer keeps its length, so only what it grows by is zeroed.
        copy.resize(len, 0);
        let filled = fill(&mut copy);
        let mut slot = self.inner.lock();
        // Look again: while the lock was free, an earlier batch may have failed (then this one
        // must not be taken in after it) or the intake closed.
        if let Some(refused) = filled.err().or_else(|| slot.refusal()) {
            slot.spare.push(copy);
            return Err(refused);
        }
        // Only this task's thread submits, and the intake only takes batches out: there is
        // still room for this one.
        let answers = std::mem::take(&mut slot.answers);
        slot.queued.push_back((number, copy));
        let idle = slot.idle;
        drop(slot);
        if idle {
            self.inner.work.notify_one();
        }
        Ok(answers)
    }

    /// Waits until no submitted batch is still to be taken in, then gives `f` the answers not
    /// yet handed over.
    pub(super) fn settled<R>(&self, f: impl FnOnce(&mut [Answer]) -> R) -> R {
        let mut slot = self.inner.wait_until(|s| s.in_progress() == 0);
        f(&mut slot.answers)
    }

    /// Ends the thread once it is done with the batch it is taking in; a batch still queued is
    /// dropped. Returns at once.
    pub(super) fn close(&self) {
        self.inner.lock().closed = true;
        self.inner.work.notify_one();
        self.inner.room.notify_all();
    }
}

fn stopped() -> Error {
    Error::fatal("The StarRocks sink is stopped.")
}

impl Drop for Intake {
    fn drop(&mut self) {
        self.close();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait_until(&self, ready: impl Fn(&Slot) -> bool) -> MutexGuard<'_, Slot> {
        let mut slot = self.lock();
        while !ready(&slot) {
            slot.waiting += 1;
            slot = self.room.wait(slot).unwrap_or_else(|e| e.into_inner());
            slot.waiting -= 1;
        }
        slot
    }

    /// Wakes the callers waiting in `wait_until`, if any.
    fn wake_waiting(&self, slot: MutexGuard<'_, Slot>) {
        let waiting = slot.waiting > 0;
        drop(slot);
        if waiting {
            self.room.notify_all();
        }
    }
}

/// The thread: takes each queued batch in, until closed.
fn run(inner: &Inner, take: impl Fn(&[u8], u64) -> Result<Answer>) {
    loop {
        let batch = {
            let mut slot = inner.lock();
            while slot.queued.is_empty() && !slot.closed {
                slot.idle = true;
                slot = inner.work.wait(slot).unwrap_or_else(|e| e.into_inner());
                slot.idle = false;
            }
            if slot.closed {
                slot.queued.clear();
                inner.wake_waiting(slot);
                return;
            }
            slot.busy = true;
            slot.queued.pop_front().expect("a batch is queued")
        };
        let (number, batch) = batch;
        let answer = panic::catch_unwind(AssertUnwindSafe(|| take(&batch, number)))
            .unwrap_or_else(|payload| Err(Error::fatal(panicked(payload.as_ref()))));
        let mut slot = inner.lock();
        match answer {
            Ok(answer) => slot.answers.push(answer),
            Err(e) => {
                // The batches after it are not taken in: Connect counts them as delivered.
                slot.failed = Some(e.to_string());
                slot.error = Some(e);
                slot.queued.clear();
            }
        }
        slot.spare.push(batch);
        slot.busy = false;
        inner.wake_waiting(slot);
    }
}

pub(super) fn panicked(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    format!("The StarRocks sink's native code failed while taking a batch in: {what}")
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;

    use super::*;

    const LONG: Duration = Duration::from_secs(10);

    /// Runs `test` on a thread of its own and fails if it has not ended within a minute, so a
    /// wait that never ends fails the test instead of hanging the suite.
    fn bounded(test: impl FnOnce() + Send + 'static) {
        let (ended, end) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            test();
            ended.send(()).ok();
        });
        match end.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => thread.join().unwrap(),
            Err(RecvTimeoutError::Disconnected) => {
                if let Err(panic) = thread.join() {
                    panic::resume_unwind(panic);
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("the test still waits after a minute"),
        }
    }

    fn answered(records: u32) -> Result<Answer> {
        Ok(Answer {
            records,
            ..Answer::default()
        })
    }

    /// A `take` that tells the test the number of each batch it starts on, then waits for
    /// the test's go (or for the test to hang up) before answering it.
    #[allow(clippy::type_complexity)]
    fn gated() -> (
        impl Fn(&[u8], u64) -> Result<Answer> + Send + 'static,
        mpsc::Receiver<u64>,
        mpsc::Sender<()>,
    ) {
        let (started, starts) = mpsc::channel();
        let (go, gate) = mpsc::channel::<()>();
        let take = move |_: &[u8], number| {
            started.send(number).ok();
            gate.recv().ok();
            answered(1)
        };
        (take, starts, go)
    }

    /// A `take` that tells the test the number of each batch it takes in, and fails the batch
    /// `bad`.
    #[allow(clippy::type_complexity)]
    fn recording() -> (
        impl Fn(&[u8], u64) -> Result<Answer> + Send + 'static,
        mpsc::Receiver<u64>,
    ) {
        let (taken, takes) = mpsc::channel();
        let take = move |batch: &[u8], number| {
            taken.send(number).ok();
            if batch == b"bad" {
                return Err(Error::data("the batch is bad"));
            }
            answered(1)
        };
        (take, takes)
    }

    #[test]
    fn a_panic_while_taking_a_batch_in_is_that_batchs_error_and_every_later_submits() {
        bounded(|| {
            let intake = Intake::spawn(|batch: &[u8], _| {
                assert!(batch != b"boom", "the batch went boom");
                answered(1)
            })
            .unwrap();
            intake.submit(b"fine", 1).unwrap();
            intake.submit(b"boom", 2).unwrap();
            intake.settled(|_| ());
            let err = intake.submit(b"fine", 3).expect_err("the panic");
            assert!(
                err.to_string()
                    .contains("failed while taking a batch in: the batch went boom"),
                "{err}"
            );
            assert!(!err.is_retriable());
            let again = intake.submit(b"fine", 4).expect_err("still failed");
            assert!(again.to_string().contains("went boom"), "{again}");
        });
    }

    #[test]
    fn a_batch_copied_while_an_earlier_one_fails_is_refused_not_taken_in() {
        bounded(|| {
            let (take, takes) = recording();
            let intake = Intake::spawn(take).unwrap();
            intake.submit(b"bad", 1).unwrap();
            // Batch 2 is being copied (the lock is free) while batch 1 fails.
            let err = intake
                .submit_with(
                    2,
                    |copy| {
                        intake.settled(|_| ());
                        copy.copy_from_slice(b"ok");
                        Ok(())
                    },
                    2,
                )
                .expect_err("batch 1 failed");
            assert!(err.to_string().contains("the batch is bad"), "{err}");
            intake.settled(|_| ());
            assert_eq!(takes.try_iter().collect::<Vec<_>>(), vec![1]);
            let again = intake.submit(b"ok", 3).expect_err("still failed");
            assert!(again.to_string().contains("the batch is bad"), "{again}");
        });
    }

    #[test]
    fn a_copy_that_fails_queues_nothing() {
        bounded(|| {
            let (take, takes) = recording();
            let intake = Intake::spawn(take).unwrap();
            let err = intake
                .submit_with(3, |_| Err(Error::fatal("the copy failed")), 1)
                .expect_err("the copy's error");
            assert!(err.to_string().contains("the copy failed"), "{err}");
            intake.submit(b"next", 2).unwrap();
            intake.settled(|_| ());
            assert_eq!(takes.try_iter().collect::<Vec<_>>(), vec![2]);
        });
    }

    #[test]
    fn close_finishes_the_batch_being_taken_in_and_drops_those_still_queued() {
        bounded(|| {
            let (take, starts, go) = gated();
            let intake = Intake::spawn(take).unwrap();
            intake.submit(b"1", 1).unwrap();
            assert_eq!(starts.recv_timeout(LONG), Ok(1));
            intake.submit(b"2", 2).unwrap();
            intake.submit(b"3", 3).unwrap();
            intake.close();
            go.send(()).unwrap();
            // The thread ends without starting on 2 or 3: `take`, and the sender in it, are gone.
            assert_eq!(
                starts.recv_timeout(LONG),
                Err(RecvTimeoutError::Disconnected)
            );
            // Nothing is left to wait for, and nothing more is taken.
            intake.settled(|answers| assert_eq!(answers.len(), 1));
            let err = intake.submit(b"4", 4).expect_err("closed");
            assert!(err.to_string().contains("stopped"), "{err}");
        });
    }

    #[test]
    fn submit_waits_while_depth_batches_are_not_yet_taken_in() {
        bounded(|| {
            let (take, starts, go) = gated();
            let intake = Arc::new(Intake::spawn(take).unwrap());
            for number in 1..=DEPTH as u64 {
                intake.submit(b"x", number).unwrap();
            }
            assert_eq!(starts.recv_timeout(LONG), Ok(1));
            let (returned, returns) = mpsc::channel();
            let waiting = Arc::clone(&intake);
            let submitter = std::thread::spawn(move || {
                let answers = waiting.submit(b"x", DEPTH as u64 + 1).unwrap();
                returned.send(answers.len()).unwrap();
            });
            assert_eq!(
                returns.recv_timeout(Duration::from_millis(300)),
                Err(RecvTimeoutError::Timeout),
                "submit returned with {DEPTH} batches not yet taken in"
            );
            go.send(()).unwrap();
            // Batch 1 is taken in: there is room, and its answer comes back with the call.
            assert_eq!(returns.recv_timeout(LONG), Ok(1));
            submitter.join().unwrap();
            drop(go);
            intake.settled(|answers| assert_eq!(answers.len(), DEPTH));
        });
    }
}
