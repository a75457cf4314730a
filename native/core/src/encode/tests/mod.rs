//! Table-driven tests of row encoding, with the helpers they share: `types` converts every
//! Connect and Debezium type in both temporal renderings, `shapes` covers nesting, map keys,
//! escaping and the errors of Connect data, `text` covers raw JSON pass-through, CSV rows and
//! tombstones, `debezium` the change events of `starrocks.envelope=debezium`, `plain` the
//! JsonConverter values the decoder keeps as bytes (`decode::plain`) against their trees, and
//! `typed` the typed structs it keeps as bytes (`decode::typed_data`) against theirs.

mod debezium;
mod plain;
mod shapes;
mod text;
mod typed;
mod types;

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::batch_writer::topic;
use crate::config::keys;
use crate::record::{Field, SchemaType as T};

/// Collects rows one `Vec` each, so tests see row boundaries.
#[derive(Default)]
struct Rows(Vec<Vec<u8>>);

impl RowSink for Rows {
    fn row(&mut self) -> &mut Vec<u8> {
        self.0.push(Vec::new());
        self.0.last_mut().expect("a row was just pushed")
    }
}

/// The configuration of the minimal connection keys and `pairs`.
fn config(pairs: &[(&str, &str)]) -> Result<SinkConfig> {
    let props: HashMap<String, String> = [
        (keys::HTTP_URL, "127.0.0.1:8030"),
        (keys::DATABASE, "db"),
        (keys::USERNAME, "root"),
        (keys::PASSWORD, ""),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    SinkConfig::from_map(&props)
}

fn encoder(pairs: &[(&str, &str)]) -> RowEncoder {
    let config = config(pairs).unwrap_or_else(|e| panic!("{pairs:?}: {e}"));
    RowEncoder::new(&config)
}

fn json() -> RowEncoder {
    encoder(&[])
}

fn json_numeric() -> RowEncoder {
    encoder(&[(keys::TEMPORAL_RENDERING, "numeric")])
}

fn csv() -> RowEncoder {
    encoder(&[(keys::FORMAT, "csv")])
}

fn record(value: Payload<'_>) -> Record<'_> {
    Record {
        original_topic: topic("orders"),
        partition: 3,
        offset: 42,
        topic: topic("orders_renamed"),
        timestamp: Some(1_714_558_830_123),
        key: Payload::RawText("key is ignored"),
        value,
    }
}

/// The rows of a value, as text. A typed struct that fits its schema is written a second time
/// as the sink writes it for JSON rows without an envelope — through a batch and a decoder that
/// keeps it as typed data (`decode::typed_data`) — and must give the same rows or the same
/// error. (Unless its schema is one the decoder refuses, such as a Decimal without a scale: the
/// sink never sees that.) So is a schemaless value under any JSON configuration, kept as plain
/// data (`decode::plain`) where it is plain.
fn encode(encoder: &RowEncoder, value: Payload<'_>) -> Result<Vec<String>> {
    let rows = encode_as_given(encoder, value.clone());
    match &value {
        Payload::Data {
            schema: Some(schema),
            datum,
        } if super::writes_typed(encoder.format, encoder.envelope)
            && schema.ty == T::Struct
            && fits(schema, datum) =>
        {
            encode_as_kept(encoder, &value, true, true, &rows);
        }
        // The same value as the sink's decoder keeps it: plain data where it is plain.
        Payload::Data {
            schema: None,
            datum,
        } if super::writes_plain(encoder.format) && writable_without_schema(datum) => {
            encode_as_kept(encoder, &value, false, is_plain_row(datum), &rows);
            if let Some(projected) =
                super::value_keys(encoder.envelope).and_then(|keys| project(datum, keys))
            {
                // The same value with only the keys the core says it reads, as the shim sends
                // it: the same rows, or the same error.
                let again = Payload::Data {
                    schema: None,
                    datum: projected.clone(),
                };
                assert_eq!(
                    format!("{:?}", encode_as_given(encoder, again.clone())),
                    format!("{rows:?}"),
                    "a value map cut to the value keys writes what the whole map writes"
                );
                if writable_without_schema(&projected) {
                    encode_as_kept(encoder, &again, false, is_plain_row(&projected), &rows);
                }
            }
        }
        Payload::Data {
            schema: Some(schema),
            datum,
        } => {
            if let Some((schema, datum)) = super::value_keys(encoder.envelope)
                .and_then(|keys| project_struct(schema, datum, keys))
            {
                // The same struct under its schema cut to the fields the core says it reads, as
                // the shim sends it: the same rows, or the same error.
                let again = Payload::Data {
                    schema: Some(Arc::new(schema)),
                    datum,
                };
                assert_eq!(
                    format!("{:?}", encode_as_given(encoder, again)),
                    format!("{rows:?}"),
                    "a value struct cut to the value keys writes what the whole struct writes"
                );
            }
        }
        _ => {}
    }
    rows
}

/// What the shim writes of a value struct whose schema has a field named as the first of
/// `keys` (`ValueWriter.valueSchema`): its schema cut to the fields named as `keys`, in its
/// order, and their values; `None` for any other value, which it writes whole.
fn project_struct<'a>(
    schema: &Schema,
    datum: &Datum<'a>,
    keys: &[&str],
) -> Option<(Schema, Datum<'a>)> {
    let Datum::Struct(values) = datum else {
        return None;
    };
    if schema.ty != T::Struct
        || values.len() != schema.fields.len()
        || !schema.fields.iter().any(|f| f.name() == keys[0])
    {
        return None;
    }
    let kept = |name: &str| keys.contains(&name);
    let fields = schema
        .fields
        .iter()
        .filter(|f| kept(f.name()))
        .cloned()
        .collect();
    let values = schema
        .fields
        .iter()
        .zip(values)
        .filter(|(f, _)| kept(f.name()))
        .map(|(_, v)| v.clone())
        .collect();
    Some((
        Schema {
            fields,
            ..schema.clone()
        },
        Datum::Struct(values),
    ))
}

/// What the shim writes of a value map that holds the first of `keys`
/// (`ValueWriter.value`): the first entry of each key in turn, in the order of `keys`; `None`
/// for any other value, which it writes whole.
fn project<'a>(datum: &Datum<'a>, keys: &[&str]) -> Option<Datum<'a>> {
    let Datum::Map(entries) = datum else {
        return None;
    };
    let entry = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Datum::Str(s) if *s == key))
            .cloned()
    };
    entry(keys[0])?;
    Some(Datum::Map(keys.iter().filter_map(|k| entry(k)).collect()))
}

