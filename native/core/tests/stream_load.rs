//! One load through the transaction Stream Load driver against the StarRocks emulator: rows
//! reach the table exactly once through every fault the emulator can inject, cancelled loads
//! never become visible, and failures read as a user would need them to.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use starrocks_emulator::faults::{Fault, JournalEntry};
use starrocks_emulator::testing::{self, refused, wait_until};
use starrocks_emulator::{start, Config, Emulator};
use starrocks_kafka_core::config::{RetryLimit, TableFailure};
use starrocks_kafka_core::stream_load::{
    multi, reject, txn, Ended, Failure, FailureKind, LoadOutcome, LoadRequest, ProgressPart,
    RetryPolicy, StreamLoadClient,
};
use starrocks_kafka_core::SinkConfig;
use tokio::sync::watch;

const SEED_DDL: &str = "
CREATE DATABASE example_db;
USE example_db;
CREATE TABLE test_tbl (id INT, city STRING);
";

/// The seed's three rows, one JSON object after another.
const SEED_ROWS: &str = "{\"id\":1,\"city\":\"New York\"}\n{\"id\":2,\"city\":\"Los Angeles\"}\n{\"id\":3,\"city\":\"Chicago\"}\n";
/// The same rows as one JSON array.
const SEED_ARRAY: &str = "[{\"id\":1,\"city\":\"New York\"},{\"id\":2,\"city\":\"Los Angeles\"},{\"id\":3,\"city\":\"Chicago\"}]";

fn seed_table() -> Vec<Vec<String>> {
    vec![
        vec!["1".into(), "New York".into()],
        vec!["2".into(), "Los Angeles".into()],
        vec!["3".into(), "Chicago".into()],
    ]
}

fn emulator(config: Config) -> Emulator {
    let emu = start(config).expect("the emulator starts");
    emu.run_script(SEED_DDL).expect("the seed DDL runs");
    emu
}

fn seeded() -> Emulator {
    emulator(Config::ephemeral())
}

/// A configuration for `fes` (host:port, in order) plus `extra` properties.
fn config_for(fes: &[String], extra: &[(&str, &str)]) -> SinkConfig {
    let mut props: HashMap<String, String> = HashMap::new();
    props.insert("starrocks.http.url".into(), fes.join(","));
    props.insert("starrocks.database.name".into(), "example_db".into());
    props.insert("starrocks.username".into(), "root".into());
    props.insert("starrocks.password".into(), String::new());
    props.insert("sink.properties.format".into(), "json".into());
    for (k, v) in extra {
        props.insert((*k).into(), (*v).into());
    }
    SinkConfig::from_map(&props).expect("a valid configuration")
}

/// A configuration for every FE of `emu`, leader first.
fn config(emu: &Emulator, extra: &[(&str, &str)]) -> SinkConfig {
    let fes: Vec<String> = emu.fe_http_all().iter().map(|a| a.to_string()).collect();
    config_for(&fes, extra)
}

fn client(config: &SinkConfig) -> StreamLoadClient {
    StreamLoadClient::new(config).expect("the client builds")
}

fn request(client: &StreamLoadClient, label: &str, rows: &str) -> LoadRequest {
    LoadRequest::rows(
        "example_db",
        "test_tbl",
        label,
        client.prepare_body(Bytes::from(rows.to_owned())),
    )
}

/// Retry for ever, nothing counts as failing early: only permanent failures do.
const PATIENT: RetryPolicy = RetryPolicy {
    max_retries: RetryLimit::Forever,
    retry_timeout: Duration::ZERO,
    table_failure: TableFailure::Fail,
};

/// Give up at the first failure of any kind.
const NO_RETRIES: RetryPolicy = RetryPolicy {
    max_retries: RetryLimit::AtMost(0),
    retry_timeout: Duration::ZERO,
    table_failure: TableFailure::Fail,
};

