//! The sink end to end against the in-process StarRocks emulator: batches in through `put`,
//! rows in the emulator's tables, offsets out of `pre_commit`, under every fault the emulator
//! can inject — with no lost row and no duplicate.

use std::time::{Duration, Instant};

use starrocks_emulator::faults::Fault;
use starrocks_emulator::testing::{refused, wait_until};
use starrocks_emulator::Config;
use starrocks_kafka_core::batch_writer::{self, Session};
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::record::Record;
use starrocks_kafka_core::sink::{Flow, PutReply, Sink, COMMIT_SOON};

mod common;

use common::*;

#[test]
fn the_seed_records_land_in_the_seed_table_and_their_offsets_commit() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "seed", "0").unwrap();
    sink.open(&[TopicPartition::new("test", 0)]).unwrap();
    let mut session = Session::new();
    assert_eq!(
        sink.put(&session.batch(&seed_records())).unwrap(),
        PutReply {
            flow: Flow {
                call_again_in: Some(COMMIT_SOON),
                ..Flow::default()
            },
            batches: 1,
            ..PutReply::default()
        },
        "nothing rejected, nothing paused; called back while the rows are on their way"
    );
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
    let metrics = sink.metrics();
    assert!(metrics.contains("test_tbl\trows\t3\n"), "{metrics}");
    assert!(metrics.contains("test_tbl\tloads\t1\n"), "{metrics}");
}

#[test]
fn json_loads_work_without_strip_outer_array_too() {
    let emu = emulator(Config::ephemeral());
    let mut p = props(&emu, &[]);
    p.remove("sink.properties.strip_outer_array");
    let sink = Sink::start(&p, "nostrip", "0").unwrap();
    let mut session = Session::new();
    sink.put(&session.batch(&seed_records())).unwrap();
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
}

#[test]
fn primary_key_tables_upsert_and_delete_through_op() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(&emu, &[("starrocks.topic2table.map", "cdc:customers")]),
        "cdc",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let events = [
        r#"{"id":1,"first_name":"a","last_name":"a","email":"a@a.com","__op":0}"#,
        r#"{"id":2,"first_name":"b","last_name":"b","email":"b@b.com","__op":0}"#,
        r#"{"id":1,"first_name":"a","last_name":"a","email":"c@c.com","__op":0}"#,
        r#"{"id":2,"first_name":"b","last_name":"b","email":"c@c.com","__op":0}"#,
        r#"{"id":1,"first_name":"a","last_name":"a","email":"c@c.com","__op":1}"#,
    ];
    let records: Vec<Record> = events
        .iter()
        .enumerate()
        .map(|(i, e)| raw("cdc", 0, i as i64, Some(e)))
        .collect();
    // One record per put: each flush is its own load, and loads of a table stay in order.
    for (i, r) in records.iter().enumerate() {
        sink.put(&session.batch(std::slice::from_ref(r))).unwrap();
        wait_offsets(&sink, &[("cdc", 0, i as i64 + 1)]);
    }
    assert_eq!(
        rows(&emu, "customers"),
        vec![vec![
            "2".to_string(),
            "b".into(),
            "b".into(),
            "c@c.com".into()
        ]]
    );
    wait_offsets(&sink, &[("cdc", 0, 5)]);
}

#[test]
fn upserts_of_the_same_keys_stay_in_order_when_loads_overlap() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(
            &emu,
            &[
                ("starrocks.topic2table.map", "cdc:customers"),
                ("sink.table.loads.in.flight", "3"),
            ],
        ),
        "ordered",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    upsert_rounds_in_overlapping_loads(&emu, &sink, "/api/transaction/prepare", |records| {
        sink.put(&session.batch(records)).unwrap();
    });
}

