//! The rows waiting for a load of one table, already in the Stream Load body's layout.
//!
//! A [`TableBuffer`] holds one table's next body in the layout StarRocks reads: one JSON array
//! when `strip_outer_array` is set, otherwise JSON objects one after another (StarRocks reads a
//! document stream as many rows), or CSV rows. It also keeps the offset range of every
//! partition in it (for the label) and where each record's rows lie, so the rows of revoked
//! partitions can be cut out — of the open buffer, and of a [`Sealed`] body that has not been
//! committed yet — and so can the records StarRocks rejects (see `reject`).
//!
//! [`due`] is the flush policy, a pure function: a table flushes when the bytes buffered
//! across tables reach `bufferflush.maxbytes`, or when its oldest row has waited
//! `bufferflush.intervalms` — as StarRocks' Java connector flushes, also at a commit, so a long
//! interval makes large loads. No body ever exceeds the largest one load may carry
//! ([`Layout::body_limit`]): the table seals its buffer before a record would push it over.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{Format, SinkConfig};
use crate::encode::RowSink;
use crate::label::PartitionRange;
use crate::offsets::TopicPartition;

/// StarRocks refuses a JSON body over 100 MiB with a Content-Length unless `ignore_json_size`
/// is set (`streaming_load_max_batch_size_mb`); stay clear of it.
pub const JSON_BODY_LIMIT: usize = 100 * 1024 * 1024 - 64 * 1024;
/// The BE's default `streaming_load_max_mb` (10 GiB) for other bodies.
pub const BODY_LIMIT: usize = 10 * 1024 * 1024 * 1024 - 64 * 1024;

/// How rows are laid out in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `[row,row,...]` (JSON with `strip_outer_array: true`).
    JsonArray,
    /// `row\nrow...` (JSON objects one after another).
    JsonStream,
    /// CSV rows joined by the row delimiter.
    Csv(Vec<u8>),
}

impl Layout {
    pub fn of(config: &SinkConfig) -> Layout {
        match config.format {
            Format::Json if config.strip_outer_array => Layout::JsonArray,
            Format::Json => Layout::JsonStream,
            Format::Csv => Layout::Csv(config.row_delimiter.clone()),
        }
    }

    /// The largest body one load may carry under this configuration.
    pub fn body_limit(&self, config: &SinkConfig) -> usize {
        let ignore_json_size = config
            .load_headers
            .get("ignore_json_size")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        match self {
            Layout::JsonArray | Layout::JsonStream if !ignore_json_size => JSON_BODY_LIMIT,
            _ => BODY_LIMIT,
        }
    }
}

/// One record's rows in a body. They end at `end` and start where the record before them
/// ends (the first record's at 0): the separators written before a row belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordSpan {
    /// Index into [`RowIndex::partitions`].
    partition: u32,
    offset: i64,
    end: usize,
}

/// Which partitions a body holds rows of, their offset ranges, and where each record's rows
/// lie.
#[derive(Debug, Clone, Default)]
struct RowIndex {
    partitions: Vec<TopicPartition>,
    ranges: Vec<(i64, i64)>,
    records: Vec<RecordSpan>,
}

impl RowIndex {
    fn ranges(&self) -> Vec<PartitionRange> {
        self.partitions
            .iter()
            .zip(&self.ranges)
            .map(|(tp, (first, last))| PartitionRange {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                first_offset: *first,
                last_offset: *last,
            })
            .collect()
    }

    fn holds_any(&self, revoked: &dyn Fn(&TopicPartition) -> bool) -> bool {
        self.partitions.iter().any(revoked)
    }

    /// Each record's partition, offset and byte range in the body.
    fn spans(&self) -> impl Iterator<Item = (&TopicPartition, i64, std::ops::Range<usize>)> {
        let mut start = 0;
        self.records.iter().map(move |r| {
            let range = start..r.end;
            start = r.end;
            (&self.partitions[r.partition as usize], r.offset, range)
        })
    }
}