thread_local! {
    /// One runtime per test thread, as the sink has one: a client's pooled connections are
    /// driven by the runtime that opened them, so a client must not hop between runtimes.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime builds");
}

fn run<F: Future>(future: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(future))
}

/// Loads under `policy`, never cancelled; returns the outcome and every failure reported.
fn load(
    client: &StreamLoadClient,
    req: &LoadRequest,
    policy: RetryPolicy,
) -> (Result<LoadOutcome, Ended>, Vec<Failure>) {
    let mut failures = Vec::new();
    let mut on_failure = |f: &Failure| failures.push(f.clone());
    let (_keep, mut cancel) = watch::channel(false);
    let outcome = run(txn::load(
        client,
        req,
        &policy,
        &mut on_failure,
        &mut cancel,
        &mut txn::now(),
    ));
    (outcome, failures)
}

fn rows(emu: &Emulator) -> Vec<Vec<String>> {
    let mut rows = testing::rows(emu, "example_db", "test_tbl");
    rows.sort();
    rows
}

/// Requests of step `op` (`begin`, `load`, ...) that reached a node whose name starts with
/// `node` (`fe`, `be`).
fn steps_on(emu: &Emulator, node: &str, op: &str) -> Vec<JournalEntry> {
    let path = format!("/api/transaction/{op}");
    emu.journal()
        .into_iter()
        .filter(|e| e.node.starts_with(node) && e.uri == path)
        .collect()
}

/// The labels of the load steps the BEs received.
fn be_labels(emu: &Emulator) -> Vec<String> {
    steps_on(emu, "be", "load")
        .into_iter()
        .map(|e| e.label.unwrap_or_default())
        .collect()
}

fn loaded_rows(outcome: &Result<LoadOutcome, Ended>) -> u64 {
    match outcome {
        Ok(LoadOutcome::Loaded(result)) => result.loaded_rows,
        other => panic!("expected Loaded, got {other:?}"),
    }
}

fn given_up(outcome: Result<LoadOutcome, Ended>) -> starrocks_kafka_core::Error {
    match outcome {
        Err(Ended::GaveUp(e)) => e,
        other => panic!("expected the load to be given up, got {other:?}"),
    }
}

#[test]
fn loads_the_seed_rows_sent_one_json_object_after_another() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "seed-ndjson", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(failures.is_empty());
    assert_eq!(rows(&emu), seed_table());
    assert_eq!(emu.load_state("example_db", "seed-ndjson"), "VISIBLE");
}

#[test]
fn loads_a_json_array_with_strip_outer_array() {
    let emu = seeded();
    let client = client(&config(
        &emu,
        &[("sink.properties.strip_outer_array", "true")],
    ));
    let req = request(&client, "seed-array", SEED_ARRAY);
    let (outcome, _) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &steps_on(&emu, "be", "load")[0];
    assert_eq!(be.headers["strip_outer_array"], "true");
}

#[test]
fn every_step_goes_through_the_fe_and_only_the_be_gets_the_body() {
    let emu = seeded();
    let client = client(&config(&emu, &[("sink.properties.columns", "id, city")]));
    let req = request(&client, "two-hops", SEED_ROWS);
    let (outcome, _) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);

    let steps: Vec<String> = emu
        .journal()
        .into_iter()
        .map(|e| format!("{} {}", e.node, e.uri))
        .collect();
    assert_eq!(
        steps,
        [
            "fe0 /api/transaction/begin",
            "be0 /api/transaction/begin",
            "fe0 /api/transaction/load",
            "be0 /api/transaction/load",
            "fe0 /api/transaction/prepare",
            "be0 /api/transaction/prepare",
            "fe0 /api/transaction/commit",
        ]
    );
    let fe = &steps_on(&emu, "fe", "load")[0];
    assert_eq!(fe.body_bytes, 0);
    assert_eq!(fe.headers["expect"], "100-continue");
    assert_eq!(fe.headers["content-length"], "0");
    assert!(fe.outcome.starts_with("307 "), "{}", fe.outcome);

    let be = &steps_on(&emu, "be", "load")[0];
    assert!(
        be.headers.contains_key("authorization"),
        "Authorization re-sent to the BE"
    );
    assert_eq!(be.label.as_deref(), Some("two-hops"));
    assert_eq!(be.headers["db"], "example_db");
    assert_eq!(be.headers["table"], "test_tbl");
    assert_eq!(be.headers["format"], "json");
    assert_eq!(be.headers["columns"], "id, city");
    assert_eq!(be.body_bytes, SEED_ROWS.len() as u64);
    let begin = &steps_on(&emu, "be", "begin")[0];
    assert_eq!(begin.headers["timeout"], "600");
    let prepare = &steps_on(&emu, "be", "prepare")[0];
    assert_eq!(prepare.headers["prepared_timeout"], "180");
}

