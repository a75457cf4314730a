//! Transaction Stream Load over real HTTP, through the FE's redirects.

mod common;

use std::time::Duration;

use common::*;
use starrocks_emulator::Config;

fn h<'a>(label: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("label", label),
        ("db", "example_db"),
        ("table", "test_tbl"),
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn begin_load_prepare_commit_makes_rows_visible() {
    let emu = seeded();
    let fe = emu.fe_http();
    let begin = txn(fe, "begin", &h("t1", &[]), b"");
    assert_eq!(begin["Status"], "OK", "{begin}");
    assert_eq!(begin["Label"], "t1");
    assert!(begin["TxnId"].as_i64().unwrap() > 0);
    assert_eq!(emu.load_state("example_db", "t1"), "PREPARE");
    let json = [("format", "json"), ("strip_outer_array", "true")];
    for body in [
        "[{\"id\":1,\"city\":\"New York\"}]",
        "[{\"id\":2,\"city\":\"Los Angeles\"},{\"id\":3,\"city\":\"Chicago\"}]",
    ] {
        let load = txn(fe, "load", &h("t1", &json), body.as_bytes());
        assert_eq!(load["Status"], "OK", "{load}");
        assert_eq!(load["LoadBytes"], body.len());
    }
    assert!(
        rows(&emu, "example_db", "test_tbl").is_empty(),
        "nothing visible before commit"
    );
    let prepare = txn(fe, "prepare", &h("t1", &[]), b"");
    assert_eq!(prepare["Status"], "OK", "{prepare}");
    assert_eq!(prepare["NumberLoadedRows"], 3);
    assert_eq!(emu.load_state("example_db", "t1"), "PREPARED");
    // The FE answers a prepared commit itself.
    let commit = txn(fe, "commit", &h("t1", &[]), b"");
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(commit["Label"], "t1");
    assert_eq!(emu.load_state("example_db", "t1"), "VISIBLE");
    assert_eq!(rows(&emu, "example_db", "test_tbl"), seed_table());
    let again = txn(fe, "commit", &h("t1", &[]), b"");
    assert_eq!(again["Status"], "OK");
    assert!(again["Message"]
        .as_str()
        .unwrap()
        .contains("has already committed"));
    let rollback = txn(fe, "rollback", &h("t1", &[]), b"");
    assert_eq!(rollback["Status"], "FAILED");
}

#[test]
fn begin_with_a_used_label_answers_label_already_exists() {
    let emu = seeded();
    let fe = emu.fe_http();
    assert_eq!(txn(fe, "begin", &h("t2", &[]), b"")["Status"], "OK");
    let live = txn(fe, "begin", &h("t2", &[]), b"");
    assert_eq!(live["Status"], "LABEL_ALREADY_EXISTS", "{live}");
    assert_eq!(txn(fe, "rollback", &h("t2", &[]), b"")["Status"], "OK");
    assert_eq!(emu.load_state("example_db", "t2"), "ABORTED");
    assert_eq!(
        txn(fe, "begin", &h("t2", &[]), b"")["Status"],
        "OK",
        "an aborted label is reusable"
    );
}

#[test]
fn fe_validation_messages() {
    let emu = seeded();
    let fe = emu.fe_http();
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 3] = [
        ("begin", vec![("label", "x")], "No database selected."),
        ("begin", vec![("db", "example_db")], "Empty label."),
        (
            "frobnicate",
            vec![("label", "x"), ("db", "example_db")],
            "Unknown transaction operation: frobnicate",
        ),
    ];
    for (op, headers, message) in cases {
        let answer = txn(fe, op, &headers, b"");
        assert_eq!(answer["Status"], "FAILED", "{op}");
        assert_eq!(answer["Message"], message);
    }
}

#[test]
fn loads_must_keep_their_parameters_and_table() {
    let emu = seeded();
    let fe = emu.fe_http();
    txn(fe, "begin", &h("t3", &[]), b"");
    let first = txn(fe, "load", &h("t3", &[("format", "json")]), b"{\"id\":1}");
    assert_eq!(first["Status"], "OK");
    let differs = txn(fe, "load", &h("t3", &[("format", "csv")]), b"1\tx\n");
    assert_eq!(differs["Status"], "INTERNAL_ERROR");
    assert_eq!(differs["Message"], "load request not equal last.");
    // The failed load aborted the transaction.
    let after = txn(fe, "load", &h("t3", &[("format", "json")]), b"{\"id\":1}");
    assert_eq!(after["Status"], "TXN_NOT_EXISTS", "{after}");
    assert_eq!(after["Message"], "Transaction with label t3 not exists");
    assert_eq!(emu.load_state("example_db", "t3"), "ABORTED");
    let commit = txn(fe, "commit", &h("t3", &[]), b"");
    assert_eq!(commit["Status"], "FAILED");

    txn(fe, "begin", &h("t4", &[]), b"");
    let other_table = txn(
        fe,
        "load",
        &[
            ("label", "t4"),
            ("db", "example_db"),
            ("table", "other"),
            ("format", "json"),
        ],
        b"{}",
    );
    assert_eq!(other_table["Status"], "INVALID_ARGUMENT");
}

