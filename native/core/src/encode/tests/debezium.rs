//! `starrocks.envelope=debezium`: change events as Connect data and as JSON text.

use super::*;

fn debezium() -> RowEncoder {
    encoder(&[(keys::ENVELOPE, "debezium")])
}

/// The rows of a value with a given key.
fn encode_keyed(value: Payload<'_>, key: Payload<'_>) -> Result<Vec<String>> {
    let mut rows = Rows::default();
    let record = Record {
        key,
        ..record(value)
    };
    let count = debezium().encode(&record, &mut rows)?;
    assert_eq!(count as usize, rows.0.len());
    Ok(rows
        .0
        .into_iter()
        .map(|row| String::from_utf8(row).expect("UTF-8"))
        .collect())
}

/// The row schema of the tests' source table: an int key, a name and a Debezium date.
fn row_schema() -> Schema {
    structure(&[
        ("id", prim(T::Int32)),
        ("name", prim(T::String)),
        ("born", named(T::Int32, "io.debezium.time.Date")),
    ])
}

/// Debezium's envelope schema around [`row_schema`].
fn envelope_schema() -> Schema {
    structure(&[
        ("before", row_schema()),
        ("after", row_schema()),
        ("source", structure(&[("db", prim(T::String))])),
        ("op", prim(T::String)),
        ("ts_ms", prim(T::Int64)),
    ])
}

fn row<'a>(id: i32, name: &'a str, born: i32) -> Datum<'a> {
    Datum::Struct(vec![Datum::Int32(id), Datum::Str(name), Datum::Int32(born)])
}

fn event<'a>(op: &'a str, before: Datum<'a>, after: Datum<'a>) -> Payload<'a> {
    typed(
        envelope_schema(),
        Datum::Struct(vec![
            before,
            after,
            Datum::Struct(vec![Datum::Str("inventory")]),
            Datum::Str(op),
            Datum::Int64(1_714_558_830_123),
        ]),
    )
}

fn map<'a>(entries: Vec<(&'a str, Datum<'a>)>) -> Datum<'a> {
    Datum::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Datum::Str(k), v))
            .collect(),
    )
}

