//! Exactly-once recovery: what a task does, before loading any record of newly assigned
//! partitions, to learn which of their records StarRocks already holds (see `progress`).
//!
//! `open` marks the partitions recovering; the shim pauses them and hands back any record of
//! theirs (`SinkTaskContext.offset` rewinds them). This task, on the core's runtime:
//! 1. once per sink, checks that the cluster has multi-table transactions (4.0+) and creates
//!    the progress table if it is missing;
//! 2. waits for any load of its own that still touches the partitions (a `close` that gave up
//!    waiting for it, the partitions given straight back), then reads the connector's progress
//!    rows for the partitions;
//! 3. settles the load each row names (the next load of the chain that wrote it), unless the
//!    task's own chains still hold that label (`progress::labels_to_settle`): rolls back
//!    each of its attempts (`stream_load::multi`) until one that was never begun — which aborts
//!    one still open for good, and is refused for one committed, which it then waits to see
//!    visible — and reads the rows again until every named load is settled;
//! 4. hands the rows to the sink, which skips the records below each row's offset and resumes
//!    the partitions.
//!
//! Each `open` starts a recovery of its own, numbered (`State::recovering`). A recovery acts only
//! for its partitions that still wait for it: each reading of the rows leaves out one closed
//! or opened again since (it may be another task's by then, its rows naming that task's loads),
//! and it stops once none is left.
//!
//! A transient failure (no FE answers) is retried with backoff, the partitions staying paused;
//! a refusal (a cluster older than 4.0, no privilege to create or read the progress table)
//! fails the sink with the statement to run.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Shared;
use crate::config::keys;
use crate::error::{Error, Result};
use crate::label::attempt_label;
use crate::metrics::TableMetrics;
use crate::offsets::TopicPartition;
use crate::progress::{self, labels_to_settle, settle, Loaded, ProgressRow, Settle};
use crate::query::version_at_least;
use crate::stream_load::multi::{fence, Fence};
use crate::stream_load::{Attempt, LoadRequest, Op, ProgressPart};

/// How long recovery waits before asking again about a committed, not yet visible, load.
const VISIBLE_POLL: Duration = Duration::from_millis(300);
/// Backoff of a recovery that failed transiently.
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Starts recovery number `recovery` (see `State::recovering`), of `partitions`, on the
/// core's runtime.
pub(super) fn spawn(shared: &Arc<Shared>, partitions: Vec<TopicPartition>, recovery: u64) {
    let weak = Arc::downgrade(shared);
    super::worker::supervise(
        shared,
        "exactly-once recovery".to_owned(),
        recover_until_done(weak, partitions, recovery),
    );
}

