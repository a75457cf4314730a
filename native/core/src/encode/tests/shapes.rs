//! Nesting, map keys, string escaping, top-level rows, and the errors of Connect data.

use super::*;
use proptest::strategy::Strategy as _;

#[test]
fn nested_structs_maps_and_arrays_keep_schema_field_order() {
    let item = structure(&[("sku", prim(T::String)), ("qty", prim(T::Int32))]);
    let schema = structure(&[
        ("z_first", prim(T::Int32)),
        ("items", array_of(item)),
        ("attrs", map_of(prim(T::String), array_of(prim(T::Float64)))),
        (
            "a_last",
            structure(&[("deep", structure(&[("x", prim(T::Boolean))]))]),
        ),
    ]);
    let datum = Datum::Struct(vec![
        Datum::Int32(1),
        Datum::Array(vec![
            Datum::Struct(vec![Datum::Str("A-1"), Datum::Int32(2)]),
            Datum::Struct(vec![Datum::Str("B-2"), Datum::Int32(3)]),
        ]),
        Datum::Map(vec![(
            Datum::Str("w"),
            Datum::Array(vec![Datum::Float64(0.5)]),
        )]),
        Datum::Struct(vec![Datum::Struct(vec![Datum::Bool(false)])]),
    ]);
    assert_eq!(
        encode(&json(), typed(schema, datum)).ok(),
        Some(vec![concat!(
            r#"{"z_first":1,"items":[{"sku":"A-1","qty":2},{"sku":"B-2","qty":3}],"#,
            r#""attrs":{"w":[0.5]},"a_last":{"deep":{"x":false}}}"#
        )
        .to_owned()])
    );
}