/// The rows waiting for the next load of one table.
#[derive(Debug)]
pub struct TableBuffer {
    layout: Layout,
    body: Vec<u8>,
    rows: u64,
    /// When the first row arrived.
    pub since: Instant,
    index: RowIndex,
    /// Where the row being written starts (for `mark`/`rollback`).
    mark: (usize, u64),
}

impl TableBuffer {
    pub fn new(layout: Layout, now: Instant) -> TableBuffer {
        TableBuffer::reusing(Spare::default(), layout, now)
    }

    /// A buffer that writes into a spare body from [`Bodies`].
    pub fn reusing(spare: Spare, layout: Layout, now: Instant) -> TableBuffer {
        let Spare {
            mut body,
            mut records,
        } = spare;
        body.clear();
        records.clear();
        TableBuffer {
            layout,
            body,
            rows: 0,
            since: now,
            index: RowIndex {
                records,
                ..RowIndex::default()
            },
            mark: (0, 0),
        }
    }

    pub fn len(&self) -> usize {
        self.body.len()
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Remembers where the next record's rows start.
    pub fn mark(&mut self) {
        self.mark = (self.body.len(), self.rows);
    }

    /// Whether the record written since the mark is the only thing in the buffer.
    pub fn only_the_marked_record(&self) -> bool {
        self.mark == (0, 0)
    }

    /// Drops whatever was written since [`TableBuffer::mark`] (a record that failed to encode,
    /// or that must go into the next body).
    pub fn rollback(&mut self) {
        self.body.truncate(self.mark.0);
        self.rows = self.mark.1;
    }

    /// Notes that the rows written since the mark belong to this record.
    pub fn note(&mut self, tp: &TopicPartition, offset: i64) {
        let index = &mut self.index;
        let p = match index.partitions.iter().position(|p| p == tp) {
            Some(p) => p,
            None => {
                index.partitions.push(tp.clone());
                index.ranges.push((offset, offset));
                index.partitions.len() - 1
            }
        };
        let range = &mut index.ranges[p];
        range.0 = range.0.min(offset);
        range.1 = range.1.max(offset);
        index.records.push(RecordSpan {
            partition: p as u32,
            offset,
            end: self.body.len(),
        });
    }

    /// The partition offset ranges in this buffer, for its label.
    pub fn ranges(&self) -> Vec<PartitionRange> {
        self.index.ranges()
    }

    /// Removes the rows of revoked partitions.
    pub fn drop_partitions(&mut self, revoked: &dyn Fn(&TopicPartition) -> bool) {
        if self.index.holds_any(revoked) {
            *self = rebuild(
                &self.layout,
                &self.body,
                &self.index,
                &|tp, _| !revoked(tp),
                self.since,
            );
        }
    }

    /// Finishes the body for sending; the rows stay indexed, so revoked partitions can still
    /// be cut out of it.
    pub fn seal(mut self) -> Sealed {
        if self.layout == Layout::JsonArray {
            if self.body.is_empty() {
                self.body.push(b'[');
            }
            self.body.push(b']');
        }
        Sealed {
            body: Bytes::from(self.body),
            layout: self.layout,
            rows: self.rows,
            since: self.since,
            index: self.index,
        }
    }
}

/// A finished body, on its way to StarRocks.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The body as encoded (before any transport compression).
    pub body: Bytes,
    layout: Layout,
    rows: u64,
    since: Instant,
    index: RowIndex,
}

