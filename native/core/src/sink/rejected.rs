//! Records StarRocks rejected: found, then reported, logged, or the task's failure.
//!
//! When a load ends with rows StarRocks filtered — the load failed (more than
//! `max_filter_ratio` allows; under exactly-once, any) or StarRocks committed it without them
//! (within the ratio) — the table's worker finds the records they came from by probing
//! (`stream_load::reject`) and settles them by the policy there:
//!
//! - **Report** (`errors.tolerance=all`): Connect's errant record reporter takes a
//!   `SinkRecord`, which only the shim has, and only until the answer to its batch. So the
//!   sink asks Connect
//!   for the records again: it holds their offsets (nothing at or past one commits), hands
//!   the shim a rewind to the lowest (`SinkTaskContext.offset`), and when Connect delivers
//!   them again [`Reports::replayed`] picks them out for `put` to return as rejected, with
//!   StarRocks' reason; every other record of the replay is already the sink's and is
//!   skipped. The shim reports them (a dead-letter queue when one is configured), and
//!   Connect waits for those reports before it commits an offset past them.
//! - **Warn**: each record is logged at WARN with its coordinates and StarRocks' reason.
//! - **Fail**: the task fails naming the first record, its topic, partition and offset, and
//!   StarRocks' reason; nothing of the load commits.
//!
//! A failed load then goes back to its table's queue without the rejected records
//! (`Table::reject`) and loads the rest once. Under exactly-once, no load commits past a
//! record to report until its report is made (`Table::report_due`). A record Connect does not
//! deliver again after seeking back to it (retention or compaction removed it) is gone: a WARN
//! names it, and nothing waits for it any longer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use crate::metrics::TableMetrics;
use crate::offsets::{LoadId, TopicPartition};
use crate::stream_load::reject::{self, Disposition, Probed};
use crate::stream_load::{Ended, LoadRequest, LoadResult};
use crate::table::Job;

/// How long a worker waits before sending a load again whose rejected records it could not
/// find (StarRocks did not answer the probes).
const RETRY_FIND_AFTER: Duration = Duration::from_secs(5);

/// What became of a load whose rows StarRocks rejected.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Settled {
    /// The load is done with here: back in the queue without its rejected records, or the
    /// sink failed. The worker reports nothing more.
    Handled,
    /// StarRocks committed the load: the worker finishes it as loaded.
    Committed,
}

