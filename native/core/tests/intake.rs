//! `Sink::submit`, the way the shim drives the sink: each batch is taken in on the intake
//! thread, and each call answers the batches taken in since the last. What must hold: a
//! rejected record's offset does not commit before its answer is handed over; a commit never
//! counts a batch still being taken in; answers come in order, indexes counting their batches
//! together; a revoked partition's part of a pending answer is dropped; a batch's error is a
//! later call's, and stays.

use std::time::{Duration, Instant};

use starrocks_emulator::Config;
use starrocks_kafka_core::batch_writer::Session;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::sink::Sink;

mod common;

use common::*;

fn commit(sink: &Sink, consumed: &[(&str, i32, i64)]) -> Vec<(String, i32, i64)> {
    let consumed: Vec<(TopicPartition, i64)> = consumed
        .iter()
        .map(|(t, p, o)| (TopicPartition::new(t, *p), *o))
        .collect();
    sink.pre_commit(&consumed)
        .expect("pre_commit succeeds")
        .into_iter()
        .map(|(tp, o)| (tp.topic.to_string(), tp.partition, o))
        .collect()
}

#[test]
fn each_submit_answers_the_batch_before_and_a_rejection_holds_its_offset_until_then() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(&emu, &[("errors.tolerance", "all")], "intake");
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":2,"city":"#)),
        raw("test", 0, 2, Some(r#"{"id":3,"city":"z"}"#)),
    ];
    let first = sink.submit(&session.batch(&records)).unwrap();
    assert_eq!(first.batches, 0, "nothing came before: {first:?}");
    assert!(first.rejected.is_empty());

    // The good rows load; Connect's position is 3, but the bad record's report is not made.
    let deadline = Instant::now() + Duration::from_secs(15);
    while rows(&emu, "test_tbl").len() < 2 {
        assert!(Instant::now() < deadline, "the good rows never loaded");
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let offsets = commit(&sink, &[("test", 0, 3)]);
        assert!(
            offsets.iter().all(|(_, _, o)| *o <= 1),
            "past the unreported record: {offsets:?}"
        );
        if offsets == [("test".to_string(), 0, 1)] {
            break;
        }
        assert!(Instant::now() < deadline, "offset 1 never committable");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The next call hands the answer over (the commit above waited for it); the shim reports
    // the record before that call returns, but only the call after it says so: a report that
    // fails fails the call, and none comes after it. Then the offset passes the record.
    let second = sink.submit(&session.batch(&[])).unwrap();
    assert_eq!(second.batches, 1, "{second:?}");
    assert_eq!(second.rejected.len(), 1, "{second:?}");
    assert_eq!(second.rejected[0].index, 1);
    assert!(
        second.rejected[0].message.contains("offset 1"),
        "{}",
        second.rejected[0].message
    );
    assert_eq!(
        commit(&sink, &[("test", 0, 3)]),
        [("test".to_string(), 0, 1)],
        "handed over, not yet reported"
    );
    sink.submit(&session.batch(&[])).unwrap();
    assert_eq!(
        commit(&sink, &[("test", 0, 3)]),
        [("test".to_string(), 0, 3)]
    );
}

#[test]
fn a_commit_never_counts_a_batch_still_being_taken_in() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(
        &emu,
        &[("bufferflush.intervalms", "3600000")],
        "intake-commit",
    );
    let mut session = Session::new();
    for round in 0..50 {
        let offset = round * 2;
        let records = [
            raw("test", 0, offset, Some(r#"{"id":1,"city":"x"}"#)),
            raw("test", 0, offset + 1, Some(r#"{"id":2,"city":"y"}"#)),
        ];
        sink.submit(&session.batch(&records)).unwrap();
        // Connect's position includes the batch just submitted; none of its rows is loaded.
        let offsets = commit(&sink, &[("test", 0, offset + 2)]);
        assert!(offsets.is_empty(), "round {round}: {offsets:?}");
    }
}

#[test]
fn closing_a_partition_drops_its_part_of_the_answer_not_yet_handed_over() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(&emu, &[("errors.tolerance", "all")], "intake-close");
    let (p0, p1) = (
        TopicPartition::new("test", 0),
        TopicPartition::new("test", 1),
    );
    sink.open(&[p0.clone(), p1.clone()]).unwrap();
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"#)),
        raw("test", 1, 0, Some(r#"{"id":2,"#)),
        raw("test", 1, 1, Some(r#"{"id":3,"city":"kept"}"#)),
    ];
    sink.submit(&session.batch(&records)).unwrap();
    sink.close(&[p0]).unwrap();
    let reply = sink.submit(&session.batch(&[])).unwrap();
    let indexes: Vec<u32> = reply.rejected.iter().map(|r| r.index).collect();
    assert_eq!(indexes, [1], "only partition 1's record: {reply:?}");
    // (The next call says it was reported.)
    sink.submit(&session.batch(&[])).unwrap();
    wait_offsets(&sink, &[("test", 1, 2)]);
}

#[test]
fn a_batchs_error_is_the_next_submits_and_every_later_ones() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(&emu, &[], "intake-error");
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":2,"city":"#)),
    ];
    sink.submit(&session.batch(&records)).unwrap();
    // A commit waits for the batch to be taken in, and does not count it.
    assert!(commit(&sink, &[("test", 0, 2)])
        .iter()
        .all(|(_, _, o)| *o <= 1));
    let err = sink
        .submit(&session.batch(&[]))
        .expect_err("the malformed record");
    assert!(err.to_string().contains("offset 1"), "{err}");
    assert!(!err.is_retriable());
    let again = sink.submit(&session.batch(&[])).expect_err("still failed");
    assert!(again.to_string().contains("offset 1"), "{again}");
    sink.stop();
    let stopped = sink.submit(&session.batch(&[])).expect_err("stopped");
    assert!(stopped.to_string().contains("stopped"), "{stopped}");
}

#[test]
fn after_a_batch_fails_in_the_intake_no_commit_passes_its_records() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(&emu, &[("bufferflush.intervalms", "1000")], "intake-failed");
    let mut session = Session::new();
    let records = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":2,"city":"#)),
        raw("test", 0, 2, Some(r#"{"id":3,"city":"z"}"#)),
    ];
    // Answered before it is taken in: Connect counts the batch as delivered, and may commit
    // before its next put, or at `close` after that put failed.
    sink.submit(&session.batch(&records)).unwrap();
    // Whatever the sink took and loaded commits; nothing past it does, however long the
    // loads of what it took have been durable.
    let until = Instant::now() + Duration::from_secs(4);
    let mut last = Vec::new();
    while Instant::now() < until {
        last = commit(&sink, &[("test", 0, 3)]);
        assert!(
            last.iter().all(|(_, _, o)| *o <= 1),
            "past the records never taken in: {last:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(last, [("test".to_string(), 0, 1)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 1);
    let err = sink
        .submit(&session.batch(&[]))
        .expect_err("the batch failed");
    assert!(err.to_string().contains("offset 1"), "{err}");
    sink.stop();
}

#[test]
fn answers_come_in_order_and_their_indexes_count_the_batches_together() {
    let emu = emulator(Config::ephemeral());
    let sink = start_sink(&emu, &[("errors.tolerance", "all")], "intake-order");
    let mut session = Session::new();
    let a = [
        raw("test", 0, 0, Some(r#"{"id":1,"city":"x"}"#)),
        raw("test", 0, 1, Some(r#"{"id":2,"#)),
        raw("test", 0, 2, Some(r#"{"id":3,"city":"z"}"#)),
    ];
    let b = [
        raw("test", 0, 3, Some(r#"{"id":"#)),
        raw("test", 0, 4, Some(r#"{"id":5,"city":"v"}"#)),
    ];
    let mut answered = 0;
    let mut rejected = Vec::new();
    for batch in [&a[..], &b[..]] {
        let reply = sink.submit(&session.batch(batch)).unwrap();
        answered += reply.batches;
        rejected.extend(reply.rejected.iter().map(|r| r.index));
    }
    sink.pre_commit(&[]).unwrap();
    let reply = sink.submit(&session.batch(&[])).unwrap();
    answered += reply.batches;
    rejected.extend(reply.rejected.iter().map(|r| r.index));
    assert_eq!(answered, 2);
    // As one answer: offsets 1 and 3 are records 1 and 3 of the five; as two, 1 and 0.
    let expected: &[u32] = if reply.batches == 2 { &[1, 3] } else { &[1, 0] };
    assert_eq!(rejected, expected, "{reply:?}");
    sink.submit(&session.batch(&[])).unwrap();
    wait_offsets(&sink, &[("test", 0, 5)]);
    assert_eq!(rows(&emu, "test_tbl").len(), 3);
}