#[test]
fn map_keys_that_are_not_strings_become_their_json_text() {
    let cases: Vec<(Schema, Datum<'_>, &str)> = vec![
        (prim(T::Int32), Datum::Int32(1), r#"{"1":true}"#),
        (prim(T::Int64), Datum::Int64(-7), r#"{"-7":true}"#),
        (prim(T::Float64), Datum::Float64(1.5), r#"{"1.5":true}"#),
        (prim(T::Boolean), Datum::Bool(false), r#"{"false":true}"#),
        (
            decimal(1),
            Datum::Bytes(UNSCALED_12345),
            r#"{"1234.5":true}"#,
        ),
        (
            named(T::Int32, "org.apache.kafka.connect.data.Date"),
            Datum::Int32(0),
            r#"{"1970-01-01":true}"#,
        ),
        (prim(T::Bytes), Datum::Bytes(b"k"), r#"{"aw==":true}"#),
        (
            structure(&[("a", prim(T::Int32)), ("b", prim(T::String))]),
            Datum::Struct(vec![Datum::Int32(1), Datum::Str("q\"")]),
            r#"{"{\"a\":1,\"b\":\"q\\\"\"}":true}"#,
        ),
        (
            array_of(prim(T::Int8)),
            Datum::Array(vec![Datum::Int8(1), Datum::Int8(2)]),
            r#"{"[1,2]":true}"#,
        ),
    ];
    for (key_schema, key, expected) in cases {
        let schema = map_of(key_schema, prim(T::Boolean));
        let datum = Datum::Map(vec![(key.clone(), Datum::Bool(true))]);
        let rows = encode(&json(), typed(schema, datum));
        assert_eq!(rows.ok(), Some(vec![expected.to_owned()]), "{key:?}");
    }
    let schemaless = Payload::Data {
        schema: None,
        datum: Datum::Map(vec![
            (Datum::Int32(1), Datum::Str("one")),
            (Datum::Null, Datum::Str("none")),
        ]),
    };
    assert_eq!(
        encode(&json(), schemaless).ok(),
        Some(vec![r#"{"1":"one","null":"none"}"#.to_owned()])
    );
}

#[test]
fn strings_are_escaped_per_rfc_8259() {
    let cases = [
        ("plain", r#""plain""#),
        ("say \"hi\"", r#""say \"hi\"""#),
        ("back\\slash", r#""back\\slash""#),
        ("a/b", r#""a/b""#),
        ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
        ("\u{0}\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
        ("\u{7f}", "\"\u{7f}\""),
        ("日本語 ü 😀", "\"日本語 ü 😀\""),
        ("\u{2028}", "\"\u{2028}\""),
        ("", r#""""#),
    ];
    for (text, expected) in cases {
        let got = field_json(&json(), &prim(T::String), Datum::Str(text));
        assert_eq!(got.as_deref().ok(), Some(expected), "{text:?}");
        let back: String = serde_json::from_str(expected).expect("valid JSON string");
        assert_eq!(back, text, "round trip");
    }
    // Field names are escaped too.
    let schema = structure(&[("we\"ird\n", prim(T::Int8))]);
    assert_eq!(
        encode(&json(), typed(schema, Datum::Struct(vec![Datum::Int8(1)]))).ok(),
        Some(vec![r#"{"we\"ird\n":1}"#.to_owned()])
    );
}

proptest::proptest! {
    /// Escaping looks at eight bytes at a time (the last eight overlapping, short text padded):
    /// whatever sits where in those eight, the text is serde_json's (which escapes as RFC 8259
    /// asks, in the same forms). Plain letters are drawn most, so that many strings have one
    /// byte to escape, or none.
    #[test]
    fn strings_are_escaped_wherever_the_bytes_fall(
        text in proptest::collection::vec(
            proptest::sample::select(vec![
                'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
                ' ', '"', '\\', '\n', '\u{0}', '\u{1f}', '\u{7f}', 'ü', '😀',
            ]),
            0..40,
        ).prop_map(|chars: Vec<char>| chars.into_iter().collect::<String>())
    ) {
        let mut out = Vec::new();
        crate::encode::json::write_str(&mut out, text.as_bytes());
        proptest::prop_assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            serde_json::to_string(&text).expect("a string serializes")
        );
    }
}

#[test]
fn non_finite_floats_are_refused_naming_the_record_and_field_path() {
    let after = |price: Datum<'static>| {
        let schema = structure(&[(
            "after",
            structure(&[("id", prim(T::Int32)), ("price", prim(T::Float64))]),
        )]);
        typed(
            schema,
            Datum::Struct(vec![Datum::Struct(vec![Datum::Int32(1), price])]),
        )
    };
    let position = "topic 'orders' partition 3 offset 42";
    let cases = [
        (after(Datum::Float64(f64::NAN)), "'after.price'", "NaN"),
        (
            after(Datum::Float64(f64::INFINITY)),
            "'after.price'",
            "Infinity",
        ),
        (
            after(Datum::Float64(f64::NEG_INFINITY)),
            "'after.price'",
            "-Infinity",
        ),
        (
            typed(
                structure(&[("xs", array_of(prim(T::Float32)))]),
                Datum::Struct(vec![Datum::Array(vec![
                    Datum::Float32(1.0),
                    Datum::Float32(f32::NAN),
                ])]),
            ),
            "'xs[1]'",
            "NaN",
        ),
        (
            Payload::Data {
                schema: None,
                datum: Datum::Map(vec![(
                    Datum::Str("m"),
                    Datum::Map(vec![(Datum::Int32(7), Datum::Float64(f64::NAN))]),
                )]),
            },
            "'m.7'",
            "NaN",
        ),
        (
            typed(
                array_of(structure(&[("p", prim(T::Float64))])),
                Datum::Array(vec![
                    Datum::Struct(vec![Datum::Float64(1.0)]),
                    Datum::Struct(vec![Datum::Float64(f64::INFINITY)]),
                ]),
            ),
            "'[1].p'",
            "Infinity",
        ),
    ];
    for (value, path, name) in cases {
        let message = refused(&json(), value);
        assert_eq!(
            message,
            format!(
                "cannot encode {path} in the record value at {position}: {name} is not a valid \
                 JSON number"
            )
        );
    }
}

#[test]
fn values_json_or_starrocks_cannot_hold_are_refused_naming_the_field() {
    let cases: Vec<(Schema, Datum<'_>, &str)> = vec![
        (
            named(T::Int32, "org.apache.kafka.connect.data.Date"),
            Datum::Int32(3_000_000),
            "the date 3000000 days from 1970-01-01 is outside StarRocks' range",
        ),
        (
            named(T::Int64, "io.debezium.time.Timestamp"),
            Datum::Int64(i64::MAX),
            "the timestamp 9223372036854775807 ms since 1970-01-01T00:00:00Z is outside",
        ),
        (
            named(T::Int32, "org.apache.kafka.connect.data.Time"),
            Datum::Int32(-5),
            "the time of day -5 ms is outside",
        ),
        (
            named(T::String, "io.debezium.time.ZonedTimestamp"),
            Datum::Str("yesterday"),
            "'yesterday' is not an ISO-8601 timestamp with an offset",
        ),
        (
            decimal(2),
            Datum::Bytes(b""),
            "a decimal's unscaled value has no bytes",
        ),
        (
            named(T::Bytes, "org.apache.kafka.connect.data.Decimal"),
            Datum::Bytes(UNSCALED_12345),
            "the Decimal schema has no whole-number 'scale' parameter",
        ),
    ];
    for (schema, datum, reason) in cases {
        let message = refused(
            &json(),
            typed(structure(&[("v", schema)]), Datum::Struct(vec![datum])),
        );
        assert!(
            message.starts_with(
                "cannot encode 'v' in the record value at topic 'orders' partition 3 offset 42: "
            ) && message.contains(reason),
            "{message}"
        );
    }
}

#[test]
fn a_top_level_array_of_rows_gives_one_row_per_element() {
    let row = structure(&[("id", prim(T::Int32))]);
    let typed_rows = typed(
        array_of(row),
        Datum::Array(vec![
            Datum::Struct(vec![Datum::Int32(1)]),
            Datum::Struct(vec![Datum::Int32(2)]),
            Datum::Struct(vec![Datum::Int32(3)]),
        ]),
    );
    assert_eq!(
        encode(&json(), typed_rows).ok(),
        Some(vec![
            r#"{"id":1}"#.to_owned(),
            r#"{"id":2}"#.to_owned(),
            r#"{"id":3}"#.to_owned()
        ])
    );
    let schemaless_rows = Payload::Data {
        schema: None,
        datum: Datum::Array(vec![
            Datum::Map(vec![(Datum::Str("a"), Datum::Int64(1))]),
            Datum::Map(vec![]),
        ]),
    };
    assert_eq!(
        encode(&json(), schemaless_rows).ok(),
        Some(vec![r#"{"a":1}"#.to_owned(), "{}".to_owned()])
    );
    let empty = typed(array_of(prim(T::Struct)), Datum::Array(vec![]));
    assert_eq!(encode(&json(), empty).ok(), Some(vec![]));
}

#[test]
fn top_level_values_that_are_not_rows_are_refused() {
    let at = "in the record value at topic 'orders' partition 3 offset 42";
    let cases: Vec<(Payload<'_>, String)> = vec![
        (
            typed(prim(T::Int64), Datum::Int64(5)),
            "cannot encode the record value at topic 'orders' partition 3 offset 42: an INT64 value \
             is not a row"
                .to_owned(),
        ),
        (
            Payload::Data {
                schema: None,
                datum: Datum::Str("text"),
            },
            "a schemaless STRING value is not a row".to_owned(),
        ),
        (
            typed(
                variable_scale_decimal(),
                Datum::Struct(vec![Datum::Int32(0), Datum::Bytes(&[1])]),
            ),
            "a STRUCT value (schema 'io.debezium.data.VariableScaleDecimal') is not a row"
                .to_owned(),
        ),
        (
            typed(
                array_of(prim(T::Int32)),
                Datum::Array(vec![Datum::Int32(1)]),
            ),
            format!("cannot encode '[0]' {at}: an INT32 value is not a row"),
        ),
        (
            typed(
                array_of(prim(T::Struct)),
                Datum::Array(vec![Datum::Null]),
            ),
            format!("cannot encode '[0]' {at}: a STRUCT value is not a row"),
        ),
    ];
    for (value, expected) in cases {
        let message = refused(&json(), value);
        assert!(message.contains(&expected), "{message}\nwanted: {expected}");
        assert!(message.contains("the JSON format needs a struct or a map, or an array of them"));
    }
}
