//! The sink: records in, Stream Loads out, durable offsets back.
//!
//! [`Sink::put`] runs one put batch through the stages: **decode** (the shim's batch format)
//! → **route** (each record to its table: `topic2table.map`, else its topic) → **encode**
//! (its rows into the table's buffer) → **flush** (the due buffers sealed into loads) →
//! **load** (each table's worker, on the core's runtime, sends its loads in order). Then the
//! **flow** stage tells the shim which partitions to pause or resume, so `put` never waits
//! for StarRocks. [`Sink::pre_commit`] returns the offsets whose rows StarRocks holds.
//!
//! Each table keeps its own state ([`Table`]): its buffer, its loads, its health. A table
//! whose loads fail pauses only its own partitions; the others go on loading and committing.
//!
//! Under `sink.semantic=exactly-once`, before **route**: the records of a partition whose
//! recovery is not done are handed back (rewound; the partition paused), and after it the
//! records the progress table says a table already holds are skipped (see `recovery` and
//! `progress`).
//!
//! Invariants: an offset is committable only once StarRocks has the rows of every record
//! before it (see `offsets`); native memory for rows stays within the bound `pressure`
//! states; no Connect callback waits long: `put` and `pre_commit` never, `close` at most
//! [`CLOSE_WAIT`], `stop` not at all; a load of a revoked partition never commits after
//! `close` returns (see `table`), unless a commit it sent is still unsettled when `close`
//! stops waiting: under exactly-once the partition's next owner, this task included, fences
//! or waits for it before recovering.

mod follow;
mod intake;
mod recovery;
mod rejected;
mod worker;

pub use recovery::reset_progress;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::buffer::{self, Bodies, FlushReason, Layout};
use crate::config::{Semantic, SinkConfig};
use crate::decode::Decoder;
use crate::encode::RowEncoder;
use crate::error::{Error, Result};
use crate::label::LabelScope;
use crate::metrics::{Metrics, TableMetrics};
use crate::offsets::{same_topic, LoadId, OffsetTracker, TopicPartition, SKIPPED};
use crate::pressure;
use crate::progress::Loaded;
use crate::query::QueryClient;
use crate::record::Record;
use crate::stream_load::{RetryPolicy, StreamLoadClient};
use crate::table::{ExactlyOnce, Sequence, Shape, Table};

/// The longest `close` waits for cancelled loads of revoked partitions to come back.
pub const CLOSE_WAIT: Duration = Duration::from_secs(10);
/// While partitions are paused, how soon the shim calls `put` again to resume them.
pub const RESUME_CHECK: Duration = Duration::from_millis(500);
/// While `submit`'s reply answers no batch (the intake is still on them), how soon the shim
/// calls `put` again for the answers.
pub const INTAKE_BEHIND: Duration = Duration::from_millis(20);
/// While rows are on their way to StarRocks, how soon the shim calls `put` again, and the
/// least time between two offset commits the sink asks for: offsets commit within about this
/// long of their rows becoming durable, not at Connect's next `offset.flush.interval.ms`.
pub const COMMIT_SOON: Duration = Duration::from_millis(200);

/// A record `put` skipped under `errors.tolerance=all`, for the errant record reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Position of the record in the batch.
    pub index: u32,
    pub message: String,
}

/// What the shim does with the consumer after a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// Partitions to pause (`SinkTaskContext.pause`).
    pub pause: Vec<TopicPartition>,
    /// Partitions to resume.
    pub resume: Vec<TopicPartition>,
    /// Call `put` again within this long, even with nothing to deliver (`context.timeout`).
    pub call_again_in: Option<Duration>,
    /// Records handed back: consume these partitions again from these offsets
    /// (`SinkTaskContext.offset`). Exactly-once: records of partitions still recovering.
    pub rewind: Vec<(TopicPartition, i64)>,
    /// Rows became durable since the last `pre_commit`, at least [`COMMIT_SOON`] ago: ask
    /// Connect to commit offsets now (`SinkTaskContext.requestCommit`).
    pub commit: bool,
}

/// What `put` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutReply {
    /// Rejected records, by their position in the batches this reply answers, taken
    /// together in order.
    pub rejected: Vec<Rejected>,
    pub flow: Flow,
    /// How many batches this reply answers: the oldest ones not yet answered.
    pub batches: u32,
}

/// A batch taken in, its answer not yet handed to the shim. Its rejected records are held in
/// the tracker (Connect has not been asked to report them, so no offset may pass them) until
/// the task thread puts again after [`Shared::hand_over`] gave them to the shim
/// ([`Shared::confirm_reports`]): by then the shim has made their reports.
#[derive(Debug, Default)]
struct Answer {
    /// How many records the batch held.
    records: u32,
    rejected: Vec<Rejected>,
    /// The partition and offset of each of `rejected`, in the same order.
    held: Vec<(TopicPartition, i64)>,
    /// What to do with the consumer, as of the end of the batch.
    flow: Flow,
    /// The replay rewinds among `flow.rewind`, by the number `Reports` gave each.
    replays: Vec<(TopicPartition, u64)>,
}

impl Answer {
    /// Forgets what concerns revoked partitions: their offsets are forgotten and Connect's
    /// next owner consumes (and reports) their records again.
    fn forget(&mut self, revoked: &HashSet<TopicPartition>) {
        let (rejected, held) = std::mem::take(&mut self.rejected)
            .into_iter()
            .zip(std::mem::take(&mut self.held))
            .filter(|(_, (tp, _))| !revoked.contains(tp))
            .unzip();
        self.rejected = rejected;
        self.held = held;
        // A stale pause must not pause a partition the task gets back.
        self.flow.pause.retain(|tp| !revoked.contains(tp));
        self.flow.resume.retain(|tp| !revoked.contains(tp));
        self.flow.rewind.retain(|(tp, _)| !revoked.contains(tp));
        self.replays.retain(|(tp, _)| !revoked.contains(tp));
    }
}