#[test]
fn struct_events_upsert_their_after_image_and_delete_their_before_image() {
    // 19845 days after 1970-01-01 is 2024-05-02.
    let upsert = r#"{"id":1,"name":"a","born":"2024-05-02","__op":0}"#;
    for op in ["c", "r", "u"] {
        let before = if op == "u" {
            row(1, "old", 0)
        } else {
            Datum::Null
        };
        let rows = encode(&debezium(), event(op, before, row(1, "a", 19845))).expect(op);
        assert_eq!(rows, [upsert], "op {op}");
    }
    let rows = encode(&debezium(), event("d", row(1, "a", 19845), Datum::Null)).unwrap();
    assert_eq!(
        rows,
        [r#"{"id":1,"name":"a","born":"2024-05-02","__op":1}"#]
    );
    // A truncate gives no row; so does a tombstone.
    let rows = encode(&debezium(), event("t", Datum::Null, Datum::Null)).unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    assert!(encode(&debezium(), Payload::Null).unwrap().is_empty());
}

#[test]
fn schemaless_events_and_the_json_converter_wrapper_are_read_alike() {
    let after = map(vec![("id", Datum::Int64(2)), ("name", Datum::Str("b"))]);
    let plain = map(vec![
        ("before", Datum::Null),
        ("after", after.clone()),
        ("op", Datum::Str("c")),
    ]);
    let expected = [r#"{"id":2,"name":"b","__op":0}"#];
    let value = |datum| Payload::Data {
        schema: None,
        datum,
    };
    assert_eq!(encode(&debezium(), value(plain.clone())).unwrap(), expected);
    // JsonConverter with schemas.enable=false over a topic written with schemas.
    let wrapped = map(vec![
        ("schema", map(vec![("type", Datum::Str("struct"))])),
        ("payload", plain),
    ]);
    assert_eq!(encode(&debezium(), value(wrapped)).unwrap(), expected);
}

#[test]
fn json_text_events_pass_their_image_through_with_the_op_column() {
    let plain = r#"{"before":null,"after":{"id":3, "name":"c\u00e9"},"source":{"lsn":7},"op":"r","ts_ms":1}"#;
    let expected = [r#"{"id":3, "name":"c\u00e9","__op":0}"#];
    assert_eq!(
        encode(&debezium(), Payload::RawBytes(plain.as_bytes())).unwrap(),
        expected
    );
    assert_eq!(
        encode(&debezium(), Payload::RawText(plain)).unwrap(),
        expected
    );
    let wrapped = format!(r#"{{"schema":{{"type":"struct","fields":[]}},"payload":{plain}}}"#);
    assert_eq!(
        encode(&debezium(), Payload::RawText(&wrapped)).unwrap(),
        expected
    );
    let delete = r#"{"op":"d","before":{ "id":3 },"after":null}"#;
    assert_eq!(
        encode(&debezium(), Payload::RawText(delete)).unwrap(),
        [r#"{ "id":3 ,"__op":1}"#]
    );
    // An empty image still gets its op (StarRocks then refuses the row for its missing key).
    let empty = r#"{"op":"c","after":{ }}"#;
    assert_eq!(
        encode(&debezium(), Payload::RawText(empty)).unwrap(),
        [r#"{ "__op":0}"#]
    );
    let truncate = r#"{"op":"t","before":null,"after":null}"#;
    assert!(encode(&debezium(), Payload::RawText(truncate))
        .unwrap()
        .is_empty());
    let tombstone = r#"{"schema":null,"payload":null}"#;
    assert!(encode(&debezium(), Payload::RawText(tombstone))
        .unwrap()
        .is_empty());
}

#[test]
fn a_delete_without_a_before_image_deletes_the_row_its_key_names() {
    let key_schema = structure(&[("id", prim(T::Int32))]);
    let rows = encode_keyed(
        event("d", Datum::Null, Datum::Null),
        typed(key_schema, Datum::Struct(vec![Datum::Int32(7)])),
    )
    .unwrap();
    assert_eq!(rows, [r#"{"id":7,"__op":1}"#]);
    let raw_delete = r#"{"op":"d","before":null,"after":null}"#;
    for key in [
        r#"{"id":7}"#,
        r#"{"schema":{"type":"struct"},"payload":{"id":7}}"#,
    ] {
        let rows = encode_keyed(Payload::RawText(raw_delete), Payload::RawText(key)).unwrap();
        assert_eq!(rows, [r#"{"id":7,"__op":1}"#], "key {key}");
    }
    for key in [Payload::Null, Payload::RawText("null")] {
        let e = encode_keyed(Payload::RawText(raw_delete), key).unwrap_err();
        assert!(e.is_data(), "{e}");
        assert!(
            e.to_string()
                .contains("has no 'before' image and the record no key"),
            "{e}"
        );
    }
}

#[test]
fn values_that_are_not_row_changes_are_refused_naming_the_record() {
    let at = "topic 'orders' partition 3 offset 42";
    let cases: Vec<(Payload<'_>, &str)> = vec![
        (
            Payload::RawText(r#"{"id":1,"name":"a"}"#),
            "is not a Debezium change event: it has no 'op'",
        ),
        (
            Payload::RawText(r#"{"op":"m","message":{"prefix":"p"}}"#),
            "op 'm', which is not a row change",
        ),
        (
            Payload::RawText(r#"{"op":"c","after":null}"#),
            "the Debezium 'c' event at topic 'orders' partition 3 offset 42 has no 'after' image",
        ),
        (
            Payload::RawText(r#"{"op":"u","after":[1]}"#),
            "'after' in the record at topic 'orders' partition 3 offset 42 is an array",
        ),
        (
            Payload::RawText(r#"[{"op":"c"}]"#),
            "is not a Debezium change event: it is an array, not a JSON object",
        ),
        (Payload::RawText(r#"{"op":"c","#), "malformed JSON"),
        (
            event("x", Datum::Null, row(1, "a", 0)),
            "op 'x', which is not a row change",
        ),
        (
            event("c", Datum::Null, Datum::Null),
            "the Debezium 'c' event at topic 'orders' partition 3 offset 42 has no 'after' image",
        ),
        (
            typed(
                structure(&[("op", prim(T::Int32))]),
                Datum::Struct(vec![Datum::Int32(1)]),
            ),
            "its 'op' is INT32, not a string",
        ),
        (
            // A date StarRocks cannot hold, named by its path in the event.
            event("c", Datum::Null, row(1, "a", 4_000_000)),
            "cannot encode 'after.born'",
        ),
    ];
    for (value, expected) in cases {
        let message = refused(&debezium(), value);
        assert!(message.contains(expected), "{message}\nlacks: {expected}");
        assert!(message.contains(at), "{message}");
    }
}

#[test]
fn the_envelope_is_off_by_default_and_needs_json() {
    // Without the key an event is a row like any other, envelope and all.
    let rows = encode(&json(), Payload::RawText(r#"{"op":"c","after":{}}"#)).unwrap();
    assert_eq!(rows, [r#"{"op":"c","after":{}}"#]);
    let props: HashMap<String, String> = [
        (keys::HTTP_URL, "127.0.0.1:8030"),
        (keys::DATABASE, "db"),
        (keys::USERNAME, "root"),
        (keys::PASSWORD, ""),
        (keys::ENVELOPE, "Debezium"),
        (keys::FORMAT, "csv"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let e = SinkConfig::from_map(&props).unwrap_err();
    assert_eq!(e.key(), Some(keys::ENVELOPE), "{e}");
    assert!(
        e.to_string().contains("needs sink.properties.format=json"),
        "{e}"
    );
}