async fn recover_until_done(shared: Weak<Shared>, partitions: Vec<TopicPartition>, recovery: u64) {
    let mut delay = RETRY_MIN;
    loop {
        let Some(sink) = shared.upgrade() else { return };
        if sink.is_stopped() || sink.owned(&partitions, recovery).is_empty() {
            // Stopped, or every partition closed or opened again since (a later recovery).
            return;
        }
        let outcome = recover(&sink, &partitions, recovery).await;
        if sink.is_stopped() {
            return;
        }
        match outcome {
            Ok(loaded) => {
                sink.recovered(&partitions, recovery, loaded);
                return;
            }
            Err(e) if !e.is_retriable() => {
                let failure = format!(
                    "Exactly-once recovery of {} partition(s) failed: {e}",
                    partitions.len()
                );
                tracing::error!(parent: &sink.span, "{failure}");
                sink.fail(failure);
                return;
            }
            Err(e) => {
                tracing::warn!(parent: &sink.span, error = %e, retry_in_ms = delay.as_millis() as u64,
                    "Exactly-once recovery failed; its partitions stay paused and it is retried.");
            }
        }
        drop(sink);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// One attempt: the progress rows of `partitions`, every label they name settled. Only the
/// partitions still this recovery's count: one closed meanwhile may already be another
/// task's, whose loads its rows then name, and those are not this recovery's to roll back.
async fn recover(sink: &Shared, partitions: &[TopicPartition], recovery: u64) -> Result<Loaded> {
    sink.prepare_progress_table().await?;
    if !sink.own_loads_back(partitions, recovery).await {
        return Err(Error::retriable("the sink stopped"));
    }
    let own = sink.shape.labels.nonce();
    let mut settled: HashSet<String> = HashSet::new();
    loop {
        let wanted: BTreeSet<TopicPartition> =
            sink.owned(partitions, recovery).into_iter().collect();
        if wanted.is_empty() {
            return Ok(Loaded::default());
        }
        let rows: Vec<ProgressRow> = sink
            .read_progress()
            .await?
            .into_iter()
            .filter(|r| wanted.contains(&r.tp))
            .collect();
        let live: HashSet<String> = {
            let state = sink.lock();
            let tables = state.tables.values();
            tables
                .flat_map(|t| t.live_labels().map(str::to_owned))
                .collect()
        };
        let open: Vec<String> = labels_to_settle(&rows, own, &|l| live.contains(l))
            .into_iter()
            .filter(|l| !settled.contains(l))
            .collect();
        if open.is_empty() {
            let tables: BTreeSet<&str> = rows.iter().map(|r| r.table.as_str()).collect();
            for table in tables {
                TableMetrics::add(&sink.metrics.table(table).recoveries, 1);
            }
            tracing::info!(parent: &sink.span, partitions = wanted.len(), rows = rows.len(),
                "Exactly-once recovery done: records below each partition's progress are skipped.");
            return Ok(Loaded::from_rows(&rows));
        }
        for label in open {
            let still_ours = sink.owned(partitions, recovery);
            if !rows
                .iter()
                .any(|r| r.next_label == label && still_ours.contains(&r.tp))
            {
                continue;
            }
            let table = rows
                .iter()
                .find(|r| r.next_label == label)
                .map_or("", |r| r.table.as_str())
                .to_owned();
            match sink.settle_load(&table, &label).await? {
                Settle::Nothing | Settle::Visible => {
                    settled.insert(label);
                }
                Settle::Wait => tokio::time::sleep(VISIBLE_POLL).await,
                Settle::RollBack => unreachable!("settle_load rolls back itself"),
            }
        }
    }
}

impl Shared {
    /// Those of `partitions` that still wait for recovery number `recovery`: not closed, nor
    /// opened again since.
    fn owned(&self, partitions: &[TopicPartition], recovery: u64) -> Vec<TopicPartition> {
        let state = self.lock();
        owned_by(&state, partitions, recovery)
    }

    /// Waits until no load of this task still touches `partitions`: one whose `close` gave up
    /// waiting for it (a commit it sent not yet settled) when they were revoked, before Connect
    /// gave them back to this task. Until then they stay revoked for that load, which is cut or
    /// completed as one of revoked partitions; then they are this task's again. `false` when
    /// the sink stopped meanwhile. Only the partitions still in `recovery` are given back.
    async fn own_loads_back(&self, partitions: &[TopicPartition], recovery: u64) -> bool {
        loop {
            {
                let mut state = self.lock();
                if self.is_stopped() {
                    return false;
                }
                let ours = owned_by(&state, partitions, recovery);
                let touched = |tp: &TopicPartition| ours.contains(tp);
                if !state.tables.values().any(|t| t.settling(&touched)) {
                    for tp in &ours {
                        state.revoked.remove(tp);
                    }
                    return true;
                }
            }
            tokio::time::sleep(VISIBLE_POLL).await;
        }
    }

    /// Settles the load whose first attempt is `label` (a chain's next load, named by progress
    /// rows): rolls back each of its attempts in turn, which aborts one still open and is
    /// refused for one committed, until an attempt that was never begun. `Visible`: one of them
    /// is visible (the rows moved on); `Wait`: one is committed and not yet visible.
    async fn settle_load(&self, table: &str, label: &str) -> Result<Settle> {
        for k in 0..=u32::MAX {
            let attempt = attempt_label(label, k);
            let answer = self
                .client
                .step(Op::Rollback, &self.abandoned(table, &attempt))
                .await;
            match fence(&answer) {
                Fence::NeverBegun => return Ok(Settle::Nothing),
                Fence::Aborted => {
                    if is_fresh_abort(&answer) {
                        tracing::info!(parent: &self.span, label = %attempt, table,
                            "Rolled back a load a previous owner of these partitions left open.");
                        TableMetrics::add(&self.metrics.table(table).recovery_rollbacks, 1);
                    }
                }
                Fence::Committed => {
                    let state = self
                        .client
                        .load_state(&self.config.database, &attempt)
                        .await?;
                    return match settle(&state) {
                        Settle::Visible => Ok(Settle::Visible),
                        Settle::Wait => Ok(Settle::Wait),
                        _ => Err(Error::retriable(format!(
                            "label '{attempt}' cannot be rolled back as committed, yet its state is {state}"
                        ))),
                    };
                }
                Fence::Unclear(reason) => {
                    return Err(Error::retriable(format!(
                        "the rollback of label '{attempt}' got no clear answer: {reason}"
                    )))
                }
            }
        }
        Ok(Settle::Nothing)
    }

    /// Checks the cluster's version and creates the progress table, once per sink.
    async fn prepare_progress_table(&self) -> Result<()> {
        let Some(query) = &self.query else {
            return Ok(());
        };
        let mut ready = self.progress_ready.lock().await;
        if *ready {
            return Ok(());
        }
        let version = query.value("SELECT current_version()").await?;
        if let Some(version) = &version {
            if !version_at_least(version, 4, 0) {
                return Err(Error::config(
                    keys::SEMANTIC,
                    format!(
                        "exactly-once needs StarRocks 4.0 or newer (multi-table transactions); \
                         this cluster runs {version}. Use at-least-once, or upgrade StarRocks."
                    ),
                ));
            }
        }
        let ddl = progress::create_table_sql(&self.config.database, &self.config.progress_table);
        if let Err(e) = query.execute(&ddl).await {
            if !e.is_fatal() {
                return Err(e);
            }
            return Err(Error::fatal(format!(
                "the progress table `{}`.`{}` ({}) is missing and could not be created: {e}. \
                 Create it as a user with the CREATE TABLE privilege on the database, then \
                 restart the task:\n{ddl};",
                self.config.database,
                self.config.progress_table,
                keys::PROGRESS_TABLE
            )));
        }
        *ready = true;
        Ok(())
    }

    /// The connector's progress rows.
    async fn read_progress(&self) -> Result<Vec<ProgressRow>> {
        let Some(query) = &self.query else {
            return Ok(Vec::new());
        };
        let connector = self
            .shape
            .exactly_once
            .as_ref()
            .map_or("", |eo| eo.connector.as_str());
        let sql = progress::select_sql(
            &self.config.database,
            &self.config.progress_table,
            connector,
        );
        let rows = query.rows(&sql).await?;
        rows.into_iter()
            .map(|row| {
                let parsed: Option<(String, String, i32, i64, String)> = mysql_async::from_row_opt(row).ok();
                let (table, topic, partition, next_offset, next_label) = parsed.ok_or_else(|| {
                    Error::fatal(format!(
                        "the progress table `{}`.`{}` has rows of an unexpected shape; it must \
                         have the columns of:\n{}",
                        self.config.database,
                        self.config.progress_table,
                        progress::create_table_sql(&self.config.database, &self.config.progress_table)
                    ))
                })?;
                Ok(ProgressRow {
                    table,
                    tp: TopicPartition::new(&topic, partition),
                    next_offset,
                    next_label,
                })
            })
            .collect()
    }

    /// A request that names a chain load of `table` under `label`, for rolling it back.
    fn abandoned(&self, table: &str, label: &str) -> LoadRequest {
        let mut request =
            LoadRequest::rows(&self.config.database, table, label, Default::default());
        request.progress = Some(ProgressPart {
            table: self.config.progress_table.clone(),
            body: Default::default(),
        });
        request
    }
}

/// Those of `partitions` that recovery number `recovery` still holds (see `State::recovering`).
fn owned_by(
    state: &super::State,
    partitions: &[TopicPartition],
    recovery: u64,
) -> Vec<TopicPartition> {
    partitions
        .iter()
        .filter(|tp| state.recovering.get(*tp) == Some(&recovery))
        .cloned()
        .collect()
}

/// Whether a rollback answer aborted an open transaction just now (not one aborted before).
fn is_fresh_abort(answer: &Attempt) -> bool {
    matches!(answer, Attempt::Answered { body, .. } if !body.to_ascii_lowercase().contains("already"))
}

/// Forgets the progress of `connector` for `partitions` (all of them when empty): what a reset
/// of the connector's offsets (Connect's `PATCH`/`DELETE /connectors/<name>/offsets`) does, so
/// that the records Connect hands over again are loaded again, never skipped as already
/// loaded. Nothing to do under at-least-once, or when the progress table does not exist.
pub fn reset_progress(
    props: &std::collections::HashMap<String, String>,
    connector: &str,
    partitions: &[TopicPartition],
) -> Result<()> {
    let config = crate::config::SinkConfig::from_map(props)?;
    if config.semantic != crate::config::Semantic::ExactlyOnce {
        return Ok(());
    }
    let query = crate::query::QueryClient::new(&config);
    let tables = progress::show_tables_sql(&config.database);
    let statements = progress::delete_sql(
        &config.database,
        &config.progress_table,
        connector,
        partitions,
    );
    crate::runtime::handle().block_on(async {
        let exists = query.rows(&tables).await?.into_iter().any(|row| {
            row.get_opt::<String, usize>(0)
                .and_then(|v| v.ok())
                .is_some_and(|name| name == config.progress_table)
        });
        if !exists {
            return Ok(());
        }
        for sql in &statements {
            query.execute(sql).await?;
        }
        Ok(())
    })?;
    tracing::info!(
        connector,
        partitions = partitions.len(),
        "Exactly-once progress forgotten: the records Connect hands over again are loaded again."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::tests::sink_of_nowhere;

    fn loaded(tp: &TopicPartition, next_offset: i64) -> Loaded {
        Loaded::from_rows(&[ProgressRow {
            table: "tbl".into(),
            tp: tp.clone(),
            next_offset,
            next_label: "kc-c-0-tbl-x-1".into(),
        }])
    }

    #[test]
    fn a_partition_opened_again_without_a_close_while_recovering_is_handed_back_again() {
        // Recoveries never end here, so the partition stays recovering throughout.
        let sink = sink_of_nowhere();
        let tp = TopicPartition::new("t", 0);
        let value = r#"{"a":1}"#;
        let mut session = crate::batch_writer::Session::new();
        let mut batch = |offset: i64| {
            let topic = crate::batch_writer::topic("t");
            let record = crate::record::Record {
                original_topic: topic,
                partition: 0,
                offset,
                topic,
                timestamp: None,
                key: crate::record::Payload::Null,
                value: crate::record::Payload::RawText(value),
            };
            session.batch(&[record])
        };
        sink.open(std::slice::from_ref(&tp)).unwrap();
        let first = sink.put(&batch(5)).unwrap();
        assert_eq!(first.flow.rewind, vec![(tp.clone(), 5)]);
        // Opened again, it is resumed: Connect delivers it again from the rewind.
        sink.open(std::slice::from_ref(&tp)).unwrap();
        let again = sink.put(&batch(5)).unwrap();
        assert_eq!(
            again.flow.rewind,
            vec![(tp.clone(), 5)],
            "the records dropped while it recovers are asked for again"
        );
        sink.stop();
    }

    #[test]
    fn a_recovery_outlived_by_a_close_and_an_open_of_its_partition_settles_nothing_of_it() {
        let sink = sink_of_nowhere();
        let shared = &sink.shared;
        let tp = TopicPartition::new("t", 0);
        let other = TopicPartition::new("t", 1);
        sink.open(&[tp.clone(), other.clone()]).unwrap();
        sink.close(std::slice::from_ref(&tp)).unwrap();
        sink.open(std::slice::from_ref(&tp)).unwrap();
        assert_eq!(
            shared.owned(&[tp.clone(), other.clone()], 1),
            vec![other.clone()]
        );
        assert_eq!(
            shared.owned(&[tp.clone(), other.clone()], 2),
            vec![tp.clone()]
        );

        // The first recovery ends with what it read before the close: it settles the partition
        // it still holds, not the one opened again.
        let mut stale = loaded(&tp, 100);
        stale.extend(loaded(&other, 7));
        shared.recovered(&[tp.clone(), other.clone()], 1, stale);
        {
            let state = shared.lock();
            assert_eq!(state.recovering.get(&tp), Some(&2));
            assert!(!state.recovering.contains_key(&other));
            assert_eq!(state.loaded.next_offset("tbl", &tp), None);
            assert_eq!(state.loaded.next_offset("tbl", &other), Some(7));
        }
        assert!(shared.owned(&[tp.clone(), other.clone()], 1).is_empty());

        shared.recovered(std::slice::from_ref(&tp), 2, loaded(&tp, 50));
        let state = shared.lock();
        assert!(state.recovering.is_empty());
        assert_eq!(state.loaded.next_offset("tbl", &tp), Some(50));
        drop(state);
        sink.stop();
    }
}
