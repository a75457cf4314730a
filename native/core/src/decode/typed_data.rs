//! Typed data: a record value that is a STRUCT, kept as its batch bytes with its schema rather
//! than decoded into a [`Datum`] tree.
//!
//! JsonConverter with schemas, Avro, Protobuf and the flattened rows of Debezium's
//! `ExtractNewRecordState` hand the sink one struct per record. Building a tree of it and
//! walking that tree again to write JSON costs about as much as the writing, so a decoder
//! asked for plain values ([`Decoder::with_plain_values`](super::Decoder::with_plain_values))
//! runs [`scan`] over each typed record value whose schema is a STRUCT. A value it accepts
//! becomes a [`TypedData`], which an encoder reads in schema order through a [`TypedReader`],
//! building a tree only for the parts it chooses to. Any value the scan refuses — a malformed
//! one, or one nested too deep — is decoded into a tree as before, so every error a value can
//! raise is still the tree's.
//!
//! Invariant: the bytes of a `TypedData` are a value of its schema that `value::typed` decodes
//! without a fault, followed by the rest of its batch (which bounds counts, as in the decoder).
//! A reader that follows the schema reads exactly the values `value::typed` reads from them, in
//! the same order.

use std::sync::Arc;

use super::cursor::{Cursor, Step};
use super::value::{self, min_size};
use super::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::record::{Datum, Schema, SchemaType, TypedData};

/// The reads' names, for faults no one sees: a value that fails here is decoded again, as a
/// tree, and that names what is wrong.
const QUIET: &str = "typed value";

/// Whether the value at the cursor, of `schema`, is typed data: a STRUCT value, well formed.
/// When it is, the cursor moves past it and the value's bytes are returned with the schema;
/// when not, the cursor stays where it was.
pub(super) fn scan<'a>(cur: &mut Cursor<'a>, schema: &Arc<Schema>) -> Option<TypedData<'a>> {
    if schema.ty != SchemaType::Struct {
        return None;
    }
    let mut probe = cur.clone();
    let start = probe.pos();
    if !skip(&mut probe, schema, 0) {
        return None;
    }
    let rest = cur.rest();
    let len = probe.pos() - start;
    cur.take(len, QUIET).ok()?;
    Some(TypedData {
        schema: Arc::clone(schema),
        rest,
        len,
    })
}

/// Moves past a value of `schema` at nesting level `depth`, checking what `value::typed`
/// checks: presence bytes and booleans are 0 or 1, strings are UTF-8, counts fit in the bytes
/// that remain, nesting stays within [`MAX_DEPTH`].
fn skip(cur: &mut Cursor<'_>, schema: &Schema, depth: u32) -> bool {
    if schema.optional {
        match cur.flag(QUIET) {
            Ok(true) => {}
            Ok(false) => return true,
            Err(_) => return false,
        }
    }
    match schema.ty {
        SchemaType::Int8 => cur.i8(QUIET).is_ok(),
        SchemaType::Int16 => cur.i16(QUIET).is_ok(),
        SchemaType::Int32 => cur.i32(QUIET).is_ok(),
        SchemaType::Int64 => cur.i64(QUIET).is_ok(),
        SchemaType::Float32 => cur.f32(QUIET).is_ok(),
        SchemaType::Float64 => cur.f64(QUIET).is_ok(),
        SchemaType::Boolean => cur.flag(QUIET).is_ok(),
        SchemaType::String => cur.utf8(QUIET).is_ok(),
        SchemaType::Bytes => cur.bytes(QUIET).is_ok(),
        _ if depth >= MAX_DEPTH => false,
        SchemaType::Array => {
            let Some(element) = schema.value.as_deref() else {
                return false;
            };
            match cur.count(QUIET, min_size(element)) {
                Ok(n) => (0..n).all(|_| skip(cur, element, depth + 1)),
                Err(_) => false,
            }
        }
        SchemaType::Map => {
            let (Some(key), Some(value)) = (schema.key.as_deref(), schema.value.as_deref()) else {
                return false;
            };
            match cur.count(QUIET, min_size(key).saturating_add(min_size(value))) {
                Ok(n) => (0..n).all(|_| skip(cur, key, depth + 1) && skip(cur, value, depth + 1)),
                Err(_) => false,
            }
        }
        SchemaType::Struct => schema
            .fields
            .iter()
            .all(|field| skip(cur, &field.schema, depth + 1)),
    }
}

impl<'a> TypedData<'a> {
    /// The value's STRUCT schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// A reader at the start of the value. It reads on into the bytes that follow the value in
    /// its batch: an ARRAY or MAP count is checked against the bytes that remain in the batch,
    /// and a count of elements that take no bytes (structs without fields) may exceed the
    /// value's own length.
    pub fn reader(&self) -> TypedReader<'a> {
        TypedReader(Cursor::new(self.rest))
    }

    /// The value's own bytes.
    pub fn bytes(&self) -> &'a [u8] {
        &self.rest[..self.len]
    }

    /// The tree `value::typed` builds from the same bytes, for whoever needs one.
    pub fn datum(&self) -> Result<Datum<'a>> {
        self.reader().value(&self.schema, 0)
    }
}

/// Reads typed data in schema order. The caller follows the schema: each read names the
/// schema of the value it reads, and the nesting level that value sits at (0 for the record
/// value itself), as `value::typed` counts it.
pub struct TypedReader<'a>(Cursor<'a>);

impl<'a> TypedReader<'a> {
    /// Whether a value of `schema` follows: false when an optional schema's presence byte says
    /// null (that byte is then read), always true for a required schema.
    #[inline]
    pub fn present(&mut self, schema: &Schema) -> Result<bool> {
        reread(value::present(&mut self.0, schema))
    }

    /// The element count of an ARRAY, or the entry count of a MAP, whose presence is read.
    #[inline]
    pub fn count(&mut self) -> Result<usize> {
        reread(self.0.count(QUIET, 1))
    }

    /// The bytes of a STRING whose presence is read: UTF-8, as scanned.
    #[inline]
    pub fn text(&mut self) -> Result<&'a [u8]> {
        reread(self.0.bytes(QUIET))
    }

    /// A whole value of `schema` at nesting level `depth`, presence byte included, as a tree.
    pub fn value(&mut self, schema: &Schema, depth: u32) -> Result<Datum<'a>> {
        reread(value::typed(&mut self.0, schema, depth))
    }

    /// A value of `schema` at nesting level `depth` whose presence is read, as a tree: for a
    /// scalar, a `Datum` that holds it and allocates nothing.
    #[inline]
    pub fn present_value(&mut self, schema: &Schema, depth: u32) -> Result<Datum<'a>> {
        reread(value::present_typed(&mut self.0, schema, depth))
    }
}

/// Bytes `scan` accepted that cannot be read again: a bug, not bad input — or a reader that did
/// not follow the schema.
#[inline]
fn reread<T>(step: Step<T>) -> Result<T> {
    step.map_err(|fault| {
        Error::data(format!(
            "typed data that decoded cleanly cannot be read again at byte {}: {}",
            fault.at(),
            fault.what()
        ))
    })
}
