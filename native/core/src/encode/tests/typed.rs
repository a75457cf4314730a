//! Typed data (`decode::typed_data`): a decoder asked for plain values keeps exactly the typed
//! record values that are structs as bytes, those bytes read back as the tree a decoder without
//! plain values builds, and the JSON written from them — rows or error — is the JSON written
//! from that tree, in both temporal renderings.

use proptest::prelude::*;

use super::*;
use crate::batch_writer::Session;
use crate::decode::{Decoder, MAX_DEPTH};

/// A batch of the value, then a tombstone: as in the shim's batches, the value does not end
/// the batch, so its counts are checked against more bytes than its own.
fn batch_of(schema: &Schema, value: Datum<'_>) -> Vec<u8> {
    Session::new().batch(&[
        record(Payload::Data {
            schema: Some(Arc::new(schema.clone())),
            datum: value,
        }),
        record(Payload::Null),
    ])
}

/// The rows of a record value in each temporal rendering, or the errors' messages.
fn rows(value: &Payload<'_>) -> [std::result::Result<Vec<String>, String>; 2] {
    [json(), json_numeric()]
        .map(|encoder| encode_as_given(&encoder, value.clone()).map_err(|e| e.to_string()))
}

/// Decodes `batch` as a tree and with plain values, and checks them against each other.
fn check(batch: &[u8]) {
    each_record_both_ways(batch, |t, p| {
        let Payload::Data {
            schema: Some(schema),
            datum,
        } = &t.value
        else {
            assert_eq!(t.value, p.value);
            return;
        };
        match &p.value {
            Payload::TypedData(data) => {
                assert_eq!(schema.ty, T::Struct, "only structs are kept");
                assert_eq!(data.schema(), schema);
                // By their text: NaN is not equal to itself.
                let back = data.datum().expect("reads back");
                assert_eq!(format!("{back:?}"), format!("{datum:?}"));
                assert_eq!(rows(&p.value), rows(&t.value), "{datum:?}");
            }
            other => {
                assert_ne!(schema.ty, T::Struct, "a struct is kept: {datum:?}");
                assert_eq!(format!("{other:?}"), format!("{:?}", t.value));
            }
        }
    });
}

const TEXTS: &[&str] = &[
    "",
    "a",
    "click",
    "say \"hi\" to the back\\slash",
    "tab\there, nul\u{0}",
    "日本語 ü 😀",
    "2024-05-17T12:34:56Z",
    "2024-05-17T12:34:56.123456+02:00",
    "{\"a\":[1,2]}",
    "[1, 2]",
    "not a date",
];

const BYTES: &[&[u8]] = &[
    b"",
    b"\x00\xff",
    b"\x30\x39",
    b"\xff\x00\x01\x02\x03\x04\x05\x06\x07",
];

/// A scalar schema, optional or not, some of them logical types the JSON writer renders
/// specially.
fn scalar_schema() -> impl Strategy<Value = Schema> {
    let base = prop_oneof![
        Just(prim(T::Int8)),
        Just(prim(T::Int16)),
        Just(prim(T::Int32)),
        Just(prim(T::Int64)),
        Just(prim(T::Float32)),
        Just(prim(T::Float64)),
        Just(prim(T::Boolean)),
        Just(prim(T::String)),
        Just(prim(T::String)),
        Just(prim(T::Bytes)),
        Just(decimal(2)),
        Just(named(T::Int32, "org.apache.kafka.connect.data.Date")),
        Just(named(T::Int32, "org.apache.kafka.connect.data.Time")),
        Just(named(T::Int64, "org.apache.kafka.connect.data.Timestamp")),
        Just(named(T::Int64, "io.debezium.time.MicroTimestamp")),
        Just(named(T::String, "io.debezium.time.ZonedTimestamp")),
        Just(named(T::String, "io.debezium.data.Json")),
        Just(named(T::String, "com.example.Plain")),
    ];
    (base, any::<bool>()).prop_map(|(schema, optional)| Schema { optional, ..schema })
}

/// Names a container may have: none, most often; an ordinary one (Debezium names its row
/// structs); and logical type names the JSON writer renders specially, which on a container it
/// refuses (the decoder checks only Connect's own logical names, so these reach the writer).
fn container_name() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some("bench.public.rows.Value".to_owned())),
        1 => Just(Some("io.debezium.time.Date".to_owned())),
        1 => Just(Some("io.debezium.data.Json".to_owned())),
    ]
}

/// Any schema: scalars, and arrays, maps and structs of them (some named), up to a few levels.
fn schema() -> impl Strategy<Value = Schema> {
    scalar_schema().prop_recursive(4, 32, 5, |inner| {
        let optional = any::<bool>();
        let container = prop_oneof![
            (inner.clone(), optional).prop_map(|(element, optional)| Schema {
                optional,
                ..array_of(element)
            }),
            (
                prop_oneof![Just(prim(T::String)), Just(prim(T::Int32))],
                inner.clone(),
                optional
            )
                .prop_map(|(key, value, optional)| Schema {
                    optional,
                    ..map_of(key, value)
                }),
            (prop::collection::vec(inner, 0..5), optional)
                .prop_map(|(fields, optional)| struct_of(fields, optional)),
        ];
        prop_oneof![
            6 => (container, container_name()).prop_map(|(schema, name)| Schema { name, ..schema }),
            1 => optional.prop_map(|optional| Schema {
                optional,
                ..variable_scale_decimal()
            }),
        ]
    })
}