#[test]
fn partial_updates_keep_the_columns_they_do_not_name() {
    let emu = emulator(Config::ephemeral());
    let full = Sink::start(
        &props(&emu, &[("starrocks.topic2table.map", "cdc:customers")]),
        "full",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let row = r#"{"id":7,"first_name":"f","last_name":"l","email":"old@x.com"}"#;
    full.put(&session.batch(&[raw("cdc", 0, 0, Some(row))]))
        .unwrap();
    wait_offsets(&full, &[("cdc", 0, 1)]);
    let partial = Sink::start(
        &props(
            &emu,
            &[
                ("starrocks.topic2table.map", "cdc:customers"),
                ("sink.properties.partial_update", "true"),
                ("sink.properties.columns", "id,email"),
            ],
        ),
        "partial",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let update = r#"{"id":7,"email":"new@x.com"}"#;
    partial
        .put(&session.batch(&[raw("cdc", 0, 1, Some(update))]))
        .unwrap();
    wait_offsets(&partial, &[("cdc", 0, 2)]);
    assert_eq!(
        rows(&emu, "customers"),
        vec![vec![
            "7".to_string(),
            "f".into(),
            "l".into(),
            "new@x.com".into()
        ]]
    );
}

#[test]
fn several_topics_load_into_several_tables_with_offsets_per_partition() {
    let emu = emulator(Config::ephemeral().with_bes(2));
    let sink = Sink::start(
        &props(
            &emu,
            &[("starrocks.topic2table.map", "a:test_tbl,b:other_tbl")],
        ),
        "multi",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let mut records = Vec::new();
    let rows_a: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"id":{i},"city":"a{i}"}}"#))
        .collect();
    let rows_b: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"id":{i},"city":"b{i}"}}"#))
        .collect();
    for (i, r) in rows_a.iter().enumerate() {
        records.push(raw("a", (i % 2) as i32, (i / 2) as i64, Some(r)));
    }
    for (i, r) in rows_b.iter().enumerate() {
        records.push(raw("b", 0, i as i64, Some(r)));
    }
    sink.put(&session.batch(&records)).unwrap();
    wait_offsets(&sink, &[("a", 0, 25), ("a", 1, 25), ("b", 0, 30)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 50);
    assert_eq!(rows(&emu, "other_tbl").len(), 30);
}

