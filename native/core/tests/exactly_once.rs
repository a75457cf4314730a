//! `sink.semantic=exactly-once` against the in-process emulator: every recovery branch of
//! `progress` / `sink::recovery` — no progress yet, progress whose next label was never begun
//! (or is forgotten), a load committed but not yet visible, a load left prepared, the sink's
//! own labels, settings changed between runs, a reset of the offsets — and the ambiguous
//! answers of a load, each ending with every row exactly once.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use starrocks_emulator::faults::Fault;
use starrocks_emulator::testing::wait_until;
use starrocks_emulator::{Config, Emulator};
use starrocks_kafka_core::batch_writer::Session;
use starrocks_kafka_core::config::SinkConfig;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::record::Record;
use starrocks_kafka_core::sink::{reset_progress, PutReply, Sink};
use starrocks_kafka_core::stream_load::{
    classify, LoadRequest, Op, Part, ProgressPart, StreamLoadClient, Verdict,
};

const CONNECTOR: &str = "eo";
const PROGRESS: &str = "kafka_connect_progress";

fn eo_props(emu: &Emulator, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let query = emu.query_addr().to_string();
    let mut all = vec![
        ("sink.semantic", "exactly-once"),
        ("starrocks.query.url", query.as_str()),
        ("name", CONNECTOR),
    ];
    all.extend_from_slice(extra);
    props(emu, &all)
}

fn tp0() -> TopicPartition {
    TopicPartition::new("test", 0)
}