/// A partition handed back (exactly-once recovery).
#[derive(Debug, Clone, Copy)]
struct Rewound {
    /// The first batch Connect polls after seeking back: the number of the batch submitted
    /// with the call that handed the rewind over, plus one. `None` until then. Records of the
    /// partition in earlier batches were consumed before the seek, and are dropped: Connect
    /// delivers them again.
    from_batch: Option<u64>,
}

struct State {
    decoder: Decoder,
    tables: BTreeMap<String, Table>,
    tracker: OffsetTracker,
    seq: Sequence,
    /// The partitions the shim was told to pause and not yet to resume.
    paused: BTreeSet<TopicPartition>,
    /// Partitions closed and not opened again: no row of theirs may be sent.
    revoked: HashSet<TopicPartition>,
    /// The partitions assigned to the task (opened and not closed); `None` until the first
    /// `open`. A record of any other partition cannot have its offset committed.
    assigned: Option<HashSet<TopicPartition>>,
    /// Why the sink failed (a table under `sink.table.failure=fail`, a core thread that
    /// stopped). Every later call reports it.
    failure: Option<String>,
    /// Exactly-once: the records StarRocks already holds, per partition and table.
    loaded: Loaded,
    /// Exactly-once: partitions opened whose progress is still being recovered, each with the
    /// number of the recovery that `open` started for it. Their records are handed back
    /// (rewound) and they stay paused. Only that recovery settles a partition: one started by
    /// an earlier `open` may outlive a `close`, and what it read is not the partition's now.
    recovering: BTreeMap<TopicPartition, u64>,
    /// Exactly-once: recoveries started so far (the last one's number).
    recoveries: u64,
    /// Partitions handed back; until a record of theirs comes back from the rewind on,
    /// Connect's position for them is not theirs to commit.
    rewound: BTreeMap<TopicPartition, Rewound>,
    /// Records StarRocks rejected, to report when Connect delivers them again.
    reports: rejected::Reports,
    /// Rejected records handed to the shim to report, in the reply to the task thread's last
    /// put, still held in the tracker: the shim has reported them (and Connect's reporter has
    /// them) once it puts again (`Shared::confirm_reports`).
    reports_handed: Vec<(TopicPartition, i64)>,
    /// When `pre_commit` was last called.
    last_commit: Instant,
    /// A batch failed while being taken in: Connect counts records as delivered that the sink
    /// never took (all of the batch's from the failing record on, and the batches queued
    /// behind it), so its consumed positions no longer say what the sink has.
    batch_failed: bool,
}

struct Shared {
    config: SinkConfig,
    shape: Shape,
    policy: RetryPolicy,
    tolerate_errors: bool,
    /// `sink.properties.max_filter_ratio` (0 when unset), for the records StarRocks rejects.
    max_filter_ratio: f64,
    client: Arc<StreamLoadClient>,
    /// Exactly-once only: SQL over the FE's MySQL protocol.
    query: Option<QueryClient>,
    /// How many batches were submitted (or put): each batch's number.
    batches: AtomicU64,
    /// Tables that follow the source: creates them and adds their columns.
    follower: Option<Arc<follow::Follower>>,
    /// Exactly-once: the cluster's version was checked and the progress table exists.
    progress_ready: tokio::sync::Mutex<bool>,
    metrics: Metrics,
    span: tracing::Span,
    state: Mutex<State>,
    changed: Condvar,
    stopped: AtomicBool,
    /// `State::reports_handed` holds reports (saves a lock per call when none do).
    reports_handed: AtomicBool,
}

/// A running sink: one per Connect task.
pub struct Sink {
    shared: Arc<Shared>,
    /// The thread [`Sink::submit`] hands batches to, started by the first.
    intake: OnceLock<intake::Intake>,
}

