//! One table's state: its open buffer, its loads in order, its health, and the partitions that
//! feed it.
//!
//! Everything that makes tables independent of each other lives here, per table: a table
//! buffers its own rows, seals its own bodies (never past the body limit), hands its loads to
//! its own worker — up to `sink.table.loads.in.flight` at once, each committing only when every
//! load before it is durable (so upserts of a key stay ordered) — counts its own failures, and
//! knows which partitions to pause when it cannot take more. Nothing here touches
//! the network or waits; the sink calls these methods under its lock, and the table's worker
//! runs the load a [`Job`] describes and reports back through [`Table::finish`].
//!
//! Invariants:
//! - Loads leave the queue in the order their rows were buffered: a load may commit only once
//!   it is the queue's first (its turn), however many are in flight. While the table is
//!   retrying a failed load, no other load starts.
//! - A load's label changes whenever its body does (rows of revoked partitions cut out), never
//!   otherwise, so every attempt under one label sends the same bytes.
//! - No row of a revoked partition is sent after [`Table::drop_partitions`]: queued bodies are
//!   cut at once, an in-flight load is cancelled and cut when it comes back.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{watch, Notify};

use crate::buffer::{Bodies, FlushReason, Layout, Pending, Sealed, TableBuffer};
use crate::config::TemporalRendering;
use crate::ddl::Columns;
use crate::encode::{RowEncoder, RowSink};
use crate::error::{Error, Result};
use crate::label::LabelScope;
use crate::metrics::TableMetrics;
use crate::offsets::{LoadId, OffsetTracker, TopicPartition, SKIPPED};
use crate::pressure::TablePressure;
use crate::progress::{self, Loaded, ProgressRow};
use crate::record::{Payload, Record, Schema};
use crate::stream_load::{Ended, LoadOutcome};

/// How many distinct row schemas a table remembers as merged (a source that alternates between
/// more only merges some again, which changes nothing).
const SCHEMAS_KEPT: usize = 8;

/// A table's buffer as the encoder's row sink, noting the row schemas the table has not seen.
struct Following<'t> {
    buffer: &'t mut TableBuffer,
    known: &'t [Schema],
    new: &'t mut Vec<Schema>,
}

impl RowSink for Following<'_> {
    fn row(&mut self) -> &mut Vec<u8> {
        self.buffer.row()
    }

    fn schema(&mut self, row: &Schema) {
        // The latest schema is the likeliest: compared first.
        if !self.known.iter().rev().any(|s| s == row) && !self.new.iter().any(|s| s == row) {
            self.new.push(row.clone());
        }
    }
}

/// What every table of a sink shares: how rows are encoded and laid out, how large one body
/// may grow, and the scope of the labels.
#[derive(Debug)]
pub struct Shape {
    pub encoder: RowEncoder,
    pub layout: Layout,
    pub body_limit: usize,
    pub labels: LabelScope,
    /// How many loads of one table may be in flight at once (`sink.table.loads.in.flight`).
    pub loads_in_flight: usize,
    /// Bodies of finished loads, for the next buffers to fill.
    pub bodies: Bodies,
    /// Under `sink.semantic=exactly-once`: what the progress rows need.
    pub exactly_once: Option<ExactlyOnce>,
    /// Under `starrocks.table.create` or `starrocks.table.evolve`: tables learn their columns
    /// from their rows' schemas, which map to StarRocks types under this rendering.
    pub follow: Option<TemporalRendering>,
}

/// What exactly-once loads write beside their rows (see `progress`).
#[derive(Debug, Clone)]
pub struct ExactlyOnce {
    /// The connector's name, the first column of the progress table's key.
    pub connector: String,
    pub progress_table: String,
}

impl Shape {
    /// A label of this sink for a load of `table` that is not yet built (exactly-once chains
    /// name a load's label before its body exists).
    fn chain_label(&self, table: &str, seq: &mut Sequence) -> String {
        self.labels.chain_label(table, seq.label())
    }
}

/// The sink's counters of loads and labels: every load and every label is new.
#[derive(Debug)]
pub struct Sequence {
    next_load: LoadId,
    next_label: u64,
}

impl Default for Sequence {
    fn default() -> Sequence {
        Sequence {
            next_load: SKIPPED + 1,
            next_label: 1,
        }
    }
}

impl Sequence {
    fn load(&mut self) -> LoadId {
        let id = self.next_load;
        self.next_load += 1;
        id
    }

    pub fn label(&mut self) -> u64 {
        let seq = self.next_label;
        self.next_label += 1;
        seq
    }
}

/// A sealed body on its way to StarRocks.
#[derive(Debug)]
struct Load {
    id: LoadId,
    label: String,
    body: Arc<Sealed>,
    /// Exactly-once: the label of the chain's next load, which this load's progress rows name.
    successor: Option<String>,
    /// Exactly-once: while the worker registers partitions new to the chain before this load
    /// (their rows and next offsets).
    registering: Option<BTreeMap<TopicPartition, i64>>,
    /// Exactly-once: the load's next attempt (see `stream_load::multi`), kept across runs.
    attempt: Arc<AtomicU32>,
    /// Exactly-once, while in flight: the partitions its progress rows name, every one of the
    /// chain's and not only those its rows come from.
    names: Vec<TopicPartition>,
    /// `Some` while the worker runs it: sending `true` cancels it.
    in_flight: Option<watch::Sender<bool>>,
    /// Tables that follow the source: every column the body's rows ask for (and those of the
    /// rows before them), which the worker makes sure the table has before the load.
    columns: Option<Arc<Columns>>,
    /// Turns `true` once the load is the queue's first: every load before it is durable, so
    /// it may commit.
    turn: watch::Sender<bool>,
}

impl Load {
    /// Whether revoking the partitions `revoked` concerns this load: it holds rows of one, or
    /// it is in flight with progress rows that name one. Such a load must not commit once
    /// `close` has returned: the partition's new owner may have recovered by then, and the
    /// row would set its progress back.
    fn touches(&self, revoked: &dyn Fn(&TopicPartition) -> bool) -> bool {
        self.body.holds_any(revoked) || (self.in_flight.is_some() && self.names.iter().any(revoked))
    }

    /// Whether it is in flight and was told to stop.
    fn cancelled(&self) -> bool {
        self.in_flight
            .as_ref()
            .is_some_and(|cancel| *cancel.borrow())
    }
}

/// Exactly-once: the chain of a table's loads (see `progress`). Each load's progress rows
/// name the label of the next one; loads commit in chain order.
#[derive(Debug)]
struct Chain {
    /// The label the next sealed load takes (the last committed load's rows name it).
    next_label: String,
    /// The partitions whose progress rows in StarRocks name this chain, with the offset below
    /// which their records routed to this table are durable.
    progress: BTreeMap<TopicPartition, i64>,
}

