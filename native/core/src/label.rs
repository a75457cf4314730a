//! Stream Load labels, unique to the running sink.
//!
//! A label names one load: every retry of that load re-uses it, so StarRocks' per-database
//! label de-duplication turns an ambiguous retry into "Label Already Exists" instead of a
//! second copy of the rows. Across loads a label is never re-used: it carries the sink's
//! [`LabelScope`] — the connector, the task and a random session nonce drawn when the sink
//! starts — and a sequence number the sink increments for every load. A replay of the same
//! offsets (after a restart, an offset reset, or a `TRUNCATE` of the table) therefore gets new
//! labels and is loaded again; it is never answered "already loaded" by a label of an earlier
//! run.
//!
//! Shape: `kc-<connector>-<task>-<table>-<topic>-<partition>-<first>-<last>[-<topic>-...]`,
//! truncated so that the whole fits, then `-<nonce>-<seq>` (16 hex digits, then decimal).
//! Names are sanitised to `[A-Za-z0-9_-]` and ranges are in (topic, partition) order; the
//! readable part is there for people reading StarRocks' load history, the suffix for
//! uniqueness, and only the readable part is ever truncated.
//!
//! Invariant: every label matches `^[-\w]{1,128}$` (ASCII `\w`, as the FE's Java regex reads
//! it), whatever the inputs; two labels of one scope differ when their sequence numbers do,
//! and labels of two scopes differ when their nonces do.

/// StarRocks' limit on label length.
pub const MAX_LABEL_LEN: usize = 128;

const PREFIX: &str = "kc";
/// `-`, 16 hex digits, `-`, and at most 20 decimal digits.
const MAX_SUFFIX_LEN: usize = 1 + 16 + 1 + 20;

/// The offsets of one topic-partition that a load contains, both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionRange {
    pub topic: String,
    pub partition: i32,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// What makes the labels of one running sink its own: connector, task and session nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelScope {
    /// `kc-<connector>-<task>`, sanitised.
    readable: String,
    nonce: u64,
}

impl LabelScope {
    /// The scope of a sink of `connector`'s task `task` with this session `nonce`.
    pub fn new(connector: &str, task: &str, nonce: u64) -> LabelScope {
        let mut readable = String::from(PREFIX);
        for part in [connector, task] {
            readable.push('-');
            push_sanitised(&mut readable, part);
        }
        LabelScope { readable, nonce }
    }

    /// A scope with a nonce drawn from the operating system's random source.
    pub fn random(connector: &str, task: &str) -> LabelScope {
        let mut bytes = [0u8; 8];
        // Without an OS random source, the time and the process id still tell sessions apart.
        let nonce = match getrandom::getrandom(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => fallback_nonce(),
        };
        LabelScope::new(connector, task, nonce)
    }

    /// The session nonce, for logs.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The label of load number `seq` of this scope, into `table`, carrying `ranges`. The order
    /// of `ranges` does not matter.
    pub fn label(&self, table: &str, ranges: &[PartitionRange], seq: u64) -> String {
        let mut sorted: Vec<&PartitionRange> = ranges.iter().collect();
        sorted.sort();
        let suffix = format!("-{:016x}-{seq}", self.nonce);
        let room = MAX_LABEL_LEN - suffix.len();
        let mut label = String::with_capacity(MAX_LABEL_LEN);
        label.push_str(&self.readable);
        label.push('-');
        push_sanitised(&mut label, table);
        for range in sorted {
            if label.len() > room {
                break;
            }
            label.push('-');
            push_sanitised(&mut label, &range.topic);
            label.push_str(&format!(
                "-{}-{}-{}",
                range.partition, range.first_offset, range.last_offset
            ));
        }
        // Sanitised text is ASCII, so truncating at any byte keeps it valid UTF-8.
        label.truncate(room);
        label.push_str(&suffix);
        label
    }

    /// The label of load number `seq` of a table's exactly-once chain: as [`Self::label`]
    /// without offsets (the label is chosen before its body exists), with room left for the
    /// attempt suffix of [`attempt_label`].
    pub fn chain_label(&self, table: &str, seq: u64) -> String {
        let full = self.label(table, &[], seq);
        let excess = (full.len() + MAX_ATTEMPT_SUFFIX_LEN).saturating_sub(MAX_LABEL_LEN);
        if excess == 0 {
            return full;
        }
        // Cut the readable part (before the nonce), never the nonce or the sequence.
        let suffix_at = full.len() - format!("-{:016x}-{seq}", self.nonce).len();
        let mut cut = full[..suffix_at - excess].to_owned();
        cut.push_str(&full[suffix_at..]);
        cut
    }
}

/// `-` and at most 10 decimal digits.
const MAX_ATTEMPT_SUFFIX_LEN: usize = 11;

/// The label of attempt `attempt` of a multi-table load whose first attempt is `base`: a
/// rolled-back multi-table transaction's label cannot be used again (StarRocks keeps it as
/// long as any other), so every new begin of the same load takes the next attempt's label.
pub fn attempt_label(base: &str, attempt: u32) -> String {
    if attempt == 0 {
        base.to_owned()
    } else {
        format!("{base}-{attempt}")
    }
}

const _: () = assert!(MAX_SUFFIX_LEN < MAX_LABEL_LEN);

fn fallback_nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 32)
}

