//! Decodes the shim's batch format (`docs/batch-format.md`, version 1) into [`Record`]s.
//!
//! A [`Decoder`] lives as long as the task's session and owns its topic and schema tables:
//! TOPIC_DEF and SCHEMA_DEF entries append to them, RECORD entries refer to them by id, and a
//! batch with the RESET flag starts them afresh. Records borrow their strings and bytes from
//! the batch and their topics from the session's table (so decoding one takes no reference
//! count); schemas are `Arc` clones. Decoding a record allocates nothing but the `Vec`s of its
//! arrays, maps and structs — and nothing at all for a value kept as plain data
//! ([`Decoder::with_plain_values`]): schemaless maps of strings, numbers, booleans and nulls
//! (`plain`), and typed values that are structs (`typed_data`), stay as their bytes, which the
//! JSON encoder reads without a tree.
//!
//! Invariant: any input either decodes completely or returns an [`Error::data`] naming what is
//! wrong, the byte offset, and the record it is in — never a panic, an unbounded allocation or
//! a stack overflow (nesting stops at [`MAX_DEPTH`]). A batch that fails leaves the session
//! tables exactly as they were before it.

mod cursor;
mod plain;
mod schema;
mod typed_data;
mod value;

pub use plain::{PlainField, Visitor as PlainVisitor};
pub use typed_data::TypedReader;

use std::mem;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::record::{Payload, Record, Schema, SchemaTable};

use cursor::{Cursor, Fault, Step};

/// The first four bytes of every batch.
pub const MAGIC: &[u8; 4] = b"SRKB";
/// The one format version this decoder reads.
pub const VERSION: u8 = 1;
/// Header flag: forget every topic and schema id defined before this batch.
pub const FLAG_RESET: u8 = 0x01;
/// The deepest nesting of ARRAY, MAP and STRUCT — in schemas and in values, schemaless and
/// typed together — that the decoder follows.
pub const MAX_DEPTH: u32 = 64;

const TAG_TOPIC_DEF: u8 = 0x01;
const TAG_SCHEMA_DEF: u8 = 0x02;
const TAG_RECORD: u8 = 0x03;

const KIND_NULL: u8 = 0;
const KIND_RAW_BYTES: u8 = 1;
const KIND_RAW_TEXT: u8 = 2;
const KIND_DATA: u8 = 3;
const KIND_TYPED: u8 = 4;

/// The smallest RECORD entry: tag, two one-byte topic ids, partition, offset, no timestamp,
/// and two NULL payloads.
const MIN_RECORD_LEN: usize = 1 + 1 + 4 + 8 + 1 + 1 + 1 + 1;

/// Decodes batches of one task session.
#[derive(Debug, Default)]
pub struct Decoder {
    table: SchemaTable,
    /// Record values that are plain data stay as their bytes ([`Payload::PlainData`]).
    plain_values: bool,
    /// Record values that are typed structs stay as their bytes ([`Payload::TypedData`]).
    typed_data: bool,
}

/// What the header says.
struct Header {
    reset: bool,
    count: usize,
}

/// A RECORD entry as read, its topics by id: the table may still grow within the batch.
struct Entry<'a> {
    original_topic: usize,
    partition: i32,
    offset: i64,
    topic: usize,
    timestamp: Option<i64>,
    key: Payload<'a>,
    value: Payload<'a>,
}