/// A STRUCT schema with fields `f0`, `f1`, …
fn struct_of(fields: Vec<Schema>, optional: bool) -> Schema {
    let names: Vec<String> = (0..fields.len()).map(|i| format!("f{i}")).collect();
    let fields: Vec<(&str, Schema)> = names.iter().map(String::as_str).zip(fields).collect();
    Schema {
        optional,
        ..structure(&fields)
    }
}

/// A value of `schema`: null now and then where it is optional, floats JSON cannot carry and
/// dates StarRocks cannot hold now and then, so that faults are compared too.
fn value_of(schema: &Schema) -> BoxedStrategy<Datum<'static>> {
    let value = match schema.ty {
        T::Int8 => any::<i8>().prop_map(Datum::Int8).boxed(),
        T::Int16 => any::<i16>().prop_map(Datum::Int16).boxed(),
        T::Int32 => prop_oneof![
            4 => -800_000..800_000i32,
            1 => any::<i32>(),
        ]
        .prop_map(Datum::Int32)
        .boxed(),
        T::Int64 => prop_oneof![
            4 => -10_000_000_000_000..10_000_000_000_000i64,
            1 => any::<i64>(),
        ]
        .prop_map(Datum::Int64)
        .boxed(),
        T::Float32 => prop_oneof![
            8 => prop::num::f32::NORMAL,
            1 => Just(f32::NAN),
        ]
        .prop_map(Datum::Float32)
        .boxed(),
        T::Float64 => prop_oneof![
            8 => prop::num::f64::NORMAL,
            1 => Just(f64::INFINITY),
        ]
        .prop_map(Datum::Float64)
        .boxed(),
        T::Boolean => any::<bool>().prop_map(Datum::Bool).boxed(),
        T::String => prop::sample::select(TEXTS).prop_map(Datum::Str).boxed(),
        T::Bytes => prop::sample::select(BYTES).prop_map(Datum::Bytes).boxed(),
        T::Array => {
            let element = schema.value.as_deref().expect("an element schema");
            prop::collection::vec(value_of(element), 0..4)
                .prop_map(Datum::Array)
                .boxed()
        }
        T::Map => {
            let key = schema.key.as_deref().expect("a key schema");
            let value = schema.value.as_deref().expect("a value schema");
            prop::collection::vec((value_of(key), value_of(value)), 0..4)
                .prop_map(Datum::Map)
                .boxed()
        }
        T::Struct => schema
            .fields
            .iter()
            .map(|field| value_of(&field.schema))
            .collect::<Vec<_>>()
            .prop_map(Datum::Struct)
            .boxed(),
    };
    if schema.optional {
        prop_oneof![1 => Just(Datum::Null), 5 => value].boxed()
    } else {
        value
    }
}

/// A record value: mostly a struct of any fields, now and then any schema at all.
fn schema_and_value() -> impl Strategy<Value = (Schema, Datum<'static>)> {
    prop_oneof![
        6 => (prop::collection::vec(schema(), 0..8), any::<bool>(), container_name())
            .prop_map(|(fields, optional, name)| Schema { name, ..struct_of(fields, optional) }),
        1 => schema(),
    ]
    .prop_flat_map(|schema| {
        let value = value_of(&schema);
        (Just(schema), value)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]
    #[test]
    fn typed_data_reads_back_and_writes_the_json_of_its_tree(
        (schema, value) in schema_and_value()
    ) {
        check(&batch_of(&schema, value));
    }
}

#[test]
fn a_struct_of_the_usual_columns_is_typed_data_and_writes_its_json() {
    let schema = structure(&[
        ("id", Schema::primitive(T::Int64, false)),
        ("event", prim(T::String)),
        ("amount", decimal(2)),
        ("ok", prim(T::Boolean)),
        ("day", named(T::Int32, "org.apache.kafka.connect.data.Date")),
        ("tags", array_of(prim(T::String))),
        ("note", prim(T::String)),
    ]);
    let value = Datum::Struct(vec![
        Datum::Int64(1),
        Datum::Str("click \"here\""),
        Datum::Bytes(UNSCALED_12345),
        Datum::Bool(true),
        Datum::Int32(19_860),
        Datum::Array(vec![Datum::Str("a"), Datum::Null]),
        Datum::Null,
    ]);
    let batch = batch_of(&schema, value);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::TypedData(_)));
    assert_eq!(
        rows(&records[0].value),
        [
            Ok(vec![
                r#"{"id":1,"event":"click \"here\"","amount":123.45,"ok":true,"day":"2024-05-17","tags":["a",null],"note":null}"#
                    .to_owned()
            ]),
            Ok(vec![
                r#"{"id":1,"event":"click \"here\"","amount":123.45,"ok":true,"day":19860,"tags":["a",null],"note":null}"#
                    .to_owned()
            ]),
        ]
    );
    check(&batch);
}