/// Finds the records of `job` StarRocks rejected and settles them. `committed`: StarRocks'
/// answer when it committed the load anyway; `None` when the load failed (`reason`).
pub(super) async fn settle(
    shared: &Arc<Shared>,
    table: &str,
    job: &Job,
    reason: &str,
    committed: Option<&LoadResult>,
) -> Settled {
    let metrics = shared.metrics.table(table);
    let client = Arc::clone(&shared.client);
    let template = LoadRequest::rows(&shared.config.database, table, "", bytes::Bytes::new());
    let rows = Arc::clone(&job.rows);
    let whole = committed.map(|r| Probed {
        total_rows: r.total_rows,
        filtered_rows: r.filtered_rows,
        error_url: r.error_url.clone(),
    });
    let probe = |range: std::ops::Range<usize>| {
        let stopped = shared.is_stopped();
        // The whole body is probed as it is; a part, as a copy of its records.
        let (body, ranges) = if range == (0..rows.records()) {
            (rows.body.clone(), rows.ranges())
        } else {
            let part = rows.slice(range);
            (part.body.clone(), part.ranges())
        };
        let label = {
            // A sequence number of its own, as every load's.
            let seq = shared.lock().seq.label();
            shared
                .shape
                .labels
                .label(&format!("{table}-probe"), &ranges, seq)
        };
        let client = Arc::clone(&client);
        let template = template.clone();
        let metrics = Arc::clone(&metrics);
        async move {
            if stopped {
                return Err("the sink stopped".to_owned());
            }
            TableMetrics::add(&metrics.probes, 1);
            reject::probe(&client, &template, &label, body).await
        }
    };
    let isolated = match reject::isolate(rows.records(), whole, probe).await {
        Ok(found) if !found.found.is_empty() => found,
        outcome => {
            let why = match outcome {
                Ok(_) => "no record's rows are rejected on their own".to_owned(),
                Err(e) => e,
            };
            return unattributed(shared, table, job, reason, committed, &why).await;
        }
    };
    if committed.is_none() {
        TableMetrics::add(&metrics.filtered_rows, isolated.filtered_rows);
    }
    TableMetrics::add(&metrics.rejected_records, isolated.found.len() as u64);
    let mut found = Vec::with_capacity(isolated.found.len());
    for f in &isolated.found {
        let (tp, offset) = rows.record(f.record);
        let why = match &f.error_url {
            Some(url) => client
                .error_log(url)
                .await
                .unwrap_or_else(|| format!("{reason} (its log at {url} could not be read)")),
            None => reason.to_owned(),
        };
        found.push((tp, offset, why));
    }
    let disposition = reject::disposition(
        shared.tolerate_errors,
        committed.is_some(),
        shared.max_filter_ratio,
        isolated.filtered_rows,
        isolated.total_rows,
    );
    let db = &shared.config.database;
    tracing::debug!(
        table,
        records = found.len(),
        probes = isolated.probes,
        ?disposition,
        "Found the records StarRocks rejected."
    );
    let mut guard = shared.lock();
    let state = &mut *guard;
    match disposition {
        Disposition::Fail => {
            let (tp, offset, why) = &found[0];
            let failure = format!(
                "StarRocks rejected the record at topic={} partition={} offset={} loading into \
                 {db}.{table} ({} rejected record{} in that load; errors.tolerance=none, \
                 sink.properties.max_filter_ratio={}): {why}",
                tp.topic,
                tp.partition,
                offset,
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                shared.max_filter_ratio,
            );
            tracing::error!(table, "{failure}");
            state.failure.get_or_insert(failure);
            // The load is no longer in flight: a `close` must not wait for it.
            requeue(shared, state, table, job);
            drop(guard);
            shared.changed.notify_all();
            return Settled::Handled;
        }
        Disposition::Warn => {
            for (tp, offset, why) in &found {
                tracing::warn!(
                    table,
                    topic = %tp.topic,
                    partition = tp.partition,
                    offset,
                    "StarRocks filtered the rows of the record at topic={} partition={} offset={} \
                     (within sink.properties.max_filter_ratio={}): {why}",
                    tp.topic,
                    tp.partition,
                    offset,
                    shared.max_filter_ratio,
                );
            }
        }
        Disposition::Report => to_report(state, db, table, job.id, &found),
    }
    if committed.is_some() {
        return Settled::Committed;
    }
    let bad: HashMap<&TopicPartition, Vec<i64>> =
        found.iter().fold(HashMap::new(), |mut m, (tp, o, _)| {
            m.entry(tp).or_default().push(*o);
            m
        });
    let is_bad =
        |tp: &TopicPartition, offset: i64| bad.get(tp).is_some_and(|o| o.contains(&offset));
    let revoked = &state.revoked;
    if let Some(t) = state.tables.get_mut(table) {
        t.reject(
            job.id,
            &is_bad,
            &|tp| revoked.contains(tp),
            &shared.shape,
            &mut state.seq,
            &mut state.tracker,
        );
    }
    drop(guard);
    shared.changed.notify_all();
    Settled::Handled
}

/// Records of load `load` StarRocks rejected, to report: each is held (nothing commits past it
/// until its report is made), its table waits for the report under exactly-once, and Connect
/// is asked to deliver it again. A record of a partition revoked since is its new owner's,
/// who meets it again: another task's, or this task's own after the partition was closed and
/// opened again while the load was out. The tracker forgot the records of the earlier
/// assignment then (it no longer `carries` them for `load`), and a rewind to one could move
/// Connect forward past records not yet delivered again.
fn to_report(
    state: &mut super::State,
    db: &str,
    table: &str,
    load: LoadId,
    found: &[(TopicPartition, i64, String)],
) {
    for (tp, offset, why) in found {
        if state.revoked.contains(tp) || !state.tracker.carries(tp, *offset, load) {
            continue;
        }
        state.tracker.hold(tp, *offset);
        if let Some(t) = state.tables.get_mut(table) {
            t.report_due(tp, *offset);
        }
        let next = state.tracker.next_offset(tp).unwrap_or(offset + 1);
        let message = format!(
            "StarRocks rejected the record at topic={} partition={} offset={} loading into \
             {db}.{table}: {why}",
            tp.topic, tp.partition, offset
        );
        let record = Due {
            table: table.to_owned(),
            message,
        };
        state.reports.add(tp, *offset, record, next);
    }
}

