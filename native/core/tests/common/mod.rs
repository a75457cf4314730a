//! What the sink's integration tests share: the emulator with the tables they load, the
//! connector's properties for it, records, and waits on offsets and failures.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use starrocks_emulator::faults::Fault;
use starrocks_emulator::testing;
use starrocks_emulator::{start, Config, Emulator};
use starrocks_kafka_core::batch_writer;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::record::{Datum, Payload, Record};
use starrocks_kafka_core::sink::Sink;

pub const DDL: &str = "
CREATE DATABASE example_db;
USE example_db;
CREATE TABLE test_tbl (id INT, city STRING);
CREATE TABLE other_tbl (id INT, city STRING);
CREATE TABLE customers (
  id int(11) COMMENT \"\",
  first_name varchar(65533) NULL COMMENT \"\",
  last_name varchar(65533) NULL COMMENT \"\",
  email varchar(65533) NULL COMMENT \"\"
) ENGINE=OLAP PRIMARY KEY(id) DISTRIBUTED BY hash(id) buckets 1;
";

pub fn emulator(config: Config) -> Emulator {
    let emu = start(config).expect("the emulator starts");
    emu.run_script(DDL).expect("the DDL runs");
    emu
}

pub fn props(emu: &Emulator, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let urls: Vec<String> = emu.fe_http_all().iter().map(|a| a.to_string()).collect();
    let mut p: HashMap<String, String> = [
        ("name", "test-connector"),
        ("starrocks.http.url", &urls.join(",")),
        ("starrocks.database.name", "example_db"),
        ("starrocks.username", "root"),
        ("starrocks.password", ""),
        ("starrocks.topic2table.map", "test:test_tbl"),
        ("sink.properties.strip_outer_array", "true"),
        ("sink.maxretries", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

/// A sink of task 0 of `connector`, started with `props(emu, extra)`.
pub fn start_sink(emu: &Emulator, extra: &[(&str, &str)], connector: &str) -> Sink {
    Sink::start(&props(emu, extra), connector, "0").expect("the sink starts")
}

/// A record of `topic` (not renamed by a transform) with this key and value.
pub fn record<'a>(
    topic: &str,
    partition: i32,
    offset: i64,
    key: Payload<'a>,
    value: Payload<'a>,
) -> Record<'a> {
    let topic = batch_writer::topic(topic);
    Record {
        original_topic: topic,
        partition,
        offset,
        topic,
        timestamp: None,
        key,
        value,
    }
}

/// A record whose value is a raw JSON string (StringConverter), or a tombstone for `None`.
pub fn raw<'a>(topic: &str, partition: i32, offset: i64, json: Option<&'a str>) -> Record<'a> {
    let value = json.map_or(Payload::Null, Payload::RawText);
    record(topic, partition, offset, Payload::Null, value)
}

/// The seed's records as JsonConverter (schemas.enable=false) hands them over: schemaless maps.
pub fn seed_records() -> Vec<Record<'static>> {
    let cities = ["New York", "Los Angeles", "Chicago"];
    cities
        .iter()
        .enumerate()
        .map(|(i, city)| {
            let mut r = raw("test", 0, i as i64, None);
            r.value = Payload::Data {
                schema: None,
                datum: Datum::Map(vec![
                    (Datum::Str("id"), Datum::Int64(i as i64 + 1)),
                    (Datum::Str("city"), Datum::Str(city)),
                ]),
            };
            r
        })
        .collect()
}

pub fn rows(emu: &Emulator, table: &str) -> Vec<Vec<String>> {
    testing::rows(emu, "example_db", table)
}

pub fn sorted(mut v: Vec<Vec<String>>) -> Vec<Vec<String>> {
    v.sort();
    v
}

pub fn seed_table() -> Vec<Vec<String>> {
    vec![
        vec!["1".into(), "New York".into()],
        vec!["2".into(), "Los Angeles".into()],
        vec!["3".into(), "Chicago".into()],
    ]
}

pub fn offsets(sink: &Sink) -> Vec<(String, i32, i64)> {
    sink.pre_commit(&[])
        .expect("pre_commit succeeds")
        .into_iter()
        .map(|(tp, o)| (tp.topic.to_string(), tp.partition, o))
        .collect()
}

