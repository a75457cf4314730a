//! Plain values (`decode::plain`): a decoder asked for them keeps exactly the values that are
//! plain as bytes, those bytes read back as the tree a decoder without plain values builds, and
//! the JSON written from them is the JSON written from that tree.

use proptest::prelude::*;

use super::*;
use crate::batch_writer::Session;
use crate::decode::{Decoder, MAX_DEPTH};

fn batch_of(value: Datum<'_>) -> Vec<u8> {
    Session::new().batch(&[record(Payload::Data {
        schema: None,
        datum: value,
    })])
}

/// The rows a record value gives as JSON, or the error's message.
fn rows(value: &Payload<'_>) -> std::result::Result<Vec<String>, String> {
    encode(&json(), value.clone()).map_err(|e| e.to_string())
}

/// Decodes `batch` as a tree and with plain values, and checks them against each other.
fn check(batch: &[u8]) {
    each_record_both_ways(batch, |t, p| {
        let Payload::Data {
            schema: None,
            datum,
        } = &t.value
        else {
            assert_eq!(t.value, p.value);
            return;
        };
        match &p.value {
            Payload::PlainData(bytes) => {
                assert!(is_plain_row(datum), "kept plain: {datum:?}");
                assert_eq!(&bytes.datum().expect("reads back"), datum);
                assert_eq!(rows(&p.value), rows(&t.value), "{datum:?}");
            }
            other => {
                assert!(!is_plain_row(datum), "not kept plain: {datum:?}");
                // By their text: NaN is not equal to itself.
                assert_eq!(format!("{other:?}"), format!("{:?}", t.value));
            }
        }
    });
}

const TEXTS: &[&str] = &[
    "",
    "a",
    "click",
    "2024-05-17 12:34:56",
    "say \"hi\" to the back\\slash",
    "tab\there, newline\nthere, nul\u{0} and \u{1f}",
    "日本語 ü 😀 \u{2028}",
    "a longer text of more than eight bytes with nothing to escape at all in it",
];

const BYTES: &[&[u8]] = &[b"", b"\x00\xff"];

/// The kinds plain data has.
fn plain_leaf() -> impl Strategy<Value = Datum<'static>> {
    prop_oneof![
        Just(Datum::Null),
        any::<bool>().prop_map(Datum::Bool),
        any::<i8>().prop_map(Datum::Int8),
        any::<i16>().prop_map(Datum::Int16),
        any::<i32>().prop_map(Datum::Int32),
        any::<i64>().prop_map(Datum::Int64),
        prop::num::f32::NORMAL.prop_map(Datum::Float32),
        prop::num::f64::NORMAL.prop_map(Datum::Float64),
        prop_oneof![Just(-0.0), Just(1e300), Just(5e-324), Just(0.1)].prop_map(Datum::Float64),
        prop::sample::select(TEXTS).prop_map(Datum::Str),
        prop::sample::select(TEXTS).prop_map(Datum::Str),
    ]
}

/// Any schemaless leaf, mostly plain ones.
fn leaf() -> impl Strategy<Value = Datum<'static>> {
    prop_oneof![
        12 => plain_leaf(),
        1 => prop_oneof![Just(f32::NAN), Just(f32::NEG_INFINITY)].prop_map(Datum::Float32),
        1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY)].prop_map(Datum::Float64),
        1 => prop::sample::select(BYTES).prop_map(Datum::Bytes),
        1 => any::<i64>().prop_map(Datum::Timestamp),
        1 => (prop::sample::select(BYTES), -3i32..4)
            .prop_map(|(unscaled, scale)| Datum::Decimal { unscaled, scale }),
    ]
}

fn key() -> impl Strategy<Value = Datum<'static>> {
    prop_oneof![
        30 => prop::sample::select(TEXTS).prop_map(Datum::Str),
        1 => any::<i32>().prop_map(Datum::Int32),
        1 => Just(Datum::Null),
    ]
}

fn datum() -> impl Strategy<Value = Datum<'static>> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Datum::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(Datum::Map),
        ]
    })
}