impl Sealed {
    pub fn len(&self) -> usize {
        self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The partition offset ranges in this body, for its label.
    pub fn ranges(&self) -> Vec<PartitionRange> {
        self.index.ranges()
    }

    /// Whether any row of the body comes from a revoked partition.
    pub fn holds_any(&self, revoked: &dyn Fn(&TopicPartition) -> bool) -> bool {
        self.index.holds_any(revoked)
    }

    /// The body without the rows of revoked partitions.
    pub fn without(&self, revoked: &dyn Fn(&TopicPartition) -> bool) -> Sealed {
        if !self.index.holds_any(revoked) {
            return self.clone();
        }
        self.select(&|tp, _| !revoked(tp))
    }

    /// How many records have rows in the body.
    pub fn records(&self) -> usize {
        self.index.records.len()
    }

    /// The partition and offset of the body's record number `i` (in body order).
    pub fn record(&self, i: usize) -> (TopicPartition, i64) {
        let r = self.index.records[i];
        (
            self.index.partitions[r.partition as usize].clone(),
            r.offset,
        )
    }

    /// A body of the records `range` (by number, in body order) alone.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Sealed {
        let mut kept = TableBuffer::new(self.layout.clone(), self.since);
        for (tp, offset, bytes) in self.index.spans().skip(range.start).take(range.len()) {
            kept.copy_record(&self.layout, &self.body[bytes], tp, offset);
        }
        kept.seal()
    }

    /// The body of the records `keep` accepts (given their partition and offset).
    pub fn select(&self, keep: &dyn Fn(&TopicPartition, i64) -> bool) -> Sealed {
        rebuild(&self.layout, &self.body, &self.index, keep, self.since).seal()
    }
}

/// Bodies whose loads are done, kept for the next buffers to fill, with their record indexes.
/// Their pages stay mapped, so filling them again does not fault them in from the kernel
/// (before, a tenth of `put`'s time went to those faults). At most `keep` are kept; a body
/// still shared elsewhere is not taken.
#[derive(Debug)]
pub struct Bodies {
    free: std::sync::Mutex<Vec<Spare>>,
    keep: usize,
}

/// An emptied body and record index, for [`TableBuffer::reusing`].
#[derive(Debug, Default)]
pub struct Spare {
    body: Vec<u8>,
    records: Vec<RecordSpan>,
}

impl Bodies {
    pub fn new(keep: usize) -> Bodies {
        Bodies {
            free: std::sync::Mutex::new(Vec::new()),
            keep,
        }
    }

    /// An emptied body to fill, or a new one.
    pub fn take(&self) -> Spare {
        self.lock().pop().unwrap_or_default()
    }

    /// Keeps a finished load's body for reuse when nothing else holds it and fewer than
    /// `keep` are kept.
    pub fn give(&self, sealed: Sealed) {
        let Ok(body) = sealed.body.try_into_mut() else {
            return;
        };
        let mut free = self.lock();
        if free.len() < self.keep {
            let mut body = Vec::from(body);
            body.clear();
            let mut records = sealed.index.records;
            records.clear();
            free.push(Spare { body, records });
        }
    }