impl Sink {
    /// Builds a sink from the task's properties. `connector` and `task` name it in logs and
    /// in its labels.
    pub fn start(props: &HashMap<String, String>, connector: &str, task: &str) -> Result<Sink> {
        let config = SinkConfig::from_map(props)?;
        let tolerate_errors = props
            .get("errors.tolerance")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("all"));
        let span = tracing::info_span!("sink", connector = connector, task = task);
        let layout = Layout::of(&config);
        let exactly_once = config.semantic == Semantic::ExactlyOnce;
        let loads_in_flight = config.loads_in_flight;
        let shape = Shape {
            encoder: RowEncoder::new(&config),
            body_limit: layout.body_limit(&config),
            layout,
            labels: LabelScope::random(connector, task),
            loads_in_flight,
            // As many as one busy table's buffer and loads cycle through.
            bodies: Bodies::new(loads_in_flight),
            exactly_once: exactly_once.then(|| ExactlyOnce {
                connector: connector.to_owned(),
                progress_table: config.progress_table.clone(),
            }),
            follow: (config.table_create || config.table_evolve)
                .then_some(config.temporal_rendering),
        };
        let shared = Arc::new(Shared {
            client: Arc::new(StreamLoadClient::new(&config)?),
            query: exactly_once.then(|| QueryClient::new(&config)),
            follower: follow::Follower::of(&config).map(Arc::new),
            batches: AtomicU64::new(0),
            progress_ready: tokio::sync::Mutex::new(false),
            policy: RetryPolicy::of(&config),
            shape,
            tolerate_errors,
            max_filter_ratio: config
                .load_headers
                .get("max_filter_ratio")
                .and_then(|r| r.trim().parse::<f64>().ok())
                .unwrap_or(0.0),
            metrics: Metrics::default(),
            span,
            state: Mutex::new(State {
                decoder: Decoder::new()
                    .with_plain_values(RowEncoder::writes_plain_data(&config))
                    .with_typed_data(RowEncoder::writes_typed_data(&config)),
                tables: BTreeMap::new(),
                tracker: OffsetTracker::new(),
                seq: Sequence::default(),
                paused: BTreeSet::new(),
                revoked: HashSet::new(),
                assigned: None,
                failure: None,
                loaded: Loaded::default(),
                recovering: BTreeMap::new(),
                recoveries: 0,
                rewound: BTreeMap::new(),
                reports: rejected::Reports::default(),
                reports_handed: Vec::new(),
                last_commit: Instant::now(),
                batch_failed: false,
            }),
            changed: Condvar::new(),
            stopped: AtomicBool::new(false),
            reports_handed: AtomicBool::new(false),
            config,
        });
        worker::spawn_interval_flush(&shared);
        shared.span.in_scope(|| {
            tracing::info!(
                urls = ?shared.config.http_urls,
                database = %shared.config.database,
                semantic = if exactly_once { "exactly-once" } else { "at-least-once" },
                label_nonce = %format!("{:016x}", shared.shape.labels.nonce()),
                "StarRocks sink started."
            )
        });
        Ok(Sink {
            shared,
            intake: OnceLock::new(),
        })
    }

    /// Partitions assigned to the task. They start unpaused (returned for the shim to resume:
    /// Connect may still hold a pause from before a rebalance), and rows of theirs may be sent
    /// again. Under exactly-once their recovery starts: until it is done they are paused again
    /// by the next `put` and their records handed back.
    pub fn open(&self, partitions: &[TopicPartition]) -> Result<Vec<TopicPartition>> {
        self.settle(|_| ());
        let mut state = self.shared.lock();
        check(&state)?;
        let assigned = state.assigned.get_or_insert_with(HashSet::new);
        assigned.extend(partitions.iter().cloned());
        let exactly_once = self.shared.shape.exactly_once.is_some();
        for tp in partitions {
            // Under exactly-once, a partition a load of this task still touches (`close` gave
            // up waiting for it) stays revoked for that load until its recovery has seen it
            // back (`recovery`).
            if !(exactly_once && state.tables.values().any(|t| t.settling(&|p| p == tp))) {
                state.revoked.remove(tp);
            }
            state.paused.remove(tp);
            // Opened again without a `close` (not what Connect does): the partition is resumed
            // from the position a rewind of its earlier recovery set, so that recovery's rewind
            // is asked for again by the first record that comes, instead of counted as done.
            state.rewound.remove(tp);
        }
        state.reports.forget(partitions);
        for table in state.tables.values_mut() {
            table.forget_reports(partitions);
        }
        if self.shared.query.is_some() && !partitions.is_empty() {
            state.recoveries += 1;
            let recovery = state.recoveries;
            for tp in partitions {
                state.recovering.insert(tp.clone(), recovery);
            }
            recovery::spawn(&self.shared, partitions.to_vec(), recovery);
        }
        tracing::debug!(parent: &self.shared.span, count = partitions.len(), "Partitions opened.");
        Ok(partitions.to_vec())
    }

    /// Takes one put batch (the shim's batch format) in the caller's thread. Returns the
    /// records skipped under `errors.tolerance=all` (any other bad record is an error) and
    /// what to pause or resume. Never waits for StarRocks. A sink is driven by `put` or by
    /// [`Sink::submit`], not both.
    pub fn put(&self, batch: &[u8]) -> Result<PutReply> {
        self.shared.confirm_reports();
        let number = self.shared.batches.fetch_add(1, Ordering::SeqCst) + 1;
        let answer = self.shared.take(batch, number)?;
        Ok(self.shared.hand_over(vec![answer], number))
    }

    /// Takes one put batch as `put` does, but behind: the batch is copied to the sink's intake
    /// thread, which takes it in while Connect polls the next ones, and the reply answers the
    /// batches taken in since the last call ([`PutReply::batches`]), with what to pause and
    /// resume now. Waits only while `intake::DEPTH` batches are not yet taken in. Rejected
    /// records stay held until this call hands them over, and an error of a batch becomes
    /// this call's error, and every later one's (never a retriable one: Connect would deliver
    /// again only this call's records).
    pub fn submit(&self, batch: &[u8]) -> Result<PutReply> {
        self.submit_with(batch.len(), |copy| {
            copy.copy_from_slice(batch);
            Ok(())
        })
    }

    /// [`submit`](Self::submit) of a batch of `len` bytes that `fill` writes into the intake's
    /// buffer: the one copy of a batch whose bytes are not a slice (a Java array). An error of
    /// `fill` is this call's, and nothing is submitted.
    pub fn submit_with(
        &self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<PutReply> {
        let intake = match self.intake.get() {
            Some(intake) => intake,
            None => {
                // A task's calls come from one thread at a time: no other can set it meanwhile.
                let shared = Arc::clone(&self.shared);
                let take = move |batch: &[u8], number| shared.take(batch, number);
                let _ = self.intake.set(intake::Intake::spawn(take)?);
                self.intake.get().expect("the intake was just set")
            }
        };
        self.shared.confirm_reports();
        let number = self.shared.batches.fetch_add(1, Ordering::SeqCst) + 1;
        let answers = intake.submit_with(len, fill, number).map_err(|e| {
            if e.is_retriable() {
                Error::fatal(e.to_string())
            } else {
                e
            }
        })?;
        Ok(self.shared.hand_over(answers, number))
    }

    /// Waits until the intake holds no batch not yet taken in, then gives `f` the answers not
    /// yet handed over.
    fn settle<R>(&self, f: impl FnOnce(&mut [Answer]) -> R) -> R {
        match self.intake.get() {
            Some(intake) => intake.settled(f),
            None => f(&mut []),
        }
    }
}

