//! Durable offsets per original topic-partition.
//!
//! Every record the sink takes is noted here, in order, with the load that will carry its rows
//! (or [`SKIPPED`] when it has none: tombstones, records tolerated as bad). A partition's
//! offsets form a queue of spans, each a run of consecutive records bound for the same load.
//! When a load is durable in StarRocks, [`OffsetTracker::complete`] marks it, and
//! [`OffsetTracker::committable`] pops finished spans from the front of every queue.
//!
//! A record StarRocks rejected that still has to be reported (the dead-letter queue) is
//! **held** ([`OffsetTracker::hold`]): the partition's committable offset stays at or below it
//! until [`OffsetTracker::release`] says the report was handed to Connect.
//!
//! Invariant: the committable offset of a partition is one past the last record of a popped
//! span, and a span is popped only when it and every span before it are durable or skipped;
//! it never passes a held record. So no sequence of loads, failures and retries yields a
//! committable offset ahead of what StarRocks holds, or of a report not yet made.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Identifies one load (one flushed table buffer).
pub type LoadId = u64;

/// The pseudo-load of records that produce no rows: always finished.
pub const SKIPPED: LoadId = 0;

/// An original Kafka topic-partition.
// Equal exactly when the derived comparison would say so (`same_topic`), which keeps `Hash` and
// `Ord` consistent with it.
#[allow(clippy::derived_hash_with_manual_eq)]
#[derive(Debug, Clone, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: i32,
}

impl PartialEq for TopicPartition {
    fn eq(&self, other: &TopicPartition) -> bool {
        self.partition == other.partition && same_topic(&self.topic, &other.topic)
    }
}

impl Eq for TopicPartition {}

/// Two topic names are the same name. Within a session they are almost always clones of one
/// `Arc` from the decoder's topic table, so the text is compared only when they are not: this
/// is on every record's way.
pub fn same_topic(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: Arc::from(topic),
            partition,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    load: LoadId,
    last: i64,
}

#[derive(Debug, Default)]
struct Track {
    spans: VecDeque<Span>,
    /// The next offset to consume: every record below it is durable or skipped.
    committable: Option<i64>,
    /// Records whose report is due: nothing at or past the lowest is committable.
    held: BTreeSet<i64>,
}