#[test]
fn tombstones_are_skipped_but_their_offsets_commit() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "tomb", "0").unwrap();
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, None),
        raw("test", 0, 2, None),
        // Rows and tombstones alternating in one run of a partition.
        raw("test", 1, 0, Some(r#"{"id":2,"city":"y"}"#)),
        raw("test", 1, 1, None),
        raw("test", 1, 2, Some(r#"{"id":3,"city":"z"}"#)),
        raw("test", 1, 3, None),
    ];
    sink.put(&session.batch(&records)).unwrap();
    wait_offsets(&sink, &[("test", 0, 3), ("test", 1, 4)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 3);
}

#[test]
fn rows_flush_after_the_interval_without_another_call() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(&emu, &[("bufferflush.intervalms", "1000")]),
        "tick",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    sink.put(&session.batch(&[raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#))]))
        .unwrap();
    assert!(rows(&emu, "test_tbl").is_empty(), "not before the interval");
    wait_until("the interval flush", Duration::from_secs(5), || {
        rows(&emu, "test_tbl").len() == 1
    });
}

#[test]
fn loads_fail_over_to_the_second_fe() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let sink = Sink::start(&props(&emu, &[]), "failover", "0").unwrap();
    let mut session = Session::new();
    emu.fe_down(0);
    wait_until("the first FE to go down", Duration::from_secs(5), || {
        refused(emu.fe_http())
    });
    sink.put(&session.batch(&seed_records())).unwrap();
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
    let fe1 = emu
        .journal()
        .into_iter()
        .filter(|e| e.node == "fe1")
        .count();
    assert!(fe1 >= 1, "the second FE served the load");
}

/// Every fault the emulator can inject: the rows land exactly once, the offsets commit, and
/// every attempt of a load carries the same label.
#[test]
fn every_injected_fault_ends_with_each_row_exactly_once() {
    let faults = [
        Fault::FailLoad {
            http_status: 200,
            status: "Fail".into(),
            message: "injected".into(),
        },
        Fault::FailLoad {
            http_status: 500,
            status: String::new(),
            message: "boom".into(),
        },
        Fault::PublishTimeout {
            visible_after: Duration::from_millis(200),
        },
        Fault::DropReplyAfterCommit,
        Fault::CloseMidBody,
        Fault::RedirectUnreachable,
        Fault::DelayRedirect {
            delay: Duration::from_millis(300),
        },
        Fault::DelayReply {
            delay: Duration::from_millis(300),
        },
    ];
    for fault in faults {
        let emu = emulator(Config::ephemeral());
        let sink = Sink::start(&props(&emu, &[]), "faults", "0").unwrap();
        let mut session = Session::new();
        emu.inject(fault.clone(), 1);
        sink.put(&session.batch(&seed_records())).unwrap();
        wait_offsets(&sink, &[("test", 0, 3)]);
        wait_until("the rows to be visible", Duration::from_secs(5), || {
            rows(&emu, "test_tbl").len() >= 3
        });
        assert_eq!(sorted(rows(&emu, "test_tbl")), seed_table(), "{fault:?}");
        let labels = labels_loaded(&emu);
        assert!(!labels.is_empty());
        assert!(
            labels.iter().all(|l| l == &labels[0]),
            "{fault:?}: one label for every attempt: {labels:?}"
        );
    }
}

#[test]
fn without_tolerance_rejected_rows_fail_the_sink_naming_the_record_and_starrocks_reason() {
    let emu = emulator(Config::ephemeral());
    // Rows StarRocks rejects are not a table's failure: whatever sink.table.failure says
    // (`retry` here), the task fails under errors.tolerance=none.
    let sink = Sink::start(
        &props(
            &emu,
            &[
                ("sink.properties.strict_mode", "true"),
                ("sink.table.failure", "retry"),
            ],
        ),
        "bad",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":"not a number","city":"y"}"#)),
    ];
    sink.put(&session.batch(&records)).unwrap();
    let err = wait_failure(&sink);
    let text = err.to_string();
    assert!(
        text.contains("topic=test partition=0 offset=1 loading into example_db.test_tbl"),
        "{text}"
    );
    assert!(text.contains("errors.tolerance=none"), "{text}");
    assert!(
        text.contains("not a number"),
        "the ErrorURL's row is quoted: {text}"
    );
    assert!(!err.is_retriable());
    assert!(rows(&emu, "test_tbl").is_empty());
    // The failure sticks: nothing is committed and later calls report it.
    assert!(sink.put(&session.batch(&[])).is_err());
}

#[test]
fn under_sink_table_failure_fail_a_table_gives_up_after_its_retries_and_retry_timeout() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(
            &emu,
            &[
                ("sink.maxretries", "1"),
                ("sink.retry.timeoutms", "0"),
                ("sink.table.failure", "fail"),
            ],
        ),
        "giveup",
        "0",
    )
    .unwrap();
    emu.inject(
        Fault::FailLoad {
            http_status: 503,
            status: String::new(),
            message: "down".into(),
        },
        5,
    );
    let mut session = Session::new();
    sink.put(&session.batch(&seed_records())).unwrap();
    let err = wait_failure(&sink);
    assert!(err.to_string().contains("test_tbl"), "{err}");
    assert!(err.to_string().contains("after 2 attempts"), "{err}");
    let loads = emu
        .journal()
        .into_iter()
        .filter(|e| e.node.starts_with("be") && e.uri == "/api/transaction/load")
        .count();
    assert_eq!(loads, 2, "the first attempt and one retry");
    assert!(rows(&emu, "test_tbl").is_empty());
    std::thread::sleep(Duration::from_millis(500));
    let later = emu
        .journal()
        .into_iter()
        .filter(|e| e.node.starts_with("be") && e.uri == "/api/transaction/begin")
        .count();
    assert_eq!(later, 2, "nothing is sent once the sink has failed");
}

#[test]
fn bad_records_are_returned_under_errors_tolerance_all_and_their_offsets_commit() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(&emu, &[("errors.tolerance", "all")]),
        "tolerant",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":2,"city":"#)),
        raw("test", 0, 2, Some(r#"{"id":3,"city":"z"}"#)),
    ];
    let rejected = sink.put(&session.batch(&records)).unwrap().rejected;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].index, 1);
    assert!(
        rejected[0]
            .message
            .contains("topic 'test' partition 0 offset 1"),
        "{}",
        rejected[0].message
    );
    // The next put says the shim reported it: then its offset commits.
    sink.put(&session.batch(&[])).unwrap();
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 2);

    // Without tolerance, the same record fails the put and names the record.
    let strict = Sink::start(&props(&emu, &[]), "strict", "0").unwrap();
    let mut session = Session::new();
    let err = strict
        .put(&session.batch(&records))
        .expect_err("malformed JSON");
    assert!(err.to_string().contains("offset 1"), "{err}");
    // The record before it was buffered: its row loads and its offset is tracked, so it commits.
    wait_offsets(&strict, &[("test", 0, 1)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 3);
}