    /// How many bodies are kept (for tests).
    pub fn kept(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Spare>> {
        // A poisoned list is still a list of empty bodies.
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TableBuffer {
    /// Appends a record's rows as another body held them (separators included).
    fn copy_record(&mut self, layout: &Layout, bytes: &[u8], tp: &TopicPartition, offset: i64) {
        self.mark();
        for row in split_rows(layout, bytes) {
            self.row().extend_from_slice(row);
        }
        self.note(tp, offset);
    }
}

/// A buffer holding the rows of `index`'s records over `body` that `keep` accepts.
fn rebuild(
    layout: &Layout,
    body: &[u8],
    index: &RowIndex,
    keep: &dyn Fn(&TopicPartition, i64) -> bool,
    since: Instant,
) -> TableBuffer {
    let mut kept = TableBuffer::new(layout.clone(), since);
    // Re-add the kept records one by one; separators are written again by `row()`.
    for (tp, offset, bytes) in index.spans() {
        if keep(tp, offset) {
            kept.copy_record(layout, &body[bytes], tp, offset);
        }
    }
    kept.mark();
    kept
}

/// Splits a record's bytes back into rows (each without its separator).
fn split_rows<'a>(layout: &Layout, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    // A record's bytes, written by `row()`, start with the separator of its first row (or `[`).
    match layout {
        Layout::JsonArray | Layout::JsonStream => {
            // Rows were encoded as JSON values; read them back one value at a time, skipping
            // the separators between them.
            let mut rows = Vec::new();
            let mut rest = trim_separators(bytes);
            while !rest.is_empty() {
                let mut stream =
                    serde_json::Deserializer::from_slice(rest).into_iter::<serde::de::IgnoredAny>();
                match stream.next() {
                    Some(Ok(_)) => {
                        let end = stream.byte_offset();
                        rows.push(&rest[..end]);
                        rest = trim_separators(&rest[end..]);
                    }
                    _ => break,
                }
            }
            rows
        }
        Layout::Csv(delimiter) => split_on(bytes, delimiter)
            .into_iter()
            .filter(|r| !r.is_empty())
            .collect(),
    }
}

fn trim_separators(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b'[' | b',' | b'\n' | b' '))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn split_on<'a>(bytes: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    if delimiter.is_empty() {
        return vec![bytes];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + delimiter.len() <= bytes.len() {
        if &bytes[i..i + delimiter.len()] == delimiter {
            out.push(&bytes[start..i]);
            i += delimiter.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&bytes[start..]);
    out
}

impl RowSink for TableBuffer {
    fn row(&mut self) -> &mut Vec<u8> {
        match &self.layout {
            Layout::JsonArray => self.body.push(if self.rows == 0 { b'[' } else { b',' }),
            Layout::JsonStream if self.rows > 0 => self.body.push(b'\n'),
            Layout::Csv(delimiter) if self.rows > 0 => self.body.extend_from_slice(delimiter),
            _ => {}
        }
        self.rows += 1;
        &mut self.body
    }
}

/// Why a table flushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushReason {
    /// The bytes buffered across tables reached `bufferflush.maxbytes`.
    Full,
    /// The table's buffer reached its share of `bufferflush.maxbytes` (see [`due`]).
    Share,
    /// The table's oldest row waited `bufferflush.intervalms`.
    Interval,
    /// The next record would have pushed the body past the largest one load may carry.
    BodyLimit,
}

/// A table as the flush policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub bytes: usize,
    pub since: Instant,
}