/// The offsets of every partition the sink has taken records from.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    tracks: HashMap<TopicPartition, Track>,
    /// Loads that are durable while some span still refers to them.
    done: HashSet<LoadId>,
    /// How many spans refer to each pending or done load.
    refs: HashMap<LoadId, usize>,
    /// A load was completed since [`OffsetTracker::committable`] was last asked.
    advanced: bool,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// Notes that the record at `offset` of `tp` goes to `load` (or is [`SKIPPED`]).
    /// Records of one partition arrive in offset order.
    pub fn record(&mut self, tp: &TopicPartition, offset: i64, load: LoadId) {
        let track = match self.tracks.get_mut(tp) {
            Some(t) => t,
            None => self.tracks.entry(tp.clone()).or_default(),
        };
        if let Some(span) = track.spans.back_mut() {
            if span.load == load {
                span.last = span.last.max(offset);
                return;
            }
        }
        track.spans.push_back(Span { load, last: offset });
        *self.refs.entry(load).or_default() += 1;
    }

    /// Marks a load durable: StarRocks has its rows.
    pub fn complete(&mut self, load: LoadId) {
        if self.refs.contains_key(&load) {
            self.done.insert(load);
            self.advanced = true;
        }
    }

    /// Whether a load was completed since `committable` was last asked: its offsets may have
    /// moved on.
    pub fn advanced(&self) -> bool {
        self.advanced
    }

    fn is_done(&self, load: LoadId) -> bool {
        load == SKIPPED || self.done.contains(&load)
    }

    /// Advances every partition over its finished spans and returns the committable offsets
    /// (the next offset to consume) of the partitions that have one.
    pub fn committable(&mut self) -> Vec<(TopicPartition, i64)> {
        self.advanced = false;
        let mut released = Vec::new();
        for track in self.tracks.values_mut() {
            while let Some(span) = track.spans.front().copied() {
                if !(span.load == SKIPPED || self.done.contains(&span.load)) {
                    break;
                }
                track.spans.pop_front();
                let next = span.last + 1;
                track.committable = Some(track.committable.map_or(next, |c| c.max(next)));
                released.push(span.load);
            }
        }
        for load in released {
            self.unref(load);
        }
        let mut out: Vec<(TopicPartition, i64)> = self
            .tracks
            .iter()
            .filter_map(|(tp, t)| {
                let c = t.committable?;
                match t.held.first() {
                    Some(&held) if held < c => Some((tp.clone(), held)),
                    _ => Some((tp.clone(), c)),
                }
            })
            .collect();
        out.sort();
        out
    }

    fn unref(&mut self, load: LoadId) {
        if let Some(n) = self.refs.get_mut(&load) {
            *n -= 1;
            if *n == 0 {
                self.refs.remove(&load);
                self.done.remove(&load);
            }
        }
    }

    /// Forgets partitions (revoked): their spans and offsets.
    pub fn forget(&mut self, tps: &[TopicPartition]) {
        for tp in tps {
            if let Some(track) = self.tracks.remove(tp) {
                for span in track.spans {
                    self.unref(span.load);
                }
            }
        }
    }

    /// Whether every record noted for `tp` is durable or skipped and none is held (true when
    /// none was noted).
    pub fn is_partition_drained(&self, tp: &TopicPartition) -> bool {
        self.tracks
            .get(tp)
            .is_none_or(|t| t.held.is_empty() && t.spans.iter().all(|s| self.is_done(s.load)))
    }

    /// Whether every noted record is durable or skipped and none is held.
    pub fn is_drained(&self) -> bool {
        self.tracks
            .values()
            .all(|t| t.held.is_empty() && t.spans.iter().all(|s| self.is_done(s.load)))
    }

    /// Holds the record at `offset` of `tp` (already noted): nothing at or past it becomes
    /// committable until it is released.
    pub fn hold(&mut self, tp: &TopicPartition, offset: i64) {
        if let Some(track) = self.tracks.get_mut(tp) {
            track.held.insert(offset);
        }
    }

    /// Whether the record at `offset` of `tp` is noted as going to `load` (and not yet
    /// committed past). A load that outlived a `close` and an `open` of the partition carries
    /// records of the earlier assignment, which the tracker forgot.
    pub fn carries(&self, tp: &TopicPartition, offset: i64, load: LoadId) -> bool {
        let Some(track) = self.tracks.get(tp) else {
            return false;
        };
        let mut first = track.committable;
        for span in &track.spans {
            if span.load == load && first.is_none_or(|f| f <= offset) && offset <= span.last {
                return true;
            }
            first = Some(span.last + 1);
        }
        false
    }

    /// Releases a held record (its report was made).
    pub fn release(&mut self, tp: &TopicPartition, offset: i64) {
        if let Some(track) = self.tracks.get_mut(tp) {
            track.held.remove(&offset);
        }
    }

    /// The offset after the last record noted for `tp`, if any was.
    pub fn next_offset(&self, tp: &TopicPartition) -> Option<i64> {
        let track = self.tracks.get(tp)?;
        match track.spans.back() {
            Some(span) => Some(span.last + 1),
            None => track.committable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    #[test]
    fn a_record_is_carried_by_the_load_it_was_noted_for_until_forgotten() {
        let mut t = OffsetTracker::new();
        for (offset, load) in [(3, 1), (4, 1), (5, 2), (6, 1), (7, SKIPPED)] {
            t.record(&tp(0), offset, load);
        }
        assert!(t.carries(&tp(0), 3, 1) && t.carries(&tp(0), 4, 1) && t.carries(&tp(0), 6, 1));
        assert!(t.carries(&tp(0), 5, 2));
        assert!(!t.carries(&tp(0), 5, 1), "load 2's record");
        assert!(!t.carries(&tp(0), 8, 1), "never noted");
        assert!(!t.carries(&tp(1), 3, 1), "another partition");
        t.complete(1);
        t.complete(2);
        assert_eq!(t.committable(), vec![(tp(0), 8)]);
        assert!(!t.carries(&tp(0), 4, 1), "committed past");
        t.record(&tp(0), 8, 3);
        assert!(!t.carries(&tp(0), 6, 3), "below the committable offset");
        assert!(t.carries(&tp(0), 8, 3));
        t.forget(&[tp(0)]);
        assert!(
            !t.carries(&tp(0), 8, 3),
            "a revoked partition's records are forgotten"
        );
    }

    #[test]
    fn nothing_is_committable_before_its_load_is_durable() {
        let mut t = OffsetTracker::new();
        t.record(&tp(0), 0, 1);
        t.record(&tp(0), 1, 1);
        assert!(t.committable().is_empty());
        t.complete(1);
        assert_eq!(t.committable(), vec![(tp(0), 2)]);
    }

    #[test]
    fn a_later_load_finishing_first_does_not_move_the_offset_past_an_earlier_one() {
        let mut t = OffsetTracker::new();
        t.record(&tp(0), 0, 1);
        t.record(&tp(0), 1, 2);
        t.record(&tp(0), 2, 1);
        t.complete(2);
        assert!(t.committable().is_empty());
        t.complete(1);
        assert_eq!(t.committable(), vec![(tp(0), 3)]);
    }

    #[test]
    fn a_held_record_stops_the_offset_until_it_is_released() {
        let mut t = OffsetTracker::new();
        for offset in 0..5 {
            t.record(&tp(0), offset, 1);
        }
        t.hold(&tp(0), 2);
        t.complete(1);
        assert_eq!(
            t.committable(),
            vec![(tp(0), 2)],
            "stops at the held record"
        );
        assert!(!t.is_partition_drained(&tp(0)) && !t.is_drained());
        assert_eq!(t.next_offset(&tp(0)), Some(5));
        t.release(&tp(0), 2);
        assert_eq!(t.committable(), vec![(tp(0), 5)]);
        assert!(t.is_partition_drained(&tp(0)));
        assert_eq!(t.next_offset(&tp(0)), Some(5));
        assert_eq!(t.next_offset(&tp(1)), None);
    }

    #[test]
    fn skipped_records_advance_with_everything_before_them() {
        let mut t = OffsetTracker::new();
        t.record(&tp(0), 5, SKIPPED);
        assert_eq!(t.committable(), vec![(tp(0), 6)]);
        t.record(&tp(0), 6, 3);
        t.record(&tp(0), 7, SKIPPED);
        assert_eq!(t.committable(), vec![(tp(0), 6)]);
        t.complete(3);
        assert_eq!(t.committable(), vec![(tp(0), 8)]);
        assert!(t.is_drained());
    }

    #[test]
    fn a_partition_is_drained_when_all_its_loads_are_durable() {
        let mut t = OffsetTracker::new();
        assert!(t.is_partition_drained(&tp(0)), "nothing noted");
        t.record(&tp(0), 0, 1);
        assert!(!t.is_partition_drained(&tp(0)));
        t.complete(1);
        assert!(t.is_partition_drained(&tp(0)));
    }

    #[test]
    fn forgotten_partitions_report_nothing_and_release_their_loads() {
        let mut t = OffsetTracker::new();
        t.record(&tp(0), 0, 1);
        t.record(&tp(1), 0, 1);
        t.forget(&[tp(0)]);
        t.complete(1);
        assert_eq!(t.committable(), vec![(tp(1), 1)]);
        assert!(t.refs.is_empty() && t.done.is_empty());
    }

    /// A model of what StarRocks holds: the set of loads that completed.
    #[derive(Debug, Clone)]
    enum Step {
        Record { partition: i32, load: LoadId },
        Complete(LoadId),
        Commit,
    }

    fn steps() -> impl proptest::strategy::Strategy<Value = Vec<Step>> {
        use proptest::prelude::*;
        let step = prop_oneof![
            4 => (0..3i32, 0..6u64).prop_map(|(partition, load)| Step::Record { partition, load }),
            2 => (1..6u64).prop_map(Step::Complete),
            1 => Just(Step::Commit),
        ];
        proptest::collection::vec(step, 0..200)
    }

    proptest::proptest! {
        /// Loads complete in any order, some never (failed, retried forever, or abandoned):
        /// a committed offset never passes a record whose load is not durable.
        #[test]
        fn no_sequence_commits_past_what_starrocks_holds(steps in steps()) {
            let mut t = OffsetTracker::new();
            let mut next = [0i64; 3];
            // Per partition: (offset, load) of every record, in order.
            let mut noted: Vec<Vec<(i64, LoadId)>> = vec![Vec::new(); 3];
            let mut durable: HashSet<LoadId> = HashSet::new();
            let mut last_committed = [None::<i64>; 3];
            for step in steps {
                match step {
                    Step::Record { partition, load } => {
                        let p = partition as usize;
                        // Offsets may skip (compaction, transaction markers).
                        next[p] += 1 + (load as i64 % 2);
                        t.record(&tp(partition), next[p], load);
                        noted[p].push((next[p], load));
                    }
                    Step::Complete(load) => {
                        durable.insert(load);
                        t.complete(load);
                    }
                    Step::Commit => {
                        for (tp, offset) in t.committable() {
                            let p = tp.partition as usize;
                            for (o, load) in &noted[p] {
                                if *o < offset {
                                    proptest::prop_assert!(
                                        *load == SKIPPED || durable.contains(load),
                                        "offset {offset} commits record {o} of load {load}"
                                    );
                                }
                            }
                            if let Some(prev) = last_committed[p] {
                                proptest::prop_assert!(offset >= prev, "committed offsets never go back");
                            }
                            last_committed[p] = Some(offset);
                        }
                    }
                }
            }
            // Once everything is durable, everything is committable.
            for load in 1..6 {
                t.complete(load);
            }
            for (tp, offset) in t.committable() {
                let p = tp.partition as usize;
                proptest::prop_assert_eq!(offset, noted[p].last().unwrap().0 + 1);
            }
        }
    }
}
