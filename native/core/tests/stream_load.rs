//! The Stream Load client and its retries against the StarRocks emulator: rows reach the
//! table exactly once through every fault the emulator can inject, and failures read as a
//! user would need them to.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use starrocks_emulator::faults::{Fault, JournalEntry};
use starrocks_emulator::{start, Config, Emulator};
use starrocks_kafka_core::config::RetryLimit;
use starrocks_kafka_core::stream_load::{
    load_with_retries, LoadOutcome, LoadRequest, StreamLoadClient,
};
use starrocks_kafka_core::{Error, SinkConfig};

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
    LoadRequest {
        database: "example_db".into(),
        table: "test_tbl".into(),
        label: label.into(),
        body: client.prepare_body(Bytes::from(rows.to_owned())),
        row_count: 3,
    }
}

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

/// Loads with retries; returns the outcome and every `on_retry` call.
fn load(
    client: &StreamLoadClient,
    req: &LoadRequest,
    limit: RetryLimit,
) -> (Result<LoadOutcome, Error>, Vec<(u32, String)>) {
    let mut retries = Vec::new();
    let mut on_retry = |n: u32, reason: &str| retries.push((n, reason.to_owned()));
    let outcome = run(load_with_retries(client, req, limit, &mut on_retry));
    (outcome, retries)
}

fn rows(emu: &Emulator) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = emu
        .rows("example_db", "test_tbl")
        .expect("the table exists")
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// Stream Load requests that reached a node whose name starts with `node` (`fe`, `be`).
fn loads_on(emu: &Emulator, node: &str) -> Vec<JournalEntry> {
    emu.journal()
        .into_iter()
        .filter(|e| e.node.starts_with(node) && e.uri.ends_with("/_stream_load"))
        .collect()
}

fn be_labels(emu: &Emulator) -> Vec<String> {
    loads_on(emu, "be")
        .into_iter()
        .map(|e| e.label.unwrap_or_default())
        .collect()
}

fn wait_until(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn loaded_rows(outcome: &Result<LoadOutcome, Error>) -> u64 {
    match outcome {
        Ok(LoadOutcome::Loaded(result)) => result.loaded_rows,
        other => panic!("expected Loaded, got {other:?}"),
    }
}

#[test]
fn loads_the_seed_rows_sent_one_json_object_after_another() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "seed-ndjson", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(retries.is_empty());
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn loads_a_json_array_with_strip_outer_array() {
    let emu = seeded();
    let client = client(&config(
        &emu,
        &[("sink.properties.strip_outer_array", "true")],
    ));
    let req = request(&client, "seed-array", SEED_ARRAY);
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &loads_on(&emu, "be")[0];
    assert_eq!(be.headers["strip_outer_array"], "true");
}

#[test]
fn the_fe_gets_headers_only_and_the_be_gets_the_body_with_credentials() {
    let emu = seeded();
    let client = client(&config(&emu, &[("sink.properties.columns", "id, city")]));
    let req = request(&client, "two-hops", SEED_ROWS);
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);

    let fe = &loads_on(&emu, "fe")[0];
    assert_eq!(fe.body_bytes, 0);
    assert_eq!(fe.headers["expect"], "100-continue");
    assert_eq!(fe.headers["content-length"], "0");
    assert!(fe.outcome.starts_with("307 "), "{}", fe.outcome);

    let be = &loads_on(&emu, "be")[0];
    assert!(
        be.headers.contains_key("authorization"),
        "Authorization re-sent to the BE"
    );
    assert_eq!(be.label.as_deref(), Some("two-hops"));
    assert_eq!(be.headers["format"], "json");
    assert_eq!(be.headers["columns"], "id, city");
    assert_eq!(be.body_bytes, SEED_ROWS.len() as u64);
}