/// Records `from..to` of partition 0 of `test`, ids `offset + 1`.
fn records(from: i64, to: i64) -> Vec<String> {
    (from..to)
        .map(|o| format!(r#"{{"id":{},"city":"c{o}"}}"#, o + 1))
        .collect()
}

fn as_records(values: &[String], from: i64) -> Vec<Record<'_>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| raw("test", 0, from + i as i64, Some(v)))
        .collect()
}

/// What Connect does with a put batch: hands it over, and when the sink hands the records
/// back (a partition still recovering: it is paused and rewound), polls with nothing to
/// deliver until the partition is resumed, then consumes the same records again.
/// (The batch's records are of one partition.)
fn deliver(sink: &Sink, session: &mut Session, batch: &[Record<'_>]) -> PutReply {
    let end = Instant::now() + Duration::from_secs(20);
    let first = batch.first().expect("a batch of records");
    let tp = TopicPartition::new(first.original_topic, first.partition);
    loop {
        let reply = sink.put(&session.batch(batch)).expect("put succeeds");
        if reply.flow.rewind.is_empty() {
            return reply;
        }
        assert_eq!(
            reply.flow.rewind,
            vec![(tp.clone(), first.offset)],
            "handed back from its first record"
        );
        loop {
            assert!(
                Instant::now() < end,
                "the partition never finished recovering"
            );
            std::thread::sleep(Duration::from_millis(50));
            let idle = sink.put(&session.batch(&[])).expect("put succeeds");
            assert!(idle.flow.rewind.is_empty());
            if idle.flow.resume.contains(&tp) {
                break;
            }
        }
    }
}

/// The progress row of partition 0 of `test` for `test_tbl`: (next_offset, next_label).
fn progress_row(emu: &Emulator) -> Option<(i64, String)> {
    let rows = emu.rows("example_db", PROGRESS).unwrap_or_default();
    rows.into_iter().find_map(|r| {
        let text: Vec<String> = r.into_iter().map(|v| v.unwrap_or_default()).collect();
        (text[0] == CONNECTOR && text[1] == "test_tbl" && text[2] == "test" && text[3] == "0")
            .then(|| (text[4].parse().unwrap(), text[5].clone()))
    })
}

fn ids(emu: &Emulator) -> Vec<i64> {
    let mut ids: Vec<i64> = rows(emu, "test_tbl")
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    ids.sort();
    ids
}

fn ids_1_to(n: i64) -> Vec<i64> {
    (1..=n).collect()
}

/// A sink of `CONNECTOR` task 0 with partition 0 of `test` opened.
fn started(emu: &Emulator, extra: &[(&str, &str)]) -> Sink {
    let sink = Sink::start(&eo_props(emu, extra), CONNECTOR, "0").expect("the sink starts");
    sink.open(&[tp0()]).unwrap();
    sink
}

/// Runs records `from..to` through a new sink until they are committed, then stops it: the
/// crash of a worker whose offsets Kafka never received.
fn run_and_crash(emu: &Emulator, from: i64, to: i64) {
    let sink = started(emu, &[]);
    let mut session = Session::new();
    let values = records(from, to);
    deliver(&sink, &mut session, &as_records(&values, from));
    wait_offsets(&sink, &[("test", 0, to)]);
    sink.stop();
}

#[test]
fn rows_and_progress_commit_together_and_a_restart_skips_what_is_loaded() {
    let emu = emulator(Config::ephemeral());
    // No progress yet: the sink creates the progress table and loads everything.
    run_and_crash(&emu, 0, 5);
    assert_eq!(ids(&emu), ids_1_to(5));
    let (next, next_label) = progress_row(&emu).expect("a progress row");
    assert_eq!(next, 5);
    // The label the row names was never begun: StarRocks does not know it (as after
    // label_keep_max_second), and nothing of it can become visible.
    assert_eq!(emu_label_state(&emu, &next_label), "UNKNOWN");

    // Kafka never got the commit: the new task is handed everything again from 0.
    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let values = records(0, 8);
    deliver(&sink, &mut session, &as_records(&values, 0));
    wait_offsets(&sink, &[("test", 0, 8)]);
    assert_eq!(ids(&emu), ids_1_to(8), "rows 1-5 once, 6-8 loaded");
    assert_eq!(metric(&sink, "test_tbl", "records-already-loaded"), 5);
    assert_eq!(metric(&sink, "test_tbl", "recoveries"), 1);
    assert_eq!(progress_row(&emu).unwrap().0, 8);
}

#[test]
fn a_load_committed_but_not_yet_visible_is_waited_for() {
    let emu = emulator(Config::ephemeral());
    let sink = started(&emu, &[("sink.properties.timeout", "2")]);
    let mut session = Session::new();
    let first = records(0, 3);
    deliver(&sink, &mut session, &as_records(&first, 0));
    wait_offsets(&sink, &[("test", 0, 3)]);
    // The next load commits, but becomes visible only later: the FE answers the commit when
    // the transaction's timeout (2 s here) has passed, with the rows not yet published...
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_secs(6),
        },
        1,
    );
    let second = records(3, 6);
    deliver(&sink, &mut session, &as_records(&second, 3));
    wait_offsets(&sink, &[("test", 0, 6)]);
    sink.stop();
    // ...and the worker dies before Kafka hears of it. The visible progress still says 3.
    let (next, pending) = progress_row(&emu).unwrap();
    assert_eq!(next, 3, "the second load is not visible yet");
    assert_eq!(emu_label_state(&emu, &pending), "COMMITTED");

    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let all = records(0, 7);
    deliver(&sink, &mut session, &as_records(&all, 0));
    wait_offsets(&sink, &[("test", 0, 7)]);
    assert_eq!(
        ids(&emu),
        ids_1_to(7),
        "the committed rows are not loaded twice"
    );
    assert_eq!(metric(&sink, "test_tbl", "records-already-loaded"), 6);
}