impl Shared {
    /// Takes one put batch in ([`Shared::take_in`]). After a batch fails, `pre_commit` commits
    /// only what the offset tracker knows is durable, never Connect's consumed position:
    /// `submit` answered before the batch was taken in, so Connect counts its records (and
    /// those of the batches queued behind it) as delivered, and would otherwise commit past
    /// records never loaded, at a `preCommit` before the failing call or at `close` after it.
    /// A panic fails the sink as well (what it left half done is not to be trusted).
    fn take(self: &Arc<Self>, batch: &[u8], number: u64) -> Result<Answer> {
        let taken =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.take_in(batch, number)))
                .unwrap_or_else(|payload| {
                    let error = Error::fatal(intake::panicked(payload.as_ref()));
                    self.fail(error.to_string());
                    Err(error)
                });
        if taken.is_err() {
            self.lock().batch_failed = true;
        }
        taken
    }

    /// Takes one put batch in: decode, route, encode, flush, and the flow to answer with.
    /// `number`: the batch's place among those submitted (from 1).
    fn take_in(self: &Arc<Self>, batch: &[u8], number: u64) -> Result<Answer> {
        let shared = self;
        let mut guard = shared.lock();
        check(&guard)?;
        let State {
            decoder,
            tables,
            tracker,
            seq,
            assigned,
            failure,
            loaded,
            recovering,
            rewound,
            reports,
            ..
        } = &mut *guard;
        let mut rejected = Vec::new();
        let mut held = Vec::new();
        let mut rewind = Vec::new();
        let exactly_once = shared.query.is_some();
        let now = Instant::now();
        // Records come in runs of one partition and one table (Connect hands them over per
        // partition): what is looked up per partition is looked up once per run.
        let mut run: Option<Run<'_>> = None;
        let decoded = decoder.decode(batch)?;
        let records = decoded.len() as u32;
        for (index, record) in decoded.iter().enumerate() {
            if !run.as_ref().is_some_and(|r| r.holds(record)) {
                if let Some(done) = run {
                    done.settle(tracker);
                }
                let tp = TopicPartition {
                    topic: Arc::clone(record.original_topic),
                    partition: record.partition,
                };
                if assigned.as_ref().is_some_and(|a| !a.contains(&tp)) {
                    let error = not_assigned(&tp, record.offset);
                    *failure = Some(error.to_string());
                    return Err(error);
                }
                let lane = if recovering.contains_key(&tp) {
                    // Handed back: consumed again from its first offset once recovered.
                    if !rewound.contains_key(&tp) {
                        rewound.insert(tp.clone(), Rewound { from_batch: None });
                        rewind.push((tp.clone(), record.offset));
                    }
                    None
                } else if let Some(r) = rewound.get(&tp) {
                    if r.from_batch.is_some_and(|from| number >= from) {
                        // Consumed again from the rewind on.
                        rewound.remove(&tp);
                        Some(shared.route(tables, seq, record.topic))
                    } else {
                        // Polled before Connect sought back: it comes again.
                        None
                    }
                } else {
                    Some(shared.route(tables, seq, record.topic))
                };
                run = Some(Run {
                    tp,
                    topic: Arc::clone(record.topic),
                    table: lane,
                    span: Span::default(),
                });
            }
            let Run {
                tp, table, span, ..
            } = run.as_mut().expect("a run holds the record");
            let Some(table) = table.as_deref_mut() else {
                continue;
            };
            if !reports.is_idle() {
                match reports.replayed(tp, record.offset, number) {
                    rejected::Replayed::New => {}
                    rejected::Replayed::Skip => continue,
                    rejected::Replayed::Report(message) => {
                        // Held until handed over: Connect awaits the report before
                        // committing past it.
                        span.settle(tracker, tp);
                        TableMetrics::add(&table.metrics.dead_letter_records, 1);
                        rejected.push(Rejected {
                            index: index as u32,
                            message,
                        });
                        held.push((tp.clone(), record.offset));
                        continue;
                    }
                }
            }
            if exactly_once && loaded.holds(table.name(), tp, record.offset) {
                TableMetrics::add(&table.metrics.already_loaded, 1);
                span.note(tracker, tp, record.offset, SKIPPED);
                continue;
            }
            match table.append(record, tp, &shared.shape, seq, now) {
                Ok(load) => span.note(tracker, tp, record.offset, load.unwrap_or(SKIPPED)),
                Err(e) if shared.tolerate_errors && e.is_data() => {
                    TableMetrics::add(&table.metrics.dead_letter_records, 1);
                    span.note(tracker, tp, record.offset, SKIPPED);
                    span.settle(tracker, tp);
                    tracker.hold(tp, record.offset);
                    table.report_due(tp, record.offset);
                    rejected.push(Rejected {
                        index: index as u32,
                        message: e.to_string(),
                    });
                    held.push((tp.clone(), record.offset));
                }
                Err(e) => {
                    // The records before it are buffered: the tracker must know them.
                    span.settle(tracker, tp);
                    table.count_appended();
                    return Err(e);
                }
            }
        }
        if let Some(done) = run {
            done.settle(tracker);
        }
        let state = &mut *guard;
        for (tp, offset, gone) in state.reports.take_gone() {
            // Nothing will report it: its hold goes, and no load waits for it any longer.
            tracing::warn!(parent: &shared.span, topic = %tp.topic, partition = tp.partition, offset,
                "The record at topic={} partition={} offset={} is gone from the topic (retention \
                 or compaction): Connect did not deliver it again to be reported, so it is not \
                 in the dead-letter queue. {}",
                tp.topic, tp.partition, offset, gone.message);
            if let Some(table) = state.tables.get(&gone.table) {
                TableMetrics::add(&table.metrics.unreported_records, 1);
            }
            state.tracker.release(&tp, offset);
            for table in state.tables.values_mut() {
                table.reported(&[(tp.clone(), offset)]);
            }
        }
        shared.flush(state);
        let mut flow = shared.flow(state);
        let mut replays = Vec::new();
        for (tp, offset, number) in state.reports.take_rewinds() {
            rewind.push((tp.clone(), offset));
            replays.push((tp, number));
        }
        flow.rewind = rewind;
        if !rejected.is_empty() {
            tracing::warn!(parent: &shared.span, count = rejected.len(), "Records rejected under errors.tolerance=all, handed to Connect's errant record reporter.");
        }
        Ok(Answer {
            records,
            rejected,
            held,
            flow,
            replays,
        })
    }

    /// Hands answers to the shim as one reply, in order: their rejected records stay held until
    /// the next put says the shim reported them (the shim waits for Connect's reporter before
    /// its `put` returns; a report that fails fails that `put`, and no later one comes). A
    /// partition handed back counts its records again from the batch after
    /// `submitted` (the number of the batch submitted with this call), the first Connect polls
    /// after seeking back. The state is locked only for these, so that the task thread does
    /// not wait while the intake takes a batch in.
    fn hand_over(&self, answers: Vec<Answer>, submitted: u64) -> PutReply {
        if answers
            .iter()
            .any(|a| !a.held.is_empty() || !a.flow.rewind.is_empty())
        {
            let mut state = self.lock();
            // Still held: they are made only once the task thread puts again
            // (`confirm_reports`). A `put` that fails after this reply (a report the reporter
            // refuses) never does, and Connect's closing commit must stop below them.
            for (tp, offset) in answers.iter().flat_map(|a| &a.held) {
                state.reports_handed.push((tp.clone(), *offset));
            }
            if !state.reports_handed.is_empty() {
                self.reports_handed.store(true, Ordering::SeqCst);
            }
            for (tp, _) in answers.iter().flat_map(|a| &a.flow.rewind) {
                if let Some(r) = state.rewound.get_mut(tp) {
                    r.from_batch.get_or_insert(submitted + 1);
                }
            }
            for (tp, rewind) in answers.iter().flat_map(|a| &a.replays) {
                state.reports.handed(tp, *rewind, submitted + 1);
            }
        }
        let batches = answers.len() as u32;
        let mut reply = PutReply {
            batches,
            ..PutReply::default()
        };
        // Each answer's pauses and resumes change what the one before left: the last word on
        // a partition stands.
        let mut paused: BTreeMap<TopicPartition, bool> = BTreeMap::new();
        let mut rewind: BTreeMap<TopicPartition, i64> = BTreeMap::new();
        let mut base = 0u32;
        for answer in answers {
            reply
                .rejected
                .extend(answer.rejected.into_iter().map(|r| Rejected {
                    index: base + r.index,
                    message: r.message,
                }));
            base += answer.records;
            let flow = answer.flow;
            paused.extend(flow.pause.into_iter().map(|tp| (tp, true)));
            paused.extend(flow.resume.into_iter().map(|tp| (tp, false)));
            for (tp, offset) in flow.rewind {
                // Consumed again from the lowest offset asked for.
                let at = rewind.entry(tp).or_insert(offset);
                *at = (*at).min(offset);
            }
            reply.flow.call_again_in = flow.call_again_in;
            reply.flow.commit |= flow.commit;
        }
        for (tp, pause) in paused {
            if pause {
                reply.flow.pause.push(tp);
            } else {
                reply.flow.resume.push(tp);
            }
        }
        reply.flow.rewind = rewind.into_iter().collect();
        if batches == 0 {
            // The intake is still on the batches: come back soon for their answers, even if
            // no record arrives.
            reply.flow.call_again_in = Some(INTAKE_BEHIND);
        }
        reply
    }
}

