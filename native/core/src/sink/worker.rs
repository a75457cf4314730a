//! The sink's tasks on the core's runtime: one load worker per table, and the interval flush.
//!
//! A table's worker takes the table's loads in order, up to `sink.table.loads.in.flight` at a
//! time, runs each through its transaction (`stream_load::txn`, or `multi` under exactly-once;
//! each commits in its turn), and reports back to the table: loaded (its offsets complete),
//! cancelled (back to the queue, revoked rows cut), or given up (the sink fails).
//! It hears of each failed attempt first, to log it, count it and mark the table's health.
//!
//! Every task is supervised: if one ends in a panic, the sink fails with the panic's message,
//! so the task fails and Connect restarts it from the last committed offsets, instead of the
//! sink waiting forever for a load nobody runs.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tracing::Instrument;

use super::follow;
use super::rejected::{self, Settled};
use super::Shared;
use crate::metrics::TableMetrics;
use crate::runtime;
use crate::stream_load::{
    multi, txn, BodyKind, Ended, Failure, LoadOutcome, LoadRequest, Op, ProgressPart,
};
use crate::table::Job;

/// How long a best-effort rollback of an abandoned transaction may take.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the load worker of `table`.
pub(super) fn spawn_load_worker(shared: &Arc<Shared>, table: &str, wake: Arc<Notify>) {
    let work = load_worker(Arc::downgrade(shared), table.to_owned(), wake);
    supervise(shared, format!("load worker of table '{table}'"), work);
}

/// Starts the flush of tables whose rows have waited `bufferflush.intervalms`, also when no
/// `put` comes.
pub(super) fn spawn_interval_flush(shared: &Arc<Shared>) {
    let work = flush_on_interval(Arc::downgrade(shared));
    supervise(shared, "interval flush".to_owned(), work);
}

/// Runs `work` on the core's runtime; a panic in it fails the sink.
pub(super) fn supervise(
    shared: &Arc<Shared>,
    what: String,
    work: impl Future<Output = ()> + Send + 'static,
) {
    let handle = runtime::handle().spawn(work.instrument(shared.span.clone()));
    let weak = Arc::downgrade(shared);
    runtime::handle().spawn(async move {
        let Err(e) = handle.await else { return };
        if !e.is_panic() {
            return;
        }
        let panic = e.into_panic();
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        let Some(sink) = weak.upgrade() else { return };
        let failure = format!(
            "The StarRocks sink's {what} stopped unexpectedly ({message}). This is a bug; the task \
             fails so that Connect restarts it from the last committed offsets."
        );
        tracing::error!(parent: &sink.span, error = %message, "{failure}");
        sink.lock().failure.get_or_insert(failure);
        sink.changed.notify_all();
    });
}

/// Runs one table's loads, up to `sink.table.loads.in.flight` at once (the table decides which
/// may start, and when each may commit), until the sink stops, fails, or is dropped. Loads
/// already running are always seen to their end: they are cancelled, never dropped mid-request.
async fn load_worker(shared: Weak<Shared>, table: String, wake: Arc<Notify>) {
    let mut running = tokio::task::JoinSet::new();
    loop {
        let job = match shared.upgrade() {
            None => None,
            Some(sink) if sink.is_stopped() => None,
            Some(sink) => {
                let mut state = sink.lock();
                if state.failure.is_some() {
                    None
                } else {
                    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
                    let state = &mut *state;
                    state.tables.get_mut(&table).and_then(|t| {
                        t.start_next(&sink.shape, &mut state.seq, &state.loaded, &now)
                    })
                }
            }
        };
        if let Some(job) = job {
            let (shared, table) = (shared.clone(), table.clone());
            running.spawn(
                async move { run(&shared, &table, job).await }.instrument(tracing::Span::current()),
            );
            continue;
        }
        let ending = shared
            .upgrade()
            .is_none_or(|s| s.is_stopped() || s.lock().failure.is_some());
        if ending && running.is_empty() {
            return;
        }
        tokio::select! {
            _ = wake.notified() => {}
            Some(ended) = running.join_next() => {
                if let Err(e) = ended {
                    if e.is_panic() {
                        // The worker's supervisor fails the sink with it.
                        std::panic::resume_unwind(e.into_panic());
                    }
                }
            }
        }
    }
}

