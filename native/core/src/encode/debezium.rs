//! Debezium change events (`starrocks.envelope=debezium`) to rows of a primary-key table, read
//! without any transform.
//!
//! An event's `op` says what it does: `c` (create), `u` (update) and `r` (a snapshot read)
//! upsert its `after` image; `d` deletes its `before` image or, where the source sent none, the
//! row the record key names (Debezium's key holds the primary key). Each row carries StarRocks'
//! `__op` load column, 0 to upsert and 1 to delete. `t` (truncate) gives no row. Tombstones never
//! reach this module: a record without a value gives no row.
//!
//! The event comes as Connect data (a Struct from JsonConverter with schemas, Avro or Protobuf; a
//! Map from schemaless JSON) or as JSON text (StringConverter, ByteArrayConverter), with or
//! without JsonConverter's `schema`/`payload` wrapper. Connect data keeps its schema, so
//! Debezium's temporal and decimal types are written as the JSON writer writes them anywhere.
//! JSON text is passed through as the producer wrote it, with `__op` added.
//!
//! Invariant: on success each row is one JSON object whose last key is `__op`. A value that is
//! not a change event of a row is a data error naming the record and, inside an image, the path
//! to the value at fault (`after.price`). On an error the row being written may be incomplete;
//! the caller discards it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::connect_json::{self, SchemaCache};
use super::decimal::write_decimal;
use super::json::{JsonWriter, PlainJson};
use super::passthrough::{json_kind, json_text};
use super::{datum_type_name, RowSink};
use crate::decode::PlainField;
use crate::error::{Error, Result};
use crate::record::{Datum, Payload, PlainData, Record, Schema, SchemaType};

/// The keys of a change event that its row is made from, `op` first: an event (a map or a
/// struct) that has an `op` is read through these alone ([`super::RowEncoder::value_keys`]).
pub(super) const EVENT_KEYS: [&str; 3] = ["op", "before", "after"];

/// The `__op` load column of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Upsert,
    Delete,
}

