//! The order guarantee `docs/cdc.md` documents for `starrocks.envelope=debezium`: events of a key
//! that Debezium sends again (after its own restart, under new offsets) take a row back to an
//! older image, unless the table's loads carry `sink.properties.merge_condition` on a column the
//! source grows with every change; then the replay leaves the newest image in place.

mod common;

use common::*;
use starrocks_emulator::Config;
use starrocks_kafka_core::batch_writer::Session;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::sink::Sink;

fn update(version: i64) -> String {
    format!(
        r#"{{"op":"u","before":null,"after":{{"id":1,"name":"v{version}","version":{version}}}}}"#
    )
}

/// Loads versions 1, 2, 3 of row 1, then Debezium's replay of version 2; the row's name after.
fn after_a_replay(extra: &[(&str, &str)]) -> String {
    let emu = emulator(Config::ephemeral());
    emu.run_script(
        "USE example_db; CREATE TABLE items (id INT NOT NULL, name STRING, version BIGINT) \
         PRIMARY KEY(id) DISTRIBUTED BY HASH(id);",
    )
    .unwrap();
    let query = emu.query_addr().to_string();
    let mut all = vec![
        ("starrocks.topic2table.map", "items:items"),
        ("starrocks.envelope", "debezium"),
        ("starrocks.query.url", query.as_str()),
    ];
    all.extend_from_slice(extra);
    let sink = Sink::start(&props(&emu, &all), "order", "0").expect("the sink starts");
    sink.open(&[TopicPartition::new("items", 0)]).unwrap();
    let mut session = Session::new();
    let events: Vec<String> = [1, 2, 3, 2].into_iter().map(update).collect();
    // Two puts, so the replay arrives in a load of its own.
    let first: Vec<_> = (0..3)
        .map(|i| raw("items", 0, i, Some(events[i as usize].as_str())))
        .collect();
    sink.put(&session.batch(&first)).expect("put succeeds");
    wait_offsets(&sink, &[("items", 0, 3)]);
    let replay = [raw("items", 0, 3, Some(events[3].as_str()))];
    sink.put(&session.batch(&replay)).expect("put succeeds");
    wait_offsets(&sink, &[("items", 0, 4)]);
    sink.stop();
    let rows = rows(&emu, "items");
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0][1].clone()
}

#[test]
fn a_replayed_event_takes_the_row_back_without_a_merge_condition() {
    assert_eq!(after_a_replay(&[]), "v2");
}

#[test]
fn a_merge_condition_on_a_growing_column_keeps_the_newest_image_through_a_replay() {
    assert_eq!(
        after_a_replay(&[("sink.properties.merge_condition", "version")]),
        "v3"
    );
}
