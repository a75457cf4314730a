//! Values that are text or bytes: raw JSON pass-through, CSV rows; tombstones and keys.

use super::*;

#[test]
fn raw_json_objects_pass_through_byte_for_byte() {
    let cases = [
        (r#"{"b":1,  "a":2}"#, r#"{"b":1,  "a":2}"#),
        ("  \r\n\t{\"x\" : 1.50e2}\n", "{\"x\" : 1.50e2}"),
        (
            "{\n  \"nested\": {\"k\": [1, 2]}\n}",
            "{\n  \"nested\": {\"k\": [1, 2]}\n}",
        ),
        (r#"{"u":"\u00e9 é"}"#, r#"{"u":"\u00e9 é"}"#),
        ("{}", "{}"),
    ];
    for (input, expected) in cases {
        let expected = vec![expected.to_owned()];
        assert_eq!(
            encode(&json(), Payload::RawText(input)).ok(),
            Some(expected.clone()),
            "{input}"
        );
        assert_eq!(
            encode(&json(), Payload::RawBytes(input.as_bytes())).ok(),
            Some(expected),
            "{input}"
        );
    }
}

#[test]
fn a_raw_json_array_gives_one_row_per_element_with_its_original_bytes() {
    let input = " [ {\"id\":1,  \"v\":\"a\"} ,\n{\"id\":2}, { } ] ";
    let expected = vec![
        "{\"id\":1,  \"v\":\"a\"}".to_owned(),
        "{\"id\":2}".to_owned(),
        "{ }".to_owned(),
    ];
    assert_eq!(
        encode(&json(), Payload::RawText(input)).ok(),
        Some(expected.clone())
    );
    assert_eq!(
        encode(&json(), Payload::RawBytes(input.as_bytes())).ok(),
        Some(expected)
    );
    assert_eq!(encode(&json(), Payload::RawText("[]")).ok(), Some(vec![]));
}

#[test]
fn malformed_raw_json_is_refused_naming_topic_partition_and_offset() {
    let prefix = "malformed JSON in record value at topic 'orders' partition 3 offset 42: ";
    let cases: [(&[u8], &str); 7] = [
        (br#"{"a":"#, "EOF while parsing"),
        (br#"{"a":1}x"#, "trailing characters"),
        (br#"{"a":1} {"b":2}"#, "trailing characters"),
        (br#"[{"a":1},]"#, "trailing comma"),
        (br#"[{"a":1}"#, "EOF while parsing"),
        (b"", "EOF while parsing"),
        (b"{\"a\":\"\xff\"}", "invalid utf-8"),
    ];
    for (input, reason) in cases {
        let message = refused(&json(), Payload::RawBytes(input));
        assert!(
            message.starts_with(prefix) && message.to_lowercase().contains(&reason.to_lowercase()),
            "{input:?}: {message}"
        );
    }
    let message = refused(&json(), Payload::RawText("hello"));
    assert!(message.starts_with(prefix), "{message}");
}

#[test]
fn raw_json_that_is_not_an_object_is_refused() {
    let at = "topic 'orders' partition 3 offset 42";
    let cases = [
        (
            "42",
            format!("record value at {at} is a number, not a JSON object"),
        ),
        (
            r#""text""#,
            format!("record value at {at} is a string, not a JSON object"),
        ),
        (
            "null",
            format!("record value at {at} is null, not a JSON object"),
        ),
        (
            r#"[{"a":1}, 2]"#,
            format!(
                "element 1 of the JSON array in record value at {at} is a number, not an object"
            ),
        ),
        (
            r#"[[{"a":1}]]"#,
            format!(
                "element 0 of the JSON array in record value at {at} is an array, not an object"
            ),
        ),
    ];
    for (input, expected) in cases {
        let message = refused(&json(), Payload::RawText(input));
        assert!(message.starts_with(&expected), "{input}: {message}");
    }
}

#[test]
fn csv_values_are_rows_as_they_are() {
    let tab_lines = csv();
    let custom = encoder(&[
        (keys::FORMAT, "csv"),
        (keys::ROW_DELIMITER, "\\x02"),
        (keys::COLUMN_SEPARATOR, "\\x01"),
    ]);
    let cases: Vec<(&RowEncoder, Payload<'_>, &str)> = vec![
        (
            &tab_lines,
            Payload::RawText("1\tAlice\t3.5"),
            "1\tAlice\t3.5",
        ),
        (&tab_lines, Payload::RawText("1\tAlice\n"), "1\tAlice"),
        (&tab_lines, Payload::RawText("1\tAlice\n\n"), "1\tAlice\n"),
        (
            &tab_lines,
            Payload::RawBytes(b"2\t\xc3\xa9\r\n"),
            "2\t\u{e9}\r",
        ),
        (
            &tab_lines,
            Payload::RawText("{\"not\":\"parsed\"}"),
            "{\"not\":\"parsed\"}",
        ),
        (&tab_lines, Payload::RawText(""), ""),
        (&custom, Payload::RawText("1\u{1}x\u{2}"), "1\u{1}x"),
        (&custom, Payload::RawText("1\u{1}x\n"), "1\u{1}x\n"),
    ];
    for (encoder, value, expected) in cases {
        let label = format!("{value:?}");
        assert_eq!(
            encode(encoder, value).ok(),
            Some(vec![expected.to_owned()]),
            "{label}"
        );
    }
}

#[test]
fn csv_refuses_connect_data_naming_the_converters() {
    let cases: Vec<(Payload<'_>, &str)> = vec![
        (
            typed(
                Schema {
                    name: Some("server.db.orders.Envelope".to_owned()),
                    ..structure(&[("id", prim(T::Int32))])
                },
                Datum::Struct(vec![Datum::Int32(1)]),
            ),
            "a STRUCT value (schema 'server.db.orders.Envelope')",
        ),
        (
            Payload::Data {
                schema: None,
                datum: Datum::Map(vec![]),
            },
            "a schemaless MAP value",
        ),
        (typed(prim(T::Int64), Datum::Int64(1)), "an INT64 value"),
    ];
    for (value, kind) in cases {
        assert_eq!(
            refused(&csv(), value),
            format!(
                "CSV format needs String or byte[] record values (StringConverter or \
                 ByteArrayConverter); got {kind} at topic 'orders' partition 3 offset 42"
            )
        );
    }
}

#[test]
fn a_tombstone_gives_no_rows_in_either_format() {
    for encoder in [json(), json_numeric(), csv()] {
        assert_eq!(encode(&encoder, Payload::Null).ok(), Some(vec![]));
    }
    let null_under_schema = typed(prim(T::Struct), Datum::Null);
    assert_eq!(encode(&json(), null_under_schema).ok(), Some(vec![]));
}

#[test]
fn keys_are_ignored() {
    let mut rows = Rows::default();
    let mut with_key = record(Payload::RawText(r#"{"v":1}"#));
    with_key.key = Payload::RawBytes(b"\xff not json");
    assert_eq!(json().encode(&with_key, &mut rows).ok(), Some(1));
    assert_eq!(rows.0, vec![br#"{"v":1}"#.to_vec()]);
}

#[test]
fn rows_are_appended_after_what_the_sink_already_holds() {
    /// A sink that writes one NDJSON body, as a batch might.
    struct Body(Vec<u8>);
    impl RowSink for Body {
        fn row(&mut self) -> &mut Vec<u8> {
            if !self.0.is_empty() {
                self.0.push(b'\n');
            }
            &mut self.0
        }
    }
    let mut body = Body(b"{\"first\":0}".to_vec());
    let encoder = json();
    let count = encoder
        .encode(
            &record(Payload::RawText("[{\"a\":1},{\"a\":2}]")),
            &mut body,
        )
        .ok();
    assert_eq!(count, Some(2));
    let schema = structure(&[("b", prim(T::Boolean))]);
    let value = typed(schema, Datum::Struct(vec![Datum::Bool(true)]));
    assert_eq!(encoder.encode(&record(value), &mut body).ok(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&body.0),
        "{\"first\":0}\n{\"a\":1}\n{\"a\":2}\n{\"b\":true}"
    );
}