#[test]
fn a_wrong_password_fails_for_good_and_says_authentication_failed() {
    let emu = seeded();
    let client = client(&config(&emu, &[("starrocks.password", "wrong")]));
    let req = request(&client, "bad-password", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    let error = outcome.expect_err("a wrong password cannot load");
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(text.contains("Access denied for root@"), "{text}");
    assert!(text.contains("user 'root'"), "{text}");
    assert!(retries.is_empty(), "not retried: {retries:?}");
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
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert_eq!(retries[0].0, 1);
    assert_eq!(retries[1].0, 2);
    assert!(retries[0].1.contains("injected failure"), "{retries:?}");
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
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(retries.len(), 1);
    assert!(retries[0].1.contains("HTTP 500: boom"), "{retries:?}");
    assert_eq!(be_labels(&emu), vec!["retried-500"; 2]);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_publish_timeout_counts_as_loaded_without_a_retry() {
    let emu = seeded();
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_millis(300),
        },
        1,
    );
    let client = client(&config(&emu, &[]));
    let req = request(&client, "publish-timeout", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    match &outcome {
        Ok(LoadOutcome::Loaded(result)) => assert!(result.is_publish_timeout(), "{result:?}"),
        other => panic!("expected Loaded, got {other:?}"),
    }
    assert!(retries.is_empty());
    assert_eq!(be_labels(&emu).len(), 1);
    wait_until("the rows to become visible", Duration::from_secs(5), || {
        rows(&emu) == seed_table()
    });
}

#[test]
fn a_reply_lost_after_commit_is_settled_by_the_label_state_without_a_second_copy() {
    let emu = seeded();
    emu.inject(Fault::DropReplyAfterCommit, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "dropped-reply", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(outcome.expect("durable"), LoadOutcome::AlreadyLoaded);
    assert!(retries.is_empty(), "{retries:?}");
    assert_eq!(be_labels(&emu).len(), 1, "the load was not sent again");
    let asked = emu
        .journal()
        .into_iter()
        .any(|e| e.uri.contains("get_load_state?label=dropped-reply"));
    assert!(asked, "the label state was read");
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_connection_closed_mid_body_is_retried_and_loads_once() {
    let emu = seeded();
    emu.inject(Fault::CloseMidBody, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "closed-mid-body", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(
        retries[0].1.contains("nothing was committed"),
        "{retries:?}"
    );
    assert_eq!(be_labels(&emu), vec!["closed-mid-body"; 2]);
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_redirect_to_an_unreachable_be_is_retried() {
    let emu = seeded();
    emu.inject(Fault::RedirectUnreachable, 1);
    let client = client(&config(&emu, &[]));
    let req = request(&client, "unreachable-be", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(retries.len(), 1);
    assert!(
        retries[0].1.contains("before the body was sent"),
        "{retries:?}"
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
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(retries.is_empty());
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn a_down_fe_is_skipped_for_the_next_one() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let first = emu.fe_http_all()[0];
    emu.fe_down(0);
    wait_until("FE 0 to refuse connections", Duration::from_secs(5), || {
        matches!(
            std::net::TcpStream::connect_timeout(&first, Duration::from_millis(500)),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
        )
    });
    let client = client(&config(&emu, &[]));
    let req = request(&client, "failover-1", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);
    assert!(retries.is_empty(), "failover is within one attempt");
    let req = request(&client, "failover-2", "{\"id\":4,\"city\":\"Houston\"}");
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 1);
    let fes: Vec<String> = loads_on(&emu, "fe").into_iter().map(|e| e.node).collect();
    assert_eq!(fes, ["fe1", "fe1"]);
    assert_eq!(rows(&emu).len(), 4);
}

#[test]
fn the_label_state_is_read_through_a_follower_fe() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let fes = emu.fe_http_all();
    let follower_first = config_for(&[fes[1].to_string(), fes[0].to_string()], &[]);
    let client = client(&follower_first);
    let req = request(&client, "state-1", SEED_ROWS);
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);
    let state = run(client.load_state("example_db", "state-1")).expect("a state");
    assert_eq!(state, "VISIBLE");
    let never = run(client.load_state("example_db", "never-used")).expect("a state");
    assert_eq!(never, "UNKNOWN");
    let redirected = emu.journal().into_iter().any(|e| {
        e.node == "fe1" && e.uri.contains("get_load_state") && e.outcome.starts_with("307")
    });
    assert!(redirected, "the follower redirected to the leader");
}

#[test]
fn a_label_loaded_earlier_is_already_loaded_and_not_loaded_twice() {
    let emu = seeded();
    let client = client(&config(&emu, &[]));
    let req = request(&client, "same-batch", SEED_ROWS);
    let (first, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&first), 3);
    let (second, retries) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(second.expect("durable"), LoadOutcome::AlreadyLoaded);
    assert!(retries.is_empty());
    assert_eq!(rows(&emu), seed_table());
}

#[test]
fn too_many_filtered_rows_fail_for_good_with_the_rejected_rows_in_the_message() {
    let emu = seeded();
    // A JSON array without strip_outer_array: StarRocks filters it as one bad row.
    let client = client(&config(&emu, &[]));
    let req = request(&client, "filtered", SEED_ARRAY);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    let error = outcome.expect_err("the rows are rejected");
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    for needed in [
        "too many filtered rows",
        "label 'filtered'",
        "example_db.test_tbl",
        "/api/_load_error_log?file=",
        "strip_outer_array must be set true",
    ] {
        assert!(text.contains(needed), "{needed:?} missing from: {text}");
    }
    assert!(retries.is_empty());
    assert!(rows(&emu).is_empty());
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
    let client = client(&config(&emu, &[("sink.maxretries", "0")]));
    let limit = config(&emu, &[("sink.maxretries", "0")]).max_retries;
    assert_eq!(limit, RetryLimit::AtMost(0));
    let req = request(&client, "no-retries", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, limit);
    let error = outcome.expect_err("the only attempt failed");
    assert!(error.is_retriable(), "{error}");
    let text = error.to_string();
    assert!(text.contains("after 1 attempt:"), "{text}");
    assert!(text.contains("injected failure"), "{text}");
    assert!(retries.is_empty());
    assert_eq!(be_labels(&emu).len(), 1);
    assert!(rows(&emu).is_empty());
}

#[test]
fn exhausted_retries_name_the_attempts_and_the_last_reason() {
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
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(2));
    let error = outcome.expect_err("three failures, two retries");
    assert!(error.is_retriable());
    let text = error.to_string();
    assert!(
        text.contains("after 3 attempts: HTTP 503: overloaded"),
        "{text}"
    );
    assert_eq!(retries.len(), 2);
    assert_eq!(be_labels(&emu), vec!["exhausted"; 3]);
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
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &loads_on(&emu, "be")[0];
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
    let (outcome, _) = load(&client, &req, RetryLimit::AtMost(0));
    assert_eq!(loaded_rows(&outcome), 3);
    assert_eq!(rows(&emu), seed_table());
    let be = &loads_on(&emu, "be")[0];
    assert_eq!(be.headers["format"], "lz4");
}

#[test]
fn a_be_address_configured_as_an_fe_fails_with_an_explanation() {
    let emu = seeded();
    let be = emu.be_http()[0].to_string();
    let client = client(&config_for(&[be], &[]));
    let req = request(&client, "be-as-fe", SEED_ROWS);
    let (outcome, retries) = load(&client, &req, RetryLimit::AtMost(3));
    let error = outcome.expect_err("a BE is not an FE");
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    assert!(text.contains("so it is a BE, not an FE"), "{text}");
    assert!(text.contains("starrocks.http.url"), "{text}");
    assert!(retries.is_empty());
}