/// What the table's worker needs to run one load.
#[derive(Debug)]
pub struct Job {
    pub id: LoadId,
    pub label: String,
    /// The encoded body (the worker compresses it when configured).
    pub body: bytes::Bytes,
    /// The body's records, for finding those StarRocks rejects (`stream_load::reject`).
    pub rows: Arc<Sealed>,
    /// Turns `true` when the load must stop before its commit.
    pub cancel: watch::Receiver<bool>,
    /// Turns `true` when the load may commit (every load of the table before it is durable).
    pub turn: watch::Receiver<bool>,
    /// Exactly-once: the progress rows (JSON lines) committed in the same transaction.
    pub progress: Option<bytes::Bytes>,
    /// Exactly-once: `body` holds progress rows only, registering partitions new to the
    /// table's chain before its next load (a transaction of the progress table alone).
    pub register: bool,
    /// Exactly-once: the load's attempt counter (`stream_load::multi`).
    pub attempt: Arc<AtomicU32>,
    /// Tables that follow the source: the columns the table must have before the load.
    pub columns: Option<Arc<Columns>>,
}

/// One table of the sink.
#[derive(Debug)]
pub struct Table {
    name: String,
    /// The rows of the next load, and that load's id.
    buffer: Option<(LoadId, TableBuffer)>,
    loads: VecDeque<Load>,
    /// The current load has failed and is being retried (until it is durable).
    retrying: bool,
    /// The original partitions whose rows this table holds or held since they were opened.
    partitions: BTreeSet<TopicPartition>,
    /// The partition of the last row appended, known to be in `partitions` (saves a lookup
    /// per record).
    last_partition: Option<TopicPartition>,
    /// Exactly-once only.
    chain: Option<Chain>,
    /// Tables that follow the source: the columns its rows asked for so far (they only grow).
    columns: Option<Arc<Columns>>,
    /// The row schemas already merged into `columns`, the latest last (at most [`SCHEMAS_KEPT`]).
    schemas: Vec<Schema>,
    pub metrics: Arc<TableMetrics>,
    /// Records and rows appended since the metrics last counted them: they are counted once
    /// per run of records (`count_appended`), not per record.
    appended: (u64, u64),
    /// Wakes the table's worker when a load is queued or the sink stops.
    pub wake: Arc<Notify>,
    /// Exactly-once: records StarRocks rejected whose reports are not yet made (Connect
    /// delivers them again to be reported), per partition. No load whose progress rows would
    /// pass one commits before it is reported: its progress would skip the record for good
    /// should the task die before the report (the next owner's recovery trusts the rows).
    reports_due: BTreeMap<TopicPartition, BTreeSet<i64>>,
}

