//! Exactly-once progress: what the sink keeps in StarRocks beside the rows, and how a task
//! that starts after a crash reads it back.
//!
//! Under `sink.semantic=exactly-once` every load is one multi-table transaction (StarRocks
//! 4.0+): the table's rows **and** one progress row per partition feeding the table, written
//! into the progress table (`sink.progress.table`) of the same database. Both commit together
//! or not at all, so a progress row says exactly which records of its partition the table
//! durably holds: every record of `topic`/`partition` below `next_offset` that routes to
//! `table_name`.
//!
//! A row also names the **next label** of the chain of loads that wrote it: the label the
//! task's next load of that table will use. Loads of one table commit one after the other, so
//! when a task dies the only transaction of its chain that may still be on its way to
//! visibility (committed but not yet visible, or prepared with its commit in flight) is the one
//! named there. Recovery ([`settle`]) asks that label's state and settles it before trusting
//! the rows: waits for a committed one to become visible (then reads again), rolls back one
//! still open or prepared (it can then never commit), and accepts an aborted or unknown one.
//!
//! Everything here is pure: SQL text, the progress body, and the decisions. The queries run in
//! `query`, the loads in `stream_load`, the recovery loop in `sink`.

use std::collections::{BTreeMap, HashMap};

use crate::offsets::TopicPartition;

/// One row of the progress table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRow {
    /// The target table the row speaks for.
    pub table: String,
    pub tp: TopicPartition,
    /// Every record of the partition below this offset that routes to `table` is durable
    /// there.
    pub next_offset: i64,
    /// The label of the next load of the chain that wrote this row.
    pub next_label: String,
}

/// The statement that creates the progress table. Names were checked by the configuration
/// (no backquote can occur in them).
pub fn create_table_sql(database: &str, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS `{database}`.`{table}` (\n  \
         `connector` VARCHAR(255) NOT NULL COMMENT \"Kafka Connect connector name\",\n  \
         `table_name` VARCHAR(255) NOT NULL COMMENT \"target table\",\n  \
         `topic` VARCHAR(255) NOT NULL,\n  \
         `partition` INT NOT NULL,\n  \
         `next_offset` BIGINT NOT NULL COMMENT \"records below this offset are loaded\",\n  \
         `next_label` VARCHAR(128) NOT NULL COMMENT \"the next load of the writer's chain\",\n  \
         `label` VARCHAR(128) NOT NULL COMMENT \"the load that wrote this row\",\n  \
         `updated_at` DATETIME NULL\n\
         ) PRIMARY KEY (`connector`, `table_name`, `topic`, `partition`)\n\
         DISTRIBUTED BY HASH(`connector`)"
    )
}

/// The query that reads a connector's progress rows.
pub fn select_sql(database: &str, table: &str, connector: &str) -> String {
    format!(
        "SELECT `table_name`, `topic`, `partition`, `next_offset`, `next_label` \
         FROM `{database}`.`{table}` WHERE `connector` = {}",
        sql_string(connector)
    )
}

/// The query listing the tables of the database (to learn whether the progress table exists).
pub fn show_tables_sql(database: &str) -> String {
    format!("SHOW TABLES FROM `{database}`")
}

/// The statements that forget a connector's progress for some partitions (all of them when
/// `partitions` is empty): what a reset of the connector's offsets does. One statement per
/// partition, each a plain conjunction.
pub fn delete_sql(
    database: &str,
    table: &str,
    connector: &str,
    partitions: &[TopicPartition],
) -> Vec<String> {
    let all = format!(
        "DELETE FROM `{database}`.`{table}` WHERE `connector` = {}",
        sql_string(connector)
    );
    if partitions.is_empty() {
        return vec![all];
    }
    partitions
        .iter()
        .map(|tp| {
            format!(
                "{all} AND `topic` = {} AND `partition` = {}",
                sql_string(&tp.topic),
                tp.partition
            )
        })
        .collect()
}

/// A SQL string literal: quotes doubled, backslashes escaped (StarRocks reads `\` as an
/// escape inside string literals, as MySQL does).
fn sql_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The progress part of a load: one JSON line per row, for the progress table's columns.
/// `label` is the load carrying it; `now` is `updated_at` (`YYYY-MM-DD HH:MM:SS`).
pub fn body(connector: &str, label: &str, rows: &[ProgressRow], now: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 200);
    for row in rows {
        let line = serde_json::json!({
            "connector": connector,
            "table_name": row.table,
            "topic": &*row.tp.topic,
            "partition": row.tp.partition,
            "next_offset": row.next_offset,
            "next_label": row.next_label,
            "label": label,
            "updated_at": now,
        });
        serde_json::to_writer(&mut out, &line).expect("JSON values always serialise");
        out.push(b'\n');
    }
    out
}