/// Record values: mostly rows (maps, arrays of maps), some anything.
fn value() -> impl Strategy<Value = Datum<'static>> {
    let map = || prop::collection::vec((key(), datum()), 0..8).prop_map(Datum::Map);
    prop_oneof![
        6 => map(),
        2 => prop::collection::vec(map(), 0..4).prop_map(Datum::Array),
        1 => datum(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]
    #[test]
    fn plain_values_read_back_and_write_the_json_of_their_trees(value in value()) {
        check(&batch_of(value));
    }
}

#[test]
fn the_benchmark_row_is_plain_and_writes_its_json() {
    let config = config(&[]).expect("a valid config");
    assert!(RowEncoder::writes_plain_data(&config));
    let row = Datum::Map(vec![
        (Datum::Str("id"), Datum::Int64(1)),
        (Datum::Str("user_id"), Datum::Int64(42)),
        (Datum::Str("event"), Datum::Str("click")),
        (Datum::Str("amount"), Datum::Float64(123.45)),
        (Datum::Str("ok"), Datum::Bool(true)),
        (Datum::Str("ts"), Datum::Str("2024-05-17 12:34:56")),
        (Datum::Str("note"), Datum::Null),
    ]);
    let batch = batch_of(row);
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::PlainData(_)));
    assert_eq!(
        rows(&records[0].value),
        Ok(vec![
            r#"{"id":1,"user_id":42,"event":"click","amount":123.45,"ok":true,"ts":"2024-05-17 12:34:56","note":null}"#
                .to_owned()
        ])
    );
    check(&batch);
}

#[test]
fn values_that_are_not_plain_decode_as_trees() {
    let point = Arc::new(structure(&[("x", prim(T::Int32))]));
    let cases = [
        // A struct inside schemaless data needs its schema.
        Datum::Map(vec![(
            Datum::Str("p"),
            Datum::TypedStruct(Arc::clone(&point), vec![Datum::Int32(1)]),
        )]),
        // A key that is not a string.
        Datum::Map(vec![(Datum::Int64(1), Datum::Str("one"))]),
        // A float JSON cannot carry: the tree path names it.
        Datum::Map(vec![(Datum::Str("f"), Datum::Float32(f32::NAN))]),
        // Not a row, and an array with something other than rows in it.
        Datum::Str("text"),
        Datum::Array(vec![Datum::Map(vec![]), Datum::Int8(1)]),
    ];
    for value in cases {
        let batch = batch_of(value.clone());
        let mut decoder = Decoder::new().with_plain_values(true);
        let records = decoder.decode(&batch).expect("decodes");
        let tree = Payload::Data {
            schema: None,
            datum: value,
        };
        // By their text: NaN is not equal to itself.
        assert_eq!(format!("{:?}", records[0].value), format!("{tree:?}"));
        check(&batch);
    }
}

#[test]
fn nesting_up_to_the_limit_is_plain_and_past_it_fails_as_the_tree_does() {
    // MAX_DEPTH maps, one inside the other: the innermost at the deepest level allowed.
    let mut deep = Datum::Map(vec![]);
    for _ in 1..MAX_DEPTH {
        deep = Datum::Map(vec![(Datum::Str("a"), deep)]);
    }
    let batch = batch_of(deep.clone());
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(matches!(records[0].value, Payload::PlainData(_)));
    check(&batch);
    // One more level is too deep.
    let deep = Datum::Map(vec![(Datum::Str("a"), deep)]);
    let batch = batch_of(deep);
    let error = Decoder::new()
        .with_plain_values(true)
        .decode(&batch)
        .expect_err("too deep");
    assert!(error.to_string().contains("nests deeper"), "{error}");
    check(&batch);
}

#[test]
fn malformed_plain_data_fails_as_the_tree_does() {
    let good = batch_of(Datum::Map(vec![(Datum::Str("k"), Datum::Str("value"))]));
    // Cut the batch short, and break the string's UTF-8, at every byte of the value.
    for cut in 1..good.len() {
        check(&good[..cut]);
        let mut bad = good.clone();
        bad[cut] = 0xff;
        check(&bad);
    }
}

#[test]
fn plain_data_of_an_empty_array_is_no_rows() {
    let batch = batch_of(Datum::Array(vec![]));
    let mut decoder = Decoder::new().with_plain_values(true);
    let records = decoder.decode(&batch).expect("decodes");
    assert!(
        matches!(records[0].value, Payload::PlainData(_)),
        "an empty array of rows is plain"
    );
    assert_eq!(rows(&records[0].value), Ok(vec![]));
}
