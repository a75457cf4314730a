//! The sink: records in, Stream Loads out, durable offsets back.
//!
//! The shim's task thread calls [`Sink::put`] with one encoded batch: it is decoded, each
//! record routed to its table (`topic2table.map`, else the topic) and encoded into that
//! table's buffer, and its offset noted for the load that will carry it. Buffers flush by the
//! policy in `batch`; each table has one load worker on the core's runtime, so loads of a
//! table run in order (upserts stay ordered) while tables load in parallel. A load that
//! StarRocks durably accepted completes its offsets; [`Sink::pre_commit`] returns them.
//!
//! Invariants: an offset is committable only once StarRocks has the rows of every record
//! before it (see `offsets`); buffered plus queued bytes stay near `bufferflush.maxbytes`,
//! because `put` waits while the queued bytes are at that limit; a load that fails for good
//! fails the sink, and every later call reports it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::Instrument;

use crate::batch::{self, Buffers, FlushReason, Layout, TableBuffer};
use crate::config::SinkConfig;
use crate::decode::Decoder;
use crate::encode::RowEncoder;
use crate::error::{Error, Result};
use crate::label;
use crate::metrics::{Metrics, TableMetrics};
use crate::offsets::{LoadId, OffsetTracker, TopicPartition, SKIPPED};
use crate::record::Payload;
use crate::runtime;
use crate::stream_load::{load_with_retries, LoadOutcome, LoadRequest, StreamLoadClient};

/// How long `pre_commit` waits for loads in flight before it answers with what is durable.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// A record `put` skipped under `errors.tolerance=all`, for the errant record reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Position of the record in the batch.
    pub index: u32,
    pub message: String,
}

/// One flushed buffer on its way to StarRocks.
struct Job {
    load: LoadId,
    /// The body is the encoded rows; the worker compresses it if configured.
    request: LoadRequest,
}

struct State {
    decoder: Decoder,
    buffers: Buffers,
    tracker: OffsetTracker,
    /// Bytes flushed and not yet loaded (queued or in flight).
    queued_bytes: u64,
    queues: HashMap<String, mpsc::UnboundedSender<Job>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    next_load: LoadId,
    /// Why the sink failed: a load that failed for good. Every later call reports it.
    failure: Option<String>,
}

struct Shared {
    config: SinkConfig,
    encoder: RowEncoder,
    layout: Layout,
    body_limit: usize,
    tolerate_errors: bool,
    client: Arc<StreamLoadClient>,
    metrics: Metrics,
    span: tracing::Span,
    state: Mutex<State>,
    changed: Condvar,
    stopped: AtomicBool,
}

/// A running sink: one per Connect task.
pub struct Sink {
    shared: Arc<Shared>,
}

