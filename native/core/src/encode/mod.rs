//! Records to Stream Load rows: the value of each record becomes zero or more rows of the
//! configured format, appended to a [`RowSink`].
//!
//! - JSON ([`Format::Json`]): Connect data is written as JSON by hand (`json`); a value that
//!   already is JSON text is validated and passed through unchanged (`passthrough`). A top-level
//!   array gives one row per element, which lifts upstream's one-message-one-row limit.
//! - CSV ([`Format::Csv`]): String and `byte[]` values are rows as they are (`csv`).
//! - Keys are ignored, as upstream ignores them; a tombstone gives no row.
//! - Under `starrocks.envelope=debezium` a value is a Debezium change event, and its row is the
//!   image its `op` names, with StarRocks' `__op` load column (`debezium`); a delete without a
//!   `before` image is the one case where the key is read.
//! - Temporal logical types are text StarRocks loads into DATE / DATETIME columns, or the
//!   upstream numbers, as [`TemporalRendering`](crate::config::TemporalRendering) says
//!   (`temporal`); decimals are always exact numbers (`decimal`).
//!
//! Invariant: when [`RowEncoder::encode`] succeeds, every row it started is complete and valid
//! for the format. When it fails, the rows it started during that call may be incomplete, so
//! the owner of the sink's buffer cuts it back to where the record began. Errors are data errors
//! ([`Error::is_data`]) that name the record's topic, partition and offset, and for a value deep
//! in the record, its path (`after.price`).

mod connect_json;
mod csv;
mod debezium;
mod decimal;
mod json;
mod passthrough;
mod temporal;

#[cfg(test)]
mod tests;

use crate::config::{Envelope, Format, SinkConfig};
use crate::error::{Error, Result};
use crate::record::{Datum, Payload, Record, Schema, SchemaType};

use std::sync::Arc;

use connect_json::SchemaCache;
use json::JsonWriter;

/// Receives rows. `row()` starts a new row (writing whatever separator the body layout needs)
/// and returns the buffer to append that row's bytes to.
pub trait RowSink {
    fn row(&mut self) -> &mut Vec<u8>;

    /// The STRUCT schema of the next row, where the record has one: a table that follows the
    /// source takes its columns from it. Nothing by default.
    fn schema(&mut self, _row: &Schema) {}
}

/// Turns record values into rows of the configured format.
#[derive(Debug, Clone)]
pub struct RowEncoder {
    format: Format,
    /// `starrocks.envelope`.
    envelope: Envelope,
    /// Debezium events in JSON text with their schema: the schemas already read.
    schemas: Arc<SchemaCache>,
    json: JsonWriter,
    /// The CSV row delimiter, so a value that ends with one does not make an empty row. The
    /// column separator plays no part: CSV values are passed through whole.
    row_delimiter: Vec<u8>,
}

impl RowEncoder {
    pub fn new(config: &SinkConfig) -> RowEncoder {
        RowEncoder {
            format: config.format,
            envelope: config.envelope,
            schemas: Arc::default(),
            json: JsonWriter {
                temporal: config.temporal_rendering,
            },
            row_delimiter: config.row_delimiter.clone(),
        }
    }

    /// Whether this configuration writes plain data (`Payload::PlainData`) straight from its
    /// bytes, so a decoder should keep such record values as bytes: JSON rows, and Debezium
    /// events (`debezium::plain_event`). CSV reads them through their trees.
    pub fn writes_plain_data(config: &SinkConfig) -> bool {
        writes_plain(config.format)
    }

    /// Whether this configuration writes typed structs (`Payload::TypedData`) straight from
    /// their bytes: JSON rows without an envelope. Every other configuration reads them through
    /// their trees.
    pub fn writes_typed_data(config: &SinkConfig) -> bool {
        writes_typed(config.format, config.envelope)
    }

