//! Which tables' partitions stop being consumed: a pure decision over the tables' bytes.
//!
//! The sink never blocks Connect's task thread to hold memory back. Instead, the partitions
//! feeding a table are paused (`SinkTaskContext.pause`) while the table cannot take more rows,
//! and resumed when it can; Connect keeps polling, so the consumer stays in its group and the
//! task can always be stopped.
//!
//! A table's *pending* bytes are its buffered rows plus the bodies of its loads that are not yet
//! durable (queued or in flight). With `budget` = `bufferflush.maxbytes`, a table is paused
//! when:
//! 1. its current load is failing or being retried — there is no point in buffering rows for a
//!    table StarRocks does not take, and they are re-read from Kafka later;
//! 2. its own pending bytes reach the budget; or
//! 3. all tables' pending bytes together reach twice the budget.
//!
//! So one table holds at most `budget` plus the rows of one put, and all tables together at
//! most `2 × budget` plus the rows of one put. A slow or failing table holds at most the budget
//! (plus a put), which leaves the other tables at least as much again: one table's trouble
//! never stops another (rules 1 and 2). Only when slow tables together hold twice the budget
//! does every table wait for them (rule 3), which is what keeps the bound.

/// What the policy knows of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TablePressure {
    /// Buffered bytes plus the bytes of loads not yet durable.
    pub pending: u64,
    /// The table's current load has failed and is being retried.
    pub unhealthy: bool,
}

/// For each table, whether its partitions are paused. See the module rules.
pub fn paused(tables: &[TablePressure], budget: u64) -> Vec<bool> {
    let total: u64 = tables.iter().map(|t| t.pending).sum();
    let over = total >= budget.saturating_mul(2);
    tables
        .iter()
        .map(|t| over || t.unhealthy || t.pending >= budget)
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn t(pending: u64, unhealthy: bool) -> TablePressure {
        TablePressure { pending, unhealthy }
    }

    #[test]
    fn the_pause_table() {
        // (tables, budget 100, expected)
        let cases: Vec<(Vec<TablePressure>, Vec<bool>)> = vec![
            (vec![], vec![]),
            (vec![t(0, false)], vec![false]),
            (vec![t(99, false)], vec![false]),
            // Rule 2: a table at its budget.
            (vec![t(100, false)], vec![true]),
            // Rule 1: a failing table, whatever it holds.
            (vec![t(0, true), t(10, false)], vec![true, false]),
            // A slow table at its budget leaves another table loading.
            (vec![t(100, false), t(60, false)], vec![true, false]),
            // Rule 3: together at twice the budget, every table pauses.
            (
                vec![t(100, false), t(99, false), t(1, false)],
                vec![true, true, true],
            ),
            (
                vec![t(100, true), t(100, false), t(0, false)],
                vec![true, true, true],
            ),
            (
                vec![t(100, true), t(99, false), t(0, false)],
                vec![true, false, false],
            ),
        ];
        for (tables, expected) in cases {
            assert_eq!(paused(&tables, 100), expected, "{tables:?}");
        }
    }

    /// The bound of the module doc, over random sequences of puts (rows routed to tables) and
    /// loads finishing (bytes leaving): no table ever holds more than the budget plus the rows
    /// of one put, and all together no more than twice the budget plus the rows of one put.
    #[derive(Debug, Clone)]
    enum Event {
        Put(Vec<(usize, u64)>),
        Drain(usize, u64),
        Health(usize, bool),
    }

    fn events() -> impl Strategy<Value = Vec<Event>> {
        let put = prop::collection::vec((0usize..4, 0u64..60), 0..6).prop_map(Event::Put);
        let drain = (0usize..4, 0u64..200).prop_map(|(t, b)| Event::Drain(t, b));
        let health = (0usize..4, any::<bool>()).prop_map(|(t, h)| Event::Health(t, h));
        prop::collection::vec(prop_oneof![4 => put, 2 => drain, 1 => health], 0..200)
    }

    proptest! {
        #[test]
        fn memory_stays_within_the_stated_bound(events in events()) {
            let budget = 100;
            let mut tables = vec![t(0, false); 4];
            let mut put = 0;
            for event in events {
                match event {
                    Event::Put(rows) => {
                        let paused = paused(&tables, budget);
                        put = put.max(rows.iter().map(|(_, b)| b).sum());
                        for (i, bytes) in rows {
                            // Connect delivers no records of a paused partition.
                            if !paused[i] {
                                tables[i].pending += bytes;
                            }
                        }
                        for table in &tables {
                            prop_assert!(table.pending <= budget + put, "{tables:?}");
                        }
                        let total: u64 = tables.iter().map(|t| t.pending).sum();
                        prop_assert!(total <= 2 * budget + put, "{tables:?}");
                    }
                    Event::Drain(i, bytes) => {
                        tables[i].pending = tables[i].pending.saturating_sub(bytes);
                    }
                    Event::Health(i, unhealthy) => tables[i].unhealthy = unhealthy,
                }
            }
        }
    }
}