impl Sink {
    /// Builds a sink from the task's properties. `connector` and `task` name it in logs.
    pub fn start(props: &HashMap<String, String>, connector: &str, task: &str) -> Result<Sink> {
        let config = SinkConfig::from_map(props)?;
        let tolerate_errors = props
            .get("errors.tolerance")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("all"));
        let span = tracing::info_span!("sink", connector = connector, task = task);
        let client = Arc::new(StreamLoadClient::new(&config)?);
        let layout = Layout::of(&config);
        let shared = Arc::new(Shared {
            encoder: RowEncoder::new(&config),
            body_limit: layout.body_limit(&config),
            layout,
            tolerate_errors,
            client,
            metrics: Metrics::default(),
            span,
            state: Mutex::new(State {
                decoder: Decoder::new(),
                buffers: Buffers::new(),
                tracker: OffsetTracker::new(),
                queued_bytes: 0,
                queues: HashMap::new(),
                workers: Vec::new(),
                next_load: SKIPPED + 1,
                failure: None,
            }),
            changed: Condvar::new(),
            stopped: AtomicBool::new(false),
            config,
        });
        runtime::handle().spawn(flush_on_interval(Arc::downgrade(&shared)));
        shared.span.in_scope(|| {
            tracing::info!(
                urls = ?shared.config.http_urls,
                database = %shared.config.database,
                "StarRocks sink started."
            )
        });
        Ok(Sink { shared })
    }

    /// Partitions assigned to the task. Nothing to prepare: offsets start with the first
    /// record of each partition.
    pub fn open(&self, partitions: &[TopicPartition]) -> Result<()> {
        let state = self.shared.lock();
        check(&state)?;
        tracing::debug!(parent: &self.shared.span, count = partitions.len(), "Partitions opened.");
        Ok(())
    }

    /// Takes one batch (the shim's batch format). Returns the records skipped under
    /// `errors.tolerance=all`; any other bad record is an error. Waits while the loads queued
    /// have reached `bufferflush.maxbytes`.
    pub fn put(&self, batch: &[u8]) -> Result<Vec<Rejected>> {
        let shared = &self.shared;
        let mut guard = shared.lock();
        check(&guard)?;
        let mut rejected = Vec::new();
        {
            let state = &mut *guard;
            let records = state.decoder.decode(batch)?;
            let now = Instant::now();
            for (index, record) in records.iter().enumerate() {
                let tp = TopicPartition {
                    topic: Arc::clone(&record.original_topic),
                    partition: record.partition,
                };
                let table = shared.config.table_for_topic(&record.topic);
                let metrics = shared.metrics.table(table);
                TableMetrics::add(&metrics.records, 1);
                if record.value == Payload::Null {
                    state.tracker.record(&tp, record.offset, SKIPPED);
                    continue;
                }
                if !state.buffers.contains_key(table) {
                    let load = state.next_load;
                    state.next_load += 1;
                    let buffer = TableBuffer::new(shared.layout.clone(), load, now);
                    state.buffers.insert(table.to_string(), buffer);
                }
                let buffer = state
                    .buffers
                    .get_mut(table)
                    .expect("the buffer was just made");
                buffer.mark();
                match shared.encoder.encode(record, buffer) {
                    Ok(0) => {
                        buffer.rollback();
                        state.tracker.record(&tp, record.offset, SKIPPED);
                    }
                    Ok(rows) => {
                        buffer.note(&tp, record.offset);
                        TableMetrics::add(&metrics.rows, u64::from(rows));
                        state.tracker.record(&tp, record.offset, buffer.load);
                    }
                    Err(e) if shared.tolerate_errors && e.is_data() => {
                        buffer.rollback();
                        state.tracker.record(&tp, record.offset, SKIPPED);
                        rejected.push(Rejected {
                            index: index as u32,
                            message: e.to_string(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            // A table whose record was its only one and rolled back leaves an empty buffer.
            state.buffers.retain(|_, b| !b.is_empty());
        }
        shared.flush(&mut guard, false);
        // Back-pressure: wait while the loads queued reach the buffer limit.
        let limit = shared.config.buffer_max_bytes;
        while guard.queued_bytes >= limit && guard.failure.is_none() && !shared.is_stopped() {
            guard = shared
                .changed
                .wait_timeout(guard, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        check(&guard)?;
        if !rejected.is_empty() {
            tracing::warn!(parent: &shared.span, count = rejected.len(), "Records skipped under errors.tolerance=all.");
        }
        Ok(rejected)
    }

    /// Flushes every buffer, waits (up to 30 s) for the loads in flight, and returns the
    /// committable offset of every partition that has one: the next offset to consume.
    ///
    /// `consumed` is Connect's view (the offset after the last record it handed over, per
    /// original partition). Where every record the sink was given is durable, that offset is
    /// safe to commit even past records that never reached the sink (dropped by an SMT, such
    /// as Debezium's tombstones), so the consumer lag can reach zero.
    pub fn pre_commit(
        &self,
        consumed: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, i64)>> {
        let shared = &self.shared;
        let mut guard = shared.lock();
        check(&guard)?;
        shared.flush(&mut guard, true);
        let deadline = Instant::now() + COMMIT_WAIT;
        while guard.queued_bytes > 0 && guard.failure.is_none() && !shared.is_stopped() {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(parent: &shared.span, queued_bytes = guard.queued_bytes, "Loads still in flight at commit; committing what is durable.");
                break;
            }
            guard = shared
                .changed
                .wait_timeout(guard, (deadline - now).min(Duration::from_millis(200)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        check(&guard)?;
        let mut offsets: std::collections::BTreeMap<TopicPartition, i64> =
            guard.tracker.committable().into_iter().collect();
        for (tp, offset) in consumed {
            if guard.tracker.is_partition_drained(tp) {
                let entry = offsets.entry(tp.clone()).or_insert(*offset);
                *entry = (*entry).max(*offset);
            }
        }
        Ok(offsets.into_iter().collect())
    }

    /// Partitions revoked: their buffered rows are dropped and their offsets forgotten.
    pub fn close(&self, partitions: &[TopicPartition]) -> Result<()> {
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        for buffer in state.buffers.values_mut() {
            buffer.drop_partitions(partitions);
        }
        state.buffers.retain(|_, b| !b.is_empty());
        state.tracker.forget(partitions);
        tracing::debug!(parent: &self.shared.span, count = partitions.len(), "Partitions closed.");
        Ok(())
    }

    /// Stops the sink: buffered rows are dropped (their offsets were never committed) and
    /// loads in flight are abandoned. Safe to call more than once.
    pub fn stop(&self) {
        let shared = &self.shared;
        if shared.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut state = shared.lock();
        state.buffers.clear();
        state.queues.clear();
        for worker in state.workers.drain(..) {
            worker.abort();
        }
        drop(state);
        shared.changed.notify_all();
        tracing::info!(parent: &shared.span, "StarRocks sink stopped.");
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

fn check(state: &State) -> Result<()> {
    match &state.failure {
        Some(message) => Err(Error::fatal(message.clone())),
        None => Ok(()),
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Hands every due buffer to its table's load worker.
    fn flush(self: &Arc<Self>, state: &mut State, commit: bool) {
        if self.is_stopped() {
            return;
        }
        let names: Vec<String> = state.buffers.keys().cloned().collect();
        let pending: Vec<batch::Pending> = state
            .buffers
            .values()
            .map(|b| batch::Pending {
                bytes: b.len(),
                since: b.since,
            })
            .collect();
        let due = batch::due(
            &pending,
            self.config.buffer_max_bytes,
            self.body_limit,
            self.config.flush_interval,
            Instant::now(),
            commit,
        );
        for (i, reason) in due {
            let Some(buffer) = state.buffers.remove(&names[i]) else {
                continue;
            };
            self.enqueue(state, &names[i], buffer, reason);
        }
    }

    fn enqueue(
        self: &Arc<Self>,
        state: &mut State,
        table: &str,
        buffer: TableBuffer,
        reason: FlushReason,
    ) {
        let load = buffer.load;
        let ranges = buffer.ranges();
        let rows = buffer.rows();
        let body = buffer.into_body();
        let digest = label::body_digest(&body);
        let request = LoadRequest {
            database: self.config.database.clone(),
            table: table.to_string(),
            label: label::label(&self.config.database, table, &ranges, digest),
            body: bytes::Bytes::from(body),
            row_count: rows,
        };
        tracing::debug!(parent: &self.span, table, label = %request.label, rows, bytes = request.body.len(), ?reason, "Flushing a table.");
        state.queued_bytes += request.body.len() as u64;
        let sender = state.queues.entry(table.to_string()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let worker = runtime::handle().spawn(
                load_worker(Arc::downgrade(self), table.to_string(), rx)
                    .instrument(self.span.clone()),
            );
            state.workers.push(worker);
            tx
        });
        // The worker only ends when the sink stops, and then nothing flushes any more.
        let _ = sender.send(Job { load, request });
    }
}

/// Loads one table's jobs in order.
async fn load_worker(shared: Weak<Shared>, table: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(mut job) = jobs.recv().await {
        let Some(sink) = shared.upgrade() else { return };
        let bytes = job.request.body.len() as u64;
        // Compress once per load (not per attempt), off the task thread.
        job.request.body = sink.client.prepare_body(job.request.body.clone());
        let metrics = sink.metrics.table(&table);
        let client = Arc::clone(&sink.client);
        let limit = sink.config.max_retries;
        drop(sink);
        let started = Instant::now();
        let retry_metrics = Arc::clone(&metrics);
        let mut on_retry = move |attempt: u32, reason: &str| {
            TableMetrics::add(&retry_metrics.retries, 1);
            tracing::warn!(
                attempt,
                reason,
                "Retrying a Stream Load with the same label."
            );
        };
        let outcome = load_with_retries(&client, &job.request, limit, &mut on_retry).await;
        let Some(sink) = shared.upgrade() else { return };
        let mut state = sink.lock();
        state.queued_bytes = state.queued_bytes.saturating_sub(bytes);
        match outcome {
            Ok(outcome) => {
                state.tracker.complete(job.load);
                TableMetrics::add(&metrics.loads, 1);
                TableMetrics::add(&metrics.bytes, bytes);
                metrics.observe_load(started.elapsed().as_millis() as u64);
                if let LoadOutcome::Loaded(result) = &outcome {
                    TableMetrics::add(&metrics.filtered_rows, result.filtered_rows);
                }
                tracing::debug!(table = %table, label = %job.request.label, ?outcome, "Stream Load done.");
            }
            Err(e) => {
                tracing::error!(table = %table, label = %job.request.label, error = %e, "Stream Load failed.");
                if state.failure.is_none() {
                    state.failure = Some(format!(
                        "The Stream Load of table '{table}' (label {}) failed: {e}",
                        job.request.label
                    ));
                }
            }
        }
        drop(state);
        sink.changed.notify_all();
    }
}

/// Flushes tables whose rows have waited `bufferflush.intervalms`, also when no `put` comes.
async fn flush_on_interval(shared: Weak<Shared>) {
    let period = match shared.upgrade() {
        Some(s) => (s.config.flush_interval / 4)
            .clamp(Duration::from_millis(20), Duration::from_millis(250)),
        None => return,
    };
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let Some(sink) = shared.upgrade() else { return };
        if sink.is_stopped() {
            return;
        }
        let mut state = sink.lock();
        if state.failure.is_none() {
            sink.flush(&mut state, false);
        }
    }
}