#[test]
fn a_load_left_open_is_rolled_back_and_loaded_again() {
    let emu = emulator(Config::ephemeral());
    run_and_crash(&emu, 0, 3);
    let (next, pending) = progress_row(&emu).unwrap();
    assert_eq!(next, 3);
    // The dead worker had begun its next load and sent its rows and progress, but not its
    // commit (a multi-table transaction has no prepare).
    let config = SinkConfig::from_map(&eo_props(&emu, &[])).unwrap();
    let client = StreamLoadClient::new(&config).unwrap();
    let body = format!("[{}]", records(3, 5).join(","));
    let progress = format!(
        r#"{{"connector":"{CONNECTOR}","table_name":"test_tbl","topic":"test","partition":0,"next_offset":5,"next_label":"later","label":"{pending}","updated_at":"2026-12-03 00:00:00"}}"#
    );
    let mut req = LoadRequest::rows("example_db", "test_tbl", &pending, Bytes::from(body));
    req.progress = Some(ProgressPart {
        table: PROGRESS.into(),
        body: Bytes::from(progress),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (op, part) in [
        (Op::Begin, Part::Main),
        (Op::Load, Part::Main),
        (Op::Load, Part::Progress),
    ] {
        let attempt = runtime.block_on(client.step_part(op, &req, part));
        assert!(
            matches!(classify(op, &attempt), Verdict::Done(_)),
            "{op:?} {part:?}: {attempt:?}"
        );
    }

    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let all = records(0, 6);
    deliver(&sink, &mut session, &as_records(&all, 0));
    wait_offsets(&sink, &[("test", 0, 6)]);
    assert_eq!(
        ids(&emu),
        ids_1_to(6),
        "its rows are loaded once, by the new task"
    );
    assert_eq!(metric(&sink, "test_tbl", "recovery-rollbacks"), 1);
    // It can never commit now.
    let late = runtime.block_on(client.step(Op::Commit, &req));
    assert!(
        !matches!(classify(Op::Commit, &late), Verdict::Done(_)),
        "{late:?}"
    );
    assert_eq!(ids(&emu), ids_1_to(6));
}

#[test]
fn a_partition_closed_and_opened_again_keeps_loading_once() {
    let emu = emulator(Config::ephemeral());
    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let first = records(0, 4);
    deliver(&sink, &mut session, &as_records(&first, 0));
    wait_offsets(&sink, &[("test", 0, 4)]);
    // A rebalance gives the partition back to the same task: its own chain is not settled
    // (rolled back) by its recovery, and records from the last Kafka commit are skipped.
    sink.close(&[tp0()]).unwrap();
    sink.open(&[tp0()]).unwrap();
    let again = records(2, 7);
    deliver(&sink, &mut session, &as_records(&again, 2));
    wait_offsets(&sink, &[("test", 0, 7)]);
    assert_eq!(ids(&emu), ids_1_to(7));
    assert_eq!(metric(&sink, "test_tbl", "recovery-rollbacks"), 0);
}

#[test]
fn settings_that_change_the_bodies_between_runs_change_nothing_delivered() {
    let emu = emulator(Config::ephemeral());
    run_and_crash(&emu, 0, 4);
    // The next run loads CSV instead of JSON: progress is by offset, not by body.
    let sink = started(
        &emu,
        &[
            ("sink.properties.format", "csv"),
            ("sink.properties.column_separator", ","),
        ],
    );
    let mut session = Session::new();
    let csv: Vec<String> = (0..6).map(|o| format!("{},c{o}", o + 1)).collect();
    deliver(&sink, &mut session, &as_records(&csv, 0));
    wait_offsets(&sink, &[("test", 0, 6)]);
    assert_eq!(ids(&emu), ids_1_to(6));
}

#[test]
fn a_reset_of_the_offsets_loads_every_record_again() {
    let emu = emulator(Config::ephemeral());
    run_and_crash(&emu, 0, 3);
    reset_progress(&eo_props(&emu, &[]), CONNECTOR, &[tp0()]).expect("the progress is reset");
    assert_eq!(progress_row(&emu), None);
    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let replay = records(0, 3);
    deliver(&sink, &mut session, &as_records(&replay, 0));
    wait_offsets(&sink, &[("test", 0, 3)]);
    assert_eq!(
        ids(&emu),
        vec![1, 1, 2, 2, 3, 3],
        "a deliberate replay is loaded again"
    );
    assert_eq!(metric(&sink, "test_tbl", "records-already-loaded"), 0);
}

#[test]
fn every_ambiguous_answer_ends_with_each_row_once_and_the_progress_with_it() {
    let faults = [
        Fault::DropReplyAfterCommit,
        Fault::PublishTimeout {
            visible_after: Duration::from_millis(300),
        },
        Fault::CloseMidBody,
        Fault::FailLoad {
            http_status: 500,
            status: String::new(),
            message: "boom".into(),
        },
    ];
    for fault in faults {
        let emu = emulator(Config::ephemeral());
        let sink = started(&emu, &[]);
        let mut session = Session::new();
        emu.inject(fault.clone(), 1);
        let values = records(0, 5);
        deliver(&sink, &mut session, &as_records(&values, 0));
        wait_offsets(&sink, &[("test", 0, 5)]);
        wait_until("the rows to be visible", Duration::from_secs(5), || {
            rows(&emu, "test_tbl").len() >= 5
        });
        assert_eq!(ids(&emu), ids_1_to(5), "{fault:?}");
        assert_eq!(progress_row(&emu).map(|r| r.0), Some(5), "{fault:?}");
    }
}

/// The label's state as the FE reports it.
fn emu_label_state(emu: &Emulator, label: &str) -> String {
    let config = SinkConfig::from_map(&eo_props(emu, &[])).unwrap();
    let client = StreamLoadClient::new(&config).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(client.load_state("example_db", label))
        .expect("the FE answers")
}

#[test]
fn a_load_whose_first_attempt_was_rolled_back_and_second_committed_is_waited_for() {
    let emu = emulator(Config::ephemeral());
    run_and_crash(&emu, 0, 3);
    let (_, pending) = progress_row(&emu).unwrap();
    // The dead worker's load had a first attempt rolled back (a failed step) and a second one
    // committed, not yet visible when the new task starts.
    let config =
        SinkConfig::from_map(&eo_props(&emu, &[("sink.properties.timeout", "1")])).unwrap();
    let client = StreamLoadClient::new(&config).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let progress = format!(
        r#"{{"connector":"{CONNECTOR}","table_name":"test_tbl","topic":"test","partition":0,"next_offset":5,"next_label":"later","label":"{pending}-1","updated_at":"2026-12-03 00:00:00"}}"#
    );
    let request = |label: &str| {
        let mut req = LoadRequest::rows(
            "example_db",
            "test_tbl",
            label,
            Bytes::from(format!("[{}]", records(3, 5).join(","))),
        );
        req.progress = Some(ProgressPart {
            table: PROGRESS.into(),
            body: Bytes::from(progress.clone()),
        });
        req
    };
    let first = request(&pending);
    for op in [Op::Begin, Op::Load, Op::Rollback] {
        let attempt = runtime.block_on(client.step(op, &first));
        assert!(
            matches!(classify(op, &attempt), Verdict::Done(_)),
            "{op:?}: {attempt:?}"
        );
    }
    let second = request(&format!("{pending}-1"));
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_secs(4),
        },
        1,
    );
    for (op, part) in [
        (Op::Begin, Part::Main),
        (Op::Load, Part::Main),
        (Op::Load, Part::Progress),
        (Op::Commit, Part::Main),
    ] {
        let attempt = runtime.block_on(client.step_part(op, &second, part));
        assert!(
            matches!(classify(op, &attempt), Verdict::Done(_)),
            "{op:?}: {attempt:?}"
        );
    }
    assert_eq!(emu_label_state(&emu, &second.label), "COMMITTED");

    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let all = records(0, 6);
    deliver(&sink, &mut session, &as_records(&all, 0));
    wait_offsets(&sink, &[("test", 0, 6)]);
    assert_eq!(ids(&emu), ids_1_to(6), "the second attempt's rows, once");
    assert_eq!(metric(&sink, "test_tbl", "records-already-loaded"), 5);
}

