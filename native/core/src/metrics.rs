//! Counters per table: what the sink took, loaded and retried.
//!
//! Counters only grow; the gauges (`failing`, `pending-bytes`, the last load's latency) are set.
//! They are atomics so load tasks update them without the sink's lock. The shim publishes them
//! over JMX, one MBean per table.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The counters of one table.
#[derive(Debug, Default)]
pub struct TableMetrics {
    /// Records routed to the table (tombstones included).
    pub records: AtomicU64,
    /// Rows encoded for the table.
    pub rows: AtomicU64,
    /// Body bytes sent in successful loads.
    pub bytes: AtomicU64,
    /// Successful loads.
    pub loads: AtomicU64,
    /// Load attempts that failed and were retried.
    pub retries: AtomicU64,
    /// 1 while the table counts as failing (see `stream_load::retry`), else 0.
    pub failing: AtomicU64,
    /// Buffered bytes plus the bytes of loads not yet durable.
    pub pending_bytes: AtomicU64,
    /// Rows StarRocks filtered or rejected (see `stream_load::reject`).
    pub filtered_rows: AtomicU64,
    /// Records whose rows StarRocks rejected or filtered, found by probing.
    pub rejected_records: AtomicU64,
    /// Records `put` returned as rejected under `errors.tolerance=all` — for Connect's errant
    /// record reporter (the dead-letter queue), or a WARN line when none is configured: those
    /// StarRocks rejected and those the sink could not encode.
    pub dead_letter_records: AtomicU64,
    /// Records to report that Connect did not deliver again after the sink sought back to
    /// them (gone from the topic): rejected, but in no dead-letter queue, only in a WARN line.
    pub unreported_records: AtomicU64,
    /// Probe transactions sent to find rejected records (never committed).
    pub probes: AtomicU64,
    /// Sum and maximum of load latencies, and the last one, in milliseconds.
    pub load_ms_total: AtomicU64,
    pub load_ms_max: AtomicU64,
    pub last_load_ms: AtomicU64,
    /// Exactly-once: records skipped because the progress table says the table holds them.
    pub already_loaded: AtomicU64,
    /// Exactly-once: transactions that registered partitions new to the table's chain.
    pub registrations: AtomicU64,
    /// Exactly-once: recoveries that read this table's progress (a task start, a rebalance).
    pub recoveries: AtomicU64,
    /// Exactly-once: transactions a recovery found open or prepared and rolled back.
    pub recovery_rollbacks: AtomicU64,
}

impl TableMetrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set(gauge: &AtomicU64, value: u64) {
        gauge.store(value, Ordering::Relaxed);
    }

    pub fn observe_load(&self, millis: u64) {
        self.load_ms_total.fetch_add(millis, Ordering::Relaxed);
        self.load_ms_max.fetch_max(millis, Ordering::Relaxed);
        self.last_load_ms.store(millis, Ordering::Relaxed);
    }

    /// (name, value) pairs, in a stable order.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let loads = get(&self.loads);
        vec![
            ("records", get(&self.records)),
            ("rows", get(&self.rows)),
            ("bytes", get(&self.bytes)),
            ("loads", loads),
            ("retries", get(&self.retries)),
            ("failing", get(&self.failing)),
            ("pending-bytes", get(&self.pending_bytes)),
            ("filtered-rows", get(&self.filtered_rows)),
            ("rejected-records", get(&self.rejected_records)),
            ("dead-letter-records", get(&self.dead_letter_records)),
            ("unreported-records", get(&self.unreported_records)),
            ("probes", get(&self.probes)),
            (
                "load-latency-avg-ms",
                get(&self.load_ms_total).checked_div(loads).unwrap_or(0),
            ),
            ("load-latency-max-ms", get(&self.load_ms_max)),
            ("load-latency-last-ms", get(&self.last_load_ms)),
            ("records-already-loaded", get(&self.already_loaded)),
            ("progress-registrations", get(&self.registrations)),
            ("recoveries", get(&self.recoveries)),
            ("recovery-rollbacks", get(&self.recovery_rollbacks)),
        ]
    }
}

/// The counters of every table a sink has written to.
#[derive(Debug, Default, Clone)]
pub struct Metrics {
    tables: Arc<Mutex<BTreeMap<String, Arc<TableMetrics>>>>,
}

impl Metrics {
    pub fn table(&self, name: &str) -> Arc<TableMetrics> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = tables.get(name) {
            return Arc::clone(t);
        }
        let t = Arc::new(TableMetrics::default());
        tables.insert(name.to_string(), Arc::clone(&t));
        t
    }

    /// `table\tcounter\tvalue` lines, the form the shim reads.
    pub fn render(&self) -> String {
        let tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, t) in tables.iter() {
            for (counter, value) in t.snapshot() {
                out.push_str(&format!("{name}\t{counter}\t{value}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_per_table_and_counter() {
        let m = Metrics::default();
        let t = m.table("orders");
        TableMetrics::add(&t.rows, 3);
        TableMetrics::add(&t.loads, 2);
        t.observe_load(10);
        t.observe_load(30);
        let text = m.render();
        assert!(text.contains("orders\trows\t3\n"), "{text}");
        assert!(text.contains("orders\tload-latency-avg-ms\t20\n"), "{text}");
        assert!(text.contains("orders\tload-latency-max-ms\t30\n"), "{text}");
        assert!(Arc::ptr_eq(&t, &m.table("orders")));
    }
}