impl Op {
    /// Adds `"__op": n` as the last key of the JSON object that ends `out`.
    pub(super) fn append_to(self, out: &mut Vec<u8>) {
        debug_assert_eq!(out.last(), Some(&b'}'), "an image is a JSON object");
        out.pop();
        let empty = out
            .iter()
            .rev()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{');
        if !empty {
            out.push(b',');
        }
        out.extend_from_slice(match self {
            Op::Upsert => b"\"__op\":0}",
            Op::Delete => b"\"__op\":1}",
        });
    }
}

/// What an event's `op` asks of the table.
enum Change {
    Upsert,
    Delete,
    Truncate,
}

fn change(op: &str, record: &Record<'_>) -> Result<Change> {
    Ok(match op {
        "c" | "u" | "r" => Change::Upsert,
        "d" => Change::Delete,
        "t" => Change::Truncate,
        other => {
            return Err(Error::data(format!(
                "record value at {} is a Debezium event with op '{other}', which is not a row \
                 change (c, u, r, d or t)",
                record.position()
            )))
        }
    })
}

fn not_an_event(record: &Record<'_>, what: &str) -> Error {
    Error::data(format!(
        "record value at {} is not a Debezium change event: {what} (starrocks.envelope=debezium \
         reads Debezium's events as they are, without the ExtractNewRecordState transform)",
        record.position()
    ))
}

fn no_image(record: &Record<'_>, op: &str, image: &str) -> Error {
    Error::data(format!(
        "the Debezium '{op}' event at {} has no '{image}' image",
        record.position()
    ))
}

/// Appends the row of one change event (0 for a truncate).
pub(super) fn rows(
    json: &JsonWriter,
    schemas: &SchemaCache,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    match &record.value {
        Payload::Null => Ok(0),
        Payload::RawText(text) => known_wrapper(json, schemas, text.as_bytes(), record, sink)
            .unwrap_or_else(|| rows_from_text(json, schemas, text, record, sink)),
        Payload::RawBytes(bytes) => known_wrapper(json, schemas, bytes, record, sink)
            .unwrap_or_else(|| {
                let text = json_text(bytes, "record value", record)?;
                rows_from_text(json, schemas, text, record, sink)
            }),
        Payload::Data { schema, datum } => {
            rows_from_data(json, schema.as_deref(), datum, record, sink)
        }
        Payload::PlainData(plain) => match plain_event(plain, record, sink)? {
            Some(rows) => Ok(rows),
            None => rows_from_data(json, None, &plain.datum()?, record, sink),
        },
        Payload::TypedData(data) => {
            rows_from_data(json, Some(data.schema()), &data.datum()?, record, sink)
        }
    }
}

fn rows_from_data(
    json: &JsonWriter,
    schema: Option<&Schema>,
    datum: &Datum<'_>,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let mut again = |schema: Option<&Schema>, datum: &Datum<'_>| {
        rows_from_data(json, schema, datum, record, sink)
    };
    if let Some(rows) = unwrapping(schema, datum, "record value", record, &mut again) {
        return rows;
    }
    if matches!(datum, Datum::Null) {
        return Ok(0);
    }
    let op = match field(schema, datum, "op") {
        Some((_, Datum::Str(op))) => *op,
        Some((_, Datum::Null)) | None => return Err(not_an_event(record, "it has no 'op'")),
        Some((_, other)) => {
            let what = format!("its 'op' is {}, not a string", datum_type_name(other));
            return Err(not_an_event(record, &what));
        }
    };
    let image = |name: &str| field(schema, datum, name).filter(|(_, d)| !matches!(d, Datum::Null));
    match change(op, record)? {
        Change::Truncate => Ok(0),
        Change::Upsert => {
            let (schema, after) = image("after").ok_or_else(|| no_image(record, op, "after"))?;
            data_image(json, "after", schema, after, Op::Upsert, record, sink)
        }
        Change::Delete => match image("before") {
            Some((schema, before)) => {
                data_image(json, "before", schema, before, Op::Delete, record, sink)
            }
            None => delete_by_key(json, record, op, sink),
        },
    }
}

/// The row of an event that is plain data (JsonConverter with `schemas.enable=false`, the
/// seed's worker setting), written from its bytes when it is what `rows_from_data` would read
/// and its image a map: the same row, without a tree of the event. `None` for anything else
/// (JsonConverter's wrapper, an `op` that is not a string, an image that is not a map), which
/// the caller reads through the tree, so every error is the tree's.
fn plain_event(
    plain: &PlainData<'_>,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<Option<u32>> {
    // JsonConverter's wrapper (two entries, `schema` and `payload`) has no `op`.
    let Some([op, before, after]) = plain.fields(EVENT_KEYS)? else {
        return Ok(None);
    };
    let Some(PlainField::Str(op)) = op else {
        return Ok(None);
    };
    let (image, op) = match change(op, record)? {
        Change::Truncate => return Ok(Some(0)),
        Change::Upsert => (after, Op::Upsert),
        Change::Delete => (before, Op::Delete),
    };
    let Some(PlainField::Map(image)) = image else {
        return Ok(None);
    };
    let out = sink.row();
    image.walk(&mut PlainJson(out))?;
    op.append_to(out);
    Ok(Some(1))
}

/// One image as Connect data: written by the JSON writer, `__op` added.
fn data_image(
    json: &JsonWriter,
    name: &str,
    schema: Option<&Schema>,
    datum: &Datum<'_>,
    op: Op,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    if let Some(row) = schema.filter(|s| s.ty == SchemaType::Struct && name != "key") {
        sink.schema(row);
    }
    json.image_row(sink.row(), name, schema, datum, op)
        .map(|()| 1)
        .map_err(|fault| Error::data(fault.describe(&record.position())))
}

/// A delete without a `before` image: the record key names the row.
fn delete_by_key(
    json: &JsonWriter,
    record: &Record<'_>,
    op: &str,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let missing = || {
        Error::data(format!(
            "the Debezium '{op}' event at {} has no 'before' image and the record no key: \
             nothing names the row to delete",
            record.position()
        ))
    };
    match &record.key {
        Payload::Null => Err(missing()),
        Payload::Data { schema, datum } => data_key(json, schema.as_deref(), datum, record, sink)
            .and_then(|rows| rows.ok_or_else(missing)),
        Payload::PlainData(plain) => data_key(json, None, &plain.datum()?, record, sink)
            .and_then(|rows| rows.ok_or_else(missing)),
        Payload::TypedData(data) => {
            data_key(json, Some(data.schema()), &data.datum()?, record, sink)
                .and_then(|rows| rows.ok_or_else(missing))
        }
        Payload::RawText(text) => raw_key(json, text, record, sink, missing),
        Payload::RawBytes(bytes) => {
            let text = json_text(bytes, "the record key", record)?;
            raw_key(json, text, record, sink, missing)
        }
    }
}

/// The delete row of a key that is Connect data; `None` for a null key.
fn data_key(
    json: &JsonWriter,
    schema: Option<&Schema>,
    datum: &Datum<'_>,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<Option<u32>> {
    let mut again =
        |schema: Option<&Schema>, datum: &Datum<'_>| data_key(json, schema, datum, record, sink);
    if let Some(rows) = unwrapping(schema, datum, "record key", record, &mut again) {
        return rows;
    }
    if matches!(datum, Datum::Null) {
        return Ok(None);
    }
    data_image(json, "key", schema, datum, Op::Delete, record, sink).map(Some)
}

fn raw_key(
    json: &JsonWriter,
    text: &str,
    record: &Record<'_>,
    sink: &mut impl RowSink,
    missing: impl Fn() -> Error,
) -> Result<u32> {
    let malformed = |e: serde_json::Error| {
        Error::data(format!(
            "malformed JSON in the record key at {}: {e}",
            record.position()
        ))
    };
    let key: &RawValue = serde_json::from_str(text).map_err(malformed)?;
    match wrapper_parts(key.get()) {
        // The wrapper of a null key.
        Some((_, payload)) if payload.get() == "null" => Err(missing()),
        // The wrapper of schemaless data.
        Some((schema, payload)) if schema.get() == "null" => {
            raw_image(payload.get(), "key", Op::Delete, record, sink)
        }
        // JsonConverter's wrapper around a key with its schema.
        Some(_) => {
            let value: Value = serde_json::from_str(key.get()).map_err(malformed)?;
            typed(
                &value["schema"],
                &value["payload"],
                "record key",
                record,
                |schema, datum| data_key(json, Some(schema), datum, record, sink),
            )?
            .ok_or_else(missing)
        }
        None if key.get() == "null" => Err(missing()),
        None => raw_image(key.get(), "key", Op::Delete, record, sink),
    }
}

/// The schema of a record key: Connect's, or that of JsonConverter's wrapper around it.
pub(super) fn key_schema(schemas: &SchemaCache, key: &Payload<'_>) -> Option<Arc<Schema>> {
    let of_text = |text: &str| {
        let (schema, _) = wrapper_parts(text.trim())?;
        (schema.get() != "null")
            .then(|| schemas.schema(schema.get()).ok())
            .flatten()
    };
    match key {
        Payload::Null => None,
        Payload::Data {
            schema: Some(schema),
            ..
        } => Some(Arc::clone(schema)),
        Payload::Data {
            schema: None,
            datum,
        } => wrapped_schema(schemas, datum),
        Payload::PlainData(plain) => wrapped_schema(schemas, &plain.datum().ok()?),
        Payload::TypedData(data) => Some(Arc::clone(data.schema())),
        Payload::RawText(text) => of_text(text),
        Payload::RawBytes(bytes) => of_text(std::str::from_utf8(bytes).ok()?),
    }
}

/// The schema in JsonConverter's wrapper around a schemaless key, unless it is null.
fn wrapped_schema(schemas: &SchemaCache, datum: &Datum<'_>) -> Option<Arc<Schema>> {
    match wrapper(None, datum)? {
        (Datum::Null, _) => None,
        (schema, _) => schemas.schema(&schema.to_json().to_string()).ok(),
    }
}

/// The schema and payload of a schemaless value that is JsonConverter's wrapper (read with
/// `schemas.enable=false` from a topic written with schemas).
fn wrapper<'d, 'a>(
    schema: Option<&Schema>,
    datum: &'d Datum<'a>,
) -> Option<(&'d Datum<'a>, &'d Datum<'a>)> {
    if schema.is_some() || !matches!(datum, Datum::Map(entries) if entries.len() == 2) {
        return None;
    }
    let (_, wrapper_schema) = field(None, datum, "schema")?;
    let (_, payload) = field(None, datum, "payload")?;
    Some((wrapper_schema, payload))
}

/// When `datum` is JsonConverter's wrapper as schemaless data, `then` of what it stands for:
/// its payload, read under the wrapper's schema when it has one.
fn unwrapping<T>(
    schema: Option<&Schema>,
    datum: &Datum<'_>,
    what: &str,
    record: &Record<'_>,
    then: &mut dyn FnMut(Option<&Schema>, &Datum<'_>) -> Result<T>,
) -> Option<Result<T>> {
    let (wrapper_schema, payload) = wrapper(schema, datum)?;
    Some(match wrapper_schema {
        Datum::Null => then(None, payload),
        _ => typed(wrapper_schema, payload, what, record, |schema, datum| {
            then(Some(schema), datum)
        }),
    })
}

/// Calls `then` with the Connect data that JsonConverter's wrapper (schemaless data, or JSON
/// text) stands for: the payload read under the wrapper's schema, as JsonConverter reads it.
fn typed<T>(
    wrapper_schema: &impl ToJson,
    payload: &impl ToJson,
    what: &str,
    record: &Record<'_>,
    then: impl FnOnce(&Schema, &Datum<'_>) -> Result<T>,
) -> Result<T> {
    let bad = |part: &str, reason: String| {
        Error::data(format!(
            "the {part} of JsonConverter's wrapper in the {what} at {}: {reason}",
            record.position()
        ))
    };
    let schema_json = wrapper_schema.to_json();
    let payload = payload.to_json();
    let schema = connect_json::schema(&schema_json).map_err(|r| bad("schema", r))?;
    let bytes = connect_json::decode_bytes(&schema, &payload).map_err(|r| bad("payload", r))?;
    let datum = connect_json::datum(&schema, &payload, &bytes).map_err(|r| bad("payload", r))?;
    then(&schema, &datum)
}

/// JSON as a `serde_json::Value`: JSON text's own, or schemaless Connect data's.
trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl ToJson for Datum<'_> {
    fn to_json(&self) -> Value {
        match self {
            Datum::Null => Value::Null,
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Int8(n) => Value::from(*n),
            Datum::Int16(n) => Value::from(*n),
            Datum::Int32(n) => Value::from(*n),
            Datum::Int64(n) | Datum::Timestamp(n) => Value::from(*n),
            Datum::Float32(f) => Value::from(f64::from(*f)),
            Datum::Float64(f) => Value::from(*f),
            Datum::Str(s) => Value::from(*s),
            Datum::Bytes(b) => Value::from(base64::engine::general_purpose::STANDARD.encode(b)),
            Datum::Array(items) => Value::Array(items.iter().map(ToJson::to_json).collect()),
            Datum::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Datum::Str(s) => (*s).to_owned(),
                            other => other.to_json().to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
            // Not in schemaless data from JsonConverter; written as the JSON writer would.
            Datum::TypedStruct(schema, values) => Value::Object(
                schema
                    .fields
                    .iter()
                    .zip(values)
                    .map(|(f, v)| (f.name().to_owned(), v.to_json()))
                    .collect(),
            ),
            Datum::Struct(values) => Value::Array(values.iter().map(ToJson::to_json).collect()),
            Datum::Decimal { unscaled, scale } => {
                let mut text = Vec::new();
                match write_decimal(&mut text, unscaled, *scale) {
                    Ok(()) => Value::from(String::from_utf8_lossy(&text).into_owned()),
                    Err(_) => Value::Null,
                }
            }
        }
    }
}

/// A field of a struct, or an entry of a map with string keys, with its schema when it has one.
fn field<'d, 'a>(
    schema: Option<&'d Schema>,
    datum: &'d Datum<'a>,
    name: &str,
) -> Option<(Option<&'d Schema>, &'d Datum<'a>)> {
    let in_struct = |schema: &'d Schema, values: &'d [Datum<'a>]| {
        let i = schema.fields.iter().position(|f| f.name() == name)?;
        Some((Some(&schema.fields[i].schema), values.get(i)?))
    };
    match datum {
        Datum::Struct(values) => in_struct(schema.filter(|s| s.ty == SchemaType::Struct)?, values),
        Datum::TypedStruct(schema, values) => in_struct(schema, values),
        Datum::Map(entries) => entries.iter().find_map(|(k, v)| match k {
            Datum::Str(k) if *k == name => Some((schema.and_then(|s| s.value.as_deref()), v)),
            _ => None,
        }),
        _ => None,
    }
}

/// The parts of a change event in JSON text that make its row; the rest (`source`, `ts_ms`,
/// `transaction`) is checked to be JSON and skipped. Read only from a JSON object (not from an
/// array, as a derived `Deserialize` would), and a key given twice is an error.
#[derive(Default)]
struct RawEvent<'a> {
    op: Option<&'a RawValue>,
    before: Option<&'a RawValue>,
    after: Option<&'a RawValue>,
    /// JsonConverter's wrapper: the event itself, and its schema.
    payload: Option<&'a RawValue>,
    schema: Option<&'a RawValue>,
}

/// The rest of JsonConverter's wrapper after a schema already read (`known_wrapper`), with the
/// event in its payload read at once: `payload` is `Some(None)` for `"payload":null`.
#[derive(Default)]
struct KnownRest<'a> {
    keys: RawEvent<'a>,
    payload: Option<Option<RawEvent<'a>>>,
}