impl Table {
    pub fn new(name: &str, metrics: Arc<TableMetrics>, shape: &Shape, seq: &mut Sequence) -> Table {
        let chain = shape.exactly_once.as_ref().map(|_| Chain {
            next_label: shape.chain_label(name, seq),
            progress: BTreeMap::new(),
        });
        Table {
            name: name.to_owned(),
            buffer: None,
            loads: VecDeque::new(),
            retrying: false,
            partitions: BTreeSet::new(),
            last_partition: None,
            chain,
            columns: None,
            schemas: Vec::new(),
            metrics,
            appended: (0, 0),
            wake: Arc::new(Notify::new()),
            reports_due: BTreeMap::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds the records and rows appended since the last call to the table's metrics.
    pub fn count_appended(&mut self) {
        let (records, rows) = std::mem::take(&mut self.appended);
        if records > 0 {
            TableMetrics::add(&self.metrics.records, records);
            TableMetrics::add(&self.metrics.rows, rows);
        }
    }

    /// Appends the rows of one record. Returns the load that will carry them, or `None` when
    /// the record has no rows (a tombstone, an empty array). When the record would push the body
    /// past the largest one load may carry, the body is sealed first and the record starts the
    /// next one; a record too large for any body is a data error.
    pub fn append(
        &mut self,
        record: &Record<'_>,
        tp: &TopicPartition,
        shape: &Shape,
        seq: &mut Sequence,
        now: Instant,
    ) -> Result<Option<LoadId>> {
        self.appended.0 += 1;
        if record.value == Payload::Null {
            return Ok(None);
        }
        loop {
            let (id, buffer) = self.buffer.get_or_insert_with(|| {
                let body = shape.bodies.take();
                (
                    seq.load(),
                    TableBuffer::reusing(body, shape.layout.clone(), now),
                )
            });
            let id = *id;
            buffer.mark();
            let mut learnt = Vec::new();
            let encoded = match shape.follow {
                None => shape.encoder.encode(record, buffer),
                Some(_) => {
                    let mut following = Following {
                        buffer,
                        known: &self.schemas,
                        new: &mut learnt,
                    };
                    shape.encoder.encode(record, &mut following)
                }
            };
            let rows = match encoded {
                Ok(rows) => rows,
                Err(e) => {
                    buffer.rollback();
                    return Err(e);
                }
            };
            if rows == 0 {
                buffer.rollback();
                return Ok(None);
            }
            if buffer.len() <= shape.body_limit {
                buffer.note(tp, record.offset);
                for schema in learnt {
                    self.learn(schema, record, shape);
                }
                self.appended.1 += u64::from(rows);
                if self.last_partition.as_ref() != Some(tp) {
                    if !self.partitions.contains(tp) {
                        self.partitions.insert(tp.clone());
                    }
                    self.last_partition = Some(tp.clone());
                }
                return Ok(Some(id));
            }
            let alone = buffer.only_the_marked_record();
            let size = buffer.len();
            buffer.rollback();
            if alone {
                return Err(Error::data(format!(
                    "{}: its rows take {size} bytes, more than one Stream Load may carry \
                     ({} bytes; a JSON body over 100 MiB needs sink.properties.ignore_json_size=true)",
                    record.position(),
                    shape.body_limit
                )));
            }
            self.seal(shape, seq, FlushReason::BodyLimit);
        }
    }

    /// Merges a row schema new to the table into its columns: the first one (with the record
    /// key's schema, for the primary key) makes them.
    fn learn(&mut self, schema: Schema, record: &Record<'_>, shape: &Shape) {
        let Some(temporal) = shape.follow else { return };
        match &self.columns {
            None => {
                let key = shape.encoder.key_schema(record);
                self.columns = Some(Arc::new(Columns::of(&schema, key.as_deref(), temporal)));
            }
            Some(columns) => {
                let mut grown = Columns::clone(columns);
                if grown.merge(&schema, temporal) {
                    tracing::info!(table = %self.name, schema = schema.name().unwrap_or_default(), "The records carry new fields: the next load adds their columns.");
                    self.columns = Some(Arc::new(grown));
                }
            }
        }
        if self.schemas.len() == SCHEMAS_KEPT {
            self.schemas.remove(0);
        }
        self.schemas.push(schema);
    }

    /// The buffer as the flush policy sees it; `None` when it holds no rows.
    pub fn pending_buffer(&self) -> Option<Pending> {
        self.buffer
            .as_ref()
            .filter(|(_, b)| !b.is_empty())
            .map(|(_, b)| Pending {
                bytes: b.len(),
                since: b.since,
            })
    }

    /// Seals the buffer into the next load and wakes the worker; nothing when it holds no rows.
    pub fn seal(&mut self, shape: &Shape, seq: &mut Sequence, reason: FlushReason) {
        let Some((id, buffer)) = self.buffer.take() else {
            return;
        };
        if buffer.is_empty() {
            return;
        }
        let body = buffer.seal();
        let (label, successor) = match &mut self.chain {
            Some(chain) => {
                let next = shape.chain_label(&self.name, seq);
                let label = std::mem::replace(&mut chain.next_label, next.clone());
                (label, Some(next))
            }
            None => (
                shape.labels.label(&self.name, &body.ranges(), seq.label()),
                None,
            ),
        };
        tracing::debug!(table = %self.name, label = %label, rows = body.rows(), bytes = body.len(), ?reason, "Flushing a table.");
        self.loads.push_back(Load {
            id,
            label,
            body: Arc::new(body),
            successor,
            registering: None,
            attempt: Arc::new(AtomicU32::new(0)),
            names: Vec::new(),
            in_flight: None,
            turn: watch::Sender::new(false),
            columns: self.columns.clone(),
        });
        self.give_turn();
        self.wake.notify_one();
    }

    /// Lets the queue's first load commit. Called whenever loads leave the queue, and when
    /// reports it waits for are made. Under exactly-once, not while a record the load's
    /// progress rows would pass waits for its report.
    fn give_turn(&self) {
        if let Some(first) = self.loads.front() {
            if self.waits_for_reports(first) {
                return;
            }
            first
                .turn
                .send_if_modified(|turn| !std::mem::replace(turn, true));
        }
    }

    /// Whether a rejected record of a partition `load` carries, at or below its last record
    /// there (where the load's progress row moves the partition past), is not yet reported.
    fn waits_for_reports(&self, load: &Load) -> bool {
        !self.reports_due.is_empty()
            && load.body.ranges().iter().any(|r| {
                self.reports_due
                    .get(&TopicPartition::new(&r.topic, r.partition))
                    .and_then(|due| due.first())
                    .is_some_and(|lowest| *lowest <= r.last_offset)
            })
    }

    /// Exactly-once: the record at `offset` of `tp` was rejected and is to be reported; no
    /// load that would move the partition's progress past it commits until
    /// [`Table::reported`] says it was. (Nothing to do under at-least-once: the offset
    /// tracker holds Connect's offsets, and Connect awaits the report before committing.)
    pub fn report_due(&mut self, tp: &TopicPartition, offset: i64) {
        if self.chain.is_some() {
            self.reports_due
                .entry(tp.clone())
                .or_default()
                .insert(offset);
        }
    }

    /// Reports made (the shim has them from Connect's errant record reporter): the loads
    /// that waited for them may commit.
    pub fn reported(&mut self, reports: &[(TopicPartition, i64)]) {
        if self.reports_due.is_empty() {
            return;
        }
        for (tp, offset) in reports {
            if let Some(due) = self.reports_due.get_mut(tp) {
                due.remove(offset);
                if due.is_empty() {
                    self.reports_due.remove(tp);
                }
            }
        }
        self.give_turn();
    }

    /// Partitions opened anew: their reports are forgotten (Connect delivers their records
    /// from its committed offset, and any rejected again is found again).
    pub fn forget_reports(&mut self, tps: &[TopicPartition]) {
        if self.reports_due.is_empty() {
            return;
        }
        self.reports_due.retain(|tp, _| !tps.contains(tp));
        self.give_turn();
    }

    /// Partitions whose records wait for their reports: Connect must deliver them again, so
    /// they are never paused for the table's memory (its loads wait for those reports).
    pub fn awaiting_reports(&self, tp: &TopicPartition) -> bool {
        self.reports_due.contains_key(tp)
    }

    /// The next load for the worker: the first one not in flight, unless
    /// `sink.table.loads.in.flight` are already, or one is and the table is retrying (a failing
    /// StarRocks gets one load's retries, not several). Under exactly-once, a load carrying
    /// rows of partitions new to the table's chain is preceded by their registration, which
    /// runs alone (it starts once no load is in flight, and none starts beside it); a load's
    /// progress rows start from the progress every load ahead of it leaves (it commits only
    /// after them). `loaded` is what recovery found already loaded, `now` the progress rows'
    /// `updated_at`.
    pub fn start_next(
        &mut self,
        shape: &Shape,
        seq: &mut Sequence,
        loaded: &Loaded,
        now: &str,
    ) -> Option<Job> {
        let in_flight = self.loads.iter().filter(|l| l.in_flight.is_some()).count();
        let limit = if self.retrying {
            1
        } else {
            shape.loads_in_flight
        };
        if in_flight >= limit {
            return None;
        }
        // Loads start in queue order, so every load ahead of this one is in flight.
        let at = self.loads.iter().position(|l| l.in_flight.is_none())?;
        let eo = match (&self.chain, &shape.exactly_once) {
            (Some(chain), Some(eo)) => {
                let ahead = self.loads.range(..at);
                // A registration runs alone; a cancelled load ahead may or may not commit
                // (a commit it sent is being settled): what to build on is known once it is
                // back.
                if ahead
                    .clone()
                    .any(|l| l.registering.is_some() || l.cancelled())
                {
                    return None;
                }
                // (Partitions revoked since a load ahead started are no longer the chain's.)
                let mut after = chain.progress.clone();
                for load in ahead {
                    advance(&mut after, &load.body, &|tp| {
                        !chain.progress.contains_key(tp)
                    });
                }
                let fresh: BTreeMap<TopicPartition, i64> = self.loads[at]
                    .body
                    .ranges()
                    .iter()
                    .map(|r| (TopicPartition::new(&r.topic, r.partition), r.first_offset))
                    .filter(|(tp, _)| !chain.progress.contains_key(tp))
                    .map(|(tp, first)| {
                        let next = loaded.next_offset(&self.name, &tp).unwrap_or(first);
                        (tp, next.min(first))
                    })
                    .collect();
                if !fresh.is_empty() && at > 0 {
                    return None;
                }
                Some((eo, after, fresh))
            }
            _ => None,
        };
        let load = &mut self.loads[at];
        let (cancel_tx, cancel) = watch::channel(false);
        let mut job = Job {
            id: load.id,
            label: load.label.clone(),
            body: load.body.body.clone(),
            rows: Arc::clone(&load.body),
            cancel,
            turn: load.turn.subscribe(),
            progress: None,
            register: false,
            attempt: Arc::clone(&load.attempt),
            columns: load.columns.clone(),
        };
        if let Some((eo, after, fresh)) = eo {
            if fresh.is_empty() {
                let carried: BTreeMap<TopicPartition, i64> = load
                    .body
                    .ranges()
                    .iter()
                    .map(|r| (TopicPartition::new(&r.topic, r.partition), r.last_offset))
                    .collect();
                let successor = load.successor.as_deref().unwrap_or_default();
                let rows = progress::rows_of_load(&self.name, &after, &carried, successor);
                job.progress = Some(progress::body(&eo.connector, &load.label, &rows, now).into());
                load.names = rows.into_iter().map(|row| row.tp).collect();
            } else {
                let rows: Vec<ProgressRow> = fresh
                    .iter()
                    .map(|(tp, next)| ProgressRow {
                        table: self.name.clone(),
                        tp: tp.clone(),
                        next_offset: *next,
                        next_label: load.label.clone(),
                    })
                    .collect();
                job.label = shape.chain_label(&format!("{}-register", self.name), seq);
                job.body = progress::body(&eo.connector, &job.label, &rows, now).into();
                job.register = true;
                load.registering = Some(fresh);
            }
        }
        load.in_flight = Some(cancel_tx);
        Some(job)
    }

    /// A failed attempt of the current load: the table is retrying until it is durable.
    pub fn failed(&mut self) {
        self.retrying = true;
    }

    /// The worker's report on load `id`. A durable load leaves the queue and completes its
    /// offsets; a cancelled one goes back to the queue, without the rows of `revoked`
    /// partitions; a load the policy gave up on is the sink's failure (returned).
    pub fn finish(
        &mut self,
        id: LoadId,
        result: &std::result::Result<LoadOutcome, Ended>,
        tracker: &mut OffsetTracker,
        revoked: &dyn Fn(&TopicPartition) -> bool,
        shape: &Shape,
        seq: &mut Sequence,
    ) -> Option<String> {
        let Some(at) = self.loads.iter().position(|l| l.id == id) else {
            // Dropped meanwhile (the sink stopped).
            return None;
        };
        self.loads[at].in_flight = None;
        self.loads[at].names.clear();
        if result.is_err() {
            self.restart_behind(at);
        }
        let registered = self.loads[at].registering.take();
        match result {
            Ok(_) if registered.is_some() => {
                if let (Some(chain), Some(fresh)) = (&mut self.chain, registered) {
                    // A partition revoked meanwhile is no longer this chain's to write.
                    chain
                        .progress
                        .extend(fresh.into_iter().filter(|(tp, _)| !revoked(tp)));
                }
                // Its rows of partitions revoked meanwhile never go (a cancel came too late).
                self.cut(at, revoked, shape, seq, tracker);
                self.retrying = false;
                self.wake.notify_one();
                None
            }
            Ok(_) => {
                let load = self.loads.remove(at).expect("the load is at `at`");
                if let Some(chain) = &mut self.chain {
                    // A revoked partition committed as its close was settling is the new
                    // owner's now.
                    advance(&mut chain.progress, &load.body, revoked);
                }
                tracker.complete(id);
                self.retrying = false;
                self.give_turn();
                self.wake.notify_one();
                None
            }
            // (A rejected load is settled by the worker through `reject` first; should one
            // come here, it goes back to the queue as a cancelled one does.)
            Err(Ended::Cancelled { .. } | Ended::Rejected { .. }) => {
                self.cut(at, revoked, shape, seq, tracker);
                self.wake.notify_one();
                None
            }
            Err(Ended::GaveUp(e)) => Some(format!(
                "The loads of table '{}' failed and sink.table.failure=fail: {e}",
                self.name
            )),
        }
    }

    /// Cuts the rows of revoked partitions out of the table: from the buffer and the queued
    /// bodies at once, and from an in-flight load by cancelling it (it is cut when it comes
    /// back). Returns whether an in-flight load holds such rows.
    pub fn drop_partitions(
        &mut self,
        revoked: &dyn Fn(&TopicPartition) -> bool,
        shape: &Shape,
        seq: &mut Sequence,
        tracker: &mut OffsetTracker,
    ) -> bool {
        if let Some((_, buffer)) = &mut self.buffer {
            buffer.drop_partitions(revoked);
        }
        self.partitions.retain(|tp| !revoked(tp));
        self.last_partition = None;
        if let Some(chain) = &mut self.chain {
            chain.progress.retain(|tp, _| !revoked(tp));
        }
        // Their reports are the new owner's to make (it meets the records again); the turn is
        // given again below, once the loads that touch them are cancelled.
        let due = self.reports_due.len();
        self.reports_due.retain(|tp, _| !revoked(tp));
        let mut settling = false;
        let mut at = 0;
        while at < self.loads.len() {
            let load = &self.loads[at];
            if !load.touches(revoked) {
                at += 1;
            } else if let Some(cancel) = &load.in_flight {
                let _ = cancel.send(true);
                settling = true;
                at += 1;
            } else if self.cut(at, revoked, shape, seq, tracker) {
                at += 1;
            }
        }
        if self.reports_due.len() < due {
            self.give_turn();
        }
        settling
    }

    /// Exactly-once: the load at `at` came back without committing, so the loads in flight
    /// behind it are cancelled, to start again after it. Each was built on the loads ahead of
    /// it committing as they were: its label is the one the load before it announces, its
    /// progress rows start where they leave off. (Under at-least-once the loads behind only
    /// wait for their turn.)
    fn restart_behind(&self, at: usize) {
        if self.chain.is_none() {
            return;
        }
        for load in self.loads.iter().skip(at + 1) {
            if let Some(cancel) = &load.in_flight {
                let _ = cancel.send(true);
            }
        }
    }

    /// Whether an in-flight load still holds rows of revoked partitions, or (exactly-once)
    /// progress rows that name one.
    pub fn settling(&self, revoked: &dyn Fn(&TopicPartition) -> bool) -> bool {
        self.loads
            .iter()
            .any(|l| l.in_flight.is_some() && l.touches(revoked))
    }

    /// Cuts the revoked rows out of the queued load at `at`; it gets a new label, or leaves the
    /// queue when nothing is left. Returns whether it is still there. Under exactly-once the
    /// label stays (the chain announced it); the transaction driver rolls back whatever an
    /// earlier body left under it and never commits that in its place.
    fn cut(
        &mut self,
        at: usize,
        revoked: &dyn Fn(&TopicPartition) -> bool,
        shape: &Shape,
        seq: &mut Sequence,
        tracker: &mut OffsetTracker,
    ) -> bool {
        let load = &mut self.loads[at];
        if !load.body.holds_any(revoked) {
            return true;
        }
        load.body = Arc::new(load.body.without(revoked));
        self.replace_body_settled(at, shape, seq, tracker)
    }

    /// StarRocks rejected records of load `id` and the transaction ended: the load goes back
    /// to the queue without the records `rejected` names, to be sent again — under a new label,
    /// but under exactly-once under the same (the chain announced it; the load's next attempt
    /// is a new transaction). Rows of partitions revoked while it was settling (`close` waited
    /// for it) are cut out too: they are the new owner's. Whether it is still queued is
    /// returned.
    pub fn reject(
        &mut self,
        id: LoadId,
        rejected: &dyn Fn(&TopicPartition, i64) -> bool,
        revoked: &dyn Fn(&TopicPartition) -> bool,
        shape: &Shape,
        seq: &mut Sequence,
        tracker: &mut OffsetTracker,
    ) -> bool {
        let Some(at) = self.loads.iter().position(|l| l.id == id) else {
            return false;
        };
        self.restart_behind(at);
        let load = &mut self.loads[at];
        load.in_flight = None;
        load.names.clear();
        load.body = Arc::new(
            load.body
                .select(&|tp, offset| !rejected(tp, offset) && !revoked(tp)),
        );
        // Its turn comes again only once the records it went past are reported.
        load.turn.send_replace(false);
        let queued = self.replace_body_settled(at, shape, seq, tracker);
        if queued {
            self.give_turn();
        }
        self.retrying = false;
        self.wake.notify_one();
        queued
    }

    /// After the body of the load at `at` changed: it leaves the queue when empty (its offsets
    /// complete), else takes a new label (not under exactly-once). Whether it is still there.
    fn replace_body_settled(
        &mut self,
        at: usize,
        shape: &Shape,
        seq: &mut Sequence,
        tracker: &mut OffsetTracker,
    ) -> bool {
        if self.loads[at].body.is_empty() {
            // The loads in flight behind it were built on it committing; it never will.
            self.restart_behind(at);
            let id = self.loads[at].id;
            let removed = self.loads.remove(at).expect("the load is at `at`");
            if let Some(chain) = &mut self.chain {
                // Its label was announced by the load before it: the next load takes it.
                // (With its attempts: those begun are used up.)
                match self.loads.get_mut(at) {
                    Some(next) => {
                        next.label = removed.label;
                        next.attempt = removed.attempt;
                    }
                    None => chain.next_label = removed.label,
                }
            }
            // Nothing of it is left to load (its revoked partitions are forgotten, its rejected
            // records held until reported); nothing waits.
            tracker.complete(id);
            self.give_turn();
            return false;
        }
        if self.chain.is_none() {
            let load = &mut self.loads[at];
            load.label = shape
                .labels
                .label(&self.name, &load.body.ranges(), seq.label());
        }
        true
    }

    /// Stops everything: cancels the load in flight, drops the rest.
    pub fn stop(&mut self) {
        for load in &self.loads {
            if let Some(cancel) = &load.in_flight {
                let _ = cancel.send(true);
            }
        }
        self.loads.clear();
        self.buffer = None;
        self.wake.notify_one();
    }

    /// Buffered bytes plus the bytes of loads not yet durable.
    pub fn pending(&self) -> u64 {
        let buffered = self.buffer.as_ref().map_or(0, |(_, b)| b.len());
        let loads: usize = self.loads.iter().map(|l| l.body.len()).sum();
        (buffered + loads) as u64
    }

    pub fn pressure(&self) -> TablePressure {
        TablePressure {
            pending: self.pending(),
            unhealthy: self.retrying,
        }
    }

    /// Exactly-once: the labels its chain still has to use or settle itself: those of its
    /// queued loads and the next one's.
    pub fn live_labels(&self) -> impl Iterator<Item = &str> {
        let next = self.chain.as_ref().map(|c| c.next_label.as_str());
        self.loads.iter().map(|l| l.label.as_str()).chain(next)
    }

    /// The partitions whose rows this table holds or held since they were opened.
    pub fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.partitions.iter()
    }
}

/// Exactly-once: moves `progress` past the records of `body`, except those of `skipped`
/// partitions.
fn advance(
    progress: &mut BTreeMap<TopicPartition, i64>,
    body: &Sealed,
    skipped: &dyn Fn(&TopicPartition) -> bool,
) {
    for range in body.ranges() {
        let tp = TopicPartition::new(&range.topic, range.partition);
        if skipped(&tp) {
            continue;
        }
        let next = range.last_offset.saturating_add(1);
        let entry = progress.entry(tp).or_insert(next);
        *entry = (*entry).max(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SinkConfig;

    fn shape(body_limit: usize) -> Shape {
        let config = SinkConfig::from_map(&crate::config::tests::base()).unwrap();
        Shape {
            encoder: RowEncoder::new(&config),
            layout: Layout::of(&config),
            body_limit,
            labels: LabelScope::new("c", "0", 1),
            loads_in_flight: 2,
            bodies: Bodies::new(2),
            exactly_once: None,
            follow: None,
        }
    }

    fn record(offset: i64, json: &str) -> Record<'_> {
        Record {
            original_topic: crate::batch_writer::topic("t"),
            partition: 0,
            offset,
            topic: crate::batch_writer::topic("t"),
            timestamp: None,
            key: Payload::Null,
            value: Payload::RawText(json),
        }
    }

    fn table() -> Table {
        Table::new(
            "t",
            Arc::new(TableMetrics::default()),
            &shape(1),
            &mut Sequence::default(),
        )
    }

    fn start(t: &mut Table, shape: &Shape, seq: &mut Sequence) -> Option<Job> {
        t.start_next(shape, seq, &Loaded::default(), "2026-12-03 00:00:00")
    }

    #[test]
    fn a_body_is_sealed_before_a_record_would_push_it_past_the_limit() {
        let shape = shape(40);
        let mut seq = Sequence::default();
        let mut t = table();
        let tp = TopicPartition::new("t", 0);
        let row = r#"{"id":1,"city":"abcdef"}"#; // 24 bytes; two rows and a newline make 49
        let now = Instant::now();
        let first = t
            .append(&record(0, row), &tp, &shape, &mut seq, now)
            .unwrap();
        let second = t
            .append(&record(1, row), &tp, &shape, &mut seq, now)
            .unwrap();
        let third = t
            .append(&record(2, row), &tp, &shape, &mut seq, now)
            .unwrap();
        assert!(first.is_some() && second.is_some() && third.is_some());
        assert_ne!(first, second, "the second record starts the next body");
        assert_ne!(second, third);
        let sealed: Vec<usize> = t.loads.iter().map(|l| l.body.len()).collect();
        assert_eq!(sealed, vec![24, 24], "{sealed:?}");
        assert!(sealed.iter().all(|&len| len <= shape.body_limit));
        assert_eq!(t.pending(), 72);
        assert_ne!(t.loads[0].label, t.loads[1].label);
    }

    #[test]
    fn a_record_too_large_for_any_body_is_a_data_error_naming_it() {
        let shape = shape(10);
        let mut seq = Sequence::default();
        let mut t = table();
        let tp = TopicPartition::new("t", 0);
        let e = t
            .append(
                &record(7, r#"{"id":1,"city":"abcdef"}"#),
                &tp,
                &shape,
                &mut seq,
                Instant::now(),
            )
            .unwrap_err();
        assert!(e.is_data(), "{e}");
        let text = e.to_string();
        assert!(text.contains("offset 7"), "{text}");
        assert!(
            text.contains("more than one Stream Load may carry (10 bytes"),
            "{text}"
        );
        assert_eq!(t.pending(), 0, "nothing of it stays");
        assert!(t.loads.is_empty());
    }

    #[test]
    fn loads_start_up_to_the_limit_commit_in_turn_and_a_cancelled_one_comes_back_cut() {
        let shape = shape(1 << 20);
        let mut seq = Sequence::default();
        let mut tracker = OffsetTracker::new();
        let mut t = table();
        let now = Instant::now();
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        let a = t
            .append(&record(0, r#"{"p":0}"#), &p0, &shape, &mut seq, now)
            .unwrap()
            .unwrap();
        tracker.record(&p0, 0, a);
        let b = t
            .append(&record(0, r#"{"p":1}"#), &p1, &shape, &mut seq, now)
            .unwrap()
            .unwrap();
        tracker.record(&p1, 0, b);
        t.seal(&shape, &mut seq, FlushReason::Interval);
        let c = t
            .append(&record(1, r#"{"p":0}"#), &p0, &shape, &mut seq, now)
            .unwrap()
            .unwrap();
        tracker.record(&p0, 1, c);
        t.seal(&shape, &mut seq, FlushReason::Interval);
        let d = t
            .append(&record(2, r#"{"p":0}"#), &p0, &shape, &mut seq, now)
            .unwrap()
            .unwrap();
        tracker.record(&p0, 2, d);
        t.seal(&shape, &mut seq, FlushReason::Interval);

        // Two in flight (the limit), in queue order; only the first may commit.
        let mut job = start(&mut t, &shape, &mut seq).expect("the first load");
        let mut second = start(&mut t, &shape, &mut seq).expect("the second load");
        assert_eq!((job.id, second.id), (a, c));
        assert!(*job.turn.borrow() && !*second.turn.borrow());
        assert!(start(&mut t, &shape, &mut seq).is_none(), "two at a time");
        // Partition 1 is revoked while the first load is in flight: it is cancelled...
        let revoked = |tp: &TopicPartition| *tp == p1;
        assert!(t.drop_partitions(&revoked, &shape, &mut seq, &mut tracker));
        tracker.forget(std::slice::from_ref(&p1));
        assert!(*job.cancel.borrow_and_update());
        assert!(!*second.cancel.borrow(), "the second holds no revoked row");
        let label = job.label.clone();
        // ...and comes back without partition 1's row, under a new label, still first: the
        // second load keeps waiting for its turn.
        let cancelled = Err(Ended::Cancelled { rollback: true });
        assert_eq!(
            t.finish(job.id, &cancelled, &mut tracker, &revoked, &shape, &mut seq),
            None
        );
        assert!(!t.settling(&revoked));
        assert!(!second.turn.has_changed().unwrap());
        let again = start(&mut t, &shape, &mut seq).expect("the cut load");
        assert_eq!(again.id, a);
        assert!(*again.turn.borrow());
        assert_ne!(again.label, label);
        assert_eq!(&again.body[..], br#"{"p":0}"#);
        let done = Ok(LoadOutcome::AlreadyLoaded);
        t.finish(again.id, &done, &mut tracker, &revoked, &shape, &mut seq);
        assert_eq!(tracker.committable(), vec![(p0.clone(), 1)]);
        // The first is durable: the second's turn has come.
        assert!(*second.turn.borrow_and_update());
        job = start(&mut t, &shape, &mut seq).expect("the third load");
        assert_eq!(job.id, d);
        assert!(!*job.turn.borrow());
        t.finish(second.id, &done, &mut tracker, &revoked, &shape, &mut seq);
        assert!(*job.turn.borrow());
        assert_eq!(tracker.committable(), vec![(p0.clone(), 2)]);
    }

    #[test]
    fn a_retrying_table_or_a_limit_of_one_starts_no_second_load() {
        let mut shape = shape(1 << 20);
        let mut seq = Sequence::default();
        let mut t = table();
        let p0 = TopicPartition::new("t", 0);
        let now = Instant::now();
        for offset in 0..3 {
            t.append(&record(offset, r#"{"o":1}"#), &p0, &shape, &mut seq, now)
                .unwrap();
            t.seal(&shape, &mut seq, FlushReason::Interval);
        }
        let first = start(&mut t, &shape, &mut seq).expect("the first load");
        t.failed();
        assert!(start(&mut t, &shape, &mut seq).is_none(), "retrying");
        let done = Ok(LoadOutcome::AlreadyLoaded);
        let none = |_: &TopicPartition| false;
        let mut tracker = OffsetTracker::new();
        t.finish(first.id, &done, &mut tracker, &none, &shape, &mut seq);
        shape.loads_in_flight = 1;
        assert!(start(&mut t, &shape, &mut seq).is_some());
        assert!(start(&mut t, &shape, &mut seq).is_none(), "a limit of one");
    }

    #[test]
    fn a_rejected_load_goes_back_without_its_rejected_records_under_a_new_label() {
        let shape = shape(1 << 20);
        let mut seq = Sequence::default();
        let mut tracker = OffsetTracker::new();
        let mut t = table();
        let p0 = TopicPartition::new("t", 0);
        let now = Instant::now();
        for offset in 0..4 {
            let id = t
                .append(&record(offset, r#"{"o":1}"#), &p0, &shape, &mut seq, now)
                .unwrap()
                .unwrap();
            tracker.record(&p0, offset, id);
        }
        t.seal(&shape, &mut seq, FlushReason::Interval);
        let job = start(&mut t, &shape, &mut seq).unwrap();
        assert_eq!(job.rows.records(), 4);
        let bad = |_: &TopicPartition, offset: i64| offset == 1 || offset == 2;
        let none = |_: &TopicPartition| false;
        assert!(t.reject(job.id, &bad, &none, &shape, &mut seq, &mut tracker));
        let again = start(&mut t, &shape, &mut seq).expect("queued again, not in flight");
        assert_eq!(again.id, job.id);
        assert_ne!(again.label, job.label, "a new body, a new label");
        assert_eq!(again.rows.records(), 2);
        assert_eq!(again.rows.record(1), (p0.clone(), 3));
        // Every record rejected: the load leaves the queue and its offsets complete.
        let all = |_: &TopicPartition, _: i64| true;
        assert!(!t.reject(again.id, &all, &none, &shape, &mut seq, &mut tracker));
        assert!(t.loads.is_empty());
        assert_eq!(tracker.committable(), vec![(p0, 4)]);
    }

    #[test]
    fn a_rejected_load_settled_after_close_goes_back_without_the_revoked_rows() {
        let shape = shape(1 << 20);
        let mut seq = Sequence::default();
        let mut tracker = OffsetTracker::new();
        let mut t = table();
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        let now = Instant::now();
        for (tp, offset) in [(&p0, 0), (&p0, 1), (&p1, 0)] {
            let id = t
                .append(&record(offset, r#"{"o":1}"#), tp, &shape, &mut seq, now)
                .unwrap()
                .unwrap();
            tracker.record(tp, offset, id);
        }
        t.seal(&shape, &mut seq, FlushReason::Interval);
        let job = start(&mut t, &shape, &mut seq).unwrap();
        // StarRocks rejected a row of the load; while its records are being found, partition 1
        // is revoked and `close` waits for the load.
        let revoked = |tp: &TopicPartition| *tp == p1;
        assert!(t.drop_partitions(&revoked, &shape, &mut seq, &mut tracker));
        tracker.forget(std::slice::from_ref(&p1));
        let bad = |tp: &TopicPartition, offset: i64| *tp == p0 && offset == 0;
        assert!(t.reject(job.id, &bad, &revoked, &shape, &mut seq, &mut tracker));
        assert!(!t.settling(&revoked));
        // It goes again without the rejected record, and without partition 1's, the new
        // owner's now.
        let again = start(&mut t, &shape, &mut seq).unwrap();
        assert_eq!(again.rows.records(), 1);
        assert_eq!(again.rows.record(0), (p0.clone(), 1));
    }

    /// An exactly-once table whose first load holds a record of partition 0 (offset 5) and
    /// one of partition 1 (offset 7), both tracked: (shape, sequence, tracker, table, p0, p1).
    fn exactly_once_table() -> (
        Shape,
        Sequence,
        OffsetTracker,
        Table,
        TopicPartition,
        TopicPartition,
    ) {
        let mut eo = shape(1 << 20);
        eo.exactly_once = Some(ExactlyOnce {
            connector: "c".into(),
            progress_table: "p".into(),
        });
        let mut seq = Sequence::default();
        let mut tracker = OffsetTracker::new();
        let mut t = Table::new("t", Arc::new(TableMetrics::default()), &eo, &mut seq);
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        for (tp, offset) in [(&p0, 5), (&p1, 7)] {
            let id = t
                .append(
                    &record(offset, r#"{"p":1}"#),
                    tp,
                    &eo,
                    &mut seq,
                    Instant::now(),
                )
                .unwrap()
                .unwrap();
            tracker.record(tp, offset, id);
        }
        t.seal(&eo, &mut seq, FlushReason::Interval);
        (eo, seq, tracker, t, p0, p1)
    }

    #[test]
    fn exactly_once_registers_new_partitions_first_and_never_writes_a_revoked_ones_row() {
        let (eo, mut seq, mut tracker, mut t, _, p1) = exactly_once_table();
        let loaded = Loaded::default();
        let register = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(register.register, "new partitions are registered first");
        let rows = String::from_utf8(register.body.to_vec()).unwrap();
        assert_eq!(rows.lines().count(), 2, "{rows}");
        assert!(rows.contains(r#""next_offset":5"#) && rows.contains(r#""next_offset":7"#));
        // Partition 1 is revoked while its registration is on its way.
        let revoked = |tp: &TopicPartition| *tp == p1;
        t.drop_partitions(&revoked, &eo, &mut seq, &mut tracker);
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        t.finish(register.id, &done, &mut tracker, &revoked, &eo, &mut seq);
        let load = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(!load.register);
        let progress = String::from_utf8(load.progress.unwrap().to_vec()).unwrap();
        assert_eq!(progress.lines().count(), 1, "{progress}");
        assert!(progress.contains(r#""partition":0"#) && progress.contains(r#""next_offset":6"#));
    }

    #[test]
    fn exactly_once_cancels_a_load_in_flight_whose_progress_names_a_revoked_partition() {
        let (eo, mut seq, mut tracker, mut t, p0, p1) = exactly_once_table();
        let now = Instant::now();
        let loaded = Loaded::default();
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        let none = |_: &TopicPartition| false;
        // Both partitions become the chain's: registered, then loaded once.
        let register = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(register.register);
        t.finish(register.id, &done, &mut tracker, &none, &eo, &mut seq);
        let first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(!first.register);
        t.finish(first.id, &done, &mut tracker, &none, &eo, &mut seq);
        // The next load carries rows of partition 0 alone; its progress rows name both.
        let id = t
            .append(&record(6, r#"{"p":0}"#), &p0, &eo, &mut seq, now)
            .unwrap()
            .unwrap();
        tracker.record(&p0, 6, id);
        t.seal(&eo, &mut seq, FlushReason::Interval);
        let mut job = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        let progress = String::from_utf8(job.progress.clone().unwrap().to_vec()).unwrap();
        assert!(progress.contains(r#""partition":1"#), "{progress}");
        // Partition 1 is revoked while the load is in flight. Were it to commit after `close`,
        // its row for partition 1 could land after the new owner's recovery and set that
        // partition's progress back: `close` cancels it and waits for it instead.
        let revoked = |tp: &TopicPartition| *tp == p1;
        assert!(t.drop_partitions(&revoked, &eo, &mut seq, &mut tracker));
        tracker.forget(std::slice::from_ref(&p1));
        assert!(*job.cancel.borrow_and_update());
        assert!(t.settling(&revoked));
        let cancelled = Err(Ended::Cancelled { rollback: true });
        assert_eq!(
            t.finish(job.id, &cancelled, &mut tracker, &revoked, &eo, &mut seq),
            None
        );
        assert!(!t.settling(&revoked));
        // It goes again under the label the chain announced, its progress rows now of
        // partition 0 alone.
        let again = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert_eq!((again.id, &again.label), (job.id, &job.label));
        let progress = String::from_utf8(again.progress.unwrap().to_vec()).unwrap();
        assert_eq!(progress.lines().count(), 1, "{progress}");
        assert!(progress.contains(r#""partition":0"#) && progress.contains(r#""next_offset":7"#));
    }

    /// [`exactly_once_table`] once its first load committed: the chain holds partition 0 below
    /// 6 and partition 1 below 8.
    fn chained_table() -> (Shape, Sequence, OffsetTracker, Table) {
        let (eo, mut seq, mut tracker, mut t, _, _) = exactly_once_table();
        let (loaded, none) = (Loaded::default(), |_: &TopicPartition| false);
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        for _ in 0..2 {
            let job = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
            t.finish(job.id, &done, &mut tracker, &none, &eo, &mut seq);
        }
        assert!(t.loads.is_empty());
        (eo, seq, tracker, t)
    }

    /// Seals a load of one record at `offset` of partition `partition` of `t`.
    fn seal_one(
        t: &mut Table,
        shape: &Shape,
        seq: &mut Sequence,
        tracker: &mut OffsetTracker,
        partition: i32,
        offset: i64,
    ) {
        let tp = TopicPartition::new("t", partition);
        let id = t
            .append(
                &record(offset, r#"{"p":1}"#),
                &tp,
                shape,
                seq,
                Instant::now(),
            )
            .unwrap()
            .unwrap();
        tracker.record(&tp, offset, id);
        t.seal(shape, seq, FlushReason::Interval);
    }

    /// (partition, next_offset, next_label) of each of a job's progress rows.
    fn progress_rows(job: &Job) -> Vec<(i64, i64, String)> {
        let body = job.progress.as_ref().expect("a load's progress rows");
        String::from_utf8(body.to_vec())
            .unwrap()
            .lines()
            .map(|line| {
                let row: serde_json::Value = serde_json::from_str(line).unwrap();
                (
                    row["partition"].as_i64().unwrap(),
                    row["next_offset"].as_i64().unwrap(),
                    row["next_label"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn exactly_once_loads_overlap_and_each_starts_its_progress_where_the_ones_ahead_leave_off() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let (loaded, none) = (Loaded::default(), |_: &TopicPartition| false);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 6);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 1, 8);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 1, 9);
        let first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        let second = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(
            t.start_next(&eo, &mut seq, &loaded, "now").is_none(),
            "two in flight at most"
        );
        assert_eq!(
            progress_rows(&first),
            vec![(0, 7, second.label.clone()), (1, 8, second.label.clone())],
            "the first names the second's label"
        );
        // The second carries partition 1 alone, and commits after the first: partition 0's
        // row must not go back below the first load's record.
        let second_rows = progress_rows(&second);
        assert_eq!(
            second_rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            vec![(0, 7), (1, 9)]
        );
        assert!(*first.turn.borrow() && !*second.turn.borrow());
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        t.finish(first.id, &done, &mut tracker, &none, &eo, &mut seq);
        assert!(
            *second.turn.borrow(),
            "its turn came with the first durable"
        );
        let third = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert_eq!(third.label, second_rows[0].2);
        assert_eq!(
            progress_rows(&third)
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            vec![(0, 7), (1, 10)]
        );
    }

    #[test]
    fn exactly_once_a_load_back_without_committing_restarts_the_loads_behind_it() {
        for rejected_all in [false, true] {
            let (eo, mut seq, mut tracker, mut t) = chained_table();
            let (loaded, none) = (Loaded::default(), |_: &TopicPartition| false);
            seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 6);
            seal_one(&mut t, &eo, &mut seq, &mut tracker, 1, 8);
            let first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
            let mut second = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
            if rejected_all {
                // StarRocks rejected every row of the first: it leaves the queue uncommitted,
                // and the second takes the label the chain announced for it.
                assert!(!t.reject(first.id, &|_, _| true, &none, &eo, &mut seq, &mut tracker));
            } else {
                let cancelled = Err(Ended::Cancelled { rollback: false });
                t.finish(first.id, &cancelled, &mut tracker, &none, &eo, &mut seq);
            }
            assert!(
                *second.cancel.borrow_and_update(),
                "the load behind was built on the first committing as it was"
            );
            let cancelled = Err(Ended::Cancelled { rollback: false });
            t.finish(second.id, &cancelled, &mut tracker, &none, &eo, &mut seq);
            let mut again = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
            if rejected_all {
                assert_eq!((again.id, &again.label), (second.id, &first.label));
                // Partition 0 stays where the chain's last commit left it.
                assert_eq!(
                    progress_rows(&again)
                        .iter()
                        .map(|r| (r.0, r.1))
                        .collect::<Vec<_>>(),
                    vec![(0, 6), (1, 9)]
                );
            } else {
                assert_eq!((again.id, &again.label), (first.id, &first.label));
                again = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
                assert_eq!((again.id, &again.label), (second.id, &second.label));
                assert_eq!(
                    progress_rows(&again)
                        .iter()
                        .map(|r| (r.0, r.1))
                        .collect::<Vec<_>>(),
                    vec![(0, 7), (1, 9)]
                );
            }
            assert!(!*again.cancel.borrow_and_update());
        }
    }

    #[test]
    fn exactly_once_a_load_past_a_record_awaiting_its_report_commits_once_it_is_reported() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let (loaded, none) = (Loaded::default(), |_: &TopicPartition| false);
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        let p0 = TopicPartition::new("t", 0);
        t.report_due(&p0, 10);
        assert!(t.awaiting_reports(&p0));
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 1, 11);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 12);
        let other = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(*other.turn.borrow(), "a load of another partition commits");
        let past = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        t.finish(other.id, &done, &mut tracker, &none, &eo, &mut seq);
        assert!(
            !*past.turn.borrow(),
            "its progress row would pass record 10 of partition 0, not yet reported"
        );
        t.reported(&[(p0.clone(), 10)]);
        assert!(*past.turn.borrow());
        assert!(!t.awaiting_reports(&p0));
    }

    #[test]
    fn exactly_once_a_partition_opened_anew_forgets_its_reports_and_the_load_waiting_commits() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let loaded = Loaded::default();
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        t.report_due(&p0, 10);
        t.report_due(&p1, 3);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 12);
        let past = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(!*past.turn.borrow());
        // Connect delivers partition 0 again from its committed offset: any record rejected
        // again is found again.
        t.forget_reports(std::slice::from_ref(&p0));
        assert!(!t.awaiting_reports(&p0));
        assert!(t.awaiting_reports(&p1), "only the partition opened anew");
        assert!(*past.turn.borrow());
    }

    #[test]
    fn at_least_once_reports_hold_back_no_load() {
        let (shape, mut seq, mut tracker) =
            (shape(1 << 20), Sequence::default(), OffsetTracker::new());
        let mut t = Table::new("t", Arc::new(TableMetrics::default()), &shape, &mut seq);
        let loaded = Loaded::default();
        let p0 = TopicPartition::new("t", 0);
        t.report_due(&p0, 0);
        assert!(
            !t.awaiting_reports(&p0),
            "Connect's offsets wait for the report instead"
        );
        seal_one(&mut t, &shape, &mut seq, &mut tracker, 0, 1);
        let job = t.start_next(&shape, &mut seq, &loaded, "now").unwrap();
        assert!(*job.turn.borrow());
    }

    #[test]
    fn exactly_once_a_registration_runs_alone() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let (loaded, none) = (Loaded::default(), |_: &TopicPartition| false);
        let done = Ok(LoadOutcome::Loaded(Default::default()));
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 6);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 2, 0);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 7);
        let first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(
            t.start_next(&eo, &mut seq, &loaded, "now").is_none(),
            "partition 2 is registered once no load is in flight"
        );
        t.finish(first.id, &done, &mut tracker, &none, &eo, &mut seq);
        let register = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(register.register);
        assert!(
            t.start_next(&eo, &mut seq, &loaded, "now").is_none(),
            "nothing starts beside a registration"
        );
        t.finish(register.id, &done, &mut tracker, &none, &eo, &mut seq);
        let second = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert!(!second.register);
        let third = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert_eq!(
            progress_rows(&third)
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            vec![(0, 8), (1, 8), (2, 1)]
        );
    }

    #[test]
    fn exactly_once_no_load_starts_behind_a_cancelled_one_nor_names_a_revoked_partition() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let loaded = Loaded::default();
        let p1 = TopicPartition::new("t", 1);
        for (partition, offset) in [(0, 6), (1, 8)] {
            let tp = TopicPartition::new("t", partition);
            let id = t
                .append(
                    &record(offset, r#"{"p":1}"#),
                    &tp,
                    &eo,
                    &mut seq,
                    Instant::now(),
                )
                .unwrap()
                .unwrap();
            tracker.record(&tp, offset, id);
        }
        t.seal(&eo, &mut seq, FlushReason::Interval);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 7);
        let mut first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        let mut second = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        // A rebalance revokes partition 1 while the first load settles a commit it sent.
        let revoked = |tp: &TopicPartition| *tp == p1;
        assert!(t.drop_partitions(&revoked, &eo, &mut seq, &mut tracker));
        assert!(*first.cancel.borrow_and_update() && *second.cancel.borrow_and_update());
        let cancelled = Err(Ended::Cancelled { rollback: false });
        t.finish(second.id, &cancelled, &mut tracker, &revoked, &eo, &mut seq);
        assert!(
            t.start_next(&eo, &mut seq, &loaded, "now").is_none(),
            "whether the first commits is not known yet"
        );
        // Its commit had landed.
        let landed = Ok(LoadOutcome::AlreadyLoaded);
        t.finish(first.id, &landed, &mut tracker, &revoked, &eo, &mut seq);
        let again = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        assert_eq!(again.id, second.id);
        assert_eq!(
            progress_rows(&again)
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            vec![(0, 8)],
            "no row of the revoked partition"
        );
        assert!(!t.settling(&revoked));
    }

    #[test]
    fn exactly_once_a_load_given_up_cancels_the_loads_behind_it_before_their_turn() {
        let (eo, mut seq, mut tracker, mut t) = chained_table();
        let loaded = Loaded::default();
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 0, 6);
        seal_one(&mut t, &eo, &mut seq, &mut tracker, 1, 8);
        let first = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        let mut second = t.start_next(&eo, &mut seq, &loaded, "now").unwrap();
        let none = |_: &TopicPartition| false;
        let gave_up = Err(Ended::GaveUp(Error::fatal("no")));
        assert!(t
            .finish(first.id, &gave_up, &mut tracker, &none, &eo, &mut seq)
            .is_some());
        assert!(*second.cancel.borrow_and_update());
        // Connect then closes the partitions: the first load leaves the queue and the second
        // becomes the first, its turn given after its cancel.
        let p0 = TopicPartition::new("t", 0);
        t.drop_partitions(&|tp| *tp == p0, &eo, &mut seq, &mut tracker);
        assert!(*second.turn.borrow() && *second.cancel.borrow());
    }
}