/// Appends `name` with every character outside `[A-Za-z0-9_-]` replaced by `_`.
fn push_sanitised(out: &mut String, name: &str) {
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// `^[-\w]{1,128}$` with ASCII `\w`, as the FE's `FeNameFormat.checkLabel` reads it.
    fn is_valid_label(label: &str) -> bool {
        (1..=MAX_LABEL_LEN).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    fn range(topic: &str, partition: i32, first: i64, last: i64) -> PartitionRange {
        PartitionRange {
            topic: topic.to_owned(),
            partition,
            first_offset: first,
            last_offset: last,
        }
    }

    /// SplitMix64: a tiny deterministic generator, so failures reproduce.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Names of 0..300 characters drawn from ASCII, punctuation, and multi-byte characters.
        fn name(&mut self) -> String {
            const ALPHABET: &[char] = &[
                'a', 'Z', '0', '9', '_', '-', '.', ' ', ':', '/', '$', '\u{0}', '\n', 'é', '表',
                '🦀', '\\', '"',
            ];
            let len = match self.below(4) {
                0 => self.below(4),
                1 => self.below(20),
                2 => self.below(120),
                _ => self.below(300),
            };
            (0..len)
                .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize])
                .collect()
        }

        fn number(&mut self) -> i64 {
            match self.below(3) {
                0 => self.below(1000) as i64,
                1 => self.next() as i64,
                _ => [i64::MIN, i64::MAX, -1, 0][self.below(4) as usize],
            }
        }

        fn ranges(&mut self) -> Vec<PartitionRange> {
            (0..self.below(12))
                .map(|_| PartitionRange {
                    topic: self.name(),
                    partition: self.number() as i32,
                    first_offset: self.number(),
                    last_offset: self.number(),
                })
                .collect()
        }
    }

    #[test]
    fn a_short_label_names_connector_task_table_and_offsets_then_nonce_and_sequence() {
        let scope = LabelScope::new("orders-sink", "0", 0x0123_4567_89ab_cdef);
        let l = scope.label("orders", &[range("shop.orders", 3, 100, 199)], 7);
        assert_eq!(
            l,
            "kc-orders-sink-0-orders-shop_orders-3-100-199-0123456789abcdef-7"
        );
        assert!(is_valid_label(&l), "{l}");
    }

    #[test]
    fn random_inputs_always_give_a_valid_label() {
        let mut g = Gen(1);
        for _ in 0..5_000 {
            let scope = LabelScope::new(&g.name(), &g.name(), g.next());
            let (table, ranges, seq) = (g.name(), g.ranges(), g.next());
            let l = scope.label(&table, &ranges, seq);
            assert!(is_valid_label(&l), "{l:?} from {table:?} {ranges:?}");
        }
    }

    #[test]
    fn the_same_load_gets_the_same_label_in_any_range_order() {
        let mut g = Gen(2);
        for _ in 0..1_000 {
            let scope = LabelScope::new(&g.name(), &g.name(), g.next());
            let (table, ranges, seq) = (g.name(), g.ranges(), g.next());
            let mut reversed = ranges.clone();
            reversed.reverse();
            assert_eq!(
                scope.label(&table, &ranges, seq),
                scope.label(&table, &reversed, seq)
            );
        }
    }

    #[test]
    fn a_replay_of_the_same_offsets_gets_a_new_label() {
        // The same table and offsets, loaded again: by the next load of the same run, or by a
        // new run of the same connector and task (a new nonce). Neither may collide.
        let ranges = [range("t", 0, 0, 2)];
        let run1 = LabelScope::new("c", "0", 1);
        let run2 = LabelScope::new("c", "0", 2);
        let labels: HashSet<String> = [
            run1.label("t", &ranges, 1),
            run1.label("t", &ranges, 2),
            run2.label("t", &ranges, 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(labels.len(), 3, "{labels:?}");
    }

    #[test]
    fn truncation_never_cuts_the_nonce_or_the_sequence() {
        let mut g = Gen(3);
        for _ in 0..2_000 {
            let nonce = g.next();
            let scope = LabelScope::new(&"c".repeat(200), &g.name(), nonce);
            let seq = g.next();
            let l = scope.label(&"x".repeat(300), &g.ranges(), seq);
            assert!(l.ends_with(&format!("-{nonce:016x}-{seq}")), "{l}");
            assert!(l.len() <= MAX_LABEL_LEN);
        }
        let longest = LabelScope::new(&"c".repeat(500), "0", u64::MAX).label("t", &[], u64::MAX);
        assert_eq!(longest.len(), MAX_LABEL_LEN);
        assert!(is_valid_label(&longest));
    }

    #[test]
    fn chain_labels_leave_room_for_every_attempt() {
        let mut g = Gen(4);
        for _ in 0..2_000 {
            let nonce = g.next();
            let scope = LabelScope::new(&g.name(), &g.name(), nonce);
            let seq = g.next();
            let base = scope.chain_label(&g.name(), seq);
            assert!(base.ends_with(&format!("-{nonce:016x}-{seq}")), "{base}");
            for attempt in [0, 1, 9, u32::MAX] {
                let l = attempt_label(&base, attempt);
                assert!(is_valid_label(&l), "{l}");
            }
        }
        assert_eq!(attempt_label("b", 0), "b");
        assert_eq!(attempt_label("b", 2), "b-2");
    }

    #[test]
    fn an_empty_load_of_unnamed_things_still_has_a_valid_label() {
        let l = LabelScope::new("", "", 0).label("", &[], 0);
        assert!(is_valid_label(&l), "{l}");
        assert!(l.starts_with("kc---"));
    }

    #[test]
    fn random_scopes_draw_different_nonces() {
        let nonces: HashSet<u64> = (0..64)
            .map(|_| LabelScope::random("c", "0").nonce())
            .collect();
        assert_eq!(nonces.len(), 64);
    }
}
