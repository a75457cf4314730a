//! Tables that follow the source (`starrocks.table.create`, `starrocks.table.evolve`) against the
//! in-process emulator: Debezium events in JsonConverter's JSON (as ByteArrayConverter hands
//! them over) create their table keyed on the record key, a field the source gains becomes a
//! column before the first load that carries it, and a field whose type no longer fits its
//! column stops the table with an error naming it.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use starrocks_emulator::catalog::KeyModel;
use starrocks_emulator::{Config, Emulator};
use starrocks_kafka_core::batch_writer::Session;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::record::{Datum, Field, Payload, Record, Schema, SchemaType};
use starrocks_kafka_core::sink::Sink;

const KEY_SCHEMA: &str = r#"{"type":"struct","name":"pg.public.items.Key","fields":[{"field":"id","type":"int32","optional":false}]}"#;

/// The row schema: `id`, `name`, `born` (io.debezium.time.Date), plus `extra` fields.
fn row_schema(extra: &str) -> String {
    format!(
        r#"{{"type":"struct","optional":true,"name":"pg.public.items.Value","fields":[{{"field":"id","type":"int32","optional":false}},{{"field":"name","type":"string","optional":true}},{{"field":"born","type":"int32","optional":true,"name":"io.debezium.time.Date"}}{extra}]}}"#
    )
}