/// Runs one load and reports its end to the table.
async fn run(shared: &Weak<Shared>, table: &str, mut job: Job) {
    let Some(sink) = shared.upgrade() else { return };
    let client = Arc::clone(&sink.client);
    let policy = sink.policy;
    let metrics = sink.metrics.table(table);
    let progress_table = &sink.config.progress_table;
    let request = if job.register {
        LoadRequest {
            table: progress_table.clone(),
            kind: BodyKind::Progress,
            ..LoadRequest::rows(&sink.config.database, table, &job.label, job.body.clone())
        }
    } else {
        // Compressed once per load, not per attempt, off the task thread.
        let mut request = LoadRequest::rows(
            &sink.config.database,
            table,
            &job.label,
            client.prepare_body(job.body.clone()),
        );
        request.progress = job.progress.take().map(|body| ProgressPart {
            table: progress_table.clone(),
            body,
        });
        request
    };
    let follower = sink.follower.clone();
    drop(sink);
    let raw_bytes = job.body.len() as u64;
    let started = Instant::now();
    let mut on_failure =
        |failure: &Failure| report_failure(shared, table, &metrics, &request, failure);
    // The table made fit first: created, its columns added, its model checked (`follow`).
    let prepared = match &follower {
        Some(follower) if !job.register => {
            follow::prepare(
                follower,
                table,
                job.columns.as_deref(),
                &policy,
                &mut on_failure,
                &mut job.cancel,
            )
            .await
        }
        _ => Ok(()),
    };
    let result = if let Err(ended) = prepared {
        Err(ended)
    } else if request.is_multi_table() {
        multi::load(
            &client,
            &request,
            &job.attempt,
            &policy,
            &mut on_failure,
            &mut job.cancel,
            &mut job.turn,
        )
        .await
    } else {
        txn::load(
            &client,
            &request,
            &policy,
            &mut on_failure,
            &mut job.cancel,
            &mut job.turn,
        )
        .await
    };

    // Rows StarRocks rejected: find their records and settle them first.
    let result = match result {
        Err(Ended::Rejected { reason }) => {
            let Some(sink) = shared.upgrade() else { return };
            TableMetrics::set(&metrics.failing, 0);
            // A failed load is always settled there: requeued without its rejected records,
            // or the sink's failure.
            rejected::settle(&sink, table, &job, &reason, None).await;
            return;
        }
        Ok(LoadOutcome::Loaded(result)) if result.filtered_rows > 0 && !job.register => {
            let Some(sink) = shared.upgrade() else { return };
            let reason = format!(
                "{} of {} rows filtered",
                result.filtered_rows, result.total_rows
            );
            if rejected::settle(&sink, table, &job, &reason, Some(&result)).await
                == Settled::Handled
            {
                return;
            }
            Ok(LoadOutcome::Loaded(result))
        }
        other => other,
    };
    match &result {
        Ok(_) if job.register => {
            TableMetrics::add(&metrics.registrations, 1);
            tracing::debug!(table, label = %request.label, "Partitions registered in the table's exactly-once chain.");
        }
        Ok(outcome) => {
            TableMetrics::add(&metrics.loads, 1);
            TableMetrics::add(&metrics.bytes, raw_bytes);
            TableMetrics::set(&metrics.failing, 0);
            metrics.observe_load(started.elapsed().as_millis() as u64);
            if let LoadOutcome::Loaded(result) = outcome {
                TableMetrics::add(&metrics.filtered_rows, result.filtered_rows);
            }
            tracing::debug!(table, label = %request.label, ?outcome, "Stream Load done.");
        }
        Err(Ended::Cancelled { .. }) => {
            tracing::debug!(table, label = %request.label, "Stream Load cancelled before its commit.");
        }
        Err(Ended::GaveUp(e)) => {
            tracing::error!(table, label = %request.label, error = %e, "Stream Load given up; the task fails.");
        }
        Err(Ended::Rejected { .. }) => {}
    }
    if let Some(sink) = shared.upgrade() {
        let mut guard = sink.lock();
        let state = &mut *guard;
        let revoked = &state.revoked;
        let is_revoked = |tp: &crate::offsets::TopicPartition| revoked.contains(tp);
        if let Some(t) = state.tables.get_mut(table) {
            if let Some(failure) = t.finish(
                job.id,
                &result,
                &mut state.tracker,
                &is_revoked,
                &sink.shape,
                &mut state.seq,
            ) {
                state.failure.get_or_insert(failure);
            }
        }
        drop(guard);
        sink.changed.notify_all();
    }
    let rollback = !request.is_multi_table()
        && match &result {
            Ok(_) => false,
            Err(Ended::Cancelled { rollback }) => *rollback,
            Err(Ended::GaveUp(_)) => true,
            Err(Ended::Rejected { .. }) => false,
        };
    if rollback {
        // Hygiene only: without the sink's commit the transaction never becomes visible, and
        // StarRocks aborts it after its timeout anyway.
        let attempt =
            tokio::time::timeout(ROLLBACK_TIMEOUT, client.step(Op::Rollback, &request)).await;
        tracing::debug!(table, label = %request.label, ?attempt, "Rolled back an abandoned transaction.");
    }
    // A body nothing holds any more (its load left the queue) is kept for the next buffer.
    drop(request);
    let Job { body, rows, .. } = job;
    drop(body);
    if let (Some(sink), Ok(rows)) = (shared.upgrade(), Arc::try_unwrap(rows)) {
        sink.shape.bodies.give(rows);
    }
}