#[test]
fn exactly_once_on_a_cluster_older_than_4_0_fails_naming_sink_semantic() {
    let emu = emulator(Config::ephemeral().with_starrocks_version("3.5.9"));
    let sink = started(&emu, &[]);
    let mut session = Session::new();
    let values = records(0, 1);
    let _ = sink.put(&session.batch(&as_records(&values, 0)));
    let error = wait_failure(&sink).to_string();
    assert!(error.contains("sink.semantic"), "{error}");
    assert!(error.contains("4.0") && error.contains("3.5.9"), "{error}");
}

#[test]
fn validate_refuses_exactly_once_on_a_cluster_older_than_4_0() {
    use starrocks_kafka_core::validate::{validate, Runtime};
    let runtime = Runtime {
        original_topics: true,
    };
    let current = emulator(Config::ephemeral());
    assert!(validate(&eo_props(&current, &[]), runtime).is_empty());
    let old = emulator(Config::ephemeral().with_starrocks_version("3.3.12"));
    let problems = validate(&eo_props(&old, &[]), runtime);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "sink.semantic");
    assert!(problems[0].1.contains("3.3.12"), "{problems:?}");
    // Under at-least-once the version does not matter.
    let mut alo = eo_props(&old, &[]);
    alo.insert("sink.semantic".into(), "at-least-once".into());
    assert!(validate(&alo, runtime).is_empty());
}