/// A create event with JsonConverter's wrapper: `after` under `row`.
fn event(row: &str, after: &str) -> String {
    format!(
        r#"{{"schema":{{"type":"struct","name":"pg.public.items.Envelope","fields":[{before},{after_field},{{"field":"op","type":"string","optional":false}}]}},"payload":{{"op":"c","before":null,"after":{after}}}}}"#,
        before = row.replacen("{", r#"{"field":"before","#, 1),
        after_field = row.replacen("{", r#"{"field":"after","#, 1),
    )
}

fn key(id: i32) -> String {
    format!(r#"{{"schema":{KEY_SCHEMA},"payload":{{"id":{id}}}}}"#)
}

/// An event and its key as ByteArrayConverter hands them over.
fn bytes_record<'a>(offset: i64, key: &'a str, value: &'a str) -> Record<'a> {
    let (key, value) = (key.as_bytes(), value.as_bytes());
    record(
        "items",
        0,
        offset,
        Payload::RawBytes(key),
        Payload::RawBytes(value),
    )
}

/// Puts the create event of row `id` (its `after` under the first row schema) at offset 0 and
/// returns the error the sink then fails with.
fn first_event_fails(sink: &Sink, id: i32, after: &str) -> String {
    let mut session = Session::new();
    let (k, v) = (key(id), event(&row_schema(""), after));
    sink.put(&session.batch(&[bytes_record(0, &k, &v)]))
        .expect("put succeeds");
    wait_failure(sink).to_string()
}

fn following(emu: &Emulator, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let query = emu.query_addr().to_string();
    let mut all = vec![
        ("starrocks.topic2table.map", "items:items"),
        ("starrocks.envelope", "debezium"),
        ("starrocks.query.url", query.as_str()),
        ("starrocks.table.create", "true"),
        ("starrocks.table.evolve", "true"),
        ("sink.properties.strip_outer_array", "false"),
    ];
    all.extend_from_slice(extra);
    props(emu, &all)
}

fn started(props: &HashMap<String, String>) -> Sink {
    let sink = Sink::start(props, "follow", "0").expect("the sink starts");
    sink.open(&[TopicPartition::new("items", 0)]).unwrap();
    sink
}

fn columns(emu: &Emulator) -> Vec<(String, String, bool)> {
    let schema = emu.catalog().schema("example_db", "items").unwrap();
    schema
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.to_string(), c.nullable))
        .collect()
}

fn col(name: &str, ty: &str, nullable: bool) -> (String, String, bool) {
    (name.to_owned(), ty.to_owned(), nullable)
}

#[test]
fn a_missing_table_is_created_keyed_on_the_record_key_and_gains_the_fields_the_source_adds() {
    let emu = emulator(Config::ephemeral());
    let sink = started(&following(&emu, &[]));
    let mut session = Session::new();

    let first = row_schema("");
    let (k1, k2) = (key(1), key(2));
    let v1 = event(&first, r#"{"id":1,"name":"ann","born":0}"#);
    let v2 = event(&first, r#"{"id":2,"name":"bob","born":365}"#);
    let batch = [bytes_record(0, &k1, &v1), bytes_record(1, &k2, &v2)];
    sink.put(&session.batch(&batch)).expect("put succeeds");
    wait_offsets(&sink, &[("items", 0, 2)]);

    let schema = emu.catalog().schema("example_db", "items").unwrap();
    assert_eq!(schema.model, KeyModel::Primary);
    assert_eq!(schema.key, vec![0]);
    assert_eq!(
        columns(&emu),
        [
            col("id", "int(11)", false),
            col("name", "varchar(65533)", true),
            col("born", "date", true),
        ]
    );

    // The source gains two columns: they are added before the load that carries them.
    let grown = row_schema(
        r#",{"field":"email","type":"string","optional":true},{"field":"visits","type":"int64","optional":true}"#,
    );
    let (k3, k1b) = (key(3), key(1));
    let v3 = event(
        &grown,
        r#"{"id":3,"name":"cy","born":1,"email":"c@x","visits":7}"#,
    );
    let v1b = event(
        &grown,
        r#"{"id":1,"name":"ann","born":0,"email":"a@x","visits":null}"#,
    );
    let batch = [bytes_record(2, &k3, &v3), bytes_record(3, &k1b, &v1b)];
    sink.put(&session.batch(&batch)).expect("put succeeds");
    wait_offsets(&sink, &[("items", 0, 4)]);

    assert_eq!(
        columns(&emu)[3..],
        [
            col("email", "varchar(65533)", true),
            col("visits", "bigint(20)", true)
        ]
    );
    assert_eq!(
        sorted(rows(&emu, "items")),
        [
            ["1", "ann", "1970-01-01", "a@x", "NULL"],
            ["2", "bob", "1971-01-01", "NULL", "NULL"],
            ["3", "cy", "1970-01-02", "c@x", "7"],
        ]
        .map(|r| r.map(str::to_owned).to_vec())
    );
    sink.stop();
}

#[test]
fn a_field_whose_type_no_longer_fits_its_column_fails_the_table_naming_both() {
    let emu = emulator(Config::ephemeral());
    emu.run_script(
        "USE example_db; CREATE TABLE items (id INT NOT NULL, name STRING, born DATE, \
         score INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id);",
    )
    .unwrap();
    let sink = started(&following(&emu, &[("sink.table.failure", "fail")]));
    let mut session = Session::new();
    let retyped = row_schema(r#",{"field":"score","type":"string","optional":true}"#);
    let k = key(1);
    let v = event(&retyped, r#"{"id":1,"name":"ann","born":0,"score":"high"}"#);
    sink.put(&session.batch(&[bytes_record(0, &k, &v)]))
        .expect("put succeeds");
    let e = wait_failure(&sink).to_string();
    assert!(e.contains("column 'score' is int(11) in StarRocks"), "{e}");
    assert!(e.contains("VARCHAR(65533)"), "{e}");
    assert!(rows(&emu, "items").is_empty());
}

#[test]
fn without_table_creation_a_missing_table_is_not_created() {
    let emu = emulator(Config::ephemeral());
    let props = following(
        &emu,
        &[
            ("starrocks.table.create", "false"),
            ("sink.table.failure", "fail"),
        ],
    );
    let sink = started(&props);
    let e = first_event_fails(&sink, 1, r#"{"id":1,"name":"ann","born":0}"#);
    assert!(e.contains("Table 'example_db.items' doesn't exist"), "{e}");
    assert!(e.contains("starrocks.table.create is off"), "{e}");
    assert!(emu.catalog().schema("example_db", "items").is_err());
}

/// A Connect Struct value (`id`, `city` and, when `grown`, `zip`) keyed by a Struct of `id`.
fn struct_record<'a>(
    offset: i64,
    schemas: &(Arc<Schema>, Arc<Schema>, Arc<Schema>),
    id: i32,
    city: &'a str,
    zip: Option<i64>,
) -> Record<'a> {
    let (key, row, grown) = schemas;
    let mut values = vec![Datum::Int32(id), Datum::Str(city)];
    let schema = match zip {
        Some(zip) => {
            values.push(Datum::Int64(zip));
            grown
        }
        None => row,
    };
    let key = Payload::Data {
        schema: Some(Arc::clone(key)),
        datum: Datum::Struct(vec![Datum::Int32(id)]),
    };
    let value = Payload::Data {
        schema: Some(Arc::clone(schema)),
        datum: Datum::Struct(values),
    };
    record("plain", 0, offset, key, value)
}

fn struct_of(fields: &[(&str, SchemaType, bool)]) -> Arc<Schema> {
    Arc::new(Schema {
        fields: fields
            .iter()
            .map(|(name, ty, optional)| Field::new(*name, Schema::primitive(*ty, *optional)))
            .collect(),
        ..Schema::primitive(SchemaType::Struct, false)
    })
}

#[test]
fn struct_records_without_an_envelope_create_and_evolve_their_table_too() {
    let emu = emulator(Config::ephemeral());
    let query = emu.query_addr().to_string();
    let props = props(
        &emu,
        &[
            ("starrocks.topic2table.map", "plain:plain"),
            ("starrocks.query.url", query.as_str()),
            ("starrocks.table.create", "true"),
            ("starrocks.table.evolve", "true"),
        ],
    );
    let sink = Sink::start(&props, "follow", "0").expect("the sink starts");
    sink.open(&[TopicPartition::new("plain", 0)]).unwrap();
    let mut session = Session::new();
    let schemas = (
        struct_of(&[("id", SchemaType::Int32, false)]),
        struct_of(&[
            ("id", SchemaType::Int32, false),
            ("city", SchemaType::String, true),
        ]),
        struct_of(&[
            ("id", SchemaType::Int32, false),
            ("city", SchemaType::String, true),
            ("zip", SchemaType::Int64, true),
        ]),
    );
    let batch = [
        struct_record(0, &schemas, 1, "Oslo", None),
        struct_record(1, &schemas, 2, "Bergen", None),
    ];
    sink.put(&session.batch(&batch)).expect("put succeeds");
    wait_offsets(&sink, &[("plain", 0, 2)]);
    let batch = [
        struct_record(2, &schemas, 1, "Oslo", Some(150)),
        struct_record(3, &schemas, 3, "Tromsø", Some(9008)),
    ];
    sink.put(&session.batch(&batch)).expect("put succeeds");
    wait_offsets(&sink, &[("plain", 0, 4)]);

    let schema = emu.catalog().schema("example_db", "plain").unwrap();
    assert_eq!(schema.model, KeyModel::Primary);
    assert_eq!(
        schema
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty.to_string()))
            .collect::<Vec<_>>(),
        [
            ("id", "int(11)".to_owned()),
            ("city", "varchar(65533)".to_owned()),
            ("zip", "bigint(20)".to_owned())
        ]
    );
    assert_eq!(
        sorted(rows(&emu, "plain")),
        [
            ["1", "Oslo", "150"],
            ["2", "Bergen", "NULL"],
            ["3", "Tromsø", "9008"]
        ]
        .map(|r| r.map(str::to_owned).to_vec())
    );
    sink.stop();
}

#[test]
fn the_debezium_envelope_refuses_a_table_that_is_not_a_primary_key_table() {
    let emu = emulator(Config::ephemeral());
    emu.run_script(
        "USE example_db; CREATE TABLE items (id INT, name STRING, born DATE) \
         DUPLICATE KEY(id) DISTRIBUTED BY HASH(id);",
    )
    .unwrap();
    let props = following(
        &emu,
        &[
            ("starrocks.table.create", "false"),
            ("starrocks.table.evolve", "false"),
            ("sink.table.failure", "fail"),
        ],
    );
    let sink = started(&props);
    let e = first_event_fails(&sink, 1, r#"{"id":1,"name":"ann","born":0}"#);
    assert!(
        e.contains("table 'example_db.items' is a DUP_KEYS table"),
        "{e}"
    );
    assert!(rows(&emu, "items").is_empty());
}

#[test]
fn the_envelope_loads_without_the_check_when_the_fe_cannot_be_asked() {
    let emu = emulator(Config::ephemeral());
    emu.run_script(
        "USE example_db; CREATE TABLE items (id INT NOT NULL, name STRING, born DATE) \
         PRIMARY KEY(id) DISTRIBUTED BY HASH(id);",
    )
    .unwrap();
    for query in [emu.query_addr().to_string(), "127.0.0.1:1".to_owned()] {
        let props = following(
            &emu,
            &[
                ("starrocks.table.create", "false"),
                ("starrocks.table.evolve", "false"),
                ("starrocks.query.url", query.as_str()),
            ],
        );
        let sink = started(&props);
        let mut session = Session::new();
        let k = key(1);
        let v = event(&row_schema(""), r#"{"id":1,"name":"ann","born":0}"#);
        sink.put(&session.batch(&[bytes_record(0, &k, &v)]))
            .expect("put succeeds");
        wait_offsets(&sink, &[("items", 0, 1)]);
        sink.stop();
    }
    assert_eq!(
        rows(&emu, "items"),
        [["1", "ann", "1970-01-01"].map(str::to_owned).to_vec()]
    );
}

#[test]
fn a_field_retyped_while_the_task_runs_fails_the_table_before_its_values_load() {
    let emu = emulator(Config::ephemeral());
    let sink = started(&following(&emu, &[("sink.table.failure", "fail")]));
    let mut session = Session::new();
    let as_int = row_schema(r#",{"field":"score","type":"int32","optional":true}"#);
    let as_text = row_schema(r#",{"field":"score","type":"string","optional":true}"#);
    let (k1, k2) = (key(1), key(2));
    let v1 = event(&as_int, r#"{"id":1,"name":"ann","born":0,"score":7}"#);
    sink.put(&session.batch(&[bytes_record(0, &k1, &v1)]))
        .expect("put succeeds");
    wait_offsets(&sink, &[("items", 0, 1)]);
    let v2 = event(&as_text, r#"{"id":2,"name":"bob","born":0,"score":"high"}"#);
    sink.put(&session.batch(&[bytes_record(1, &k2, &v2)]))
        .expect("put succeeds");
    let e = wait_failure(&sink).to_string();
    assert!(e.contains("column 'score' is int(11) in StarRocks"), "{e}");
    assert_eq!(
        rows(&emu, "items"),
        [["1", "ann", "1970-01-01", "7"].map(str::to_owned).to_vec()]
    );
}