#[test]
fn a_wrong_password_fails_for_good_and_says_authentication_failed() {
    let emu = seeded();
    let client = client(&config(&emu, &[("starrocks.password", "wrong")]));
    let req = request(&client, "bad-password", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    let error = given_up(outcome);
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(text.contains("Access denied for root@"), "{text}");
    assert!(text.contains("user 'root'"), "{text}");
    assert_eq!(failures.len(), 1, "not retried: {failures:?}");
    assert_eq!(failures[0].kind, FailureKind::Permanent);
    assert!(rows(&emu).is_empty());
}

#[test]
fn a_failed_load_is_retried_under_the_same_label_until_it_succeeds() {
    let emu = seeded();
    emu.inject(
        Fault::FailLoad {
            http_status: 200,
            status: "Fail".into(),
            message: "injected failure".into(),
        },
        2,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "retried-fail", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    let numbers: Vec<u32> = failures.iter().map(|f| f.number).collect();
    assert_eq!(numbers, [1, 2], "{failures:?}");
    assert!(
        failures[0].reason.contains("injected failure"),
        "{failures:?}"
    );
    assert!(failures.iter().all(|f| f.kind == FailureKind::Transient));
    assert_eq!(be_labels(&emu), vec!["retried-fail"; 3]);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn an_http_500_from_the_be_is_retried() {
    let emu = seeded();
    emu.inject(
        Fault::FailLoad {
            http_status: 500,
            status: String::new(),
            message: "boom".into(),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "retried-500", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].reason.contains("HTTP 500: boom"),
        "{failures:?}"
    );
    assert_eq!(be_labels(&emu), vec!["retried-500"; 2]);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_slow_publish_is_waited_for_and_loads_once() {
    let emu = seeded();
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_millis(300),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "slow-publish", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(failures.is_empty());
    assert_eq!(be_labels(&emu).len(), 1);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_reply_lost_after_commit_is_settled_by_the_label_state_without_a_second_copy() {
    let emu = seeded();
    emu.inject(Fault::DropReplyAfterCommit, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "dropped-reply", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3, "the prepare's counters are kept");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].reason.contains("commit"), "{failures:?}");
    assert_eq!(be_labels(&emu).len(), 1, "the body was not sent again");
    let asked = emu
        .journal()
        .into_iter()
        .any(|e| e.uri.contains("get_load_state?label=dropped-reply"));
    assert!(asked, "the label state was read");
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_connection_closed_mid_body_begins_again_and_loads_once() {
    let emu = seeded();
    emu.inject(Fault::CloseMidBody, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "closed-mid-body", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0]
            .reason
            .contains("after the load request was sent"),
        "{failures:?}"
    );
    assert_eq!(be_labels(&emu), vec!["closed-mid-body"; 2]);
    assert_eq!(steps_on(&emu, "be", "begin").len(), 2, "begun again");
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_redirect_to_an_unreachable_be_is_retried() {
    let emu = seeded();
    emu.inject(Fault::RedirectUnreachable, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "unreachable-be", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].reason.contains("did not arrive"),
        "{failures:?}"
    );
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_slow_fe_redirect_still_loads() {
    let emu = seeded();
    emu.inject(
        Fault::DelayRedirect {
            delay: Duration::from_millis(1500),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "slow-fe", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(failures.is_empty());
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_down_fe_is_skipped_for_the_next_one() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let second = emu.fe_http_all()[1];
    emu.fe_down(1);
    wait_until("FE 1 to refuse connections", Duration::from_secs(5), || {
        refused(second)
    });
    let fes: Vec<String> = emu
        .fe_http_all()
        .iter()
        .rev()
        .map(|a| a.to_string())
        .collect();
    let client = client(&config_for(&fes, &[]));
    let req = request(&client, "failover-1", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(failures.is_empty(), "failover is within one attempt");
    let fes: Vec<String> = steps_on(&emu, "fe", "begin")
        .into_iter()
        .map(|e| e.node)
        .collect();
    assert_eq!(fes, ["fe0"]);
    assert_eq!(rows(&emu).len(), 3);
}

#[test]
fn steps_and_the_label_state_go_through_a_follower_fe_to_the_leader() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let fes = emu.fe_http_all();
    let follower_first = config_for(&[fes[1].to_string(), fes[0].to_string()], &[]);
    let client = client(&follower_first);
    let req = request(&client, "state-1", SEED_ROWS);
    let (outcome, _) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);
    let state = run(client.load_state("example_db", "state-1")).expect("a state");
    assert_eq!(state, "VISIBLE");
    let never = run(client.load_state("example_db", "never-used")).expect("a state");
    assert_eq!(never, "UNKNOWN");
    let redirected = emu.journal().into_iter().any(|e| {
        e.node == "fe1" && e.uri.contains("get_load_state") && e.outcome.starts_with("307")
    });
    assert!(redirected, "the follower redirected to the leader");
    let commits: Vec<String> = steps_on(&emu, "fe", "commit")
        .into_iter()
        .map(|e| e.node)
        .collect();
    assert_eq!(
        commits,
        ["fe1", "fe0"],
        "follower 307 to the leader, which commits"
    );
}

#[test]
fn a_label_loaded_earlier_is_already_loaded_and_not_loaded_twice() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "same-batch", SEED_ROWS);
    let (first, _) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&first), 3);
    let (second, failures) = load(&client, &req, PATIENT);
    assert_eq!(second.expect("durable"), LoadOutcome::AlreadyLoaded);
    assert_eq!(failures.len(), 1, "the begin found its label in use");
    assert!(
        failures[0].reason.contains("already in use"),
        "{failures:?}"
    );
    assert_eq!(be_labels(&emu).len(), 1);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn too_many_filtered_rows_end_the_load_as_rejected_at_once_with_nothing_committed() {
    let emu = seeded();
    // A JSON array without strip_outer_array: StarRocks filters it as one bad row.
    let client = client(&config(&emu, &[]));
    let req = request(&client, "filtered", SEED_ARRAY);
    let (outcome, failures) = load(&client, &req, PATIENT);
    match outcome {
        Err(Ended::Rejected { reason }) => {
            assert!(reason.contains("too many filtered rows"), "{reason}")
        }
        other => panic!("expected the load to end rejected, got {other:?}"),
    }
    assert!(failures.is_empty(), "not retried: {failures:?}");
    assert_eq!(steps_on(&emu, "be", "prepare").len(), 1);
    assert!(
        steps_on(&emu, "fe", "commit").is_empty(),
        "no commit is sent"
    );
    assert_eq!(emu.load_state("example_db", "filtered"), "ABORTED");
    assert!(rows(&emu).is_empty());
}

#[test]
fn a_probe_counts_the_rows_starrocks_filters_and_never_commits_them() {
    let emu = seeded();
    let client = client(&config(&emu, &[("sink.properties.strict_mode", "true")]));
    let template = request(&client, "unused", "");
    let body = Bytes::from_static(
        b"{\"id\":1,\"city\":\"a\"}\n{\"id\":\"two\",\"city\":\"b\"}\n{\"id\":3,\"city\":\"c\"}",
    );
    let probed = run(reject::probe(&client, &template, "probe-1", body)).unwrap();
    assert_eq!((probed.total_rows, probed.filtered_rows), (3, 1));
    let url = probed.error_url.expect("the filtered row is logged");
    let log = run(client.error_log(&url)).unwrap();
    assert!(log.contains("two"), "{log}");
    // Sent with max_filter_ratio=1, prepared, and rolled back: nothing is visible.
    let load = &steps_on(&emu, "be", "load")[0];
    assert_eq!(
        load.headers.get("max_filter_ratio").map(String::as_str),
        Some("1")
    );
    assert_eq!(emu.load_state("example_db", "probe-1"), "ABORTED");
    assert!(steps_on(&emu, "fe", "commit").is_empty());
    assert!(rows(&emu).is_empty());
}

#[test]
fn a_permanent_failure_under_retry_is_retried_and_loads_once_the_cause_is_fixed() {
    let emu = seeded();
    emu.execute_sql("DROP TABLE example_db.test_tbl").unwrap();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "table-back", SEED_ROWS);
    let retry_for_ever = RetryPolicy {
        table_failure: TableFailure::Retry,
        ..PATIENT
    };
    let mut failures = Vec::new();
    let mut on_failure = |f: &Failure| {
        failures.push(f.clone());
        if failures.len() == 2 {
            emu.execute_sql("CREATE TABLE example_db.test_tbl (id INT, city STRING)")
                .unwrap();
        }
    };
    let (_keep, mut cancel) = watch::channel(false);
    let outcome = run(txn::load(
        &client,
        &req,
        &retry_for_ever,
        &mut on_failure,
        &mut cancel,
        &mut txn::now(),
    ));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(failures.len(), 2, "{failures:?}");
    for f in &failures {
        assert_eq!(f.kind, FailureKind::Permanent);
        assert!(f.judgement.failing && !f.judgement.give_up, "{f:?}");
        assert!(f.reason.contains("unknown table"), "{f:?}");
    }
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn with_no_retries_a_failure_ends_after_the_first_attempt() {
    let emu = seeded();
    emu.inject(
        Fault::FailLoad {
            http_status: 200,
            status: "Fail".into(),
            message: "injected failure".into(),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "no-retries", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, NO_RETRIES);
    let error = given_up(outcome);
    assert!(error.is_retriable(), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("after 1 attempt (sink.table.failure=fail)"),
        "{text}"
    );
    assert!(text.contains("injected failure"), "{text}");
    assert_eq!(failures.len(), 1);
    assert_eq!(be_labels(&emu).len(), 1);
    assert!(rows(&emu).is_empty());
    wait_until(
        "the transaction to be aborted",
        Duration::from_secs(5),
        || emu.load_state("example_db", "no-retries") == "ABORTED",
    );
}

#[test]
fn a_policy_that_gives_up_names_the_attempts_and_the_last_reason() {
    let emu = seeded();
    emu.inject(
        Fault::FailLoad {
            http_status: 503,
            status: String::new(),
            message: "overloaded".into(),
        },
        3,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "exhausted", SEED_ROWS);
    let two_retries = RetryPolicy {
        max_retries: RetryLimit::AtMost(2),
        ..NO_RETRIES
    };
    let (outcome, failures) = load(&client, &req, two_retries);
    let error = given_up(outcome);
    assert!(error.is_retriable());
    let text = error.to_string();
    assert!(text.contains("after 3 attempts"), "{text}");
    assert!(text.contains("HTTP 503: overloaded"), "{text}");
    assert_eq!(failures.len(), 3);
    assert_eq!(be_labels(&emu), vec!["exhausted"; 3]);
}

/// Runs `req` through `txn::load` (committing when `turn` says so) and cancels it `after`.
fn load_cancelled_after(
    client: &StreamLoadClient,
    req: &LoadRequest,
    mut turn: watch::Receiver<bool>,
    after: Duration,
) -> Result<LoadOutcome, Ended> {
    let (cancel_tx, mut cancel) = watch::channel(false);
    let mut on_failure = |_: &Failure| {};
    run(async {
        let canceller = async {
            tokio::time::sleep(after).await;
            cancel_tx.send(true).unwrap();
            std::future::pending::<()>().await
        };
        tokio::select! {
            outcome = txn::load(client, req, &PATIENT, &mut on_failure, &mut cancel, &mut turn) => outcome,
            _ = canceller => unreachable!(),
        }
    })
}

#[test]
fn a_cancelled_load_never_commits_even_when_its_body_arrives_later() {
    let emu = seeded();
    emu.inject(
        Fault::DelayReply {
            delay: Duration::from_millis(800),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "cancelled", SEED_ROWS);
    let outcome = load_cancelled_after(&client, &req, txn::now(), Duration::from_millis(200));
    assert!(
        matches!(outcome, Err(Ended::Cancelled { rollback: true })),
        "{outcome:?}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        rows(&emu).is_empty(),
        "nothing of a cancelled load is visible"
    );
    assert!(
        steps_on(&emu, "fe", "commit").is_empty(),
        "no commit was sent"
    );
    assert_ne!(emu.load_state("example_db", "cancelled"), "VISIBLE");
}

#[test]
fn a_load_prepared_before_its_turn_commits_only_when_its_turn_comes() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "second", SEED_ROWS);
    let (turn_tx, mut turn) = watch::channel(false);
    let (_keep, mut cancel) = watch::channel(false);
    let mut on_failure = |_: &Failure| {};
    let outcome = run(async {
        let give_turn = async {
            // Prepared long before: nothing is visible until the turn comes.
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert_eq!(emu.load_state("example_db", "second"), "PREPARED");
            assert!(steps_on(&emu, "fe", "commit").is_empty(), "no commit yet");
            turn_tx.send(true).unwrap();
            std::future::pending::<()>().await
        };
        tokio::select! {
            outcome = txn::load(&client, &req, &PATIENT, &mut on_failure, &mut cancel, &mut turn) => outcome,
            _ = give_turn => unreachable!(),
        }
    });
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu).len(), 3);
}