impl Sink {
    /// Flushes the buffers that are due (as `put` does: a commit does not force a flush, so
    /// `bufferflush.intervalms` keeps its meaning) and returns, without waiting for loads in
    /// flight, the committable offset of every partition that has one: the next offset to
    /// consume. (Waiting would stop the task thread, and so the consuming, at every offset
    /// commit while the loads of a busy table are always on their way; what becomes durable
    /// meanwhile is committed at the next commit.)
    ///
    /// `consumed` is Connect's view (the offset after the last record it handed over, per
    /// original partition). Where every record the sink was given is durable, that offset is
    /// safe to commit even past records that never reached the sink (dropped by an SMT, such
    /// as Debezium's tombstones), so the consumer lag can reach zero.
    pub fn pre_commit(
        &self,
        consumed: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, i64)>> {
        // Connect counts a submitted batch as consumed: the tracker must know its records
        // before `consumed` can mean anything.
        self.settle(|_| ());
        let shared = &self.shared;
        let mut guard = shared.lock();
        check(&guard)?;
        shared.flush(&mut guard);
        let state = &mut *guard;
        state.last_commit = Instant::now();
        let mut offsets: BTreeMap<TopicPartition, i64> =
            state.tracker.committable().into_iter().collect();
        for (tp, offset) in consumed {
            if state.recovering.contains_key(tp) || state.rewound.contains_key(tp) {
                // Its records were handed back: Connect's position is past rows not loaded.
                offsets.remove(tp);
                continue;
            }
            if !state.batch_failed && state.tracker.is_partition_drained(tp) {
                let entry = offsets.entry(tp.clone()).or_insert(*offset);
                *entry = (*entry).max(*offset);
            }
        }
        Ok(offsets.into_iter().collect())
    }