    /// The only keys (map entries, struct fields) this configuration reads of a record value
    /// that holds the first of them; `None` when it may read any. Under
    /// `starrocks.envelope=debezium` an event's row comes from its `op`, `before` and `after`
    /// alone, so the shim may leave an event's other entries (`source`, `ts_ms`, `transaction`)
    /// out of the batch instead of walking them (`docs/batch-format.md`, "Record values the
    /// core reads in part").
    pub fn value_keys(config: &SinkConfig) -> Option<&'static [&'static str]> {
        value_keys(config.envelope)
    }

    /// Appends the rows of one record's VALUE (keys are ignored, as upstream does). Returns how
    /// many rows were written; 0 for a tombstone (Payload::Null value).
    ///
    /// A JSON value that is null under a schema (`Datum::Null`) and an empty top-level array
    /// also give 0 rows.
    pub fn encode(&self, record: &Record<'_>, sink: &mut impl RowSink) -> Result<u32> {
        match (self.format, &record.value) {
            (_, Payload::Null) => Ok(0),
            // The configuration allows Debezium events in JSON only.
            (Format::Json, _) if self.envelope == Envelope::Debezium => {
                debezium::rows(&self.json, &self.schemas, record, sink)
            }
            (Format::Csv, _) => csv::rows(&self.row_delimiter, record, sink),
            (Format::Json, Payload::RawText(text)) => {
                passthrough::rows_from_text(text, record, sink)
            }
            (Format::Json, Payload::RawBytes(bytes)) => {
                passthrough::rows_from_bytes(bytes, record, sink)
            }
            (Format::Json, Payload::PlainData(plain)) => json::plain_rows(plain, sink),
            (Format::Json, Payload::TypedData(data)) => {
                sink.schema(data.schema());
                self.json
                    .typed_rows(data, sink)
                    .map_err(|fault| Error::data(fault.describe(&record.position())))
            }
            (Format::Json, Payload::Data { schema, datum }) => {
                // A STRUCT is a row; an ARRAY of STRUCTs, one row per element.
                let row = schema.as_deref().and_then(|s| match s.ty {
                    SchemaType::Struct => Some(s),
                    SchemaType::Array => s.value.as_deref().filter(|e| e.ty == SchemaType::Struct),
                    _ => None,
                });
                if let Some(row) = row {
                    sink.schema(row);
                }
                self.json
                    .rows(schema.as_deref(), datum, sink)
                    .map_err(|fault| Error::data(fault.describe(&record.position())))
            }
        }
    }

    /// The schema of a record's key, where it has one: Connect's, or the one JsonConverter's
    /// wrapper carries (as schemaless data or as JSON text). A table the sink creates takes its
    /// primary key from it.
    pub fn key_schema(&self, record: &Record<'_>) -> Option<Arc<Schema>> {
        debezium::key_schema(&self.schemas, &record.key)
    }
}

/// [`RowEncoder::writes_plain_data`] of a configuration with this format.
fn writes_plain(format: Format) -> bool {
    format == Format::Json
}

/// [`RowEncoder::writes_typed_data`] of a configuration with this format and envelope.
fn writes_typed(format: Format, envelope: Envelope) -> bool {
    format == Format::Json && envelope == Envelope::None
}

/// [`RowEncoder::value_keys`] of a configuration with this envelope.
fn value_keys(envelope: Envelope) -> Option<&'static [&'static str]> {
    (envelope == Envelope::Debezium).then_some(&debezium::EVENT_KEYS[..])
}

/// What a value is, for error messages: `an INT64 value`, `a STRUCT value (schema 'x')`,
/// `a schemaless MAP value`.
fn value_kind(schema: Option<&Schema>, datum: &Datum<'_>) -> String {
    let (ty, name, schemaless) = match (schema, datum) {
        (_, Datum::TypedStruct(schema, _)) => (schema.ty.name(), schema.name(), false),
        (Some(schema), _) => (schema.ty.name(), schema.name(), false),
        (None, _) => (datum_type_name(datum), None, true),
    };
    let article = if ty.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    let schemaless = if schemaless { " schemaless" } else { "" };
    match name {
        Some(name) => format!("{article}{schemaless} {ty} value (schema '{name}')"),
        None => format!("{article}{schemaless} {ty} value"),
    }
}

fn datum_type_name(datum: &Datum<'_>) -> &'static str {
    match datum {
        Datum::Null => "NULL",
        Datum::Bool(_) => "BOOLEAN",
        Datum::Int8(_) => "INT8",
        Datum::Int16(_) => "INT16",
        Datum::Int32(_) => "INT32",
        Datum::Int64(_) => "INT64",
        Datum::Float32(_) => "FLOAT32",
        Datum::Float64(_) => "FLOAT64",
        Datum::Str(_) => "STRING",
        Datum::Bytes(_) => "BYTES",
        Datum::Array(_) => "ARRAY",
        Datum::Map(_) => "MAP",
        Datum::Struct(_) | Datum::TypedStruct(..) => "STRUCT",
        Datum::Decimal { .. } => "DECIMAL",
        Datum::Timestamp(_) => "DATE (java.util.Date)",
    }
}

/// A struct field's name as a JSON object key: quoted, escaped, then its colon
/// ([`Field::json_key`](crate::record::Field)).
pub(crate) fn json_key(name: &str) -> Box<[u8]> {
    let mut key = Vec::with_capacity(name.len() + 3);
    json::write_str(&mut key, name.as_bytes());
    key.push(b':');
    key.into_boxed_slice()
}