#[test]
fn a_load_cancelled_while_it_waits_for_its_turn_never_commits() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "waiting", SEED_ROWS);
    let (_turn_tx, turn) = watch::channel(false);
    let outcome = load_cancelled_after(&client, &req, turn, Duration::from_millis(400));
    assert!(
        matches!(outcome, Err(Ended::Cancelled { rollback: true })),
        "{outcome:?}"
    );
    assert!(
        steps_on(&emu, "fe", "commit").is_empty(),
        "no commit was sent"
    );
    assert!(rows(&emu).is_empty());
}

#[test]
fn a_load_whose_turn_is_dropped_while_it_waits_ends_cancelled_without_a_commit() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "orphaned", SEED_ROWS);
    let (turn_tx, mut turn) = watch::channel(false);
    let (_keep, mut cancel) = watch::channel(false);
    let mut on_failure = |_: &Failure| {};
    let outcome = run(async {
        let drop_turn = async {
            // The table forgets the load (the sink stopped) while it waits, prepared.
            tokio::time::sleep(Duration::from_millis(400)).await;
            drop(turn_tx);
            std::future::pending::<()>().await
        };
        tokio::select! {
            outcome = txn::load(&client, &req, &PATIENT, &mut on_failure, &mut cancel, &mut turn) => outcome,
            _ = drop_turn => unreachable!(),
        }
    });
    assert!(
        matches!(outcome, Err(Ended::Cancelled { rollback: true })),
        "{outcome:?}"
    );
    assert!(
        steps_on(&emu, "fe", "commit").is_empty(),
        "no commit was sent"
    );
    assert!(rows(&emu).is_empty());
}