    /// Partitions revoked: their buffered rows are dropped, their loads cancelled before their
    /// commit (waiting up to [`CLOSE_WAIT`] for those in flight to stop), and their offsets
    /// forgotten. A load that also held rows of other partitions goes on without the revoked
    /// ones, under a new label.
    pub fn close(&self, partitions: &[TopicPartition]) -> Result<()> {
        let shared = &self.shared;
        let revoked: HashSet<TopicPartition> = partitions.iter().cloned().collect();
        self.settle(|answers| {
            for answer in answers {
                answer.forget(&revoked);
            }
        });
        let mut guard = shared.lock();
        let is_revoked = |tp: &TopicPartition| revoked.contains(tp);
        {
            let state = &mut *guard;
            state.revoked.extend(revoked.iter().cloned());
            if let Some(assigned) = state.assigned.as_mut() {
                assigned.retain(|tp| !is_revoked(tp));
            }
            state.paused.retain(|tp| !is_revoked(tp));
            for table in state.tables.values_mut() {
                table.drop_partitions(
                    &is_revoked,
                    &shared.shape,
                    &mut state.seq,
                    &mut state.tracker,
                );
            }
            state.tracker.forget(partitions);
            state.loaded.forget(partitions);
            state.reports.forget(partitions);
            // (Their holds went with the tracker; the new owner, or this task after an `open`,
            // meets their records again.)
            state.reports_handed.retain(|(tp, _)| !is_revoked(tp));
            for tp in partitions {
                state.recovering.remove(tp);
                state.rewound.remove(tp);
            }
        }
        let deadline = Instant::now() + CLOSE_WAIT;
        while guard.tables.values().any(|t| t.settling(&is_revoked)) {
            let now = Instant::now();
            if now >= deadline || shared.is_stopped() {
                tracing::warn!(parent: &shared.span, "Loads of revoked partitions did not stop in time; their transactions are rolled back when they do.");
                break;
            }
            guard = shared.wait(guard, deadline - now);
        }
        tracing::debug!(parent: &shared.span, count = partitions.len(), "Partitions closed.");
        Ok(())
    }

    /// Stops the sink: buffered rows are dropped (their offsets were never committed) and
    /// loads are cancelled before their commit; their transactions are rolled back in the
    /// background. Returns at once; safe to call more than once.
    pub fn stop(&self) {
        let shared = &self.shared;
        if shared.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(intake) = self.intake.get() {
            intake.close();
        }
        let mut state = shared.lock();
        for table in state.tables.values_mut() {
            table.stop();
        }
        drop(state);
        shared.changed.notify_all();
        tracing::info!(parent: &shared.span, "StarRocks sink stopped.");
    }

    /// The only keys (map entries, struct fields) the sink reads of a record value that holds
    /// the first of them ([`RowEncoder::value_keys`]); `None` when it may read any.
    pub fn value_keys(&self) -> Option<&'static [&'static str]> {
        RowEncoder::value_keys(&self.shared.config)
    }

    /// The per-table counters, as `table\tcounter\tvalue` lines.
    pub fn metrics(&self) -> String {
        self.shared.metrics.render()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Consecutive records of one partition bound for one table, as `put` meets them: the
/// partition's checks and the table's lookup are done once per run, and the offsets of
/// consecutive records going to the same load reach the tracker as one span.
struct Run<'t> {
    tp: TopicPartition,
    /// The topic after transforms, which picked the table.
    topic: Arc<str>,
    /// `None` while the partition's records are handed back (exactly-once recovery).
    table: Option<&'t mut Table>,
    span: Span,
}

impl Run<'_> {
    fn holds(&self, record: &Record<'_>) -> bool {
        record.partition == self.tp.partition
            && same_topic(record.original_topic, &self.tp.topic)
            && same_topic(record.topic, &self.topic)
    }

    fn settle(mut self, tracker: &mut OffsetTracker) {
        self.span.settle(tracker, &self.tp);
        if let Some(table) = self.table {
            table.count_appended();
        }
    }
}

/// The load and last offset of a run's records not yet told to the tracker: consecutive
/// records of one load make one span, as `OffsetTracker::record` would join them.
#[derive(Default)]
struct Span(Option<(LoadId, i64)>);

impl Span {
    fn note(
        &mut self,
        tracker: &mut OffsetTracker,
        tp: &TopicPartition,
        offset: i64,
        load: LoadId,
    ) {
        match &mut self.0 {
            Some((l, last)) if *l == load => *last = offset,
            _ => {
                self.settle(tracker, tp);
                self.0 = Some((load, offset));
            }
        }
    }

    fn settle(&mut self, tracker: &mut OffsetTracker, tp: &TopicPartition) {
        if let Some((load, last)) = self.0.take() {
            tracker.record(tp, last, load);
        }
    }
}