#[test]
fn counts_of_elements_that_take_no_bytes_are_read_as_the_decoder_read_them() {
    // A struct without fields takes no bytes, so an array of them is its count alone: the
    // decoder checks that count against the rest of the batch, and so must a reread.
    let empty = Schema::primitive(T::Struct, false);
    // The array last, so that its count exceeds the bytes left in the value itself.
    let schema = structure(&[
        ("by_key", map_of(prim(T::Int32), empty.clone())),
        (
            "empties",
            Schema {
                optional: false,
                ..array_of(empty)
            },
        ),
    ]);
    let value = Datum::Struct(vec![
        Datum::Map(vec![(Datum::Int32(1), Datum::Struct(vec![]))]),
        Datum::Array(vec![Datum::Struct(vec![]); 3]),
    ]);
    let batch = batch_of(&schema, value);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::TypedData(_)));
    assert_eq!(
        rows(&records[0].value)[0],
        Ok(vec![
            r#"{"by_key":{"1":{}},"empties":[{},{},{}]}"#.to_owned()
        ])
    );
    check(&batch);
}

#[test]
fn a_null_struct_is_typed_data_of_no_rows() {
    let schema = structure(&[("id", prim(T::Int64))]);
    let batch = batch_of(&schema, Datum::Null);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::TypedData(_)));
    assert_eq!(rows(&records[0].value), [Ok(vec![]), Ok(vec![])]);
    check(&batch);
}

#[test]
fn a_fault_names_its_path_as_the_tree_does() {
    let schema = structure(&[(
        "after",
        structure(&[("prices", array_of(prim(T::Float64)))]),
    )]);
    let value = Datum::Struct(vec![Datum::Struct(vec![Datum::Array(vec![
        Datum::Float64(1.5),
        Datum::Float64(f64::NAN),
    ])])]);
    let batch = batch_of(&schema, value);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    let [Err(error), _] = rows(&records[0].value) else {
        panic!("NaN is refused");
    };
    assert!(error.contains("'after.prices[1]'"), "{error}");
    check(&batch);
}

#[test]
fn nesting_up_to_the_limit_is_typed_data_and_past_it_fails_as_the_tree_does() {
    // MAX_DEPTH structs, one inside the other: the innermost at the deepest level allowed.
    let nest = |levels: u32| {
        let mut schema = structure(&[]);
        let mut value = Datum::Struct(vec![]);
        for _ in 1..levels {
            schema = structure(&[("a", schema)]);
            value = Datum::Struct(vec![value]);
        }
        (schema, value)
    };
    let (schema, value) = nest(MAX_DEPTH);
    let batch = batch_of(&schema, value);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::TypedData(_)));
    check(&batch);
    // One more level is too deep (the schema is refused before any value is read).
    let (schema, value) = nest(MAX_DEPTH + 1);
    let batch = batch_of(&schema, value);
    let error = Decoder::new()
        .with_plain_values(true)
        .decode(&batch)
        .expect_err("too deep");
    assert!(error.to_string().contains("nests deeper"), "{error}");
    check(&batch);
}

#[test]
fn malformed_typed_data_fails_as_the_tree_does() {
    let schema = structure(&[
        ("id", prim(T::Int32)),
        ("ok", Schema::primitive(T::Boolean, false)),
        ("name", prim(T::String)),
        ("tags", array_of(prim(T::String))),
    ]);
    let value = Datum::Struct(vec![
        Datum::Int32(7),
        Datum::Bool(true),
        Datum::Str("value"),
        Datum::Array(vec![Datum::Str("x"), Datum::Str("ü")]),
    ]);
    let good = batch_of(&schema, value);
    // Cut the batch short, and put a byte that is neither a flag nor UTF-8, at every byte.
    for cut in 1..good.len() {
        check(&good[..cut]);
        let mut bad = good.clone();
        bad[cut] = 0xff;
        check(&bad);
    }
}

#[test]
fn typed_data_is_equal_and_printed_by_its_own_bytes_not_the_batch_after_it() {
    let schema = structure(&[("id", prim(T::Int32))]);
    let value = Datum::Struct(vec![Datum::Int32(7)]);
    let alone = batch_of(&schema, value.clone());
    let mut followed = Session::new();
    let followed = followed.batch(&[
        record(Payload::Data {
            schema: Some(Arc::new(schema.clone())),
            datum: value,
        }),
        record(Payload::RawText("a longer record after it")),
    ]);
    let (mut a, mut b) = (
        Decoder::new().with_plain_values(true),
        Decoder::new().with_plain_values(true),
    );
    let (a, b) = (
        a.decode(&alone).expect("decodes"),
        b.decode(&followed).expect("decodes"),
    );
    assert_eq!(a[0].value, b[0].value);
    assert_eq!(format!("{:?}", a[0].value), format!("{:?}", b[0].value));
}
