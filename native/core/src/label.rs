//! Deterministic Stream Load labels.
//!
//! A label is a pure function of what a load contains: the database, the table, the offset
//! range of every topic-partition in the batch, and a digest of the body. Retrying the same
//! batch therefore re-uses its label, and StarRocks' per-database label de-duplication turns an
//! ambiguous retry into "Label Already Exists" instead of a duplicate load.
//!
//! Shape: `kc-<table>-<topic>-<partition>-<first>-<last>[-<topic>-...]-<hash>`, where names are
//! sanitised to `[A-Za-z0-9_-]`, ranges are in (topic, partition) order, and `<hash>` is 16 hex
//! digits of XXH3-64 over an unambiguous encoding of *all* inputs (the exact names, every range
//! and the body digest). When the readable part would push the label past 128 characters it is
//! truncated; the hash keeps the label unique either way, and also separates inputs that
//! sanitise alike (`a.b` and `a_b`).
//!
//! Invariant: every label matches `^[-\w]{1,128}$` (ASCII `\w`, as the FE's Java regex reads
//! it), whatever the inputs.
//!
//! XXH3-64 (through `twox-hash`) rather than std's `DefaultHasher`: its output is frozen by the
//! XXH3 specification and identical on every platform and release, which a label that must
//! survive restarts and upgrades needs; and it digests gigabytes per second, so hashing every
//! flushed body costs little.

use std::hash::Hasher as _;

use twox_hash::XxHash3_64;

/// StarRocks' limit on label length.
pub const MAX_LABEL_LEN: usize = 128;

const PREFIX: &str = "kc";
/// `-` and 16 hex digits.
const HASH_SUFFIX_LEN: usize = 17;
/// Versions the hashed encoding, so a future change of label scheme cannot collide with this one.
const HASH_DOMAIN: &str = "starrocks-kafka-label-v1";

/// The offsets of one topic-partition that a load contains, both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionRange {
    pub topic: String,
    pub partition: i32,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// The label of a load of `ranges` into `database`.`table` whose body has digest `body_digest`.
///
/// The order of `ranges` does not matter: they are sorted first.
pub fn label(database: &str, table: &str, ranges: &[PartitionRange], body_digest: u64) -> String {
    let mut sorted: Vec<&PartitionRange> = ranges.iter().collect();
    sorted.sort();

    let hash = inputs_hash(database, table, &sorted, body_digest);

    let mut readable = String::with_capacity(MAX_LABEL_LEN);
    readable.push_str(PREFIX);
    readable.push('-');
    push_sanitised(&mut readable, table);
    for range in &sorted {
        readable.push('-');
        push_sanitised(&mut readable, &range.topic);
        readable.push_str(&format!(
            "-{}-{}-{}",
            range.partition, range.first_offset, range.last_offset
        ));
        if readable.len() > MAX_LABEL_LEN {
            break;
        }
    }
    // Sanitised text is ASCII, so truncating at any byte keeps it valid UTF-8.
    readable.truncate(MAX_LABEL_LEN - HASH_SUFFIX_LEN);
    readable.push_str(&format!("-{hash:016x}"));
    readable
}

/// The digest of a load body, for [`label`]. Equal to feeding the same bytes, in any chunking,
/// through [`BodyDigest`].
pub fn body_digest(bytes: &[u8]) -> u64 {
    XxHash3_64::oneshot(bytes)
}

/// Incremental [`body_digest`] for a body held in several chunks.
#[derive(Default, Clone)]
pub struct BodyDigest(XxHash3_64);

impl BodyDigest {
    /// An empty digest.
    pub fn new() -> BodyDigest {
        BodyDigest(XxHash3_64::with_seed(0))
    }

    /// Feeds the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        self.0.write(chunk);
    }

    /// The digest of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl std::fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BodyDigest({:016x})", self.finish())
    }
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