/// A record of a partition the task was not assigned. Connect only hands a task records of its
/// own partitions, so the partition the record names is not the one it was consumed from: a
/// transform renamed its topic, and Kafka Connect before 3.6 does not tell a sink the original
/// (`SinkRecord.originalTopic()`). Its offset could only be committed under the wrong
/// partition, so the sink refuses rather than guess.
fn not_assigned(tp: &TopicPartition, offset: i64) -> Error {
    Error::fatal(format!(
        "The record at topic={} partition={} offset={} names a partition that is not assigned \
         to this task: a transform renamed its topic, and this Kafka Connect (before 3.6) does \
         not give a sink the original topic (SinkRecord.originalTopic()), so the record's \
         offset cannot be committed correctly. Use Kafka Connect 3.6 or newer, or drop the \
         topic-renaming transform and map topics to tables with topic2table.map.",
        tp.topic, tp.partition, offset
    ))
}

fn check(state: &State) -> Result<()> {
    match &state.failure {
        Some(message) => Err(Error::fatal(message.clone())),
        None => Ok(()),
    }
}

impl Shared {
    /// Exactly-once: recovery number `recovery` of `partitions` is done; records below
    /// `loaded` are skipped.
    fn recovered(&self, partitions: &[TopicPartition], recovery: u64, loaded: Loaded) {
        let mut state = self.lock();
        // Partitions closed meanwhile keep nothing of this recovery, nor do those opened again
        // since (a later recovery of theirs is under way).
        let gone: Vec<TopicPartition> = partitions
            .iter()
            .filter(|tp| {
                let ours = state.recovering.get(*tp) == Some(&recovery);
                if ours {
                    state.recovering.remove(*tp);
                }
                !ours
            })
            .cloned()
            .collect();
        let mut loaded = loaded;
        loaded.forget(&gone);
        state.loaded.extend(loaded);
        drop(state);
        self.changed.notify_all();
    }

    /// The task thread put again: the reports handed over in the reply to its last put are
    /// made (the shim reports a reply's records, and waits for Connect's reporter to have
    /// them, before its `put` returns; one that fails fails the task, which never puts again).
    /// Under exactly-once the loads that waited for them may commit. Only a put says so: after
    /// a `put` that failed, Connect still calls `preCommit` and `close`.
    fn confirm_reports(&self) {
        if !self.reports_handed.swap(false, Ordering::SeqCst) {
            return;
        }
        let mut state = self.lock();
        let made = std::mem::take(&mut state.reports_handed);
        for (tp, offset) in &made {
            state.tracker.release(tp, *offset);
        }
        for table in state.tables.values_mut() {
            table.reported(&made);
        }
    }