/// Through the intake, a rewind reaches Connect a call later than the batch that asked for it:
/// records of the partition in batches polled before Connect sought back must not load, even
/// when the recovery ended meanwhile, since Connect delivers them again.
#[test]
fn records_polled_before_connect_seeks_back_are_not_loaded_twice() {
    // The first batch must find the partition still recovering. On a busy machine the
    // recovery (no progress to read) can end before the intake takes the batch in; then the
    // scenario is not the one under test, and it runs again on a fresh emulator.
    for _ in 0..5 {
        let emu = emulator(Config::ephemeral());
        let sink = started(&emu, &[]);
        let mut session = Session::new();
        let values = records(0, 6);
        let all = as_records(&values, 0);
        // The first batch finds the partition recovering: it is handed back from offset 0.
        sink.submit(&session.batch(&all[..3])).unwrap();
        // The recovery ends; the intake has taken the first batch in.
        std::thread::sleep(Duration::from_millis(500));
        sink.pre_commit(&[]).unwrap();
        // Connect polled the next records before it saw the rewind, which this call hands
        // over.
        let reply = sink.submit(&session.batch(&all[3..])).unwrap();
        if reply.flow.rewind.is_empty() {
            sink.stop();
            continue;
        }
        assert_eq!(reply.flow.rewind, vec![(tp0(), 0)], "{reply:?}");
        // Connect seeks back and delivers everything again.
        sink.submit(&session.batch(&all)).unwrap();
        sink.pre_commit(&[]).unwrap();
        sink.submit(&session.batch(&[])).unwrap();
        wait_offsets(&sink, &[("test", 0, 6)]);
        assert_eq!(ids(&emu), ids_1_to(6), "every row once");
        return;
    }
    panic!("in five runs the recovery always ended before the first batch was taken in");
}

/// The progress row of partition `partition` of `test` for `test_tbl`: (next_offset, the
/// label of the load that wrote it).
fn progress_of(emu: &Emulator, partition: i32) -> Option<(i64, String)> {
    let rows = emu.rows("example_db", PROGRESS).unwrap_or_default();
    rows.into_iter().find_map(|r| {
        let text: Vec<String> = r.into_iter().map(|v| v.unwrap_or_default()).collect();
        (text[0] == CONNECTOR
            && text[1] == "test_tbl"
            && text[2] == "test"
            && text[3] == partition.to_string())
        .then(|| (text[4].parse().unwrap(), text[6].clone()))
    })
}