/// XXH3-64 of a length-prefixed, little-endian encoding of the exact inputs.
fn inputs_hash(database: &str, table: &str, ranges: &[&PartitionRange], body_digest: u64) -> u64 {
    fn put_str(h: &mut XxHash3_64, s: &str) {
        h.write(&(s.len() as u64).to_le_bytes());
        h.write(s.as_bytes());
    }
    let mut h = XxHash3_64::with_seed(0);
    put_str(&mut h, HASH_DOMAIN);
    put_str(&mut h, database);
    put_str(&mut h, table);
    h.write(&(ranges.len() as u64).to_le_bytes());
    for range in ranges {
        put_str(&mut h, &range.topic);
        h.write(&range.partition.to_le_bytes());
        h.write(&range.first_offset.to_le_bytes());
        h.write(&range.last_offset.to_le_bytes());
    }
    h.write(&body_digest.to_le_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
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

        fn case(&mut self) -> (String, String, Vec<PartitionRange>, u64) {
            let ranges = (0..self.below(12))
                .map(|_| PartitionRange {
                    topic: self.name(),
                    partition: self.number() as i32,
                    first_offset: self.number(),
                    last_offset: self.number(),
                })
                .collect();
            (self.name(), self.name(), ranges, self.next())
        }
    }

    #[test]
    fn a_short_label_is_readable_and_ends_with_the_hash() {
        let l = label("db", "orders", &[range("shop.orders", 3, 100, 199)], 7);
        let (readable, hash) = l.rsplit_once('-').unwrap();
        assert_eq!(readable, "kc-orders-shop_orders-3-100-199");
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(is_valid_label(&l), "{l}");
    }

    #[test]
    fn the_label_scheme_is_stable_across_builds() {
        // Pinned: changing the scheme silently would break de-duplication across an upgrade.
        let l = label(
            "db",
            "t",
            &[range("t", 0, 0, 9)],
            body_digest(b"{\"id\":1}"),
        );
        assert_eq!(l, "kc-t-t-0-0-9-6d9a0fbd107374b0");
        // The reference XXH3-64 of the empty input, from the xxHash specification.
        assert_eq!(body_digest(b""), 0x2D06_8005_38D3_94C2);
    }

    #[test]
    fn random_inputs_always_give_a_valid_label() {
        let mut g = Gen(1);
        for _ in 0..5_000 {
            let (db, table, ranges, digest) = g.case();
            let l = label(&db, &table, &ranges, digest);
            assert!(is_valid_label(&l), "{l:?} from {table:?} {ranges:?}");
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_label_in_any_range_order() {
        let mut g = Gen(2);
        for _ in 0..1_000 {
            let (db, table, ranges, digest) = g.case();
            let mut reversed = ranges.clone();
            reversed.reverse();
            assert_eq!(
                label(&db, &table, &ranges, digest),
                label(&db, &table, &reversed, digest)
            );
        }
    }

    #[test]
    fn changing_any_single_input_changes_the_label() {
        let mut g = Gen(3);
        for _ in 0..2_000 {
            let (db, table, mut ranges, digest) = g.case();
            if ranges.is_empty() {
                ranges.push(range("t", 0, 0, 0));
            }
            let base = label(&db, &table, &ranges, digest);
            let i = g.below(ranges.len() as u64) as usize;
            let mut variants = vec![
                label(&format!("{db}x"), &table, &ranges, digest),
                label(&db, &format!("{table}x"), &ranges, digest),
                label(&db, &table, &ranges, digest ^ 1),
                label(&db, &table, &ranges[1..], digest),
            ];
            let mutations: [fn(&mut PartitionRange); 4] = [
                |r| r.topic.push('.'),
                |r| r.partition = r.partition.wrapping_add(1),
                |r| r.first_offset = r.first_offset.wrapping_add(1),
                |r| r.last_offset = r.last_offset.wrapping_add(1),
            ];
            for mutate in mutations {
                let mut changed = ranges.clone();
                mutate(&mut changed[i]);
                variants.push(label(&db, &table, &changed, digest));
            }
            for (n, v) in variants.iter().enumerate() {
                assert_ne!(&base, v, "variant {n} of {table:?} {ranges:?}");
            }
        }
    }

    #[test]
    fn names_that_sanitise_alike_still_get_different_labels() {
        let dotted = label("db", "t", &[range("a.b", 0, 1, 2)], 9);
        let underscored = label("db", "t", &[range("a_b", 0, 1, 2)], 9);
        assert_ne!(dotted, underscored);
        assert_eq!(
            dotted[..dotted.len() - 16],
            underscored[..underscored.len() - 16]
        );
    }

    #[test]
    fn long_inputs_are_truncated_to_exactly_128_characters() {
        let topic = "t".repeat(249);
        let ranges: Vec<_> = (0..50).map(|p| range(&topic, p, 0, i64::MAX)).collect();
        let l = label("db", &"x".repeat(300), &ranges, 0);
        assert_eq!(l.len(), MAX_LABEL_LEN);
        assert!(l.starts_with("kc-xxxx"));
        assert!(is_valid_label(&l));
    }

    #[test]
    fn an_empty_batch_still_has_a_valid_label() {
        let l = label("", "", &[], 0);
        assert!(is_valid_label(&l), "{l}");
        assert!(l.starts_with("kc--"));
    }

    #[test]
    fn incremental_digest_equals_the_one_shot_digest() {
        let body: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for chunk in [1, 7, 64, 4096, 10_000] {
            let mut d = BodyDigest::new();
            for part in body.chunks(chunk) {
                d.update(part);
            }
            assert_eq!(d.finish(), body_digest(&body), "chunk {chunk}");
        }
        assert_eq!(BodyDigest::default().finish(), body_digest(b""));
    }

    #[test]
    fn different_bodies_have_different_digests() {
        assert_ne!(body_digest(b"{\"id\":1}"), body_digest(b"{\"id\":2}"));
        assert_ne!(body_digest(b""), body_digest(b"\0"));
    }
}