/// Writes `value` again as a decoder that keeps values as bytes gives it back (typed structs
/// too when `typed`), which must give `rows` again: the same rows, or the same error. `kept`:
/// the decoder must have kept it as bytes (typed or plain data, as `typed` says).
fn encode_as_kept(
    encoder: &RowEncoder,
    value: &Payload<'_>,
    typed: bool,
    kept: bool,
    rows: &Result<Vec<String>>,
) {
    // A tombstone after it, as the shim's batches go on after a value.
    let batch =
        crate::batch_writer::Session::new().batch(&[record(value.clone()), record(Payload::Null)]);
    if crate::decode::Decoder::new().decode(&batch).is_err() {
        return;
    }
    let mut decoder = crate::decode::Decoder::new()
        .with_plain_values(true)
        .with_typed_data(typed);
    let decoded = decoder
        .decode(&batch)
        .expect("what decodes as a tree decodes");
    let value = &decoded[0].value;
    if kept {
        assert!(
            matches!(
                (typed, value),
                (true, Payload::TypedData(_)) | (false, Payload::PlainData(_))
            ),
            "kept as bytes: {value:?}"
        );
    }
    let again = encode_as_given(encoder, value.clone());
    // By their text: errors are compared by their messages.
    assert_eq!(
        format!("{again:?}"),
        format!("{rows:?}"),
        "bytes kept write what their tree writes"
    );
}