#[test]
fn closed_partitions_drop_their_buffered_rows() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "close", "0").unwrap();
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"kept"}"#)),
        raw("test", 1, 0, Some(r#"{"id":2,"city":"dropped"}"#)),
        raw("test", 0, 1, Some(r#"{"id":3,"city":"kept"}"#)),
    ];
    sink.put(&session.batch(&records)).unwrap();
    sink.close(&[TopicPartition::new("test", 1)]).unwrap();
    wait_offsets(&sink, &[("test", 0, 2)]);
    assert_eq!(
        rows(&emu, "test_tbl"),
        vec![
            vec!["1".to_string(), "kept".into()],
            vec!["3".to_string(), "kept".into()]
        ]
    );
}

#[test]
fn stop_is_safe_twice_and_later_calls_fail_cleanly() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "stop", "0").unwrap();
    sink.stop();
    sink.stop();
    let mut session = Session::new();
    // After stop nothing is loaded; put either fails or buffers nothing durable.
    let _ = sink.put(&session.batch(&seed_records()));
    assert!(sink.pre_commit(&[]).map(|o| o.is_empty()).unwrap_or(true));
}

#[test]
fn configuration_errors_name_the_key() {
    let emu = emulator(Config::ephemeral());
    let err = Sink::start(&props(&emu, &[("bufferflush.maxbytes", "1")]), "cfg", "0")
        .err()
        .expect("a bad value fails start");
    assert!(err.is_config());
    assert!(err.to_string().contains("bufferflush.maxbytes"), "{err}");
}

#[test]
fn lz4_frame_compressed_loads_land_too() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(&emu, &[("sink.properties.compression", "lz4_frame")]),
        "lz4",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    sink.put(&session.batch(&seed_records())).unwrap();
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
    let be = emu
        .journal()
        .into_iter()
        .find(|e| e.node.starts_with("be") && e.uri == "/api/transaction/load")
        .expect("a BE load request");
    assert_eq!(
        be.headers.get("compression").map(String::as_str),
        Some("lz4_frame")
    );
}

