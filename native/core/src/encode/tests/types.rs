//! Every Connect type, logical type and Debezium type as JSON, in both temporal renderings.

use super::*;

#[test]
fn every_connect_type_renders_as_its_json_value() {
    let cases: Vec<(Schema, Datum<'_>, &str)> = vec![
        (prim(T::Int8), Datum::Int8(-128), "-128"),
        (prim(T::Int16), Datum::Int16(32_767), "32767"),
        (prim(T::Int32), Datum::Int32(-2_147_483_648), "-2147483648"),
        (
            prim(T::Int64),
            Datum::Int64(i64::MAX),
            "9223372036854775807",
        ),
        (prim(T::Float32), Datum::Float32(0.1), "0.1"),
        (prim(T::Float32), Datum::Float32(3.0), "3.0"),
        (prim(T::Float64), Datum::Float64(0.1), "0.1"),
        (prim(T::Float64), Datum::Float64(-2.5), "-2.5"),
        (prim(T::Float64), Datum::Float64(1e300), "1e+300"),
        (
            prim(T::Float64),
            Datum::Float64(1.7976931348623157e308),
            "1.7976931348623157e+308",
        ),
        (prim(T::Float64), Datum::Float64(5e-324), "5e-324"),
        (prim(T::Boolean), Datum::Bool(true), "true"),
        (prim(T::Boolean), Datum::Bool(false), "false"),
        (prim(T::String), Datum::Str("héllo"), r#""héllo""#),
        (
            prim(T::Bytes),
            Datum::Bytes(&[0, 1, 2, 0xfb, 0xff]),
            r#""AAEC+/8=""#,
        ),
        (prim(T::Bytes), Datum::Bytes(b"ab"), r#""YWI=""#),
        (prim(T::Bytes), Datum::Bytes(b""), r#""""#),
        (prim(T::Int32), Datum::Null, "null"),
        (prim(T::Struct), Datum::Null, "null"),
        (decimal(2), Datum::Null, "null"),
        (decimal(2), Datum::Bytes(UNSCALED_12345), "123.45"),
        (
            array_of(prim(T::Int32)),
            Datum::Array(vec![Datum::Int32(1), Datum::Null, Datum::Int32(3)]),
            "[1,null,3]",
        ),
        (array_of(prim(T::String)), Datum::Array(vec![]), "[]"),
        (
            map_of(prim(T::String), prim(T::Int64)),
            Datum::Map(vec![
                (Datum::Str("b"), Datum::Int64(1)),
                (Datum::Str("a"), Datum::Int64(2)),
            ]),
            r#"{"b":1,"a":2}"#,
        ),
        (
            structure(&[("id", prim(T::Int64)), ("name", prim(T::String))]),
            Datum::Struct(vec![Datum::Int64(7), Datum::Null]),
            r#"{"id":7,"name":null}"#,
        ),
        // Debezium's names that need nothing special keep their base type's rendering.
        (
            named(T::Int32, "io.debezium.time.Year"),
            Datum::Int32(2024),
            "2024",
        ),
        // Debezium's JSON text is the value it holds (a StarRocks JSON column gets the document).
        (
            named(T::String, "io.debezium.data.Json"),
            Datum::Str(r#"{"k":[1,2]}"#),
            r#"{"k":[1,2]}"#,
        ),
        (
            named(T::String, "io.debezium.data.Uuid"),
            Datum::Str("7d8f1c3e-0000-4000-8000-000000000001"),
            r#""7d8f1c3e-0000-4000-8000-000000000001""#,
        ),
        (
            named(T::Bytes, "io.debezium.data.Bits"),
            Datum::Bytes(&[0b101]),
            r#""BQ==""#,
        ),
        (
            variable_scale_decimal(),
            Datum::Struct(vec![Datum::Int32(3), Datum::Bytes(UNSCALED_MINUS_12345)]),
            "-12.345",
        ),
        (variable_scale_decimal(), Datum::Null, "null"),
    ];
    for (schema, datum, expected) in cases {
        let got = field_json(&json(), &schema, datum.clone());
        assert_eq!(got.as_deref().ok(), Some(expected), "{schema:?} {datum:?}");
    }
}

/// (schema name, base type, value, string rendering, numeric rendering)
fn temporal_cases() -> Vec<(&'static str, T, Datum<'static>, &'static str, &'static str)> {
    vec![
        (
            "org.apache.kafka.connect.data.Date",
            T::Int32,
            Datum::Int32(19_844),
            r#""2024-05-01""#,
            "19844",
        ),
        (
            "org.apache.kafka.connect.data.Date",
            T::Int32,
            Datum::Int32(-25_567),
            r#""1900-01-01""#,
            "-25567",
        ),
        (
            "org.apache.kafka.connect.data.Time",
            T::Int32,
            Datum::Int32(37_230_000),
            r#""10:20:30""#,
            "37230000",
        ),
        (
            "org.apache.kafka.connect.data.Time",
            T::Int32,
            Datum::Int32(37_230_123),
            r#""10:20:30.123""#,
            "37230123",
        ),
        (
            "org.apache.kafka.connect.data.Timestamp",
            T::Int64,
            Datum::Int64(1_714_558_830_123),
            r#""2024-05-01 10:20:30.123""#,
            "1714558830123",
        ),
        (
            "org.apache.kafka.connect.data.Timestamp",
            T::Int64,
            Datum::Int64(-1_000),
            r#""1969-12-31 23:59:59""#,
            "-1000",
        ),
        (
            "io.debezium.time.Date",
            T::Int32,
            Datum::Int32(-1),
            r#""1969-12-31""#,
            "-1",
        ),
        (
            "io.debezium.time.Time",
            T::Int32,
            Datum::Int32(37_230_500),
            r#""10:20:30.500""#,
            "37230500",
        ),
        (
            "io.debezium.time.MicroTime",
            T::Int64,
            Datum::Int64(37_230_123_456),
            r#""10:20:30.123456""#,
            "37230123456",
        ),
        (
            "io.debezium.time.MicroTime",
            T::Int64,
            Datum::Int64(-3_020_399_000_000),
            r#""-838:59:59""#,
            "-3020399000000",
        ),
        (
            "io.debezium.time.NanoTime",
            T::Int64,
            Datum::Int64(37_230_123_456_789),
            r#""10:20:30.123456""#,
            "37230123456789",
        ),
        (
            "io.debezium.time.Timestamp",
            T::Int64,
            Datum::Int64(1_714_558_830_000),
            r#""2024-05-01 10:20:30""#,
            "1714558830000",
        ),
        (
            "io.debezium.time.MicroTimestamp",
            T::Int64,
            Datum::Int64(1_714_558_830_123_456),
            r#""2024-05-01 10:20:30.123456""#,
            "1714558830123456",
        ),
        (
            "io.debezium.time.MicroTimestamp",
            T::Int64,
            Datum::Int64(-1),
            r#""1969-12-31 23:59:59.999999""#,
            "-1",
        ),
        (
            "io.debezium.time.NanoTimestamp",
            T::Int64,
            Datum::Int64(1_714_558_830_123_456_789),
            r#""2024-05-01 10:20:30.123456""#,
            "1714558830123456789",
        ),
        (
            "io.debezium.time.ZonedTimestamp",
            T::String,
            Datum::Str("2024-05-01T10:20:30.123456Z"),
            r#""2024-05-01 10:20:30.123456""#,
            r#""2024-05-01T10:20:30.123456Z""#,
        ),
        (
            "io.debezium.time.ZonedTimestamp",
            T::String,
            Datum::Str("2024-05-01T01:20:30+02:00"),
            r#""2024-04-30 23:20:30""#,
            r#""2024-05-01T01:20:30+02:00""#,
        ),
        (
            "io.debezium.time.ZonedTime",
            T::String,
            Datum::Str("10:20:30.123Z"),
            r#""10:20:30.123Z""#,
            r#""10:20:30.123Z""#,
        ),
        (
            "org.apache.kafka.connect.data.Timestamp",
            T::Int64,
            Datum::Null,
            "null",
            "null",
        ),
    ]
}

#[test]
fn temporal_logical_types_render_as_starrocks_text_by_default() {
    for (name, ty, datum, string, _) in temporal_cases() {
        let got = field_json(&json(), &named(ty, name), datum.clone());
        assert_eq!(got.as_deref().ok(), Some(string), "{name} {datum:?}");
    }
}

#[test]
fn numeric_rendering_writes_the_underlying_values() {
    for (name, ty, datum, _, numeric) in temporal_cases() {
        let got = field_json(&json_numeric(), &named(ty, name), datum.clone());
        assert_eq!(got.as_deref().ok(), Some(numeric), "{name} {datum:?}");
    }
}

#[test]
fn decimals_are_exact_numbers_in_both_renderings() {
    let cases: Vec<(Schema, Datum<'_>, &str)> = vec![
        (decimal(2), Datum::Bytes(UNSCALED_12345), "123.45"),
        (decimal(2), Datum::Bytes(UNSCALED_MINUS_12345), "-123.45"),
        (decimal(0), Datum::Bytes(UNSCALED_12345), "12345"),
        (decimal(7), Datum::Bytes(UNSCALED_12345), "0.0012345"),
        (
            decimal(0),
            Datum::Bytes(UNSCALED_38_DIGITS),
            "12345678901234567890123456789012345678",
        ),
        (
            decimal(10),
            Datum::Bytes(UNSCALED_38_DIGITS),
            "1234567890123456789012345678.9012345678",
        ),
        (
            decimal(4),
            Datum::Bytes(UNSCALED_MINUS_2_POW_64),
            "-1844674407370955.1616",
        ),
        (
            variable_scale_decimal(),
            Datum::Struct(vec![Datum::Int32(0), Datum::Bytes(UNSCALED_38_DIGITS)]),
            "12345678901234567890123456789012345678",
        ),
    ];
    for encoder in [json(), json_numeric()] {
        for (schema, datum, expected) in &cases {
            let got = field_json(&encoder, schema, datum.clone());
            assert_eq!(got.as_deref().ok(), Some(*expected), "{datum:?}");
        }
    }
    let schemaless = Payload::Data {
        schema: None,
        datum: Datum::Map(vec![(
            Datum::Str("d"),
            Datum::Decimal {
                unscaled: UNSCALED_MINUS_2_POW_64,
                scale: 0,
            },
        )]),
    };
    assert_eq!(
        encode(&json(), schemaless).ok(),
        Some(vec![r#"{"d":-18446744073709551616}"#.to_owned()])
    );
}

#[test]
fn schemaless_data_renders_by_its_natural_types() {
    let inner = Arc::new(structure(&[
        ("n", prim(T::Int32)),
        (
            "t",
            named(T::Int64, "org.apache.kafka.connect.data.Timestamp"),
        ),
    ]));
    let value = || Payload::Data {
        schema: None,
        datum: Datum::Map(vec![
            (Datum::Str("s"), Datum::Str("x")),
            (Datum::Str("f"), Datum::Float64(1.25)),
            (Datum::Str("b"), Datum::Bytes(b"hi")),
            (Datum::Str("when"), Datum::Timestamp(1_714_558_830_000)),
            (
                Datum::Str("list"),
                Datum::Array(vec![Datum::Bool(true), Datum::Null, Datum::Int64(-1)]),
            ),
            (
                Datum::Str("nested"),
                Datum::Map(vec![(Datum::Str("k"), Datum::Int8(1))]),
            ),
            (
                Datum::Str("typed"),
                Datum::TypedStruct(
                    inner.clone(),
                    vec![Datum::Int32(5), Datum::Int64(86_400_000)],
                ),
            ),
        ]),
    };
    assert_eq!(
        encode(&json(), value()).ok(),
        Some(vec![concat!(
            r#"{"s":"x","f":1.25,"b":"aGk=","when":"2024-05-01 10:20:30","#,
            r#""list":[true,null,-1],"nested":{"k":1},"#,
            r#""typed":{"n":5,"t":"1970-01-02 00:00:00"}}"#
        )
        .to_owned()])
    );
    assert_eq!(
        encode(&json_numeric(), value()).ok(),
        Some(vec![concat!(
            r#"{"s":"x","f":1.25,"b":"aGk=","when":1714558830000,"#,
            r#""list":[true,null,-1],"nested":{"k":1},"#,
            r#""typed":{"n":5,"t":86400000}}"#
        )
        .to_owned()])
    );
}

#[test]
fn debezium_json_text_is_written_as_the_object_or_array_it_holds() {
    let schema = named(T::String, "io.debezium.data.Json");
    for (text, expected) in [
        (
            r#" {"a": [1, 2.5e3], "b": null} "#,
            r#"{"a": [1, 2.5e3], "b": null}"#,
        ),
        (r#"[true,"x"]"#, r#"[true,"x"]"#),
        // A scalar document stays a string of its text.
        ("\"text\"", r#""\"text\"""#),
        ("null", r#""null""#),
        ("12", r#""12""#),
    ] {
        assert_eq!(
            field_json(&json(), &schema, Datum::Str(text)).unwrap(),
            expected
        );
        assert_eq!(
            field_json(&json_numeric(), &schema, Datum::Str(text)).unwrap(),
            expected
        );
    }
    assert_eq!(field_json(&json(), &schema, Datum::Null).unwrap(), "null");
    let e = field_json(&json(), &schema, Datum::Str("{not json")).unwrap_err();
    assert!(e.is_data(), "{e}");
    assert!(
        e.to_string()
            .contains("cannot encode 'v' in the record value at topic 'orders' partition 3 offset 42: an io.debezium.data.Json value that is not JSON"),
        "{e}"
    );
}