/// What `decode::plain` calls plain, said again from the tree: a map, or an array of maps, of
/// strings, integers, finite floats, booleans and nulls, with string keys, within the depth.
fn is_plain_row(datum: &Datum<'_>) -> bool {
    fn plain(d: &Datum<'_>, depth: u32) -> bool {
        match d {
            Datum::Null
            | Datum::Bool(_)
            | Datum::Int8(_)
            | Datum::Int16(_)
            | Datum::Int32(_)
            | Datum::Int64(_)
            | Datum::Str(_) => true,
            Datum::Float32(v) => v.is_finite(),
            Datum::Float64(v) => v.is_finite(),
            Datum::Array(items) => {
                depth < crate::decode::MAX_DEPTH && items.iter().all(|i| plain(i, depth + 1))
            }
            Datum::Map(entries) => {
                depth < crate::decode::MAX_DEPTH
                    && entries
                        .iter()
                        .all(|(k, v)| matches!(k, Datum::Str(_)) && plain(v, depth + 1))
            }
            _ => false,
        }
    }
    match datum {
        Datum::Map(_) => plain(datum, 0),
        Datum::Array(items) => items
            .iter()
            .all(|i| matches!(i, Datum::Map(_)) && plain(i, 1)),
        _ => false,
    }
}

/// Whether the batch writer can write `datum` as schemaless data (a `Struct` needs its schema).
fn writable_without_schema(datum: &Datum<'_>) -> bool {
    match datum {
        Datum::Struct(_) => false,
        Datum::Array(items) => items.iter().all(writable_without_schema),
        Datum::Map(entries) => entries
            .iter()
            .all(|(k, v)| writable_without_schema(k) && writable_without_schema(v)),
        _ => true,
    }
}

/// Decodes `batch` with a decoder that builds trees and with one that keeps values as bytes
/// (`decode::plain`, `decode::typed_data`): either both fail, with the same error, or they give
/// as many records, each pair of which goes to `compare` once their keys are found equal (keys
/// are always decoded into trees).
fn each_record_both_ways(batch: &[u8], mut compare: impl FnMut(&Record<'_>, &Record<'_>)) {
    let mut tree_decoder = crate::decode::Decoder::new();
    let mut plain_decoder = crate::decode::Decoder::new().with_plain_values(true);
    let tree = tree_decoder.decode(batch).map_err(|e| e.to_string());
    let plain = plain_decoder.decode(batch).map_err(|e| e.to_string());
    let (tree, plain) = match (tree, plain) {
        (Ok(tree), Ok(plain)) => (tree, plain),
        (tree, plain) => {
            assert_eq!(tree.err(), plain.err(), "both fail, with the same error");
            return;
        }
    };
    assert_eq!(tree.len(), plain.len());
    for (t, p) in tree.iter().zip(&plain) {
        assert_eq!(t.key, p.key, "keys are never kept as bytes");
        compare(t, p);
    }
}

/// Whether `datum` is a value of `schema` as the batch writer writes one (it panics on any
/// other): the test data of a few tests contradicts its schema on purpose.
fn fits(schema: &Schema, datum: &Datum<'_>) -> bool {
    match (schema.ty, datum) {
        (_, Datum::Null) => schema.optional,
        (T::Int8, Datum::Int8(_))
        | (T::Int16, Datum::Int16(_))
        | (T::Int32, Datum::Int32(_))
        | (T::Int64, Datum::Int64(_))
        | (T::Float32, Datum::Float32(_))
        | (T::Float64, Datum::Float64(_))
        | (T::Boolean, Datum::Bool(_))
        | (T::String, Datum::Str(_))
        | (T::Bytes, Datum::Bytes(_)) => true,
        (T::Array, Datum::Array(items)) => schema
            .value
            .as_deref()
            .is_some_and(|element| items.iter().all(|item| fits(element, item))),
        (T::Map, Datum::Map(entries)) => match (schema.key.as_deref(), schema.value.as_deref()) {
            (Some(key), Some(value)) => entries.iter().all(|(k, v)| fits(key, k) && fits(value, v)),
            _ => false,
        },
        (T::Struct, Datum::Struct(values)) => {
            schema.fields.len() == values.len()
                && schema
                    .fields
                    .iter()
                    .zip(values)
                    .all(|(field, value)| fits(&field.schema, value))
        }
        _ => false,
    }
}