    /// Fails the sink: every later call reports `failure`.
    fn fail(&self, failure: String) {
        self.lock().failure.get_or_insert(failure);
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>, at_most: Duration) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout(guard, at_most.min(Duration::from_millis(200)))
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// The table a record of `topic` loads into, with its worker started on first use.
    fn route<'t>(
        self: &Arc<Self>,
        tables: &'t mut BTreeMap<String, Table>,
        seq: &mut Sequence,
        topic: &str,
    ) -> &'t mut Table {
        let name = self.config.table_for_topic(topic);
        if !tables.contains_key(name) {
            let table = Table::new(name, self.metrics.table(name), &self.shape, seq);
            worker::spawn_load_worker(self, name, Arc::clone(&table.wake));
            tables.insert(name.to_owned(), table);
        }
        tables.get_mut(name).expect("the table was just made")
    }

    /// Seals every due buffer into a load (the policy in `buffer`).
    fn flush(&self, state: &mut State) {
        if self.is_stopped() {
            return;
        }
        let buffered: Vec<(&String, buffer::Pending)> = state
            .tables
            .iter()
            .filter_map(|(name, t)| t.pending_buffer().map(|p| (name, p)))
            .collect();
        let pending: Vec<buffer::Pending> = buffered.iter().map(|(_, p)| *p).collect();
        let max = self.config.buffer_max_bytes;
        let share = max / (self.shape.loads_in_flight as u64 + 1);
        let due = buffer::due(
            &pending,
            max,
            share,
            self.config.flush_interval,
            Instant::now(),
        );
        let names: Vec<(String, FlushReason)> = due
            .into_iter()
            .map(|(i, reason)| (buffered[i].0.clone(), reason))
            .collect();
        for (name, reason) in names {
            if let Some(table) = state.tables.get_mut(&name) {
                table.seal(&self.shape, &mut state.seq, reason);
            }
        }
    }

    /// Which partitions to pause and resume now (the policy in `pressure`).
    fn flow(&self, state: &mut State) -> Flow {
        let pressures: Vec<_> = state.tables.values().map(Table::pressure).collect();
        let paused = pressure::paused(&pressures, self.config.buffer_max_bytes);
        let in_flight = pressures.iter().any(|p| p.pending > 0);
        let mut wanted: BTreeSet<TopicPartition> = state.recovering.keys().cloned().collect();
        // (Never one whose records Connect must deliver again to be reported: a table's loads
        // wait for those reports.)
        let awaited = |tp: &TopicPartition| state.tables.values().any(|t| t.awaiting_reports(tp));
        for ((table, pressure), paused) in state.tables.values().zip(&pressures).zip(paused) {
            TableMetrics::set(&table.metrics.pending_bytes, pressure.pending);
            if paused {
                wanted.extend(table.partitions().filter(|tp| !awaited(tp)).cloned());
            }
        }
        let pause: Vec<TopicPartition> = wanted.difference(&state.paused).cloned().collect();
        let resume: Vec<TopicPartition> = state.paused.difference(&wanted).cloned().collect();
        if !pause.is_empty() || !resume.is_empty() {
            tracing::debug!(parent: &self.span, pause = ?pause, resume = ?resume, "Partitions paused and resumed.");
        }
        state.paused = wanted;
        let call_again_in = if !state.paused.is_empty() {
            Some(RESUME_CHECK)
        } else if in_flight || state.tracker.advanced() {
            // To ask for the commit soon after the rows are durable, even with no record
            // coming (and once more if a commit came too recently to ask at once).
            Some(COMMIT_SOON)
        } else {
            None
        };
        Flow {
            pause,
            resume,
            call_again_in,
            rewind: Vec::new(),
            commit: state.tracker.advanced() && state.last_commit.elapsed() >= COMMIT_SOON,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::batch_writer::{self, Session};
    use crate::record::{Payload, Record};

    /// An exactly-once sink whose FE never answers (nothing listens on its ports): its loads
    /// and recoveries fail transiently and retry, so a test settles what it needs itself.
    pub(super) fn sink_of_nowhere() -> Sink {
        let props: HashMap<String, String> = [
            ("starrocks.http.url", "127.0.0.1:1"),
            ("starrocks.query.url", "127.0.0.1:1"),
            ("starrocks.database.name", "db"),
            ("starrocks.username", "root"),
            ("starrocks.password", ""),
            ("starrocks.topic2table.map", "t:tbl"),
            ("sink.semantic", "exactly-once"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Sink::start(&props, "c", "0").expect("the sink starts")
    }

    /// Records of topic `t`, one per (partition, offset), each `{"a":1}`.
    fn records(at: &[(i32, i64)]) -> Vec<Record<'static>> {
        let topic = batch_writer::topic("t");
        at.iter()
            .map(|&(partition, offset)| Record {
                original_topic: topic,
                partition,
                offset,
                topic,
                timestamp: None,
                key: Payload::Null,
                value: Payload::RawText(r#"{"a":1}"#),
            })
            .collect()
    }

    /// `sink_of_nowhere` with `partitions` opened and their recovery done.
    fn recovered_sink(partitions: &[TopicPartition]) -> Sink {
        let sink = sink_of_nowhere();
        sink.open(partitions).unwrap();
        sink.shared.recovered(partitions, 1, Loaded::default());
        sink
    }

    #[test]
    fn a_batch_polled_before_the_seek_and_taken_in_after_its_rewind_was_handed_over_is_no_replay() {
        let p0 = TopicPartition::new("t", 0);
        let sink = recovered_sink(std::slice::from_ref(&p0));
        let shared = &sink.shared;
        let mut session = Session::new();
        let first: Vec<(i32, i64)> = (0..30).map(|o| (0, o)).collect();
        shared.take(&session.batch(&records(&first)), 1).unwrap();
        // Probing found record 3 rejected.
        let due = rejected::Due {
            table: "tbl".into(),
            message: "rejected".into(),
        };
        shared.lock().reports.add(&p0, 3, due, 30);
        // Batch 2 is taken in, its answer carrying the rewind to 3; the call that submits
        // batch 3 hands it over before the intake takes batch 3 in. Connect polled batch 3
        // before it sought back: its records are new ones, not the replay's first.
        let answer = shared
            .take(&session.batch(&records(&[(0, 30)])), 2)
            .unwrap();
        assert_eq!(answer.flow.rewind, vec![(p0.clone(), 3)]);
        let reply = shared.hand_over(vec![answer], 3);
        assert_eq!(reply.flow.rewind, vec![(p0.clone(), 3)]);
        let third = shared
            .take(&session.batch(&records(&[(0, 31)])), 3)
            .unwrap();
        assert!(third.rejected.is_empty());
        let unreported = |state: &State| {
            let table = &state.tables["tbl"];
            table.metrics.unreported_records.load(Ordering::Relaxed)
        };
        assert_eq!(unreported(&shared.lock()), 0, "3 is not gone");
        // Batch 4, after the seek: 3 is reported, the rest is the sink's already.
        let replay: Vec<(i32, i64)> = (3..32).map(|o| (0, o)).collect();
        let fourth = shared.take(&session.batch(&records(&replay)), 4).unwrap();
        assert_eq!(fourth.held, vec![(p0.clone(), 3)]);
        assert_eq!(fourth.rejected.len(), 1);
        assert_eq!(fourth.rejected[0].index, 0);
        drop(session);
        sink.stop();
    }

    #[test]
    fn a_partition_whose_rejected_records_a_table_awaits_is_never_paused_for_it() {
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        let sink = recovered_sink(&[p0.clone(), p1.clone()]);
        let reply = sink
            .put(&Session::new().batch(&records(&[(0, 0), (1, 0)])))
            .unwrap();
        assert!(reply.rejected.is_empty() && reply.flow.rewind.is_empty());

        let mut state = sink.shared.lock();
        let table = state
            .tables
            .get_mut("tbl")
            .expect("the table took the records");
        // Its load fails and is retried (StarRocks is unreachable): its partitions pause. But
        // Connect must deliver partition 0 again for its rejected record to be reported, and
        // the table's loads wait for that report.
        table.failed();
        table.report_due(&p0, 0);
        state.paused.clear();
        let flow = sink.shared.flow(&mut state);
        assert_eq!(flow.pause, vec![p1.clone()]);
        assert_eq!(state.paused, BTreeSet::from([p1.clone()]));

        // Reported: partition 0 pauses with the rest of the table.
        state
            .tables
            .get_mut("tbl")
            .unwrap()
            .reported(&[(p0.clone(), 0)]);
        let flow = sink.shared.flow(&mut state);
        assert_eq!(flow.pause, vec![p0]);
        drop(state);
        sink.stop();
    }
}