#[test]
fn prepare_without_data_or_with_bad_rows_aborts() {
    let emu = seeded();
    let fe = emu.fe_http();
    txn(fe, "begin", &h("t5", &[]), b"");
    let empty = txn(fe, "prepare", &h("t5", &[]), b"");
    assert_eq!(empty["Status"], "INTERNAL_ERROR");
    assert!(empty["Message"]
        .as_str()
        .unwrap()
        .ends_with("hasn't send any data yet"));
    assert_eq!(emu.load_state("example_db", "t5"), "ABORTED");

    txn(fe, "begin", &h("t6", &[]), b"");
    txn(fe, "load", &h("t6", &[("format", "json")]), b"[{\"id\":1}]");
    let bad = txn(fe, "prepare", &h("t6", &[]), b"");
    assert_eq!(bad["Status"], "INTERNAL_ERROR");
    assert_eq!(bad["Message"], "too many filtered rows");
    assert!(bad["ErrorURL"].is_string());
    assert_eq!(emu.load_state("example_db", "t6"), "ABORTED");

    txn(fe, "begin", &h("t7", &[]), b"");
    let invalid = txn(fe, "prepare", &h("t7", &[("prepared_timeout", "0")]), b"");
    assert_eq!(invalid["Status"], "INVALID_ARGUMENT");
    assert_eq!(invalid["Message"], "Invalid prepared_timeout: 0");
}

#[test]
fn commit_without_prepare_goes_to_the_be_and_publishes() {
    let emu = seeded();
    let fe = emu.fe_http();
    txn(fe, "begin", &h("t8", &[]), b"");
    txn(
        fe,
        "load",
        &h("t8", &[("format", "json")]),
        SEED_ROWS.as_bytes(),
    );
    let commit = txn(fe, "commit", &h("t8", &[]), b"");
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(commit["NumberLoadedRows"], 3);
    assert_eq!(rows(&emu, "example_db", "test_tbl"), seed_table());
}

#[test]
fn idle_and_prepared_timeouts_abort() {
    let emu = seeded();
    let fe = emu.fe_http();
    txn(
        fe,
        "begin",
        &h("t9", &[("idle_transaction_timeout", "1")]),
        b"",
    );
    wait_until(
        "the idle transaction to abort",
        Duration::from_secs(5),
        || emu.load_state("example_db", "t9") == "ABORTED",
    );
    let late = txn(fe, "load", &h("t9", &[("format", "json")]), b"{\"id\":1}");
    assert_eq!(late["Status"], "TXN_NOT_EXISTS");

    txn(fe, "begin", &h("t10", &[]), b"");
    txn(fe, "load", &h("t10", &[("format", "json")]), b"{\"id\":1}");
    txn(fe, "prepare", &h("t10", &[("prepared_timeout", "1")]), b"");
    wait_until(
        "the prepared transaction to abort",
        Duration::from_secs(5),
        || emu.load_state("example_db", "t10") == "ABORTED",
    );
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
}

#[test]
fn followers_send_transaction_calls_to_the_leader() {
    let emu = emulator(Config::ephemeral().with_fes(2).with_bes(2));
    let follower = emu.fe_http_all()[1];
    let url = format!("http://{follower}/api/transaction/begin");
    let answer = send(
        reqwest::Method::POST,
        &url,
        Some(("root", "")),
        &h("f1", &[]),
        Vec::new(),
    );
    assert_eq!(answer.status, reqwest::StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        answer.location.unwrap(),
        format!("http://{}/api/transaction/begin", emu.fe_http())
    );
    // Followed through: follower -> leader -> BE, and every later call finds the same BE.
    assert_eq!(txn(follower, "begin", &h("f1", &[]), b"")["Status"], "OK");
    assert_eq!(
        txn(
            follower,
            "load",
            &h("f1", &[("format", "json")]),
            b"{\"id\":5}"
        )["Status"],
        "OK"
    );
    assert_eq!(txn(follower, "prepare", &h("f1", &[]), b"")["Status"], "OK");
    assert_eq!(txn(follower, "commit", &h("f1", &[]), b"")["Status"], "OK");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);
}
