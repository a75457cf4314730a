//! Record values that already are JSON text (StringConverter, ByteArrayConverter): validated,
//! then passed through byte for byte.
//!
//! A top-level object is one row, exactly the bytes received (JSON whitespace around it
//! trimmed); a top-level array is one row per element, each the element's own bytes, split in
//! the same pass that validates it. Nothing is re-encoded: key order, spacing and number
//! spelling reach StarRocks as the producer wrote them.
//!
//! Invariant: only well-formed UTF-8 JSON is passed on, and each row is one JSON object. On an
//! error, rows of an array already split may be in the sink; the caller discards them.

use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::RowSink;
use crate::error::{Error, Result};
use crate::record::Record;

/// Rows from a `byte[]` value: it must be UTF-8 JSON.
pub(super) fn rows_from_bytes(
    bytes: &[u8],
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    rows_from_text(json_text(bytes, "record value", record)?, record, sink)
}

/// A `byte[]` value or key (`what`) as the JSON text it must be: UTF-8.
pub(super) fn json_text<'b>(bytes: &'b [u8], what: &str, record: &Record<'_>) -> Result<&'b str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::data(format!(
            "malformed JSON in {what} at {}: {e}",
            record.position()
        ))
    })
}

/// Rows from a `String` value: it must be JSON.
pub(super) fn rows_from_text(
    text: &str,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let malformed = |e: serde_json::Error| {
        Error::data(format!(
            "malformed JSON in record value at {}: {e}",
            record.position()
        ))
    };
    match text.as_bytes().first() {
        Some(b'{') => {
            serde_json::from_str::<IgnoredAny>(text).map_err(malformed)?;
            sink.row().extend_from_slice(text.as_bytes());
            Ok(1)
        }
        Some(b'[') => {
            let mut not_object = None;
            let mut de = serde_json::Deserializer::from_str(text);
            let split = de::Deserializer::deserialize_seq(
                &mut de,
                SplitRows {
                    sink,
                    not_object: &mut not_object,
                },
            )
            .and_then(|count| de.end().map(|()| count));
            match (split, not_object) {
                (_, Some((index, kind))) => Err(Error::data(format!(
                    "element {index} of the JSON array in record value at {} is {kind}, not an \
                     object; each element of a top-level array must be one row",
                    record.position()
                ))),
                (Ok(count), None) => Ok(count),
                (Err(e), None) => Err(malformed(e)),
            }
        }
        _ => {
            serde_json::from_str::<IgnoredAny>(text).map_err(malformed)?;
            let kind = text.as_bytes().first().map_or("empty", |&b| json_kind(b));
            Err(Error::data(format!(
                "record value at {} is {kind}, not a JSON object or an array of objects; each \
                 row must be a JSON object",
                record.position()
            )))
        }
    }
}

/// Walks a top-level array, appending each element's bytes as a row.
struct SplitRows<'s, S> {
    sink: &'s mut S,
    /// Set to the index and kind of the first element that is not an object.
    not_object: &'s mut Option<(u32, &'static str)>,
}

impl<'de, S: RowSink> Visitor<'de> for SplitRows<'_, S> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of JSON objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<u32, A::Error> {
        let mut count = 0u32;
        while let Some(element) = seq.next_element::<&'de RawValue>()? {
            let bytes = element.get().as_bytes();
            match bytes.first() {
                Some(b'{') => {}
                first => {
                    *self.not_object = Some((count, first.map_or("empty", |&b| json_kind(b))));
                    return Err(de::Error::custom("an array element is not an object"));
                }
            }
            self.sink.row().extend_from_slice(bytes);
            count += 1;
        }
        Ok(count)
    }
}

/// The kind of a JSON value, from its first byte.
pub(super) fn json_kind(first: u8) -> &'static str {
    match first {
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}