/// The tables as they were before a batch, to restore if it fails.
enum Saved {
    /// The batch reset the tables: these are the ones it replaced.
    Tables(SchemaTable),
    /// The batch only appends: the lengths to truncate back to.
    Lengths(usize, usize),
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder that keeps record values which are plain data (schemaless maps of strings,
    /// numbers, booleans and nulls; `decode::plain`) as their bytes, [`Payload::PlainData`],
    /// and typed record values that are structs (`decode::typed_data`) as their bytes and
    /// schema, [`Payload::TypedData`], for an encoder that writes them as JSON without a tree.
    /// Keys are always decoded.
    pub fn with_plain_values(mut self, on: bool) -> Decoder {
        self.plain_values = on;
        self.typed_data = on;
        self
    }

    /// Whether typed struct values stay as their bytes ([`Payload::TypedData`]), apart from
    /// plain data: set after [`Decoder::with_plain_values`], which sets both.
    pub fn with_typed_data(mut self, on: bool) -> Decoder {
        self.typed_data = on;
        self
    }

    /// Decodes one batch. Records borrow from `bytes` and from the session's topic table.
    /// TOPIC_DEF/SCHEMA_DEF entries update the session tables; RESET clears them first. On
    /// error the tables are left as they were.
    pub fn decode<'a>(&'a mut self, bytes: &'a [u8]) -> Result<Vec<Record<'a>>> {
        let mut cur = Cursor::new(bytes);
        let header = header(&mut cur).map_err(|f| error(f, ""))?;
        let saved = if header.reset {
            Saved::Tables(mem::take(&mut self.table))
        } else {
            Saved::Lengths(self.table.topics.len(), self.table.schemas.len())
        };
        let entries = match self.entries(&mut cur, header.count) {
            Ok(entries) => entries,
            Err(e) => {
                match saved {
                    Saved::Tables(table) => self.table = table,
                    Saved::Lengths(topics, schemas) => {
                        self.table.topics.truncate(topics);
                        self.table.schemas.truncate(schemas);
                    }
                }
                return Err(e);
            }
        };
        // Every definition of the batch is in: the topic ids (checked as they were read)
        // become references into the table.
        let topics: &'a [Arc<str>] = &self.table.topics;
        Ok(entries
            .into_iter()
            .map(|e| Record {
                original_topic: &topics[e.original_topic],
                partition: e.partition,
                offset: e.offset,
                topic: &topics[e.topic],
                timestamp: e.timestamp,
                key: e.key,
                value: e.value,
            })
            .collect())
    }

    fn entries<'a>(&mut self, cur: &mut Cursor<'a>, count: usize) -> Result<Vec<Entry<'a>>> {
        let mut records = Vec::with_capacity(count);
        while records.len() < count {
            let index = records.len();
            let between = |name: &str| format!(", {name} before record index {index}");
            let at = cur.pos();
            let tag = cur
                .u8("entry tag")
                .map_err(|f| error(f, &between("entry")))?;
            match tag {
                TAG_RECORD => records.push(self.record(cur, index)?),
                TAG_TOPIC_DEF => self
                    .topic_def(cur)
                    .map_err(|f| error(f, &between("TOPIC_DEF")))?,
                TAG_SCHEMA_DEF => self
                    .schema_def(cur)
                    .map_err(|f| error(f, &between("SCHEMA_DEF")))?,
                _ => {
                    let what = format!(
                        "unknown entry tag 0x{tag:02x} (expected 0x01 TOPIC_DEF, 0x02 SCHEMA_DEF \
                         or 0x03 RECORD)"
                    );
                    return Err(error(Fault::new(at, what), &between("entry")));
                }
            }
        }
        if cur.remaining() > 0 {
            let what = format!(
                "{} trailing bytes after the last of the {count} records the header declares",
                cur.remaining()
            );
            return Err(error(Fault::new(cur.pos(), what), ""));
        }
        Ok(records)
    }

    fn topic_def(&mut self, cur: &mut Cursor<'_>) -> Step<()> {
        let at = cur.pos();
        let id = cur.varint("topic id")?;
        dense(id, self.table.topics.len(), "TOPIC_DEF", "topic", at)?;
        let name = cur.str("topic name")?;
        self.table.topics.push(Arc::from(name));
        Ok(())
    }

    fn schema_def(&mut self, cur: &mut Cursor<'_>) -> Step<()> {
        let at = cur.pos();
        let id = cur.varint("schema id")?;
        dense(id, self.table.schemas.len(), "SCHEMA_DEF", "schema", at)?;
        let schema = schema::schema(cur, 0)?;
        self.table.schemas.push(Arc::new(schema));
        Ok(())
    }

    fn record<'a>(&self, cur: &mut Cursor<'a>, index: usize) -> Result<Entry<'a>> {
        let (original_topic, partition, offset) = self
            .record_source(cur)
            .map_err(|f| error(f, &format!(", record index {index}")))?;
        // The same text as `Record::position`, which needs a whole record.
        let context = |part: &str| {
            format!(
                ", record index {index} (topic '{}' partition {partition} offset {offset}){part}",
                self.table.topics[original_topic]
            )
        };
        let topic = self
            .topic_ref(cur, "topic id")
            .map_err(|f| error(f, &context("")))?;
        let timestamp = timestamp(cur).map_err(|f| error(f, &context("")))?;
        let key = self
            .payload(cur, false, false)
            .map_err(|f| error(f, &context(", key")))?;
        let value = self
            .payload(cur, self.plain_values, self.typed_data)
            .map_err(|f| error(f, &context(", value")))?;
        Ok(Entry {
            original_topic,
            partition,
            offset,
            topic,
            timestamp,
            key,
            value,
        })
    }

    /// The original topic's id, partition and offset: what error messages name a record by.
    fn record_source(&self, cur: &mut Cursor<'_>) -> Step<(usize, i32, i64)> {
        let topic = self.topic_ref(cur, "original topic id")?;
        let partition = cur.i32("partition")?;
        let offset = cur.i64("offset")?;
        Ok((topic, partition, offset))
    }

    /// A defined topic id, as an index into the topic table.
    fn topic_ref(&self, cur: &mut Cursor<'_>, what: &str) -> Step<usize> {
        let at = cur.pos();
        let id = cur.varint(what)?;
        let defined = self.table.topics.len();
        match usize::try_from(id).ok().filter(|&i| i < defined) {
            Some(index) => Ok(index),
            None => Err(undefined("topic", id, defined, at)),
        }
    }

    /// A key or value; `plain` keeps plain data, and `typed` typed structs, as their bytes.
    fn payload<'a>(&self, cur: &mut Cursor<'a>, plain: bool, typed: bool) -> Step<Payload<'a>> {
        let at = cur.pos();
        Ok(match cur.u8("payload kind")? {
            KIND_NULL => Payload::Null,
            KIND_RAW_BYTES => Payload::RawBytes(cur.bytes("RAW_BYTES payload")?),
            KIND_RAW_TEXT => Payload::RawText(cur.str("RAW_TEXT payload")?),
            KIND_DATA => match plain.then(|| plain::scan(cur)).flatten() {
                Some(data) => Payload::PlainData(data),
                None => Payload::Data {
                    schema: None,
                    datum: value::datum(cur, &self.table.schemas, 0)?,
                },
            },
            KIND_TYPED => {
                let schema = schema_ref(cur, &self.table.schemas)?;
                match typed.then(|| typed_data::scan(cur, &schema)).flatten() {
                    Some(data) => Payload::TypedData(data),
                    None => {
                        let datum = value::typed(cur, &schema, 0)?;
                        Payload::Data {
                            schema: Some(schema),
                            datum,
                        }
                    }
                }
            }
            kind => {
                return Err(Fault::new(
                    at,
                    format!("unknown payload kind {kind} (0 NULL to 4 TYPED are defined)"),
                ))
            }
        })
    }
}