/// Logs a failed attempt (WARN while retrying, ERROR once the table counts as failing), counts
/// it, and marks the table's health.
fn report_failure(
    shared: &Weak<Shared>,
    table: &str,
    metrics: &TableMetrics,
    request: &LoadRequest,
    failure: &Failure,
) {
    TableMetrics::add(&metrics.retries, 1);
    TableMetrics::set(&metrics.failing, u64::from(failure.judgement.failing));
    let retry_in_ms = failure.backoff.as_millis() as u64;
    if failure.judgement.give_up {
        // Logged once, as the load ends.
    } else if failure.judgement.failing {
        tracing::error!(
            table,
            label = %request.label,
            attempt = failure.number,
            retry_in_ms,
            error = %failure.reason,
            "Table is failing: its partitions are paused and its load is retried."
        );
    } else {
        tracing::warn!(
            table,
            label = %request.label,
            attempt = failure.number,
            retry_in_ms,
            error = %failure.reason,
            "Stream Load failed; retrying under the same label."
        );
    }
    if let Some(sink) = shared.upgrade() {
        if let Some(t) = sink.lock().tables.get_mut(table) {
            t.failed();
        }
    }
}

/// Seals the buffers whose rows have waited `bufferflush.intervalms`.
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
            sink.flush(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Sink;

    #[test]
    fn a_panic_on_a_core_thread_fails_the_sink_with_its_message() {
        let sink = Sink::start(&crate::config::tests::base(), "c", "0").unwrap();
        supervise(&sink.shared, "test task".to_owned(), async {
            panic!("deliberate panic 7");
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let error = loop {
            match sink.pre_commit(&[]) {
                Err(e) => break e,
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(_) => panic!("the panic never failed the sink"),
            }
        };
        let text = error.to_string();
        assert!(text.contains("test task stopped unexpectedly"), "{text}");
        assert!(text.contains("deliberate panic 7"), "{text}");
        assert!(sink.put(&[]).is_err(), "every later call reports it");
    }
}