impl<'de> Deserialize<'de> for RawEvent<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(EventKeys(false)).map(|rest| rest.keys)
    }
}

impl<'de> Deserialize<'de> for KnownRest<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(EventKeys(true))
    }
}

/// A key of an event's object.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(field_identifier, rename_all = "lowercase")]
enum EventKey {
    Op,
    Before,
    After,
    Payload,
    Schema,
    #[serde(other)]
    Other,
}

/// Reads an event's keys; `true`: reads the payload as an event, too.
struct EventKeys(bool);

impl<'de> serde::de::Visitor<'de> for EventKeys {
    type Value = KnownRest<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Debezium change event (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<KnownRest<'de>, A::Error> {
        let mut rest = KnownRest::default();
        // The keys met so far, one bit each, as `EventKey` numbers them.
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<EventKey>()? {
            let keys = &mut rest.keys;
            let (slot, name) = match key {
                EventKey::Op => (&mut keys.op, "op"),
                EventKey::Before => (&mut keys.before, "before"),
                EventKey::After => (&mut keys.after, "after"),
                EventKey::Payload => (&mut keys.payload, "payload"),
                EventKey::Schema => (&mut keys.schema, "schema"),
                EventKey::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            let bit = 1 << key as u8;
            if seen & bit != 0 {
                return Err(serde::de::Error::duplicate_field(name));
            }
            seen |= bit;
            if key == EventKey::Payload && self.0 {
                rest.payload = Some(map.next_value()?);
            } else {
                *slot = map.next_value()?;
            }
        }
        Ok(rest)
    }
}

/// The `schema` and `payload` of JSON text that is JsonConverter's wrapper: an object with
/// exactly those two keys.
fn wrapper_parts(text: &str) -> Option<(&RawValue, &RawValue)> {
    let mut keys = serde_json::from_str::<BTreeMap<Cow<'_, str>, &RawValue>>(text).ok()?;
    if keys.len() != 2 {
        return None;
    }
    Some((keys.remove("schema")?, keys.remove("payload")?))
}

/// Whether JSON text is JsonConverter's wrapper of a null value: `{"schema":…,"payload":null}`.
fn is_null_wrapper(text: &str) -> bool {
    wrapper_parts(text).is_some_and(|(_, payload)| payload.get() == "null")
}

/// The rows of an event in JSON text, all of it read: what [`known_wrapper`] does not read.
fn rows_from_text(
    json: &JsonWriter,
    schemas: &SchemaCache,
    text: &str,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let mut event = parse_event(text, record)?;
    if event.op.is_none() {
        match (event.schema, event.payload) {
            // JsonConverter's wrapper with a schema: read as JsonConverter reads it, so that
            // Debezium's dates and decimals become StarRocks values as from a Struct.
            (Some(schema), Some(payload)) => {
                let schema = schemas.schema(schema.get()).map_err(|r| {
                    Error::data(format!(
                        "the schema of JsonConverter's wrapper in the record value at {}: {r}",
                        record.position()
                    ))
                })?;
                return rows_under_schema(json, &schema, payload, record, sink);
            }
            // The wrapper of schemaless data: its payload is the event.
            (None, Some(payload)) => event = parse_event(payload.get(), record)?,
            // The wrapper of a null value: a tombstone.
            (_, None) if is_null_wrapper(text) => return Ok(0),
            (_, None) => {}
        }
    }
    let op = event.op(record)?;
    let Some(op) = op.as_deref() else {
        return Err(not_an_event(record, "it has no 'op'"));
    };
    match change(op, record)? {
        Change::Truncate => Ok(0),
        Change::Upsert => {
            let after = event.after.ok_or_else(|| no_image(record, op, "after"))?;
            raw_image(after.get(), "after", Op::Upsert, record, sink)
        }
        Change::Delete => match event.before {
            Some(before) => raw_image(before.get(), "before", Op::Delete, record, sink),
            None => delete_by_key(json, record, op, sink),
        },
    }
}

/// The row of an event in JSON text under its schema (JsonConverter's wrapper): only the image
/// the op names is read into Connect data, as JsonConverter would read it; the rest of the event
/// (`source`, `ts_ms`, `transaction`) is checked to be JSON and skipped.
fn rows_under_schema(
    json: &JsonWriter,
    schema: &Schema,
    payload: &RawValue,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    if payload.get() == "null" {
        return Ok(0);
    }
    let event = parse_event(payload.get(), record)?;
    rows_of_event(json, schema, &event, record, sink)
}

/// The row of the event in the payload of JsonConverter's wrapper, read under its schema.
fn rows_of_event(
    json: &JsonWriter,
    schema: &Schema,
    event: &RawEvent<'_>,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let op = event.op(record)?;
    let Some(op) = op.as_deref() else {
        return Err(not_an_event(record, "it has no 'op'"));
    };
    let image = |name: &str, raw: Option<&RawValue>, op: Op, sink: &mut _| {
        typed_image(json, schema, name, raw, op, record, sink)
    };
    match change(op, record)? {
        Change::Truncate => Ok(0),
        Change::Upsert => image("after", event.after, Op::Upsert, sink)?
            .ok_or_else(|| no_image(record, op, "after")),
        Change::Delete => match image("before", event.before, Op::Delete, sink)? {
            Some(rows) => Ok(rows),
            None => delete_by_key(json, record, op, sink),
        },
    }
}

/// JsonConverter's wrapper of an event (JSON text as bytes, not yet checked to be UTF-8) whose
/// schema text is one already read: the schema is found by comparing its text, not by scanning
/// it as JSON again, which costs more than the rest of a Debezium event, and only the rest is
/// checked to be UTF-8. The rest is read as the whole text would be — with `null` where the
/// schema was, a value as valid as the schema's text — so the event it gives is the same.
/// `None` when that does not apply or the rest does not read as a wrapper: the caller then reads
/// the whole text, and names any fault in it.
fn known_wrapper(
    json: &JsonWriter,
    schemas: &SchemaCache,
    text: &[u8],
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Option<Result<u32>> {
    let (schema, rest) = schemas.known_prefix(text)?;
    let rest = std::str::from_utf8(rest).ok()?;
    let spliced = format!(r#"{{"schema":null{rest}"#);
    let wrapper: KnownRest<'_> = serde_json::from_str(&spliced).ok()?;
    if wrapper.keys.op.is_some() {
        return None;
    }
    Some(match wrapper.payload? {
        None => Ok(0),
        Some(event) => rows_of_event(json, &schema, &event, record, sink),
    })
}

/// One image of an event in JSON text, read under its field's schema in the event's schema;
/// `None` when the event or the schema has no such image, or it is null.
fn typed_image(
    json: &JsonWriter,
    schema: &Schema,
    name: &str,
    raw: Option<&RawValue>,
    op: Op,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<Option<u32>> {
    let (Some(raw), Some(field)) = (raw, schema.fields.iter().find(|f| f.name() == name)) else {
        return Ok(None);
    };
    let bad = |reason: String| {
        Error::data(format!(
            "the payload of JsonConverter's wrapper in the record value at {}: {reason}",
            record.position()
        ))
    };
    let mut arena = vec![0; raw.get().len()];
    let (value, bytes);
    let datum = match connect_json::datum_from_text(&field.schema, raw.get(), &mut arena) {
        Some(datum) => datum,
        None => {
            value = serde_json::from_str::<Value>(raw.get()).map_err(|e| bad(e.to_string()))?;
            bytes = connect_json::decode_bytes(&field.schema, &value).map_err(bad)?;
            connect_json::datum_in(&field.schema, &value, &bytes, name).map_err(bad)?
        }
    };
    if matches!(datum, Datum::Null) {
        return Ok(None);
    }
    data_image(json, name, Some(&field.schema), &datum, op, record, sink).map(Some)
}

impl<'a> RawEvent<'a> {
    /// The event's `op`, which must be a string.
    fn op(&self, record: &Record<'_>) -> Result<Option<Cow<'a, str>>> {
        let Some(raw) = self.op else {
            return Ok(None);
        };
        match raw.get().as_bytes().first() {
            Some(b'"') => serde_json::from_str(raw.get()).map(Some).map_err(|e| {
                Error::data(format!(
                    "malformed JSON in record value at {}: {e}",
                    record.position()
                ))
            }),
            first => {
                let what = format!(
                    "its 'op' is {}, not a string",
                    first.map_or("empty", |&b| json_kind(b))
                );
                Err(not_an_event(record, &what))
            }
        }
    }
}

fn parse_event<'t>(text: &'t str, record: &Record<'_>) -> Result<RawEvent<'t>> {
    let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    match text.as_bytes().first() {
        Some(b'{') => {}
        first => {
            let what = format!(
                "it is {}, not a JSON object",
                first.map_or("empty", |&b| json_kind(b))
            );
            return Err(not_an_event(record, &what));
        }
    }
    serde_json::from_str(text).map_err(|e| {
        Error::data(format!(
            "malformed JSON in record value at {}: {e}",
            record.position()
        ))
    })
}

/// One image in JSON text: an object, passed through with `__op` added.
fn raw_image(
    image: &str,
    name: &str,
    op: Op,
    record: &Record<'_>,
    sink: &mut impl RowSink,
) -> Result<u32> {
    let first = image.as_bytes().first().copied();
    if first != Some(b'{') {
        return Err(Error::data(format!(
            "'{name}' in the record at {} is {}, not an object: it must be the row",
            record.position(),
            first.map_or("empty", json_kind)
        )));
    }
    let out = sink.row();
    out.extend_from_slice(image.as_bytes());
    op.append_to(out);
    Ok(1)
}
