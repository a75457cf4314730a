//! Round trips through the spec-written `batch_writer` and
//! hand-written bytes for the numbering the spec fixes; the builders here serve the sibling
//! files too: sessions across batches (`session.rs`), the seed fixture shared with the Java side
//! (`seed.rs`), and malformed input (`errors.rs`).

use crate::batch_writer as encoder;
mod errors;
mod seed;
mod session;

use std::sync::Arc;

use super::*;
use crate::record::{Datum, Field, Payload, Record, Schema, SchemaType};
use encoder::{topic, Session};

// ---- building the data model ----------------------------------------------------------------

pub(super) fn prim(ty: SchemaType) -> Schema {
    Schema::primitive(ty, false)
}

pub(super) fn opt(ty: SchemaType) -> Schema {
    Schema::primitive(ty, true)
}

pub(super) fn named(ty: SchemaType, name: &str, params: &[(&str, &str)]) -> Schema {
    Schema {
        name: Some(name.to_owned()),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..prim(ty)
    }
}

pub(super) fn array(element: Schema) -> Schema {
    Schema {
        value: Some(Box::new(element)),
        ..prim(SchemaType::Array)
    }
}

pub(super) fn map(key: Schema, value: Schema) -> Schema {
    Schema {
        key: Some(Box::new(key)),
        value: Some(Box::new(value)),
        ..prim(SchemaType::Map)
    }
}

pub(super) fn structure(fields: Vec<(&str, Schema)>) -> Schema {
    Schema {
        fields: fields
            .into_iter()
            .map(|(name, schema)| Field::new(name, schema))
            .collect(),
        ..prim(SchemaType::Struct)
    }
}

pub(super) fn optional(schema: Schema) -> Schema {
    Schema {
        optional: true,
        ..schema
    }
}

pub(super) fn typed<'a>(schema: &Arc<Schema>, datum: Datum<'a>) -> Payload<'a> {
    Payload::Data {
        schema: Some(Arc::clone(schema)),
        datum,
    }
}

