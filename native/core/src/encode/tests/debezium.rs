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
    // JsonConverter with schemas.enable=false over a topic of schemaless JSON written with
    // schemas.enable=true (a null schema). Typed wrappers are the tests below.
    let wrapped = map(vec![("schema", Datum::Null), ("payload", plain)]);
    assert_eq!(encode(&debezium(), value(wrapped)).unwrap(), expected);
}

#[test]
fn a_schemaless_event_with_a_key_given_twice_is_read_by_its_first() {
    // JsonConverter's maps cannot repeat a key, but a batch can: its bytes and its tree agree.
    let image = |id| map(vec![("id", Datum::Int64(id))]);
    let value = |entries| Payload::Data {
        schema: None,
        datum: map(entries),
    };
    let event = value(vec![
        ("op", Datum::Str("c")),
        ("after", image(1)),
        ("op", Datum::Str("d")),
        ("after", image(2)),
        ("before", image(3)),
    ]);
    assert_eq!(
        encode(&debezium(), event).unwrap(),
        [r#"{"id":1,"__op":0}"#]
    );
    let event = value(vec![
        ("before", image(4)),
        ("op", Datum::Str("d")),
        ("before", Datum::Null),
    ]);
    assert_eq!(
        encode(&debezium(), event).unwrap(),
        [r#"{"id":4,"__op":1}"#]
    );
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
    let wrapped = format!(r#"{{"schema":null,"payload":{plain}}}"#);
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
        r#"{"schema":null,"payload":{"id":7}}"#,
        r#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int32"}]},"payload":{"id":7}}"#,
    ] {
        let rows = encode_keyed(Payload::RawText(raw_delete), Payload::RawText(key)).unwrap();
        assert_eq!(rows, [r#"{"id":7,"__op":1}"#], "key {key}");
    }
    // A plain key with a field named `payload` is no wrapper.
    let rows = encode_keyed(
        Payload::RawText(raw_delete),
        Payload::RawText(r#"{"payload":5}"#),
    )
    .unwrap();
    assert_eq!(rows, [r#"{"payload":5,"__op":1}"#]);
    for key in [
        Payload::Null,
        Payload::RawText("null"),
        Payload::RawText(r#"{"schema":null,"payload":null}"#),
        Payload::RawText(r#"{"schema":{"type":"int32"},"payload":null}"#),
    ] {
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
            Payload::RawText(r#"{"op":1,"after":{"id":1}}"#),
            "is not a Debezium change event: its 'op' is a number, not a string",
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
    let e = config(&[(keys::ENVELOPE, "Debezium"), (keys::FORMAT, "csv")]).unwrap_err();
    assert_eq!(e.key(), Some(keys::ENVELOPE), "{e}");
    assert!(
        e.to_string().contains("needs sink.properties.format=json"),
        "{e}"
    );
}

/// A Debezium event with the types whose JSON form is not their StarRocks value, as Connect
/// data and as JsonConverter's JSON text of the same (schema and payload).
fn typed_event() -> (Payload<'static>, &'static str) {
    let row = structure(&[
        ("id", prim(T::Int32)),
        ("born", named(T::Int32, "io.debezium.time.Date")),
        ("seen", named(T::Int64, "io.debezium.time.MicroTimestamp")),
        ("price", decimal(2)),
        ("amount", variable_scale_decimal()),
        ("doc", named(T::String, "io.debezium.data.Json")),
        ("tags", array_of(prim(T::String))),
        ("raw", prim(T::Bytes)),
    ]);
    let schema = structure(&[("after", row), ("op", prim(T::String))]);
    let datum = Datum::Struct(vec![
        Datum::Struct(vec![
            Datum::Int32(5),
            Datum::Int32(19845),
            Datum::Int64(1_714_558_830_123_456),
            Datum::Bytes(UNSCALED_12345),
            Datum::Struct(vec![Datum::Int32(3), Datum::Bytes(UNSCALED_MINUS_12345)]),
            Datum::Str(r#"{"k": [1, 2]}"#),
            Datum::Array(vec![Datum::Str("x")]),
            Datum::Bytes(b"\x00\xff"),
        ]),
        Datum::Str("c"),
    ]);
    let text = r#"{"schema":{"type":"struct","optional":false,"name":"cdc.Envelope","fields":[
        {"field":"after","type":"struct","optional":true,"fields":[
          {"field":"id","type":"int32","optional":false},
          {"field":"born","type":"int32","optional":true,"name":"io.debezium.time.Date","version":1},
          {"field":"seen","type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp"},
          {"field":"price","type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",
           "parameters":{"scale":"2","connect.decimal.precision":"10"}},
          {"field":"amount","type":"struct","optional":true,"name":"io.debezium.data.VariableScaleDecimal",
           "fields":[{"field":"scale","type":"int32"},{"field":"value","type":"bytes"}]},
          {"field":"doc","type":"string","optional":true,"name":"io.debezium.data.Json"},
          {"field":"tags","type":"array","items":{"type":"string"}},
          {"field":"raw","type":"bytes","optional":true}]},
        {"field":"op","type":"string"}]},
      "payload":{"op":"c","after":{"id":5,"born":19845,"seen":1714558830123456,"price":"MDk=",
        "amount":{"scale":3,"value":"z8c="},"doc":"{\"k\": [1, 2]}","tags":["x"],"raw":"AP8="}}}"#;
    (typed(schema, datum), text)
}

#[test]
fn json_converter_text_with_its_schema_gives_the_rows_a_struct_gives() {
    let (data, text) = typed_event();
    let expected = [concat!(
        r#"{"id":5,"born":"2024-05-02","seen":"2024-05-01 10:20:30.123456","price":123.45,"#,
        r#""amount":-12.345,"doc":{"k": [1, 2]},"tags":["x"],"raw":"AP8=","__op":0}"#
    )];
    assert_eq!(encode(&debezium(), data).unwrap(), expected);
    assert_eq!(
        encode(&debezium(), Payload::RawText(text)).unwrap(),
        expected
    );
    assert_eq!(
        encode(&debezium(), Payload::RawBytes(text.as_bytes())).unwrap(),
        expected
    );
    // The same text read by JsonConverter with schemas.enable=false: a Map of Maps.
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    let schemaless = Payload::Data {
        schema: None,
        datum: schemaless(&value),
    };
    assert_eq!(encode(&debezium(), schemaless).unwrap(), expected);
}

/// Connect data as JsonConverter with `schemas.enable=false` makes it of JSON.
fn schemaless(value: &serde_json::Value) -> Datum<'_> {
    use serde_json::Value as V;
    match value {
        V::Null => Datum::Null,
        V::Bool(b) => Datum::Bool(*b),
        V::Number(n) => n
            .as_i64()
            .map_or_else(|| Datum::Float64(n.as_f64().unwrap()), Datum::Int64),
        V::String(s) => Datum::Str(s),
        V::Array(items) => Datum::Array(items.iter().map(schemaless).collect()),
        V::Object(o) => Datum::Map(
            o.iter()
                .map(|(k, v)| (Datum::Str(k), schemaless(v)))
                .collect(),
        ),
    }
}

#[test]
fn a_delete_by_a_key_in_json_converter_text_reads_the_key_under_its_schema() {
    let raw_delete = r#"{"op":"d","before":null}"#;
    let key = r#"{"schema":{"type":"struct","fields":[
        {"field":"day","type":"int32","name":"io.debezium.time.Date"}]},"payload":{"day":19845}}"#;
    let rows = encode_keyed(Payload::RawText(raw_delete), Payload::RawText(key)).unwrap();
    assert_eq!(rows, [r#"{"day":"2024-05-02","__op":1}"#]);
    let value: serde_json::Value = serde_json::from_str(key).unwrap();
    let map_key = Payload::Data {
        schema: None,
        datum: schemaless(&value),
    };
    let rows = encode_keyed(Payload::RawText(raw_delete), map_key).unwrap();
    assert_eq!(rows, [r#"{"day":"2024-05-02","__op":1}"#]);
}

#[test]
fn a_wrapper_whose_schema_or_payload_does_not_hold_is_refused_naming_the_part() {
    let cases = [
        (
            r#"{"schema":{"type":"decimal"},"payload":{"op":"c"}}"#,
            "the schema of JsonConverter's wrapper in the record value at topic 'orders' \
             partition 3 offset 42: unknown schema type 'decimal'",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"field":"op","type":"string"},
               {"field":"after","type":"struct","fields":[{"field":"id","type":"int8"}]}]},
               "payload":{"op":"c","after":{"id":300}}}"#,
            "the payload of JsonConverter's wrapper in the record value at topic 'orders' \
             partition 3 offset 42: 'after.id': 300 does not fit",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"field":"op","type":"string"},
               {"field":"after","type":"struct","fields":[{"field":"b","type":"bytes"}]}]},
               "payload":{"op":"c","after":{"b":"not base64!"}}}"#,
            "BYTES that are not base64",
        ),
    ];
    for (text, expected) in cases {
        let message = refused(&debezium(), Payload::RawText(text));
        assert!(message.contains(expected), "{message}\nlacks: {expected}");
    }
}

#[test]
fn json_converter_text_whose_schema_changes_is_read_under_its_new_schema() {
    // One encoder, so the second event's schema text differs from the one it has read.
    let encoder = debezium();
    let event = |fields: &str, after: &str| {
        format!(
            r#"{{"schema":{{"type":"struct","fields":[{{"field":"op","type":"string"}},
              {{"field":"after","type":"struct","fields":[{fields}]}}]}},
              "payload":{{"op":"c","after":{after}}}}}"#
        )
    };
    let id = r#"{"field":"id","type":"int32"}"#;
    let day = r#"{"field":"day","type":"int32","name":"io.debezium.time.Date"}"#;
    let first = event(id, r#"{"id":1,"day":19845}"#);
    let second = event(&format!("{id},{day}"), r#"{"id":2,"day":19845}"#);
    for (text, expected) in [
        (&first, r#"{"id":1,"__op":0}"#),
        (&second, r#"{"id":2,"day":"2024-05-02","__op":0}"#),
        (&first, r#"{"id":1,"__op":0}"#),
    ] {
        assert_eq!(
            encode(&encoder, Payload::RawText(text)).unwrap(),
            [expected]
        );
    }
}

#[test]
fn a_wrapper_whose_schema_text_was_read_before_gives_what_a_first_reading_gives() {
    // The second time a schema's text comes, it is matched, not read: whatever follows it,
    // the rows or the error are those of an encoder that has never seen it.
    let (_, text) = typed_event();
    let (schema, payload) = text
        .split_once(",\n      \"payload\":")
        .expect("the test event");
    let schema = schema
        .strip_prefix(r#"{"schema":"#)
        .expect("the test event");
    let payload = payload.strip_suffix('}').expect("the test event");
    let variants = [
        text.to_owned(),
        format!(r#"{{"schema":{schema},"payload":{payload}}}"#),
        format!(r#"{{"schema":{schema} , "payload" : {payload} }}"#),
        format!(r#"{{"schema":{schema},"payload":null}}"#),
        format!(r#"{{"schema":{schema},"payload":{payload},"extra":[1]}}"#),
        format!(r#"{{"schema":{schema},"payload":{payload},"op":"c"}}"#),
        format!(r#"{{"schema":{schema},"payload":{payload},"schema":{schema}}}"#),
        format!(r#"{{"schema":{schema},"payload":{payload}}} trailing"#),
        format!(r#"{{"schema":{schema},"payload":{payload}"#),
        format!(r#"{{"schema":{schema}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"op":"x"}}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"op":"c","after":{{"id":"five"}}}}}}"#),
        format!(r#"{{"schema":{schema}"payload":{payload}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"op":"c","after":null,"op":"c"}}}}"#),
        format!(r#"{{"schema":{schema},"payload":[{payload}]}}"#),
    ];
    let text_of = |rows: Result<Vec<String>>| format!("{rows:?}");
    let seen = debezium();
    encode(&seen, Payload::RawText(text)).expect("the test event gives its row");
    for variant in &variants {
        let first = text_of(encode(&debezium(), Payload::RawText(variant)));
        let again = text_of(encode(&seen, Payload::RawText(variant)));
        assert_eq!(again, first, "{variant}");
    }
    // A key given twice is refused either way, in the wrapper and in the event.
    for (variant, key) in [(6, "schema"), (13, "op")] {
        let error = encode(&seen, Payload::RawText(&variants[variant])).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("duplicate field `{key}`")),
            "{error}"
        );
    }
    // And the schema matched really is the one read: a first reading of the compact text
    // caches it, and the event with spaces after it still gives its row.
    assert!(text_of(encode(&seen, Payload::RawText(&variants[2]))).contains("__op"));
}

#[test]
fn a_schema_text_read_before_is_found_by_its_text_at_the_start_of_a_wrapper() {
    let encoder = debezium();
    let (_, text) = typed_event();
    let schema = text
        .strip_prefix(r#"{"schema":"#)
        .and_then(|rest| rest.split_once(",\n      \"payload\":"))
        .map(|(schema, _)| schema)
        .expect("the test event");
    assert!(
        encoder.schemas.known_prefix(text.as_bytes()).is_none(),
        "no schema is read yet"
    );
    encode(&encoder, Payload::RawText(text)).expect("the test event gives its row");
    let (found, rest) = encoder
        .schemas
        .known_prefix(text.as_bytes())
        .expect("its schema is read now");
    assert_eq!(found, encoder.schemas.schema(schema).expect("a schema"));
    assert_eq!(
        rest,
        &text.as_bytes()[r#"{"schema":"#.len() + schema.len()..]
    );
    // Not as JsonConverter writes it, or another schema: read in full.
    let other = text.replacen("cdc.Envelope", "cdc.Other", 1);
    for text in [
        format!(" {text}"),
        format!(r#"{{ "schema":{schema}}}"#),
        other,
    ] {
        assert!(
            encoder.schemas.known_prefix(text.as_bytes()).is_none(),
            "{text}"
        );
    }
}

#[test]
fn schemaless_events_give_what_their_op_before_and_after_alone_give() {
    // Events as JsonConverter hands them over with the seed's worker setting, with the entries
    // Debezium adds beside the images. `encode` writes each again cut to the value keys, as the
    // shim sends it, and asserts the same rows or the same error.
    let extras =
        r#""source":{"db":"inventory","op":"x","after":{"id":9}},"ts_ms":1,"transaction":null"#;
    let cases: &[(&str, std::result::Result<&[&str], &str>)] = &[
        (
            r#""op":"c","before":null,"after":{"id":1,"op":"c"}"#,
            Ok(&[r#"{"id":1,"op":"c","__op":0}"#]),
        ),
        (
            r#""op":"u","before":{"id":2},"after":{"id":2,"n":"b"}"#,
            Ok(&[r#"{"id":2,"n":"b","__op":0}"#]),
        ),
        (
            r#""op":"r","after":{"id":3}"#,
            Ok(&[r#"{"id":3,"__op":0}"#]),
        ),
        (
            r#""op":"d","before":{"id":4},"after":null"#,
            Ok(&[r#"{"id":4,"__op":1}"#]),
        ),
        (r#""op":"t","before":null,"after":null"#, Ok(&[])),
        (
            r#""op":"d","before":null,"after":null"#,
            Err("in the record key"),
        ),
        (
            r#""op":"m","after":{"id":5}"#,
            Err("op 'm', which is not a row change"),
        ),
        (
            r#""op":5,"after":{"id":5}"#,
            Err("its 'op' is INT64, not a string"),
        ),
        (
            r#""op":"c","before":{"id":6},"after":null"#,
            Err("has no 'after' image"),
        ),
        (r#""op":"c","after":[{"id":7}]"#, Err("after")),
        (
            r#""schema":null,"payload":{"op":"c"},"op":"c","after":{"id":8}"#,
            Ok(&[r#"{"id":8,"__op":0}"#]),
        ),
        (r#""after":{"id":10}"#, Err("it has no 'op'")),
        (r#""op":null,"after":{"id":11}"#, Err("it has no 'op'")),
    ];
    for (entries, expected) in cases {
        let text = format!("{{{entries},{extras}}}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rows = encode(
            &debezium(),
            Payload::Data {
                schema: None,
                datum: schemaless(&value),
            },
        );
        match (expected, rows) {
            (Ok(expected), Ok(rows)) => assert_eq!(&rows, expected, "{text}"),
            (Err(expected), Err(e)) => {
                assert!(e.to_string().contains(expected), "{text}: {e}")
            }
            (expected, rows) => panic!("{text}: {rows:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_schemaless_event_whose_source_is_no_plain_data_gives_the_row_of_its_image() {
    // The whole event is read through its tree; cut to op, before and after it is plain data
    // (`encode` asserts both give the same row).
    let source = Datum::Map(vec![
        (Datum::Str("raw"), Datum::Bytes(b"\x00\xff")),
        (Datum::Str("nan"), Datum::Float64(f64::NAN)),
        (Datum::Str("at"), Datum::Timestamp(1_714_558_830_123)),
        (
            Datum::Str("lsn"),
            Datum::Decimal {
                unscaled: &[0x01, 0x00],
                scale: 1,
            },
        ),
        (Datum::Int32(1), Datum::Str("a key that is no string")),
    ]);
    let event = map(vec![
        ("source", source),
        ("op", Datum::Str("c")),
        ("after", map(vec![("id", Datum::Int64(12))])),
    ]);
    let value = Payload::Data {
        schema: None,
        datum: event,
    };
    assert_eq!(
        encode(&debezium(), value).unwrap(),
        [r#"{"id":12,"__op":0}"#]
    );
}