/// Which tables flush now, and why. `tables` holds the non-empty buffers. (A table at the body
/// limit has sealed its body already, before it got there.)
///
/// A table also flushes when its own buffer reaches `share`: `bufferflush.maxbytes` ÷ (loads in
/// flight per table + 1). A table may hold `bufferflush.maxbytes` of rows not yet durable before
/// its partitions pause (`pressure`); bodies of a share each let it keep that many loads on
/// their way while the next body fills, instead of pausing as soon as one full-size body is
/// sent.
pub fn due(
    tables: &[Pending],
    max_bytes: u64,
    share: u64,
    interval: Duration,
    now: Instant,
) -> Vec<(usize, FlushReason)> {
    let total: u64 = tables.iter().map(|t| t.bytes as u64).sum();
    tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.bytes > 0)
        .filter_map(|(i, t)| {
            let reason = if total >= max_bytes {
                FlushReason::Full
            } else if t.bytes as u64 >= share {
                FlushReason::Share
            } else if now.duration_since(t.since) >= interval {
                FlushReason::Interval
            } else {
                return None;
            };
            Some((i, reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("topic", p)
    }

    fn write(buffer: &mut TableBuffer, partition: i32, offset: i64, row: &str) {
        buffer.mark();
        buffer.row().extend_from_slice(row.as_bytes());
        buffer.note(&tp(partition), offset);
    }

    #[test]
    fn bodies_take_the_layout_starrocks_reads() {
        let cases = [
            (Layout::JsonArray, "[{\"a\":1},{\"a\":2}]"),
            (Layout::JsonStream, "{\"a\":1}\n{\"a\":2}"),
            (Layout::Csv(b"\n".to_vec()), "{\"a\":1}\n{\"a\":2}"),
        ];
        for (layout, expected) in cases {
            let mut b = TableBuffer::new(layout.clone(), Instant::now());
            write(&mut b, 0, 0, "{\"a\":1}");
            write(&mut b, 0, 1, "{\"a\":2}");
            assert_eq!(b.rows(), 2);
            assert_eq!(
                String::from_utf8(b.seal().body.to_vec()).unwrap(),
                expected,
                "{layout:?}"
            );
        }
        let empty = TableBuffer::new(Layout::JsonArray, Instant::now());
        assert_eq!(&empty.seal().body[..], b"[]");
    }

    #[test]
    fn a_rolled_back_record_leaves_no_trace() {
        let mut b = TableBuffer::new(Layout::JsonArray, Instant::now());
        write(&mut b, 0, 0, "{\"a\":1}");
        b.mark();
        b.row().extend_from_slice(b"{\"half");
        b.rollback();
        write(&mut b, 0, 2, "{\"a\":3}");
        assert_eq!(&b.seal().body[..], b"[{\"a\":1},{\"a\":3}]");
    }

    #[test]
    fn ranges_cover_every_partition_in_the_body() {
        let mut b = TableBuffer::new(Layout::JsonStream, Instant::now());
        write(&mut b, 0, 10, "{}");
        write(&mut b, 1, 3, "{}");
        write(&mut b, 0, 12, "{}");
        let ranges = b.ranges();
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[0].first_offset, ranges[0].last_offset), (10, 12));
        assert_eq!((ranges[1].first_offset, ranges[1].last_offset), (3, 3));
    }

    #[test]
    fn revoked_partitions_are_cut_out_of_an_open_buffer() {
        let mut b = TableBuffer::new(Layout::JsonArray, Instant::now());
        write(&mut b, 0, 0, "{\"p\":0}");
        write(&mut b, 1, 0, "{\"p\":1}");
        b.drop_partitions(&|t: &TopicPartition| *t == tp(0));
        assert_eq!(b.rows(), 1);
        write(&mut b, 1, 1, "{\"q\":1}");
        assert_eq!(&b.seal().body[..], b"[{\"p\":1},{\"q\":1}]");
    }

    #[test]
    fn a_body_whose_rows_all_were_revoked_is_empty() {
        let mut b = TableBuffer::new(Layout::JsonStream, Instant::now());
        write(&mut b, 3, 0, "{}");
        let sealed = b.seal().without(&|_: &TopicPartition| true);
        assert!(sealed.is_empty());
        assert!(sealed.ranges().is_empty());
    }

    #[test]
    fn revoked_partitions_are_cut_out_of_a_sealed_body() {
        for layout in [
            Layout::JsonArray,
            Layout::JsonStream,
            Layout::Csv(b"\x02".to_vec()),
        ] {
            let mut b = TableBuffer::new(layout.clone(), Instant::now());
            write(&mut b, 0, 0, "{\"p\":0}");
            write(&mut b, 1, 0, "{\"p\":1}");
            write(&mut b, 0, 1, "{\"q\":0}");
            write(&mut b, 1, 1, "{\"q\":1}");
            let revoked = |t: &TopicPartition| *t == tp(1);
            let sealed = b.seal();
            assert!(sealed.holds_any(&revoked));
            let sealed = sealed.without(&revoked);
            assert!(!sealed.holds_any(&revoked));
            assert_eq!(sealed.rows(), 2, "{layout:?}");
            assert_eq!(sealed.ranges().len(), 1);
            let body = String::from_utf8(sealed.body.to_vec()).unwrap();
            assert!(
                body.contains("{\"p\":0}") && body.contains("{\"q\":0}"),
                "{body}"
            );
            assert!(
                !body.contains("\"p\":1") && !body.contains("\"q\":1"),
                "{body}"
            );
        }
    }

    #[test]
    fn records_can_be_sliced_and_picked_out_of_a_sealed_body() {
        for layout in [
            Layout::JsonArray,
            Layout::JsonStream,
            Layout::Csv(b"\n".to_vec()),
        ] {
            let mut b = TableBuffer::new(layout.clone(), Instant::now());
            write(&mut b, 0, 10, "{\"a\":1}");
            // A record of two rows.
            b.mark();
            b.row().extend_from_slice(b"{\"b\":1}");
            b.row().extend_from_slice(b"{\"b\":2}");
            b.note(&tp(1), 4);
            write(&mut b, 0, 11, "{\"c\":1}");
            let sealed = b.seal();
            assert_eq!(sealed.records(), 3);
            assert_eq!(sealed.record(1), (tp(1), 4));
            let middle = sealed.slice(1..2);
            assert_eq!(middle.rows(), 2, "{layout:?}");
            assert_eq!(middle.records(), 1);
            let sep = if let Layout::JsonArray = layout {
                ","
            } else {
                "\n"
            };
            let (open, close) = if let Layout::JsonArray = layout {
                ("[", "]")
            } else {
                ("", "")
            };
            let text = |s: &Sealed| String::from_utf8(s.body.to_vec()).unwrap();
            assert_eq!(
                text(&middle),
                format!("{open}{{\"b\":1}}{sep}{{\"b\":2}}{close}")
            );
            let picked = sealed.select(&|t, offset| !(*t == tp(0) && offset == 10));
            assert_eq!(picked.records(), 2);
            assert_eq!(picked.rows(), 3);
            assert_eq!(
                text(&picked),
                format!("{open}{{\"b\":1}}{sep}{{\"b\":2}}{sep}{{\"c\":1}}{close}")
            );
            let ranges = picked.ranges();
            assert_eq!((ranges[0].first_offset, ranges[0].last_offset), (4, 4));
            assert_eq!((ranges[1].first_offset, ranges[1].last_offset), (11, 11));
        }
    }

    #[test]
    fn the_flush_policy_table() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let young = Pending {
            bytes: 10,
            since: t0,
        };
        let old = Pending {
            bytes: 10,
            since: t0 - 2 * second,
        };
        let big = Pending {
            bytes: 40,
            since: t0,
        };
        // (tables, bufferflush.maxbytes, share, expected)
        type Case = (Vec<Pending>, u64, u64, Vec<(usize, FlushReason)>);
        let cases: Vec<Case> = vec![
            (vec![young], 100, 50, vec![]),
            (vec![young, old], 100, 50, vec![(1, FlushReason::Interval)]),
            (
                vec![young, young],
                20,
                10,
                vec![(0, FlushReason::Full), (1, FlushReason::Full)],
            ),
            // A table at its share flushes alone; the young one waits.
            (vec![young, big], 100, 33, vec![(1, FlushReason::Share)]),
            (vec![young, big], 100, 41, vec![]),
        ];
        for (tables, max, share, expected) in cases {
            assert_eq!(due(&tables, max, share, second, t0), expected);
        }
    }

    #[test]
    fn a_finished_body_is_filled_again_without_a_new_allocation() {
        let bodies = Bodies::new(1);
        let mut b = TableBuffer::reusing(bodies.take(), Layout::JsonStream, Instant::now());
        b.row().extend_from_slice(&[b'x'; 4096]);
        b.note(&TopicPartition::new("t", 0), 7);
        let sealed = b.seal();
        let (at, capacity) = (sealed.body.as_ptr(), sealed.body.len());
        let shared = sealed.body.clone();
        bodies.give(sealed.clone());
        assert_eq!(bodies.kept(), 0, "a body still shared is not taken");
        drop(shared);
        bodies.give(sealed);
        assert_eq!(bodies.kept(), 1);
        let again = bodies.take();
        assert_eq!((again.body.as_ptr(), again.body.len()), (at, 0));
        assert!(again.body.capacity() >= capacity);
        assert!(again.records.is_empty() && again.records.capacity() >= 1);
        // The next buffer writes into it; no more than `keep` are kept.
        let mut next = TableBuffer::reusing(again, Layout::JsonStream, Instant::now());
        next.row().extend_from_slice(b"{}");
        assert_eq!(next.body.as_ptr(), at);
        for _ in 0..2 {
            let mut b = TableBuffer::new(Layout::JsonStream, Instant::now());
            b.row().extend_from_slice(b"{}");
            bodies.give(b.seal());
        }
        assert_eq!(bodies.kept(), 1);
    }
}