/// The rejected records could not be found (StarRocks did not answer the probes, or no record
/// is rejected alone). A committed load stays committed, with a WARN saying what StarRocks
/// filtered; a failed one is sent again after a while.
async fn unattributed(
    shared: &Arc<Shared>,
    table: &str,
    job: &Job,
    reason: &str,
    committed: Option<&LoadResult>,
    why: &str,
) -> Settled {
    if let Some(result) = committed {
        tracing::warn!(
            table,
            filtered = result.filtered_rows,
            "StarRocks filtered {} row(s) of a load into {}.{table} (within \
             sink.properties.max_filter_ratio), and the records they came from could not be \
             found ({why}): {reason}",
            result.filtered_rows,
            shared.config.database,
        );
        return Settled::Committed;
    }
    tracing::warn!(
        table,
        "StarRocks rejected rows of a load into {}.{table} and the records they came from could \
         not be found ({why}); the load is sent again in {} s: {reason}",
        shared.config.database,
        RETRY_FIND_AFTER.as_secs(),
    );
    if !shared.is_stopped() {
        tokio::time::sleep(RETRY_FIND_AFTER).await;
    }
    let mut guard = shared.lock();
    requeue(shared, &mut guard, table, job);
    drop(guard);
    shared.changed.notify_all();
    Settled::Handled
}

/// Puts `job`'s load back in its table's queue, as it was (as a cancelled load comes back).
fn requeue(shared: &Shared, state: &mut super::State, table: &str, job: &Job) {
    let revoked = &state.revoked;
    let is_revoked = |tp: &TopicPartition| revoked.contains(tp);
    if let Some(t) = state.tables.get_mut(table) {
        let again = Err(Ended::Cancelled { rollback: false });
        t.finish(
            job.id,
            &again,
            &mut state.tracker,
            &is_revoked,
            &shared.shape,
            &mut state.seq,
        );
    }
}

/// The records to report when Connect delivers them again, and the replays that bring them.
#[derive(Debug, Default)]
pub(super) struct Reports {
    /// Per partition, the offsets to report.
    due: HashMap<TopicPartition, BTreeMap<i64, Due>>,
    /// Partitions Connect is asked to deliver again.
    replays: HashMap<TopicPartition, Replay>,
    /// Rewinds not yet handed to the shim, each with its number.
    rewinds: BTreeMap<TopicPartition, (i64, u64)>,
    /// The number of the last rewind made.
    last_rewind: u64,
    /// Records to report that Connect did not deliver again after seeking back to them: gone
    /// from the topic (retention, compaction) before they could be.
    gone: Vec<(TopicPartition, i64, Due)>,
}

/// A record to report: the table StarRocks rejected its rows for, and the message it is
/// reported with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Due {
    pub table: String,
    pub message: String,
}

/// A partition delivered again from a rewind: records below `until` are the sink's already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Replay {
    until: i64,
    /// The number of the partition's latest rewind: only its seek starts the replay.
    rewind: u64,
    /// The first batch Connect polls after seeking back to the lowest record to report: the
    /// number of the batch submitted with the call that handed that rewind over, plus one.
    /// `None` while the rewind is not handed over yet. Records of earlier batches were polled
    /// before the seek.
    from_batch: Option<u64>,
    /// A record of the partition came from `from_batch` on: the rewind took effect.
    started: bool,
}

/// What `put` does with a record of a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Replayed {
    /// Not a replayed record: take it.
    New,
    /// Delivered again, and the sink has it already: skip it.
    Skip,
    /// Delivered again to be reported, with this message.
    Report(String),
}

impl Reports {
    /// Whether nothing is due (the common case: `put` checks nothing else).
    pub(super) fn is_idle(&self) -> bool {
        self.replays.is_empty()
    }