/// What a load of `table` writes: a row for each partition of `progress` (those the chain
/// speaks for: every partition feeding the table that this task holds), with the new
/// `next_offset` of partitions whose records the load carries (`carried`: partition → last
/// offset in the load) and the unchanged one of the others.
pub fn rows_of_load(
    table: &str,
    progress: &BTreeMap<TopicPartition, i64>,
    carried: &BTreeMap<TopicPartition, i64>,
    next_label: &str,
) -> Vec<ProgressRow> {
    let mut offsets = progress.clone();
    for (tp, last) in carried {
        let next = last.saturating_add(1);
        let entry = offsets.entry(tp.clone()).or_insert(next);
        *entry = (*entry).max(next);
    }
    offsets
        .into_iter()
        .map(|(tp, next_offset)| ProgressRow {
            table: table.to_owned(),
            tp,
            next_offset,
            next_label: next_label.to_owned(),
        })
        .collect()
}

/// Records already loaded, per (table, partition): a record below the offset is skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    below: HashMap<TopicPartition, HashMap<String, i64>>,
}

impl Loaded {
    pub fn from_rows(rows: &[ProgressRow]) -> Loaded {
        let mut loaded = Loaded::default();
        for row in rows {
            loaded
                .below
                .entry(row.tp.clone())
                .or_default()
                .insert(row.table.clone(), row.next_offset);
        }
        loaded
    }

    /// Whether the record at `offset` of `tp`, routed to `table`, is already in the table.
    pub fn holds(&self, table: &str, tp: &TopicPartition, offset: i64) -> bool {
        self.below
            .get(tp)
            .and_then(|tables| tables.get(table))
            .is_some_and(|&next| offset < next)
    }

    /// The next offset known durable for `table` from `tp`.
    pub fn next_offset(&self, table: &str, tp: &TopicPartition) -> Option<i64> {
        self.below.get(tp)?.get(table).copied()
    }

    /// Adds the partitions of `other` (recovered later), replacing what was known of them.
    pub fn extend(&mut self, other: Loaded) {
        self.below.extend(other.below);
    }

    /// Forgets revoked partitions.
    pub fn forget(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.below.remove(tp);
        }
    }
}

/// What recovery does about the state of a label named by a progress row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Nothing of that load can become visible any more (aborted, or never begun).
    Nothing,
    /// It is visible: the rows may have moved on; read them again.
    Visible,
    /// It is committed and not yet visible: wait, then ask again.
    Wait,
    /// It is open or prepared: roll it back (it must never commit), then ask again.
    RollBack,
}

/// The decision for a `get_load_state` state.
pub fn settle(state: &str) -> Settle {
    match state.trim().to_ascii_uppercase().as_str() {
        "VISIBLE" => Settle::Visible,
        "COMMITTED" => Settle::Wait,
        "PREPARE" | "PREPARED" => Settle::RollBack,
        // ABORTED, UNKNOWN (never begun, or forgotten after label_keep_max_second — by then a
        // committed load would have moved the rows past it).
        _ => Settle::Nothing,
    }
}

