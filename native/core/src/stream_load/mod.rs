//! Stream Load: sending one batch to StarRocks and deciding what happened to it.
//!
//! Every load is a transaction Stream Load (begin, load, prepare, commit), as StarRocks' own
//! SDK sends it: its rows become visible only at the commit, which the sink alone sends, so a
//! load can be abandoned (a revoked partition, a stopping task) at any step before the commit
//! without its rows turning up later.
//!
//! One role per file: [`response`] reads StarRocks' answer to a step and classifies it (pure);
//! [`client`] is the only code in the core that touches the network (the FE's 307s followed by
//! hand, Basic auth re-sent to the BE, FE failover, label-state lookups, rejected-row logs);
//! [`retry`] is the backoff and the policy that decides when a table counts as failing (pure);
//! [`txn`] drives one load through its steps under the SAME label until it is durable, given
//! up, or cancelled.
//!
//! Invariant: a [`LoadRequest`]'s label and body never change between attempts — that is what
//! lets StarRocks' label de-duplication find an attempt whose answer was lost instead of
//! loading a second copy of the rows. The body is therefore prepared (compressed) once, by
//! [`prepare_body`], before the first attempt.

pub mod client;
pub mod multi;
pub mod reject;
pub mod response;
pub mod retry;
pub mod txn;

use std::io::Write as _;

use bytes::Bytes;

use crate::config::Compression;

pub use client::{Part, StreamLoadClient};
pub use response::{classify, Attempt, LabelState, LoadResult, Op, Verdict};
pub use retry::{Backoff, FailureKind, Judgement, RetryPolicy};
pub use txn::{Ended, Failure, LoadOutcome};

/// One batch for one table, ready to send. Every attempt sends exactly these bytes under
/// exactly this label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    pub database: String,
    pub table: String,
    /// The load's label (see [`crate::label`]), identical on every retry.
    pub label: String,
    /// The body as it goes on the wire: already compressed when the configuration asks for
    /// it (see [`prepare_body`]).
    pub body: Bytes,
    /// What `body` holds: the table's rows, or progress rows (then `table` is the progress
    /// table, and the body goes as plain JSON lines whatever the configured format).
    pub kind: BodyKind,
    /// Exactly-once: progress rows that commit in the same transaction as `body`, into
    /// another table of the database (StarRocks 4.0's multi-table transaction).
    pub progress: Option<ProgressPart>,
}

/// What a body holds, which decides the load headers it is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Rows of the target table: the `sink.properties.*` headers.
    Rows,
    /// Rows of the progress table: JSON lines, nothing else.
    Progress,
    /// Rows of the target table sent only to learn which StarRocks rejects (see `reject`):
    /// the `sink.properties.*` headers with `max_filter_ratio=1`; never committed.
    Probe,
}

/// The progress rows of an exactly-once load, sent by a second `/api/transaction/load` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressPart {
    pub table: String,
    /// JSON lines (see [`crate::progress::body`]), never compressed.
    pub body: Bytes,
}

impl LoadRequest {
    /// A load of rows into `table`, alone in its transaction.
    pub fn rows(database: &str, table: &str, label: &str, body: Bytes) -> LoadRequest {
        LoadRequest {
            database: database.to_owned(),
            table: table.to_owned(),
            label: label.to_owned(),
            body,
            kind: BodyKind::Rows,
            progress: None,
        }
    }

    /// Whether the transaction spans two tables.
    pub fn is_multi_table(&self) -> bool {
        self.progress.is_some()
    }
}

/// The bytes to send for an encoded batch: `raw` itself, or one LZ4 frame of it (independent
/// blocks, content size in the frame header, as StarRocks' SDK sends) when the configuration
/// sets `sink.properties.compression=lz4_frame`. Call it once per load, not per attempt.
pub fn prepare_body(compression: Option<Compression>, raw: Bytes) -> Bytes {
    match compression {
        None => raw,
        Some(Compression::Lz4Frame) => {
            let info = lz4_flex::frame::FrameInfo::new().content_size(Some(raw.len() as u64));
            let out = Vec::with_capacity(raw.len() / 2 + 64);
            let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
            encoder
                .write_all(&raw)
                .expect("compressing into a Vec cannot fail on I/O");
            let compressed = encoder
                .finish()
                .expect("the frame's declared content size is the exact input length");
            Bytes::from(compressed)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn an_uncompressed_body_is_sent_as_is() {
        let raw = Bytes::from_static(b"{\"id\":1}\n");
        assert_eq!(prepare_body(None, raw.clone()), raw);
    }

    #[test]
    fn an_lz4_frame_body_decompresses_to_the_rows_and_declares_their_size() {
        let raw = Bytes::from("{\"id\":1,\"city\":\"New York\"}\n".repeat(1000));
        let sent = prepare_body(Some(Compression::Lz4Frame), raw.clone());
        assert!(sent.len() < raw.len(), "repetitive rows compress");
        assert_eq!(&sent[..4], &[0x04, 0x22, 0x4d, 0x18], "LZ4 frame magic");
        let flags = sent[4];
        assert_ne!(flags & 0b0000_1000, 0, "content size flag is set");
        assert_ne!(flags & 0b0010_0000, 0, "blocks are independent");
        let mut back = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&sent[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
    }
}