    /// A record to report. `next`: the offset after the last record of `tp` the sink took.
    pub(super) fn add(&mut self, tp: &TopicPartition, offset: i64, record: Due, next: i64) {
        let due = self.due.entry(tp.clone()).or_default();
        due.insert(offset, record);
        let lowest = *due.keys().next().expect("one was just inserted");
        self.last_rewind += 1;
        let rewind = self.last_rewind;
        self.rewinds.insert(tp.clone(), (lowest, rewind));
        let replay = self.replays.entry(tp.clone()).or_insert(Replay {
            until: next,
            rewind,
            from_batch: None,
            started: false,
        });
        replay.until = replay.until.max(next);
        replay.rewind = rewind;
        replay.from_batch = None;
        replay.started = false;
    }

    /// Rewind number `rewind` of `tp` was handed to the shim with the call that submitted
    /// batch `from_batch - 1`: Connect seeks back before it polls batch `from_batch`. Only the
    /// partition's latest rewind counts; an older one handed over now (its answer waited
    /// while a newer one was made) only moves Connect back once more, like a seek polled
    /// before the one that counts.
    pub(super) fn handed(&mut self, tp: &TopicPartition, rewind: u64, from_batch: u64) {
        if let Some(replay) = self.replays.get_mut(tp).filter(|r| r.rewind == rewind) {
            replay.from_batch.get_or_insert(from_batch);
        }
    }

    /// The rewinds to hand to the shim now: partition, offset and the rewind's number.
    pub(super) fn take_rewinds(&mut self) -> Vec<(TopicPartition, i64, u64)> {
        std::mem::take(&mut self.rewinds)
            .into_iter()
            .map(|(tp, (offset, rewind))| (tp, offset, rewind))
            .collect()
    }

    /// What to do with the record at `offset` of `tp`, which Connect delivered in batch
    /// `batch`.
    pub(super) fn replayed(&mut self, tp: &TopicPartition, offset: i64, batch: u64) -> Replayed {
        let Some(replay) = self.replays.get_mut(tp) else {
            return Replayed::New;
        };
        let after_seek = replay.from_batch.is_some_and(|from| batch >= from);
        if after_seek && !replay.started {
            replay.started = true;
            // The first record after seeking back to the lowest record to report: any record
            // to report below it is gone from the topic.
            if let Some(due) = self.due.get_mut(tp) {
                let below: Vec<i64> = due.range(..offset).map(|(o, _)| *o).collect();
                for o in below {
                    let record = due.remove(&o).expect("it was just listed");
                    self.gone.push((tp.clone(), o, record));
                }
            }
        }
        if offset < replay.until {
            return match self.due.get_mut(tp).and_then(|d| d.remove(&offset)) {
                Some(record) => Replayed::Report(record.message),
                None => Replayed::Skip,
            };
        }
        if !after_seek {
            // Delivered before the rewind took effect: taken now, so delivered again by it.
            replay.until = offset + 1;
            return Replayed::New;
        }
        match self.due.get(tp).and_then(|d| d.keys().next().copied()) {
            // A record to report the replay went past (it cannot: each is below `until`, and
            // one added meanwhile waits for its own seek): once more from there.
            Some(lowest) => {
                self.last_rewind += 1;
                self.rewinds.insert(tp.clone(), (lowest, self.last_rewind));
                *replay = Replay {
                    until: offset + 1,
                    rewind: self.last_rewind,
                    from_batch: None,
                    started: false,
                };
            }
            None => {
                self.replays.remove(tp);
                self.due.remove(tp);
            }
        }
        Replayed::New
    }

    /// Records to report that are gone from the topic (see `gone`).
    pub(super) fn take_gone(&mut self) -> Vec<(TopicPartition, i64, Due)> {
        std::mem::take(&mut self.gone)
    }