pub(super) fn schemaless(datum: Datum<'_>) -> Payload<'_> {
    Payload::Data {
        schema: None,
        datum,
    }
}

/// A record of topic `orders`, partition 3, with a timestamp.
pub(super) fn record<'a>(offset: i64, key: Payload<'a>, value: Payload<'a>) -> Record<'a> {
    Record {
        original_topic: topic("orders"),
        partition: 3,
        offset,
        topic: topic("orders"),
        timestamp: Some(1_700_000_000_000 + offset),
        key,
        value,
    }
}

pub(super) fn decode_ok<'a>(decoder: &'a mut Decoder, bytes: &'a [u8]) -> Vec<Record<'a>> {
    decoder
        .decode(bytes)
        .unwrap_or_else(|e| panic!("decoding failed: {e}"))
}

/// Encodes `records` as one batch of a fresh session and decodes it.
fn round_trip(records: &[Record<'_>]) {
    let bytes = Session::new().batch(records);
    assert_eq!(decode_ok(&mut Decoder::new(), &bytes), records);
}

/// One struct field of every type, and a value for it.
pub(super) fn every_type() -> (Schema, Datum<'static>) {
    let schema = structure(vec![
        ("i8", prim(SchemaType::Int8)),
        ("i16", prim(SchemaType::Int16)),
        ("i32", prim(SchemaType::Int32)),
        ("i64", prim(SchemaType::Int64)),
        ("f32", prim(SchemaType::Float32)),
        ("f64", prim(SchemaType::Float64)),
        ("bool", prim(SchemaType::Boolean)),
        ("text", prim(SchemaType::String)),
        ("blob", prim(SchemaType::Bytes)),
        ("list", array(prim(SchemaType::Int32))),
        (
            "dict",
            map(prim(SchemaType::String), prim(SchemaType::Int64)),
        ),
        ("inner", structure(vec![("x", prim(SchemaType::Int32))])),
    ]);
    let datum = Datum::Struct(vec![
        Datum::Int8(i8::MIN),
        Datum::Int16(-12345),
        Datum::Int32(i32::MAX),
        Datum::Int64(i64::MIN),
        Datum::Float32(1.5),
        Datum::Float64(-2.25e300),
        Datum::Bool(true),
        Datum::Str("Zürich 東京 🚀"),
        Datum::Bytes(&[0x00, 0xff, 0x80]),
        Datum::Array(vec![Datum::Int32(1), Datum::Int32(-1)]),
        Datum::Map(vec![
            (Datum::Str("a"), Datum::Int64(1)),
            (Datum::Str(""), Datum::Int64(0)),
        ]),
        Datum::Struct(vec![Datum::Int32(7)]),
    ]);
    (schema, datum)
}

/// A schemaless tree with every datum tag, the struct one using `point`.
pub(super) fn every_tag(point: &Arc<Schema>) -> Datum<'static> {
    Datum::Map(vec![
        (Datum::Str("null"), Datum::Null),
        (Datum::Str("no"), Datum::Bool(false)),
        (Datum::Str("yes"), Datum::Bool(true)),
        (Datum::Str("i8"), Datum::Int8(-8)),
        (Datum::Str("i16"), Datum::Int16(i16::MAX)),
        (Datum::Str("i32"), Datum::Int32(-32)),
        (Datum::Str("i64"), Datum::Int64(i64::MAX)),
        (Datum::Str("f32"), Datum::Float32(-0.5)),
        (Datum::Str("f64"), Datum::Float64(6.02e23)),
        (Datum::Str("bytes"), Datum::Bytes(b"\x01\x02")),
        (
            Datum::Str("list"),
            Datum::Array(vec![Datum::Null, Datum::Str("two"), Datum::Array(vec![])]),
        ),
        (
            Datum::Int32(5),
            Datum::Map(vec![(Datum::Bool(true), Datum::Str("non-string key"))]),
        ),
        (
            Datum::Str("price"),
            Datum::Decimal {
                unscaled: &[0xfe, 0x0c],
                scale: -3,
            },
        ),
        (
            Datum::Str("big"),
            Datum::Decimal {
                unscaled: &[0x01, 0x00, 0x00],
                scale: 40,
            },
        ),
        (Datum::Str("when"), Datum::Timestamp(-86_400_000)),
        (
            Datum::Str("point"),
            Datum::TypedStruct(Arc::clone(point), vec![Datum::Int32(1), Datum::Null]),
        ),
    ])
}

pub(super) fn point_schema() -> Arc<Schema> {
    Arc::new(structure(vec![
        ("x", prim(SchemaType::Int32)),
        ("label", opt(SchemaType::String)),
    ]))
}

// ---- round trips ----------------------------------------------------------------------------

#[test]
fn every_schema_type_round_trips() {
    let (schema, datum) = every_type();
    let schema = Arc::new(schema);
    round_trip(&[
        record(0, Payload::Null, typed(&schema, datum.clone())),
        record(1, Payload::Null, typed(&schema, datum)),
    ]);
}

#[test]
fn records_of_one_schema_share_one_definition() {
    let schema = Arc::new(prim(SchemaType::Int64));
    let records: Vec<_> = (0..3)
        .map(|i| record(i, Payload::Null, typed(&schema, Datum::Int64(i))))
        .collect();
    let bytes = Session::new().batch(&records);
    let mut decoder = Decoder::new();
    let decoded = decode_ok(&mut decoder, &bytes);
    let schemas: Vec<_> = decoded
        .iter()
        .map(|r| match &r.value {
            Payload::Data {
                schema: Some(s), ..
            } => Arc::clone(s),
            other => panic!("expected typed data, got {other:?}"),
        })
        .collect();
    assert!(Arc::ptr_eq(&schemas[0], &schemas[1]) && Arc::ptr_eq(&schemas[1], &schemas[2]));
    assert!(Arc::ptr_eq(decoded[0].topic, decoded[2].original_topic));
}

#[test]
fn logical_types_keep_their_names_and_parameters() {
    let schema = Arc::new(structure(vec![
        (
            "price",
            named(
                SchemaType::Bytes,
                "org.apache.kafka.connect.data.Decimal",
                &[("scale", "2")],
            ),
        ),
        (
            "day",
            named(SchemaType::Int32, "org.apache.kafka.connect.data.Date", &[]),
        ),
        (
            "at",
            named(SchemaType::Int32, "org.apache.kafka.connect.data.Time", &[]),
        ),
        (
            "ts",
            named(
                SchemaType::Int64,
                "org.apache.kafka.connect.data.Timestamp",
                &[],
            ),
        ),
        (
            "micros",
            named(SchemaType::Int64, "io.debezium.time.MicroTimestamp", &[]),
        ),
        (
            "doc",
            named(SchemaType::String, "io.debezium.data.Json", &[("v", "1")]),
        ),
    ]));
    let datum = Datum::Struct(vec![
        Datum::Bytes(&[0x30, 0x39]),
        Datum::Int32(19_000),
        Datum::Int32(3_600_000),
        Datum::Int64(1_700_000_000_000),
        Datum::Int64(1_700_000_000_000_123),
        Datum::Str("{\"a\":1}"),
    ]);
    let bytes = Session::new().batch(&[record(0, Payload::Null, typed(&schema, datum.clone()))]);
    let mut decoder = Decoder::new();
    let decoded = decode_ok(&mut decoder, &bytes);
    let Payload::Data {
        schema: Some(got),
        datum: got_datum,
    } = &decoded[0].value
    else {
        panic!("expected typed data, got {:?}", decoded[0].value);
    };
    assert_eq!(
        got.fields[0].schema.name(),
        Some("org.apache.kafka.connect.data.Decimal")
    );
    assert_eq!(got.fields[0].schema.param("scale"), Some("2"));
    assert_eq!(
        got.fields[4].schema.name(),
        Some("io.debezium.time.MicroTimestamp")
    );
    assert_eq!(got.fields[5].schema.param("v"), Some("1"));
    assert_eq!(**got, *schema);
    assert_eq!(*got_datum, datum);
}

#[test]
fn optional_values_decode_as_null_or_present() {
    let schema = Arc::new(optional(structure(vec![
        ("a", opt(SchemaType::Int32)),
        ("b", optional(array(opt(SchemaType::String)))),
        (
            "c",
            optional(structure(vec![("d", opt(SchemaType::Boolean))])),
        ),
        (
            "e",
            optional(map(prim(SchemaType::String), opt(SchemaType::Float64))),
        ),
    ])));
    let nulls = Datum::Struct(vec![Datum::Null, Datum::Null, Datum::Null, Datum::Null]);
    let present = Datum::Struct(vec![
        Datum::Int32(0),
        Datum::Array(vec![Datum::Null, Datum::Str("x")]),
        Datum::Struct(vec![Datum::Null]),
        Datum::Map(vec![(Datum::Str("k"), Datum::Null)]),
    ]);
    round_trip(&[
        record(0, Payload::Null, typed(&schema, nulls)),
        record(1, Payload::Null, typed(&schema, present)),
        record(2, typed(&schema, Datum::Null), typed(&schema, Datum::Null)),
    ]);
}

#[test]
fn nested_structs_arrays_and_maps_round_trip() {
    let attr = structure(vec![
        ("n", prim(SchemaType::Int16)),
        ("on", prim(SchemaType::Boolean)),
    ]);
    let item = structure(vec![
        ("tags", array(prim(SchemaType::String))),
        ("attrs", map(prim(SchemaType::String), attr)),
    ]);
    let schema = Arc::new(structure(vec![
        ("items", array(item)),
        (
            "grid",
            map(
                prim(SchemaType::Int32),
                array(map(prim(SchemaType::String), prim(SchemaType::Boolean))),
            ),
        ),
    ]));
    let datum = Datum::Struct(vec![
        Datum::Array(vec![
            Datum::Struct(vec![
                Datum::Array(vec![Datum::Str("red"), Datum::Str("big")]),
                Datum::Map(vec![(
                    Datum::Str("size"),
                    Datum::Struct(vec![Datum::Int16(3), Datum::Bool(false)]),
                )]),
            ]),
            Datum::Struct(vec![Datum::Array(vec![]), Datum::Map(vec![])]),
        ]),
        Datum::Map(vec![(
            Datum::Int32(-1),
            Datum::Array(vec![
                Datum::Map(vec![(Datum::Str("ok"), Datum::Bool(true))]),
                Datum::Map(vec![]),
            ]),
        )]),
    ]);
    round_trip(&[record(0, Payload::Null, typed(&schema, datum))]);
}

#[test]
fn schemaless_data_with_every_tag_round_trips() {
    let point = point_schema();
    round_trip(&[
        record(
            0,
            schemaless(Datum::Str("k")),
            schemaless(every_tag(&point)),
        ),
        record(1, Payload::Null, schemaless(Datum::Null)),
    ]);
}

#[test]
fn schemaless_tags_decode_as_the_spec_numbers_them() {
    // Hand-written, so that the encoder and decoder cannot agree on a wrong numbering.
    let mut body = vec![0x01, 0x00, 0x01, b't']; // TOPIC_DEF 0 "t"
                                                 // SCHEMA_DEF 0: STRUCT, required, no name, no params, 1 field "v": INT16, required, ...
    body.extend([0x02, 0x00, 11, 0, 0, 0, 1, 1, b'v', 1, 0, 0, 0]);
    body.extend([0x03, 0x00]); // RECORD, original topic 0
    body.extend([0; 4 + 8]); // partition 0, offset 0
    body.extend([0x00, 0x00]); // topic 0, no timestamp
    body.extend([0x00, 0x03, 0x0B, 16]); // key NULL; value DATA: array of 16
    let nodes: [(&[u8], Datum<'_>); 16] = [
        (&[0x00], Datum::Null),
        (&[0x01], Datum::Bool(false)),
        (&[0x02], Datum::Bool(true)),
        (&[0x03, 0xfe], Datum::Int8(-2)),
        (&[0x04, 0x01, 0x02], Datum::Int16(0x0201)),
        (&[0x05, 0x01, 0, 0, 0x80], Datum::Int32(i32::MIN + 1)),
        (
            &[0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            Datum::Int64(-1),
        ),
        (&[0x07, 0, 0, 0xc0, 0x3f], Datum::Float32(1.5)),
        (&[0x08, 0, 0, 0, 0, 0, 0, 0x04, 0xc0], Datum::Float64(-2.5)),
        (&[0x09, 2, b'h', b'i'], Datum::Str("hi")),
        (&[0x0A, 1, 0x99], Datum::Bytes(&[0x99])),
        (&[0x0B, 1, 0x01], Datum::Array(vec![Datum::Bool(false)])),
        (
            &[0x0C, 1, 0x00, 0x02],
            Datum::Map(vec![(Datum::Null, Datum::Bool(true))]),
        ),
        // Zigzag 3 is scale -2; 0x85 is the unscaled value -123.
        (
            &[0x0D, 3, 1, 0x85],
            Datum::Decimal {
                unscaled: &[0x85],
                scale: -2,
            },
        ),
        (&[0x0E, 0x10, 0, 0, 0, 0, 0, 0, 0], Datum::Timestamp(16)),
        (
            &[0x0F, 0x00, 0x09, 0x00],
            Datum::TypedStruct(
                Arc::new(structure(vec![("v", prim(SchemaType::Int16))])),
                vec![Datum::Int16(9)],
            ),
        ),
    ];
    let mut expected = Vec::new();
    for (bytes, datum) in nodes {
        body.extend_from_slice(bytes);
        expected.push(datum);
    }
    let mut batch = encoder::header(1, 0, 1);
    batch.extend(body);
    let mut decoder = Decoder::new();
    let records = decode_ok(&mut decoder, &batch);
    assert_eq!(records[0].value, schemaless(Datum::Array(expected)));
}

#[test]
fn raw_payloads_tombstones_and_renamed_topics_round_trip() {
    let mut renamed = record(1, Payload::RawText("k-1"), Payload::RawText("plain text ✓"));
    renamed.topic = topic("orders_v2");
    renamed.timestamp = None;
    round_trip(&[
        record(0, Payload::RawBytes(&[0xc3, 0x28]), Payload::RawBytes(&[])),
        renamed,
        record(2, Payload::RawText(""), Payload::Null),
        record(3, Payload::Null, Payload::Null),
    ]);
}

#[test]
fn an_empty_batch_decodes_to_no_records() {
    round_trip(&[]);
}