/// The labels recovery must settle: the distinct `next_label`s of `rows`, except those of the
/// sink's own running session (`own_nonce`) that are `live`, the label of a load still in one
/// of its tables' queues or a chain's next: its chain settles them itself (and a partition
/// closed while one of them was in flight is recovered only once that load is back). Its own
/// labels that are not live any more are of loads that finished: committed ones are waited
/// for until visible, like anyone's.
pub fn labels_to_settle(
    rows: &[ProgressRow],
    own_nonce: u64,
    live: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let own = format!("-{own_nonce:016x}-");
    let mut labels: Vec<String> = rows
        .iter()
        .filter(|r| !r.next_label.is_empty())
        .filter(|r| !(r.next_label.contains(&own) && live(&r.next_label)))
        .map(|r| r.next_label.clone())
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    fn row(table: &str, t: &str, p: i32, next: i64, label: &str) -> ProgressRow {
        ProgressRow {
            table: table.into(),
            tp: tp(t, p),
            next_offset: next,
            next_label: label.into(),
        }
    }

    #[test]
    fn the_ddl_has_the_key_the_rows_are_written_under() {
        let sql = create_table_sql("shop", "kafka_connect_progress");
        assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS `shop`.`kafka_connect_progress` ("));
        assert!(sql.contains("PRIMARY KEY (`connector`, `table_name`, `topic`, `partition`)"));
        let line = String::from_utf8(body(
            "c",
            "l1",
            &[row("t", "x", 0, 5, "l2")],
            "2026-12-03 10:00:00",
        ))
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        for column in [
            "connector",
            "table_name",
            "topic",
            "partition",
            "next_offset",
            "next_label",
            "label",
            "updated_at",
        ] {
            assert!(sql.contains(&format!("`{column}`")), "{column}");
            assert!(value.get(column).is_some(), "{column}");
        }
        assert_eq!(value["next_offset"], 5);
        assert_eq!(value["label"], "l1");
        assert_eq!(value["next_label"], "l2");
    }

    #[test]
    fn names_in_sql_strings_are_escaped() {
        assert_eq!(
            select_sql("d", "p", "it's\\x"),
            "SELECT `table_name`, `topic`, `partition`, `next_offset`, `next_label` FROM `d`.`p` WHERE `connector` = 'it''s\\\\x'"
        );
        assert_eq!(
            delete_sql("d", "p", "c", &[tp("a'b", 1), tp("c", 2)]),
            vec![
                "DELETE FROM `d`.`p` WHERE `connector` = 'c' AND `topic` = 'a''b' AND `partition` = 1",
                "DELETE FROM `d`.`p` WHERE `connector` = 'c' AND `topic` = 'c' AND `partition` = 2",
            ]
        );
        assert_eq!(
            delete_sql("d", "p", "c", &[]),
            vec!["DELETE FROM `d`.`p` WHERE `connector` = 'c'"]
        );
    }

    #[test]
    fn a_load_writes_every_partition_of_its_chain_and_moves_only_those_it_carries() {
        let progress: BTreeMap<_, _> = [(tp("t", 0), 10), (tp("t", 1), 20)].into();
        let carried: BTreeMap<_, _> = [(tp("t", 1), 29), (tp("t", 2), 4)].into();
        let rows = rows_of_load("orders", &progress, &carried, "next");
        let got: Vec<(i32, i64)> = rows
            .iter()
            .map(|r| (r.tp.partition, r.next_offset))
            .collect();
        assert_eq!(got, vec![(0, 10), (1, 30), (2, 5)]);
        assert!(rows
            .iter()
            .all(|r| r.next_label == "next" && r.table == "orders"));
    }

    #[test]
    fn loaded_records_are_those_below_the_row_of_their_table() {
        let loaded = Loaded::from_rows(&[row("a", "t", 0, 10, ""), row("b", "t", 0, 3, "")]);
        assert!(loaded.holds("a", &tp("t", 0), 9));
        assert!(!loaded.holds("a", &tp("t", 0), 10));
        assert!(!loaded.holds("b", &tp("t", 0), 3));
        assert!(!loaded.holds("c", &tp("t", 0), 0), "no row: nothing loaded");
        assert!(!loaded.holds("a", &tp("t", 1), 0));
    }

    #[test]
    fn each_label_state_has_one_decision() {
        assert_eq!(settle("VISIBLE"), Settle::Visible);
        assert_eq!(settle("committed"), Settle::Wait);
        assert_eq!(settle("PREPARE"), Settle::RollBack);
        assert_eq!(settle("PREPARED"), Settle::RollBack);
        assert_eq!(settle("ABORTED"), Settle::Nothing);
        assert_eq!(settle("UNKNOWN"), Settle::Nothing);
    }

    #[test]
    fn the_own_sessions_labels_are_not_settled_by_recovery() {
        let rows = [
            row("a", "t", 0, 1, "kc-c-0-a-00000000000000ff-7"),
            row("a", "t", 1, 1, "kc-c-0-a-00000000000000ff-7"),
            row("a", "t", 2, 1, "kc-c-1-a-0000000000000001-3"),
        ];
        let live = |_: &str| true;
        assert_eq!(
            labels_to_settle(&rows, 0xff, &live),
            vec!["kc-c-1-a-0000000000000001-3"]
        );
        assert_eq!(labels_to_settle(&rows, 0x1, &live).len(), 1);
        assert_eq!(labels_to_settle(&rows, 0x2, &live).len(), 2);
        // The own session's label of a load that finished is settled like anyone's.
        assert_eq!(labels_to_settle(&rows, 0xff, &|_| false).len(), 2);
    }
}