/// Calls `pre_commit` until it returns `expected` (a commit returns what is durable by then).
pub fn wait_offsets(sink: &Sink, expected: &[(&str, i32, i64)]) {
    let expected: Vec<(String, i32, i64)> = expected
        .iter()
        .map(|(t, p, o)| (t.to_string(), *p, *o))
        .collect();
    let end = Instant::now() + Duration::from_secs(20);
    let mut last = Vec::new();
    while Instant::now() < end {
        last = offsets(sink);
        if last == expected {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("offsets never became {expected:?}; last {last:?}");
}

/// Calls `pre_commit` until it fails, and returns the error.
pub fn wait_failure(sink: &Sink) -> starrocks_kafka_core::Error {
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        if let Err(e) = sink.pre_commit(&[]) {
            return e;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the sink never failed");
}

pub fn tps(flow: &[TopicPartition]) -> Vec<(String, i32)> {
    flow.iter()
        .map(|tp| (tp.topic.to_string(), tp.partition))
        .collect()
}

pub fn metric(sink: &Sink, table: &str, name: &str) -> u64 {
    let prefix = format!("{table}\t{name}\t");
    sink.metrics()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.parse().unwrap()))
        .unwrap_or_else(|| panic!("no {name} for {table}"))
}

pub fn labels_loaded(emu: &Emulator) -> Vec<String> {
    emu.journal()
        .into_iter()
        .filter(|e| e.node.starts_with("be"))
        .filter_map(|e| e.label)
        .collect()
}

/// Upserts the same `keys` keys of `customers` (topic `cdc`, partition 0) in `rounds` rounds,
/// each its own load (a pause past the flush interval between rounds), every other load's
/// rows slow to answer so that the load after it is sent before it commits; `deliver` hands
/// a round's records to the sink. Then checks, once every offset is committed, that each key
/// holds the last round's value, and that some load sent `step` (its rows, or its prepare)
/// before the load ahead of it committed. Returns the offset after the last record.
pub fn upsert_rounds_in_overlapping_loads(
    emu: &Emulator,
    sink: &Sink,
    step: &str,
    mut deliver: impl FnMut(&[Record<'_>]),
) -> i64 {
    let (keys, rounds) = (50_i64, 6_i64);
    let mut offset = 0;
    for round in 0..rounds {
        // The last round's load is fast.
        if round % 2 == 0 && round + 1 < rounds {
            emu.inject(
                Fault::DelayReply {
                    delay: Duration::from_millis(2_500),
                },
                1,
            );
        }
        let events: Vec<String> = (0..keys)
            .map(|id| {
                format!(r#"{{"id":{id},"first_name":"f","last_name":"l","email":"round-{round}"}}"#)
            })
            .collect();
        let records: Vec<Record> = events
            .iter()
            .enumerate()
            .map(|(i, e)| raw("cdc", 0, offset + i as i64, Some(e)))
            .collect();
        deliver(&records);
        offset += keys;
        std::thread::sleep(Duration::from_millis(1_300));
    }
    wait_offsets(sink, &[("cdc", 0, offset)]);
    let latest = format!("round-{}", rounds - 1);
    let rows = rows(emu, "customers");
    assert_eq!(rows.len(), keys as usize);
    for row in &rows {
        assert_eq!(row[3], latest, "key {} went back to an older value", row[0]);
    }
    let journal = emu.journal();
    let first_seq = |label: &str| {
        journal
            .iter()
            .find(|e| e.uri.contains(step) && e.label.as_deref() == Some(label))
            .map(|e| e.seq)
    };
    let mut committed: Vec<(u64, String)> = journal
        .iter()
        .filter(|e| e.uri.contains("/api/transaction/commit"))
        .filter_map(|e| e.label.clone().map(|l| (e.seq, l)))
        .filter(|(_, l)| !l.contains("-register-"))
        .collect();
    committed.dedup_by(|a, b| a.1 == b.1);
    assert_eq!(committed.len(), rounds as usize, "{committed:?}");
    let overlapped = committed
        .windows(2)
        .any(|w| first_seq(&w[1].1).is_some_and(|sent| sent < w[0].0));
    assert!(
        overlapped,
        "no load sent {step} while the one ahead of it was in flight"
    );
    offset
}