/// A sink with partitions 0 and 1 of `test` opened, each loaded once (records 0 and 1 of
/// each, ids 1–2 and 100–101), so the chain's progress rows name both. Returns the sink, its
/// session, who wrote partition 1's row, and the label partition 0's row announces (the next
/// load's).
fn both_partitions_loaded(emu: &Emulator) -> (Sink, Session, String, String) {
    let sink = Sink::start(
        &eo_props(emu, &[("bufferflush.intervalms", "1000")]),
        CONNECTOR,
        "0",
    )
    .expect("the sink starts");
    sink.open(&[tp0(), TopicPartition::new("test", 1)]).unwrap();
    let mut session = Session::new();
    let zero = records(0, 2);
    let one: Vec<String> = (0..2)
        .map(|o| format!(r#"{{"id":{},"city":"p1"}}"#, 100 + o))
        .collect();
    let mut batch = as_records(&zero, 0);
    batch.extend(
        one.iter()
            .enumerate()
            .map(|(i, v)| raw("test", 1, i as i64, Some(v))),
    );
    let end = Instant::now() + Duration::from_secs(20);
    while !sink
        .put(&session.batch(&batch))
        .expect("put succeeds")
        .flow
        .rewind
        .is_empty()
    {
        // Recovering: handed back until both partitions are resumed.
        assert!(
            Instant::now() < end,
            "the partitions never finished recovering"
        );
        std::thread::sleep(Duration::from_millis(50));
        let _ = sink.put(&session.batch(&[])).expect("put succeeds");
    }
    wait_offsets(&sink, &[("test", 0, 2), ("test", 1, 2)]);
    let (next, written_by) = progress_of(emu, 1).expect("partition 1's row");
    assert_eq!(next, 2);
    let (_, announced) = progress_row(emu).expect("partition 0's row");
    (sink, session, written_by, announced)
}

/// Loads records 2..`to` of partition 0 in loads of two records, the first held 5 s by its
/// BE, and closes partition 1 once `in_flight` of them have begun. No load of this task may
/// write partition 1's row after `close` returns: its new owner recovers as soon as it does.
fn close_while_loads_are_in_flight(to: i64, in_flight: usize) {
    let emu = emulator(Config::ephemeral());
    let (sink, mut session, written_by, announced) = both_partitions_loaded(&emu);
    let p1 = TopicPartition::new("test", 1);
    emu.inject(
        Fault::DelayReply {
            delay: Duration::from_secs(5),
        },
        1,
    );
    let begun = |emu: &Emulator| -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        let mut from_announced = false;
        for e in emu.journal() {
            let Some(label) = e.label.filter(|_| e.uri.contains("begin")) else {
                continue;
            };
            from_announced |= label == announced;
            if from_announced && !label.contains("-register-") && !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels
    };
    for (n, from) in (2..to).step_by(2).enumerate() {
        let more = records(from, from + 2);
        deliver(&sink, &mut session, &as_records(&more, from));
        // Sealed within a second (the interval) while Connect goes on asking for offsets.
        wait_until("the load to begin", Duration::from_secs(10), || {
            let committable = offsets(&sink);
            assert!(
                committable.iter().all(|(_, _, o)| *o == 2),
                "{committable:?}"
            );
            begun(&emu).len() > n
        });
    }
    assert_eq!(begun(&emu).len(), in_flight);
    // (Each load is cancelled, or it committed before `close` returned, its commit sent.)
    sink.close(std::slice::from_ref(&p1)).unwrap();
    let at_close = progress_of(&emu, 1).expect("partition 1's row");
    assert_eq!(at_close.0, 2);
    assert!(
        at_close.1 == written_by || begun(&emu).contains(&at_close.1),
        "{at_close:?}"
    );
    wait_offsets(&sink, &[("test", 0, to)]);
    assert_eq!(progress_row(&emu).map(|(next, _)| next), Some(to));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        progress_of(&emu, 1),
        Some(at_close),
        "partition 1's row is as it was when `close` returned"
    );
    let mut want = ids_1_to(to);
    want.extend([100, 101]);
    assert_eq!(ids(&emu), want);
}

#[test]
fn a_load_in_flight_never_writes_a_revoked_partitions_progress_after_close() {
    close_while_loads_are_in_flight(4, 1);
}

#[test]
fn two_loads_in_flight_never_write_a_revoked_partitions_progress_after_close() {
    close_while_loads_are_in_flight(6, 2);
}

#[test]
fn upserts_of_the_same_keys_stay_in_order_when_exactly_once_loads_overlap() {
    let emu = emulator(Config::ephemeral());
    let sink = Sink::start(
        &eo_props(
            &emu,
            &[
                ("starrocks.topic2table.map", "cdc:customers"),
                ("sink.table.loads.in.flight", "3"),
            ],
        ),
        CONNECTOR,
        "0",
    )
    .expect("the sink starts");
    sink.open(&[TopicPartition::new("cdc", 0)]).unwrap();
    let mut session = Session::new();
    let offset =
        upsert_rounds_in_overlapping_loads(&emu, &sink, "/api/transaction/load", |records| {
            deliver(&sink, &mut session, records);
        });
    // The progress commits with the rows, in the same order.
    let progress = emu.rows("example_db", PROGRESS).unwrap_or_default();
    let next: Vec<String> = progress
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_default())
                .collect::<Vec<_>>()
        })
        .filter(|r| r[1] == "customers" && r[2] == "cdc" && r[3] == "0")
        .map(|r| r[4].clone())
        .collect();
    assert_eq!(next, vec![offset.to_string()]);
}