fn encode_as_given(encoder: &RowEncoder, value: Payload<'_>) -> Result<Vec<String>> {
    let mut rows = Rows::default();
    let count = encoder.encode(&record(value), &mut rows)?;
    assert_eq!(
        count as usize,
        rows.0.len(),
        "the count returned is the rows written"
    );
    Ok(rows
        .0
        .into_iter()
        .map(|row| String::from_utf8(row).expect("rows are UTF-8 in these tests"))
        .collect())
}

/// The error message of a value that must be refused; it must be a data error.
fn refused(encoder: &RowEncoder, value: Payload<'_>) -> String {
    match encode(encoder, value) {
        Ok(rows) => panic!("accepted as {rows:?}"),
        Err(e) => {
            assert!(e.is_data(), "{e}");
            e.to_string()
        }
    }
}

fn typed<'a>(schema: Schema, datum: Datum<'a>) -> Payload<'a> {
    Payload::Data {
        schema: Some(Arc::new(schema)),
        datum,
    }
}

fn prim(ty: T) -> Schema {
    Schema::primitive(ty, true)
}

fn named(ty: T, name: &str) -> Schema {
    Schema {
        name: Some(name.to_owned()),
        ..prim(ty)
    }
}

fn decimal(scale: i32) -> Schema {
    Schema {
        params: vec![("scale".to_owned(), scale.to_string())],
        ..named(T::Bytes, "org.apache.kafka.connect.data.Decimal")
    }
}

fn structure(fields: &[(&str, Schema)]) -> Schema {
    Schema {
        fields: fields
            .iter()
            .map(|(name, schema)| Field::new(*name, schema.clone()))
            .collect(),
        ..prim(T::Struct)
    }
}

fn array_of(element: Schema) -> Schema {
    Schema {
        value: Some(Box::new(element)),
        ..prim(T::Array)
    }
}

fn map_of(key: Schema, value: Schema) -> Schema {
    Schema {
        key: Some(Box::new(key)),
        value: Some(Box::new(value)),
        ..prim(T::Map)
    }
}

fn variable_scale_decimal() -> Schema {
    Schema {
        name: Some("io.debezium.data.VariableScaleDecimal".to_owned()),
        ..structure(&[("scale", prim(T::Int32)), ("value", prim(T::Bytes))])
    }
}

/// The JSON text of one value, encoded as the field `v` of a one-field struct.
fn field_json(encoder: &RowEncoder, schema: &Schema, datum: Datum<'_>) -> Result<String> {
    let row_schema = structure(&[("v", schema.clone())]);
    let rows = encode(encoder, typed(row_schema, Datum::Struct(vec![datum])))?;
    let [row] = rows.as_slice() else {
        panic!("one struct gave {rows:?}");
    };
    let inner = row
        .strip_prefix(r#"{"v":"#)
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a one-field object: {row}"));
    Ok(inner.to_owned())
}

/// 12345 as Connect's Decimal bytes (big-endian two's complement).
const UNSCALED_12345: &[u8] = &[0x30, 0x39];
/// -12345.
const UNSCALED_MINUS_12345: &[u8] = &[0xcf, 0xc7];
/// 12345678901234567890123456789012345678 (38 digits, 16 bytes).
const UNSCALED_38_DIGITS: &[u8] = &[
    0x09, 0x49, 0xb0, 0xf6, 0xf0, 0x02, 0x33, 0x13, 0xc4, 0x49, 0x90, 0x50, 0xde, 0x38, 0xf3, 0x4e,
];
/// -(2^64), wider than any 64-bit integer.
const UNSCALED_MINUS_2_POW_64: &[u8] = &[0xff, 0, 0, 0, 0, 0, 0, 0, 0];
