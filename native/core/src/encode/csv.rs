//! Record values as CSV rows: the text or bytes a StringConverter or ByteArrayConverter gives,
//! one record one row, as upstream loads them.
//!
//! The core does not build CSV from Connect data: it cannot know the table's column order, and
//! neither can upstream. A value is passed on unchanged, except that one trailing row delimiter
//! is dropped, since the body layout writes its own between rows.
//!
//! Invariant: a row's bytes are the record's bytes, minus at most one trailing row delimiter.

use super::{value_kind, RowSink};
use crate::error::{Error, Result};
use crate::record::{Payload, Record};

/// Appends the CSV row of `record`'s value (`Payload::Null` is handled by the caller).
pub(super) fn rows(
    row_delimiter: &[u8],
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let bytes = match &record.value {
        Payload::RawText(text) => text.as_bytes(),
        Payload::RawBytes(bytes) => bytes,
        Payload::Null => return Ok(0),
        Payload::Data { schema, datum } => {
            return Err(not_text(value_kind(schema.as_deref(), datum), record))
        }
        Payload::PlainData(plain) => {
            return Err(not_text(value_kind(None, &plain.datum()?), record))
        }
        Payload::TypedData(data) => {
            return Err(not_text(
                value_kind(Some(data.schema()), &data.datum()?),
                record,
            ))
        }
    };
    let row = match bytes.strip_suffix(row_delimiter) {
        Some(stripped) if !row_delimiter.is_empty() => stripped,
        _ => bytes,
    };
    sink.row().extend_from_slice(row);
    Ok(1)
}

fn not_text(kind: String, record: &Record<'_>) -> Error {
    Error::data(format!(
        "CSV format needs String or byte[] record values (StringConverter or ByteArrayConverter); \
         got {kind} at {}",
        record.position()
    ))
}