#[test]
fn a_partition_back_to_the_same_task_while_its_load_still_commits_loads_once() {
    let emu = emulator(Config::ephemeral());
    let sink = started(
        &emu,
        &[
            ("bufferflush.intervalms", "1000"),
            ("sink.properties.timeout", "13"),
        ],
    );
    let mut session = Session::new();
    let first = records(0, 2);
    deliver(&sink, &mut session, &as_records(&first, 0));
    wait_offsets(&sink, &[("test", 0, 2)]);
    // The next load's commit is answered only after 13 s (the transaction's timeout), longer
    // than `close` waits, and then as committed, visible 7 s later (an FE slow to publish).
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_secs(20),
        },
        1,
    );
    let second = records(2, 4);
    deliver(&sink, &mut session, &as_records(&second, 2));
    let (_, announced) = progress_row(&emu).expect("partition 0's row");
    wait_until(
        "the load's rows to be sent",
        Duration::from_secs(10),
        || {
            emu.journal()
                .iter()
                .filter(|e| e.node.starts_with("be") && e.label.as_deref() == Some(&announced))
                .count()
                >= 2
        },
    );
    // Its commit follows at once.
    std::thread::sleep(Duration::from_millis(500));
    // An eager rebalance takes the partition away and gives it straight back to this task;
    // `close` gives up waiting for the load after 10 s.
    let closing = Instant::now();
    sink.close(&[tp0()]).unwrap();
    assert!(
        closing.elapsed() >= Duration::from_secs(10),
        "close waited for the load until it gave up"
    );
    sink.open(&[tp0()]).unwrap();
    // Connect delivers again from the last committed offset.
    let again = records(2, 6);
    deliver(&sink, &mut session, &as_records(&again, 2));
    wait_offsets(&sink, &[("test", 0, 6)]);
    wait_until(
        "the slow load to be visible",
        Duration::from_secs(30),
        || emu_label_state(&emu, &announced) == "VISIBLE",
    );
    assert_eq!(ids(&emu), ids_1_to(6), "every row once");
}