    /// Forgets partitions (revoked or opened anew).
    pub(super) fn forget(&mut self, tps: &[TopicPartition]) {
        for tp in tps {
            self.due.remove(tp);
            self.replays.remove(tp);
            self.rewinds.remove(tp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp() -> TopicPartition {
        TopicPartition::new("t", 0)
    }

    fn due(message: &str) -> Due {
        Due {
            table: "tbl".into(),
            message: message.into(),
        }
    }

    /// The rewinds `take` hands out now, as (partition, offset), with their numbers.
    fn taken(r: &mut Reports) -> (Vec<(TopicPartition, i64)>, Vec<u64>) {
        r.take_rewinds()
            .into_iter()
            .map(|(tp, offset, rewind)| ((tp, offset), rewind))
            .unzip()
    }

    /// Takes the rewinds now and hands them over at once: Connect seeks back before batch
    /// `from_batch`.
    fn seek(r: &mut Reports, from_batch: u64) -> Vec<(TopicPartition, i64)> {
        let (rewinds, numbers) = taken(r);
        for n in numbers {
            r.handed(&tp(), n, from_batch);
        }
        rewinds
    }

    #[test]
    fn a_replay_reports_the_due_records_and_skips_what_the_sink_has() {
        let mut r = Reports::default();
        assert!(r.is_idle());
        // Records 0..10 were taken; 3 and 7 were rejected.
        r.add(&tp(), 7, due("seven"), 10);
        r.add(&tp(), 3, due("three"), 10);
        let (rewinds, numbers) = taken(&mut r);
        assert_eq!(rewinds, vec![(tp(), 3)]);
        assert!(r.take_rewinds().is_empty());
        // Handed over with batch 4: Connect seeks back before it polls batch 5.
        r.handed(&tp(), numbers[0], 5);
        // Batch 4, polled before the seek: 10 and 11 are new, and part of the replay.
        assert_eq!(r.replayed(&tp(), 10, 4), Replayed::New);
        assert_eq!(r.replayed(&tp(), 11, 4), Replayed::New);
        // The replay: 3..11 again.
        let mut seen = Vec::new();
        for offset in 3..12 {
            seen.push(r.replayed(&tp(), offset, 5));
        }
        assert_eq!(seen[0], Replayed::Report("three".into()));
        assert_eq!(seen[4], Replayed::Report("seven".into()));
        let skipped = seen.iter().filter(|s| **s == Replayed::Skip).count();
        assert_eq!(skipped, 7, "{seen:?}");
        // Past it: new records, and the replay is over.
        assert_eq!(r.replayed(&tp(), 12, 5), Replayed::New);
        assert!(r.is_idle());
        assert_eq!(r.replayed(&tp(), 3, 6), Replayed::New, "no longer a replay");
        assert!(r.take_gone().is_empty());
    }

    #[test]
    fn a_report_added_during_a_replay_rewinds_again_from_the_lowest() {
        let mut r = Reports::default();
        r.add(&tp(), 5, due("five"), 10);
        seek(&mut r, 2);
        assert_eq!(r.replayed(&tp(), 5, 2), Replayed::Report("five".into()));
        assert_eq!(r.replayed(&tp(), 6, 2), Replayed::Skip);
        // Another load of records taken earlier reports 2 while the replay runs.
        r.add(&tp(), 2, due("two"), 10);
        assert_eq!(seek(&mut r, 3), vec![(tp(), 2)]);
        // The rest of the old replay still arrives before the new rewind takes effect.
        assert_eq!(r.replayed(&tp(), 7, 2), Replayed::Skip);
        assert_eq!(r.replayed(&tp(), 2, 3), Replayed::Report("two".into()));
        for offset in 3..10 {
            assert_eq!(r.replayed(&tp(), offset, 3), Replayed::Skip);
        }
        assert_eq!(r.replayed(&tp(), 10, 3), Replayed::New);
        assert!(r.is_idle());
        assert!(r.take_gone().is_empty());
    }

    #[test]
    fn only_the_latest_rewind_handed_over_starts_the_replay() {
        let mut r = Reports::default();
        r.add(&tp(), 5, due("five"), 10);
        // Batch 1's answer carries the rewind to 5; before it is handed over, 2 is rejected
        // too, and batch 2's answer carries the rewind to 2.
        let (first, older) = taken(&mut r);
        assert_eq!(first, vec![(tp(), 5)]);
        r.add(&tp(), 2, due("two"), 10);
        let (second, newer) = taken(&mut r);
        assert_eq!(second, vec![(tp(), 2)]);
        // Batch 1's answer is handed over with the call of batch 3: Connect seeks to 5.
        r.handed(&tp(), older[0], 4);
        assert_eq!(r.replayed(&tp(), 5, 4), Replayed::Report("five".into()));
        assert_eq!(r.replayed(&tp(), 6, 4), Replayed::Skip);
        assert!(
            r.take_gone().is_empty(),
            "2 is not gone: its own seek is still to come"
        );
        // Batch 2's answer with the call of batch 4: Connect seeks to 2 before batch 5.
        r.handed(&tp(), newer[0], 5);
        assert_eq!(r.replayed(&tp(), 7, 4), Replayed::Skip);
        assert_eq!(r.replayed(&tp(), 2, 5), Replayed::Report("two".into()));
        for offset in 3..10 {
            assert_eq!(r.replayed(&tp(), offset, 5), Replayed::Skip);
        }
        assert_eq!(r.replayed(&tp(), 10, 5), Replayed::New);
        assert!(r.is_idle());
        assert!(r.take_gone().is_empty());
    }

    #[test]
    fn a_record_connect_does_not_deliver_again_after_the_seek_is_gone() {
        let mut r = Reports::default();
        r.add(&tp(), 2, due("two"), 10);
        r.add(&tp(), 6, due("six"), 10);
        assert_eq!(seek(&mut r, 2), vec![(tp(), 2)]);
        // Retention deleted records 0..5: after the seek to 2, Connect delivers from 5.
        assert_eq!(r.replayed(&tp(), 5, 2), Replayed::Skip);
        assert_eq!(r.take_gone(), vec![(tp(), 2, due("two"))]);
        assert_eq!(r.replayed(&tp(), 6, 2), Replayed::Report("six".into()));
        for offset in 7..10 {
            assert_eq!(r.replayed(&tp(), offset, 2), Replayed::Skip);
        }
        assert_eq!(r.replayed(&tp(), 10, 2), Replayed::New);
        assert!(r.is_idle());
        assert!(
            r.take_rewinds().is_empty(),
            "no rewind to a record that is gone"
        );
    }

    #[test]
    fn a_seek_past_every_record_to_report_leaves_them_all_gone() {
        // auto.offset.reset=latest, or a log start past the sink's position.
        let mut r = Reports::default();
        r.add(&tp(), 4, due("four"), 10);
        seek(&mut r, 2);
        assert_eq!(r.replayed(&tp(), 12, 2), Replayed::New);
        assert_eq!(r.take_gone(), vec![(tp(), 4, due("four"))]);
        assert!(r.is_idle());
    }

    #[test]
    fn a_rejection_found_for_an_earlier_assignment_of_the_partition_rewinds_nothing() {
        let sink = crate::sink::tests::sink_of_nowhere();
        let mut state = sink.shared.lock();
        let found = |offset| vec![(tp(), offset, "a string in an INT column".to_owned())];
        state.tracker.record(&tp(), 5, 77);
        to_report(&mut state, "db", "tbl", 77, &found(5));
        let (rewinds, _) = taken(&mut state.reports);
        assert_eq!(rewinds, vec![(tp(), 5)], "load 77 carries record 5");
        // Closed and opened again while load 77 was probed: Connect delivers the partition
        // again from its committed offset, 2; the probe then finds record 6 of load 77.
        state.tracker.forget(&[tp()]);
        state.reports.forget(&[tp()]);
        state.tracker.record(&tp(), 2, 78);
        to_report(&mut state, "db", "tbl", 77, &found(6));
        assert!(
            state.reports.take_rewinds().is_empty(),
            "a rewind to 6 would skip records 3 to 5"
        );
        assert!(state.reports.is_idle());
        drop(state);
        sink.stop();
    }

    #[test]
    fn forgotten_partitions_replay_nothing() {
        let mut r = Reports::default();
        r.add(&tp(), 1, due("one"), 4);
        r.forget(&[tp()]);
        assert!(r.is_idle());
        assert!(r.take_rewinds().is_empty());
        assert_eq!(r.replayed(&tp(), 1, 1), Replayed::New);
    }
}