fn header(cur: &mut Cursor<'_>) -> Step<Header> {
    let magic = cur.take(MAGIC.len(), "magic")?;
    if magic != MAGIC {
        return Err(Fault::new(
            0,
            format!("not a batch: magic is {magic:02x?}, expected \"SRKB\" {MAGIC:02x?}"),
        ));
    }
    let at = cur.pos();
    let version = cur.u8("version")?;
    if version != VERSION {
        return Err(Fault::new(
            at,
            format!(
                "unsupported batch format version {version}; this core supports version \
                 {VERSION} only"
            ),
        ));
    }
    let at = cur.pos();
    let flags = cur.u8("flags")?;
    if flags & !FLAG_RESET != 0 {
        return Err(Fault::new(
            at,
            format!("unknown flags 0x{flags:02x} (only bit 0, RESET, is defined)"),
        ));
    }
    let at = cur.pos();
    let reserved = cur.u16("reserved")?;
    if reserved != 0 {
        return Err(Fault::new(
            at,
            format!("reserved header field is 0x{reserved:04x}, expected 0"),
        ));
    }
    let at = cur.pos();
    let count = cur.u32("record count")?;
    // Saturates on 16-bit targets, where the check below then rejects it.
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > cur.remaining() / MIN_RECORD_LEN {
        return Err(Fault::new(
            at,
            format!(
                "record count {count} cannot fit in the {} bytes that follow (a record takes at \
                 least {MIN_RECORD_LEN})",
                cur.remaining()
            ),
        ));
    }
    Ok(Header {
        reset: flags & FLAG_RESET != 0,
        count,
    })
}

fn timestamp(cur: &mut Cursor<'_>) -> Step<Option<i64>> {
    let at = cur.pos();
    match cur.u8("timestamp flag")? {
        0 => Ok(None),
        1 => Ok(Some(cur.i64("timestamp")?)),
        b => Err(Fault::new(
            at,
            format!("timestamp flag is {b}, expected 0 (none) or 1 (present)"),
        )),
    }
}

/// A schema id and the schema it refers to.
fn schema_ref(cur: &mut Cursor<'_>, schemas: &[Arc<Schema>]) -> Step<Arc<Schema>> {
    let at = cur.pos();
    let id = cur.varint("schema id")?;
    match usize::try_from(id).ok().and_then(|i| schemas.get(i)) {
        Some(schema) => Ok(Arc::clone(schema)),
        None => Err(undefined("schema", id, schemas.len(), at)),
    }
}

#[cold]
fn undefined(noun: &str, id: u64, defined: usize, at: usize) -> Fault {
    Fault::new(
        at,
        format!("{noun} id {id} is not defined ({defined} {noun} ids are)"),
    )
}

/// Checks that a definition takes the next id: ids are dense from 0 in definition order.
fn dense(id: u64, next: usize, entry: &str, noun: &str, at: usize) -> Step<()> {
    if id == next as u64 {
        return Ok(());
    }
    Err(Fault::new(
        at,
        format!(
            "{entry} defines {noun} id {id} but the next {noun} id is {next} (ids are dense from \
             0 in definition order)"
        ),
    ))
}

/// The error for a fault; `context` names where in the batch it is (empty in the header).
#[cold]
fn error(fault: Fault, context: &str) -> Error {
    Error::data(format!(
        "malformed batch at byte {}{context}: {}",
        fault.at(),
        fault.what()
    ))
}

#[cfg(test)]
mod tests;
