//! The core's log queue as the JNI crate installs it: a sink started with a password, fed a
//! batch and failing its load on that password, logs nothing that contains it — at TRACE.
//!
//! One test in its own binary: it installs the process-wide subscriber, which nothing else in
//! this process may do first.

use std::collections::HashMap;

use base64::Engine as _;
use starrocks_emulator::{start, Config};
use starrocks_kafka_core::batch_writer::{self, Session};
use starrocks_kafka_core::log::{self, LogEvent};
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::record::{Datum, Payload, Record};
use starrocks_kafka_core::sink::Sink;

const PASSWORD: &str = "s3cr3t-pw";

fn seed_record(offset: i64, id: i64, city: &'static str) -> Record<'static> {
    let topic = batch_writer::topic("test");
    Record {
        original_topic: topic,
        partition: 0,
        offset,
        topic,
        timestamp: None,
        key: Payload::Null,
        value: Payload::Data {
            schema: None,
            datum: Datum::Map(vec![
                (Datum::Str("id"), Datum::Int64(id)),
                (Datum::Str("city"), Datum::Str(city)),
            ]),
        },
    }
}

#[test]
fn a_sink_never_logs_its_password_even_when_a_load_fails_on_it() {
    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var(log::FILTER_ENV, "trace");
    log::install();

    // StarRocks knows root without a password: every load with ours fails authentication.
    let emu = start(Config::ephemeral()).expect("the emulator starts");
    emu.run_script(
        "CREATE DATABASE example_db; USE example_db; CREATE TABLE test_tbl (id INT, city STRING);",
    )
    .expect("the DDL runs");
    let props: HashMap<String, String> = [
        ("starrocks.http.url", emu.fe_http().to_string()),
        ("starrocks.database.name", "example_db".into()),
        ("starrocks.username", "root".into()),
        ("starrocks.password", PASSWORD.into()),
        ("starrocks.topic2table.map", "test:test_tbl".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    let sink = Sink::start(&props, "secretive", "0").expect("the sink starts");
    let mut events: Vec<LogEvent> = log::drain();
    sink.open(&[TopicPartition::new("test", 0)]).unwrap();
    let batch = Session::new().batch(&[
        seed_record(0, 1, "New York"),
        seed_record(1, 2, "Los Angeles"),
    ]);
    sink.put(&batch).expect("the batch is buffered");
    // A refused password is permanent: the table counts as failing at once and is retried
    // (sink.table.failure=retry), with an ERROR line holding StarRocks' message each time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !events.iter().any(|e| e.level == 1) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        events.extend(log::drain());
    }
    let committed = sink.pre_commit(&[]).expect("the task does not fail");
    assert!(committed.is_empty(), "{committed:?}");
    sink.stop();
    events.extend(log::drain());

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("root:{PASSWORD}"));
    for event in &events {
        assert!(
            !event.message.contains(PASSWORD) && !event.message.contains(&basic),
            "a log event contains the password: {event:?}"
        );
    }
    let started = events
        .iter()
        .find(|e| e.message.starts_with("StarRocks sink started."))
        .unwrap_or_else(|| panic!("the start is logged: {events:?}"));
    assert_eq!(
        (started.connector.as_str(), started.task.as_str()),
        ("secretive", "0")
    );
    assert!(
        events.iter().any(|e| e.level == 1
            && e.message.starts_with("Table is failing")
            && e.message.contains("table=\"test_tbl\"")
            && e.message
                .contains("authentication failed: Access denied for root@")),
        "the failing table is logged as an error with StarRocks' message: {events:?}"
    );
}