#[test]
fn records_dropped_before_the_sink_commit_once_everything_given_is_durable() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "dropped", "0").unwrap();
    let mut session = Session::new();
    sink.put(&session.batch(&seed_records())).unwrap();
    // Connect consumed offset 3 too (a tombstone an SMT dropped): consumed position 4.
    wait_offsets(&sink, &[("test", 0, 3)]);
    let consumed = [(TopicPartition::new("test", 0), 4)];
    let offsets: Vec<(String, i32, i64)> = sink
        .pre_commit(&consumed)
        .unwrap()
        .into_iter()
        .map(|(tp, o)| (tp.topic.to_string(), tp.partition, o))
        .collect();
    assert_eq!(offsets, vec![("test".to_string(), 0, 4)]);

    // Past what was given to a partition with rows still buffered, nothing is taken.
    let held = Sink::start(
        &props(&emu, &[("bufferflush.intervalms", "3600000")]),
        "held",
        "0",
    )
    .unwrap();
    let mut session = Session::new();
    held.put(&session.batch(&[raw("test", 1, 0, Some(r#"{"id":9,"city":"x"}"#))]))
        .unwrap();
    held.stop();
    let consumed = [(TopicPartition::new("test", 1), 5)];
    assert!(held
        .pre_commit(&consumed)
        .map(|o| o.is_empty())
        .unwrap_or(true));
}

#[test]
fn a_replay_of_the_same_offsets_into_a_truncated_table_loads_every_row_again() {
    let emu = emulator(Config::ephemeral());
    let p = props(&emu, &[]);
    let first = Sink::start(&p, "replay", "0").unwrap();
    first.put(&Session::new().batch(&seed_records())).unwrap();
    wait_offsets(&first, &[("test", 0, 3)]);
    first.stop();
    emu.execute_sql("TRUNCATE TABLE example_db.test_tbl")
        .unwrap();
    assert!(rows(&emu, "test_tbl").is_empty());

    // The same connector and task, the same offsets: a new session, new labels.
    let again = Sink::start(&p, "replay", "0").unwrap();
    again.put(&Session::new().batch(&seed_records())).unwrap();
    wait_offsets(&again, &[("test", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
    let labels = labels_loaded(&emu);
    let first_label = &labels[0];
    let last_label = labels.last().unwrap();
    assert_ne!(first_label, last_label, "{labels:?}");
    for label in [first_label, last_label] {
        assert!(
            label.starts_with("kc-replay-0-test_tbl-test-0-0-2-"),
            "{label}"
        );
    }
}

#[test]
fn a_failing_table_pauses_only_its_partitions_while_the_others_load_and_commit() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &props(
            &emu,
            &[("starrocks.topic2table.map", "a:test_tbl,b:other_tbl")],
        ),
        "isolation",
        "0",
    )
    .unwrap();
    sink.open(&[TopicPartition::new("a", 0), TopicPartition::new("b", 0)])
        .unwrap();
    emu.execute_sql("DROP TABLE example_db.other_tbl").unwrap();
    let mut session = Session::new();
    let batch = |from: i64| {
        let a: Vec<String> = (from..from + 5)
            .map(|i| format!(r#"{{"id":{i},"city":"a"}}"#))
            .collect();
        let b: Vec<String> = (from..from + 5)
            .map(|i| format!(r#"{{"id":{i},"city":"b"}}"#))
            .collect();
        (a, b)
    };
    let (a, b) = batch(0);
    let mut records = Vec::new();
    for i in 0..5 {
        records.push(raw("a", 0, i as i64, Some(&a[i])));
        records.push(raw("b", 0, i as i64, Some(&b[i])));
    }
    let reply = sink.put(&session.batch(&records)).unwrap();
    assert!(reply.flow.pause.is_empty(), "nothing has failed yet");
    // Table a loads and commits; table b fails, and pausing its partition is asked for.
    wait_offsets(&sink, &[("a", 0, 5)]);
    let mut paused = Vec::new();
    wait_until("b-0 to be paused", Duration::from_secs(10), || {
        let reply = sink.put(&session.batch(&[])).unwrap();
        paused.extend(tps(&reply.flow.pause));
        !paused.is_empty()
    });
    assert_eq!(paused, vec![("b".to_string(), 0)]);
    assert_eq!(metric(&sink, "other_tbl", "failing"), 1);
    assert_eq!(metric(&sink, "test_tbl", "failing"), 0);
    assert!(metric(&sink, "other_tbl", "retries") >= 1);

    // Table a goes on while b fails.
    let (a, _) = batch(5);
    let more: Vec<Record> = (0..5)
        .map(|i| raw("a", 0, 5 + i as i64, Some(&a[i])))
        .collect();
    let reply = sink.put(&session.batch(&more)).unwrap();
    assert!(
        reply.flow.call_again_in.is_some(),
        "called back to resume b"
    );
    wait_offsets(&sink, &[("a", 0, 10)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 10);

    // The table comes back: b's rows load by themselves, its partition resumes.
    emu.execute_sql("CREATE TABLE example_db.other_tbl (id INT, city STRING)")
        .unwrap();
    wait_offsets(&sink, &[("a", 0, 10), ("b", 0, 5)]);
    assert_eq!(rows(&emu, "other_tbl").len(), 5);
    let reply = sink.put(&session.batch(&[])).unwrap();
    assert_eq!(tps(&reply.flow.resume), vec![("b".to_string(), 0)]);
    assert_eq!(reply.flow.call_again_in, None);
    assert_eq!(metric(&sink, "other_tbl", "failing"), 0);
}

#[test]
fn closing_a_partition_cancels_its_slow_load_which_never_commits_and_the_rest_goes_on() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "rebalance", "0").unwrap();
    sink.open(&[
        TopicPartition::new("test", 0),
        TopicPartition::new("test", 1),
    ])
    .unwrap();
    emu.inject(
        Fault::DelayReply {
            delay: Duration::from_millis(3000),
        },
        1,
    );
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"kept"}"#)),
        raw("test", 1, 0, Some(r#"{"id":2,"city":"revoked"}"#)),
    ];
    let put_at = Instant::now();
    sink.put(&Session::new().batch(&records)).unwrap();
    // The load is in flight (its body held up at the BE) when partition 1 is revoked.
    sink.pre_commit(&[]).unwrap();
    assert!(emu
        .journal()
        .iter()
        .all(|e| e.uri != "/api/transaction/prepare"));
    let started = Instant::now();
    sink.close(&[TopicPartition::new("test", 1)]).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    wait_offsets(&sink, &[("test", 0, 1)]);
    std::thread::sleep(
        (put_at + Duration::from_millis(3500)).saturating_duration_since(Instant::now()),
    );
    assert_eq!(
        rows(&emu, "test_tbl"),
        vec![vec!["1".to_string(), "kept".into()]],
        "the revoked partition's row never became visible"
    );
    let commits: Vec<String> = emu
        .journal()
        .into_iter()
        .filter(|e| e.uri == "/api/transaction/commit")
        .filter_map(|e| e.label)
        .collect();
    assert_eq!(
        commits.len(),
        1,
        "only the load without the revoked row commits: {commits:?}"
    );
}

#[test]
fn in_an_outage_put_returns_at_once_pre_commit_within_its_bound_and_stop_at_once() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let sink = Sink::start(&props(&emu, &[]), "outage", "0").unwrap();
    emu.fe_down(0);
    emu.fe_down(1);
    let mut session = Session::new();
    for round in 0..5 {
        let started = Instant::now();
        let records: Vec<Record> = (0..3)
            .map(|i| raw("test", 0, round * 3 + i, Some(r#"{"id":1,"city":"x"}"#)))
            .collect();
        sink.put(&session.batch(&records)).unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "put took {:?}",
            started.elapsed()
        );
        let started = Instant::now();
        assert!(sink.pre_commit(&[]).unwrap().is_empty());
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "pre_commit took {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    sink.close(&[TopicPartition::new("test", 0)]).unwrap();
    sink.stop();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "close and stop took {:?}",
        started.elapsed()
    );
    assert!(rows(&emu, "test_tbl").is_empty());
}

#[test]
fn records_renamed_where_the_original_topic_is_unknown_are_refused_before_any_row_loads() {
    // Connect before 3.6: a RegexRouter renamed `events-raw` to `test`, and the record can only
    // name the renamed topic, which is not assigned to the task.
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "renamed", "0").unwrap();
    sink.open(&[TopicPartition::new("events-raw", 0)]).unwrap();
    let mut session = Session::new();
    let err = sink
        .put(&session.batch(&seed_records()))
        .expect_err("a record of an unassigned partition is refused");
    let message = err.to_string();
    assert!(!err.is_data(), "not skippable under errors.tolerance=all");
    assert!(
        message.contains("topic=test partition=0 offset=0"),
        "{message}"
    );
    assert!(
        message.contains("is not assigned to this task"),
        "{message}"
    );
    assert!(message.contains("Kafka Connect 3.6"), "{message}");
    assert!(
        sink.pre_commit(&[(TopicPartition::new("events-raw", 0), 3)])
            .is_err(),
        "no offset is committed after the refusal"
    );
    assert!(rows(&emu, "test_tbl").is_empty());

    // With the original topic known (Connect 3.6+), the same records load and commit under it.
    let renamed: Vec<Record> = seed_records()
        .into_iter()
        .map(|r| Record {
            original_topic: batch_writer::topic("events-raw"),
            ..r
        })
        .collect();
    let sink = Sink::start(&props(&emu, &[]), "original", "0").unwrap();
    sink.open(&[TopicPartition::new("events-raw", 0)]).unwrap();
    sink.put(&Session::new().batch(&renamed)).unwrap();
    wait_offsets(&sink, &[("events-raw", 0, 3)]);
    assert_eq!(rows(&emu, "test_tbl"), seed_table());
}

#[test]
fn validate_asks_starrocks_for_the_credentials_the_database_and_each_table() {
    use starrocks_kafka_core::validate::{validate, Runtime};
    let emu = emulator(Config::ephemeral());
    let runtime = Runtime {
        original_topics: true,
    };
    let keys_of = |extra: &[(&str, &str)]| -> Vec<String> {
        let mut p = props(&emu, extra);
        p.insert("topics".into(), "test,other_tbl".into());
        validate(&p, runtime).into_iter().map(|(k, _)| k).collect()
    };
    assert!(keys_of(&[]).is_empty(), "the seed's tables exist");
    assert_eq!(
        keys_of(&[("starrocks.password", "wrong")]),
        ["starrocks.password"]
    );
    assert_eq!(
        keys_of(&[("starrocks.database.name", "nope")]),
        ["starrocks.database.name"]
    );
    assert_eq!(
        keys_of(&[("starrocks.topic2table.map", "test:gone")]),
        ["starrocks.topic2table.map"]
    );
    let mut p = props(&emu, &[]);
    p.insert("topics".into(), "test,absent_tbl".into());
    let problems = validate(&p, runtime);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "topics");
    assert!(
        problems[0].1.contains("'example_db.absent_tbl'"),
        "{problems:?}"
    );

    // An FE that does not answer is no problem (a warning), and costs at most the timeout.
    let started = Instant::now();
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    assert!(refused(dead));
    let dead = dead.to_string();
    assert!(keys_of(&[("starrocks.http.url", &dead), ("connect.timeoutms", "500")]).is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_put_asks_for_a_commit_soon_after_rows_become_durable() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(&props(&emu, &[]), "commit-soon", "0").unwrap();
    let mut session = Session::new();
    let first = sink.put(&session.batch(&seed_records())).unwrap();
    assert_eq!(
        first.flow.call_again_in,
        Some(COMMIT_SOON),
        "rows on their way"
    );
    assert!(!first.flow.commit, "nothing durable yet");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = sink.put(&session.batch(&[])).unwrap();
        if reply.flow.commit {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never asked for a commit: {reply:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        rows(&emu, "test_tbl").len(),
        3,
        "asked only once the rows are there"
    );
    assert_eq!(offsets(&sink), [("test".to_string(), 0, 3)]);
    let after = sink.put(&session.batch(&[])).unwrap();
    assert!(!after.flow.commit, "committed: nothing new is durable");
    assert_eq!(after.flow.call_again_in, None, "nothing on its way");
}