#[test]
fn a_recovery_still_waiting_never_rolls_back_the_loads_of_a_partition_closed_meanwhile() {
    // Partition 0 of `test` feeds test_tbl, partition 0 of `other` other_tbl: two chains, so
    // their rows name different loads.
    let emu = emulator(Config::ephemeral());
    let extra = [
        ("starrocks.topic2table.map", "test:test_tbl,other:other_tbl"),
        ("sink.properties.timeout", "5"),
        ("bufferflush.intervalms", "1000"),
    ];
    let other0 = TopicPartition::new("other", 0);
    let other_records: Vec<String> = (0..4)
        .map(|o| format!(r#"{{"id":{},"city":"o{o}"}}"#, o + 1))
        .collect();
    let other = |from: usize, to: usize| -> Vec<Record<'_>> {
        (from..to)
            .map(|o| raw("other", 0, o as i64, Some(&other_records[o])))
            .collect()
    };
    let start = |task: &str| Sink::start(&eo_props(&emu, &extra), CONNECTOR, task).unwrap();

    // A previous owner loads both, then a load of `other` whose commit is answered as
    // committed (after 5 s, the transaction's timeout) and becomes visible only 14 s later; the owner dies then.
    let previous = start("7");
    previous.open(&[tp0(), other0.clone()]).unwrap();
    let mut session = Session::new();
    let test_values = records(0, 4);
    deliver(&previous, &mut session, &as_records(&test_values[..2], 0));
    deliver(&previous, &mut session, &other(0, 2));
    wait_offsets(&previous, &[("other", 0, 2), ("test", 0, 2)]);
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_secs(14),
        },
        1,
    );
    deliver(&previous, &mut session, &other(2, 4));
    wait_offsets(&previous, &[("other", 0, 4), ("test", 0, 2)]);
    previous.stop();
    let pending = emu
        .rows("example_db", PROGRESS)
        .unwrap()
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_default())
                .collect::<Vec<_>>()
        })
        .find(|r| r[2] == "other")
        .map(|r| r[5].clone())
        .expect("partition 0 of other has a row");
    assert_eq!(emu_label_state(&emu, &pending), "COMMITTED");

    // Task 0 gets both: its recovery waits for that load to be visible.
    let waiting = start("0");
    waiting.open(&[tp0(), other0.clone()]).unwrap();
    wait_until(
        "the recovery to wait for the committed load",
        Duration::from_secs(10),
        || {
            emu.journal()
                .iter()
                .any(|e| e.uri.ends_with("/rollback") && e.label.as_deref() == Some(&pending))
        },
    );
    // Meanwhile partition 0 of `test` moves to task 1, which recovers it and loads, its rows
    // held 3 s by the BE: its load's transaction is open while task 0's recovery reads the
    // rows again and again, and they now name that load.
    waiting.close(&[tp0()]).unwrap();
    let taker = start("1");
    taker.open(&[tp0()]).unwrap();
    emu.arm(starrocks_emulator::faults::ArmedFault {
        fault: Fault::DelayReply {
            delay: Duration::from_secs(3),
        },
        times: 1,
        table: Some("test_tbl".into()),
    });
    let mut taker_session = Session::new();
    deliver(&taker, &mut taker_session, &as_records(&test_values, 0));
    wait_offsets(&taker, &[("test", 0, 4)]);
    assert_eq!(ids(&emu), ids_1_to(4));
    // Task 1 rolls nothing back of its own unless a load of it fails: a rollback of one of its
    // labels is task 0's recovery's, of a partition it no longer held.
    let rolled_back: Vec<String> = emu
        .journal()
        .into_iter()
        .filter(|e| e.uri.ends_with("/rollback"))
        .filter_map(|e| e.label)
        .filter(|l| l.starts_with(&format!("kc-{CONNECTOR}-1-")))
        .collect();
    assert!(rolled_back.is_empty(), "{rolled_back:?}");
    wait_until(
        "the slow load to be visible",
        Duration::from_secs(30),
        || emu_label_state(&emu, &pending) == "VISIBLE",
    );
    taker.stop();
    waiting.stop();
}