#[test]
fn a_load_rides_out_every_fe_being_down_and_backs_off_afresh_once_they_are_back() {
    let emu = emulator(
        Config::ephemeral()
            .with_fes(2)
            .with_election_delay(Duration::from_millis(100)),
    );
    for i in 0..2 {
        emu.fe_down(i);
    }
    let client = client(&config(&emu, &[]));
    let req = request(&client, "outage", SEED_ROWS);
    let mut failures = Vec::new();
    let mut on_failure = |f: &Failure| {
        failures.push(f.clone());
        if failures.len() == 4 {
            // StarRocks comes back, with one load step failing once more.
            emu.inject(
                Fault::FailLoad {
                    http_status: 500,
                    status: String::new(),
                    message: "aftermath".into(),
                },
                1,
            );
            emu.fe_up(0);
            emu.fe_up(1);
        }
    };
    let (_keep, mut cancel) = watch::channel(false);
    let outcome = run(txn::load(
        &client,
        &req,
        &PATIENT,
        &mut on_failure,
        &mut cancel,
        &mut txn::now(),
    ));
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(
        failures[..4]
            .iter()
            .all(|f| f.reason.contains("no FE answered")),
        "{failures:?}"
    );
    assert!(
        failures[3].backoff >= Duration::from_millis(400),
        "the outage backed off: {failures:?}"
    );
    let aftermath = failures
        .iter()
        .find(|f| f.reason.contains("aftermath"))
        .expect("the injected failure was reported");
    assert!(
        aftermath.backoff <= Duration::from_millis(200),
        "a new step's failure backs off afresh: {failures:?}"
    );
    assert!(failures
        .iter()
        .all(|f| f.kind == FailureKind::Transient && !f.judgement.failing));
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn lz4_frame_compressed_json_loads_end_to_end() {
    let emu = seeded();
    let client = client(&config(
        &emu,
        &[("sink.properties.compression", "lz4_frame")],
    ));
    let req = request(&client, "lz4-json", SEED_ROWS);
    assert_ne!(req.body.len(), SEED_ROWS.len(), "the body is compressed");
    let (outcome, _) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &steps_on(&emu, "be", "load")[0];
    assert_eq!(be.headers["compression"], "lz4_frame");
    assert_eq!(be.body_bytes, req.body.len() as u64);
}

#[test]
fn lz4_frame_compressed_csv_loads_end_to_end() {
    let emu = seeded();
    let client = client(&config(
        &emu,
        &[
            ("sink.properties.format", "csv"),
            ("sink.properties.compression", "lz4_frame"),
        ],
    ));
    let req = request(
        &client,
        "lz4-csv",
        "1\tNew York\n2\tLos Angeles\n3\tChicago\n",
    );
    let (outcome, _) = load(&client, &req, NO_RETRIES);
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &steps_on(&emu, "be", "load")[0];
    assert_eq!(be.headers["format"], "lz4");
}

#[test]
fn a_be_address_configured_as_an_fe_fails_with_an_explanation() {
    let emu = seeded();
    let be = emu.be_http()[0].to_string();
    let client = client(&config_for(&[be], &[]));
    let req = request(&client, "be-as-fe", SEED_ROWS);
    let (outcome, failures) = load(&client, &req, PATIENT);
    let error = given_up(outcome);
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    assert!(text.contains("so it is a BE, not an FE"), "{text}");
    assert!(text.contains("starrocks.http.url"), "{text}");
    assert_eq!(failures.len(), 1);
}

/// A multi-table load (as under exactly-once): `test_tbl`'s rows and a row of a second table,
/// `side`, created here, in one transaction.
fn multi_request(emu: &Emulator, client: &StreamLoadClient, label: &str) -> LoadRequest {
    emu.run_script("USE example_db;\nCREATE TABLE IF NOT EXISTS side (id INT, note STRING);")
        .expect("the second table is created");
    let mut req = request(client, label, SEED_ROWS);
    req.progress = Some(ProgressPart {
        table: "side".into(),
        body: Bytes::from(format!(r#"{{"id":1,"note":"{label}"}}"#)),
    });
    req
}

/// Runs `req` through `multi::load`; once its rows are sent, `then` acts on (cancel, turn),
/// which start false. Taking the turn's sender out drops it, as a table does when the sink
/// stops.
fn multi_load_with(
    emu: &Emulator,
    client: &StreamLoadClient,
    req: &LoadRequest,
    then: impl FnOnce(&watch::Sender<bool>, &mut Option<watch::Sender<bool>>),
) -> Result<LoadOutcome, Ended> {
    let (cancel_tx, mut cancel) = watch::channel(false);
    let (turn_tx, mut turn) = watch::channel(false);
    let mut turn_tx = Some(turn_tx);
    let attempt = std::sync::atomic::AtomicU32::new(0);
    let mut on_failure = |_: &Failure| {};
    run(async {
        let act = async {
            // Both parts sent, and no commit while the turn has not come.
            while steps_on(emu, "be", "load").len() < 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(steps_on(emu, "fe", "commit").is_empty(), "no commit yet");
            then(&cancel_tx, &mut turn_tx);
        };
        let load = multi::load(
            client,
            req,
            &attempt,
            &PATIENT,
            &mut on_failure,
            &mut cancel,
            &mut turn,
        );
        tokio::join!(load, act).0
    })
}

#[test]
fn a_multi_table_load_sends_its_rows_before_its_turn_and_commits_when_it_comes() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = multi_request(&emu, &client, "eo-second");
    let outcome = multi_load_with(&emu, &client, &req, |_, turn| {
        turn.as_ref().unwrap().send(true).unwrap();
    });
    assert!(matches!(outcome, Ok(LoadOutcome::Loaded(_))), "{outcome:?}");
    assert_eq!(rows(&emu).len(), 3);
    assert_eq!(steps_on(&emu, "fe", "commit").len(), 1);
}

#[test]
fn a_multi_table_load_cancelled_as_its_turn_comes_never_commits() {
    // The table cancels the loads behind one that came back without committing, then may give
    // the next its turn at once: whichever the driver sees first, no commit goes.
    for round in 0..8 {
        let emu = seeded();
        let client = client(&config(&emu, &[]));
        let req = multi_request(&emu, &client, &format!("eo-cancelled-{round}"));
        let outcome = multi_load_with(&emu, &client, &req, |cancel, turn| {
            cancel.send(true).unwrap();
            turn.as_ref().unwrap().send(true).unwrap();
        });
        assert!(
            matches!(outcome, Err(Ended::Cancelled { .. })),
            "round {round}: {outcome:?}"
        );
        assert!(
            steps_on(&emu, "fe", "commit").is_empty(),
            "round {round}: no commit was sent"
        );
        assert!(rows(&emu).is_empty(), "round {round}");
    }
}

#[test]
fn a_multi_table_load_whose_table_drops_it_before_its_turn_rolls_back_and_never_commits() {
    // The sink stopped while the load waited for its turn: the table dropped the turn's
    // sender. The load rolls its transaction back rather than leave it open until its timeout.
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = multi_request(&emu, &client, "eo-dropped");
    let outcome = multi_load_with(&emu, &client, &req, |_, turn| {
        turn.take();
    });
    assert!(
        matches!(outcome, Err(Ended::Cancelled { .. })),
        "{outcome:?}"
    );
    assert!(
        steps_on(&emu, "fe", "commit").is_empty(),
        "no commit was sent"
    );
    let rollbacks = steps_on(&emu, "fe", "rollback");
    assert_eq!(rollbacks.len(), 1, "{rollbacks:?}");
    assert_eq!(rollbacks[0].label.as_deref(), Some("eo-dropped"));
    assert!(rows(&emu).is_empty());
}
