//! Multi-table Transaction Stream Load (StarRocks 4.0, `transaction_type: multi`) over real
//! HTTP: the FE answers begin, prepare, commit and rollback itself and redirects each load to
//! the BE of its table; commit makes every table's rows visible at once. Expected statuses
//! and messages are StarRocks' (see `src/http/multi.rs` for the sources).

mod common;

use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use starrocks_emulator::faults::Fault;
use starrocks_emulator::{Config, Emulator};

const JSON: [(&str, &str); 2] = [("format", "json"), ("strip_outer_array", "true")];

/// The seed plus a second table in `example_db`.
fn two_tables(config: Config) -> Emulator {
    let emu = emulator(config);
    emu.run_script("CREATE TABLE example_db.scores (id INT NOT NULL, score BIGINT) PRIMARY KEY (id) DISTRIBUTED BY HASH(id)")
        .expect("the second table is created");
    emu
}

/// Headers of a multi-table call for `label` in `example_db`, plus `extra`.
fn m<'a>(label: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("label", label),
        ("db", "example_db"),
        ("transaction_type", "multi"),
    ];
    v.extend_from_slice(extra);
    v
}

/// A multi-table load of `body` into `table`, through the FE's redirect.
fn load(emu: &Emulator, label: &str, table: &str, body: &str) -> Value {
    let mut headers = m(label, &[("table", table)]);
    headers.extend_from_slice(&JSON);
    txn(emu.fe_http(), "load", &headers, body.as_bytes())
}

fn call(emu: &Emulator, op: &str, label: &str) -> Value {
    txn(emu.fe_http(), op, &m(label, &[]), b"")
}

/// One FE request, not followed.
fn on_fe(emu: &Emulator, op: &str, headers: &[(&str, &str)]) -> Answer {
    send(
        Method::POST,
        &format!("http://{}/api/transaction/{op}", emu.fe_http()),
        Some(("root", "")),
        headers,
        Vec::new(),
    )
}

fn message(v: &Value) -> &str {
    v["Message"].as_str().unwrap_or_default()
}

#[test]
fn a_multi_table_transaction_loads_several_tables_and_publishes_them_together() {
    let emu = two_tables(Config::ephemeral());
    // Begin is answered by the FE itself: no 307, no table, no TxnId in the answer.
    let begin = on_fe(&emu, "begin", &m("mt1", &[("timeout", "60")]));
    assert_eq!(begin.status, StatusCode::OK);
    assert!(begin.location.is_none());
    assert_eq!(
        begin.json(),
        serde_json::json!({"Status": "OK", "Message": ""})
    );
    // Loads are redirected to a BE, which answers for the shared transaction.
    let mut headers = m("mt1", &[("table", "test_tbl")]);
    headers.extend_from_slice(&JSON);
    let redirect = send(
        Method::PUT,
        &format!("http://{}/api/transaction/load", emu.fe_http()),
        Some(("root", "")),
        &headers,
        Vec::new(),
    );
    assert_eq!(redirect.status, StatusCode::TEMPORARY_REDIRECT);
    let location = redirect.location.unwrap();
    assert!(
        emu.be_http()
            .iter()
            .any(|be| location == format!("http://{be}/api/transaction/load")),
        "{location}"
    );
    let first = load(&emu, "mt1", "test_tbl", r#"[{"id":1,"city":"New York"}]"#);
    assert_eq!(first["Status"], "OK", "{first}");
    assert_eq!(first["Label"], "mt1");
    let txn_id = first["TxnId"].as_i64().unwrap();
    let second = load(
        &emu,
        "mt1",
        "test_tbl",
        r#"[{"id":2,"city":"Los Angeles"}]"#,
    );
    assert_eq!(second["TxnId"], txn_id, "several loads per table");
    let other = load(
        &emu,
        "mt1",
        "scores",
        r#"[{"id":7,"score":70},{"id":8,"score":80}]"#,
    );
    assert_eq!(other["Status"], "OK", "{other}");
    assert_eq!(other["TxnId"], txn_id, "one transaction for every table");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
    assert!(rows(&emu, "example_db", "scores").is_empty());
    assert_eq!(
        emu.load_state("example_db", "mt1"),
        "UNKNOWN",
        "the transaction manager learns the label at commit"
    );

    let commit = on_fe(&emu, "commit", &m("mt1", &[]));
    assert!(commit.location.is_none(), "answered by the FE");
    let commit = commit.json();
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(commit["Label"], "mt1");
    assert_eq!(commit["TxnId"], txn_id);
    assert_eq!(
        rows(&emu, "example_db", "test_tbl"),
        vec![
            vec!["1".to_string(), "New York".into()],
            vec!["2".into(), "Los Angeles".into()]
        ]
    );
    assert_eq!(
        rows(&emu, "example_db", "scores"),
        vec![
            vec!["7".to_string(), "70".into()],
            vec!["8".into(), "80".into()]
        ]
    );
    assert_eq!(
        load_state(emu.fe_http(), "example_db", "mt1")["state"],
        "VISIBLE"
    );

    let again = call(&emu, "commit", "mt1");
    assert_eq!(again["Status"], "OK");
    assert_eq!(
        message(&again),
        format!("Transaction {txn_id} has already committed, label is mt1")
    );
    let rollback = call(&emu, "rollback", "mt1");
    assert_eq!(rollback["Status"], "FAILED");
    assert_eq!(
        message(&rollback),
        format!("Can not abort VISIBLE transaction {txn_id}, label is mt1")
    );
    let late = load(&emu, "mt1", "test_tbl", r#"[{"id":3,"city":"x"}]"#);
    assert_eq!(late["Status"], "FAILED");
    assert_eq!(
        message(&late),
        "stream load task mt1 has already been commited"
    );
    let reuse = call(&emu, "begin", "mt1");
    assert_eq!(reuse["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(message(&reuse), "Label [mt1] has already been used.");
    assert_eq!(reuse["ExistingJobStatus"], "COMMITED");
}

#[test]
fn rollback_discards_every_table_and_the_label_stays_taken() {
    let emu = two_tables(Config::ephemeral());
    assert_eq!(call(&emu, "begin", "mt2")["Status"], "OK");
    let double = call(&emu, "begin", "mt2");
    assert_eq!(double["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(double["ExistingJobStatus"], "BEGIN");
    let txn_id = double["TxnId"].as_i64().unwrap();
    assert_eq!(
        message(&double),
        format!("Transaction already started with label [mt2], txnId: {txn_id}")
    );
    load(&emu, "mt2", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    load(&emu, "mt2", "scores", r#"[{"id":1,"score":1}]"#);

    let rollback = call(&emu, "rollback", "mt2");
    assert_eq!(rollback["Status"], "OK", "{rollback}");
    assert_eq!(message(&rollback), "stream load mt2 abort");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
    assert!(rows(&emu, "example_db", "scores").is_empty());
    assert_eq!(emu.load_state("example_db", "mt2"), "UNKNOWN");

    let twice = call(&emu, "rollback", "mt2");
    assert_eq!(twice["Status"], "OK");
    assert_eq!(
        message(&twice),
        format!("Transaction {txn_id} has already aborted, label is mt2")
    );
    let late = load(&emu, "mt2", "test_tbl", r#"[{"id":2,"city":"x"}]"#);
    assert_eq!(late["Status"], "FAILED");
    assert_eq!(
        message(&late),
        "stream load task mt2 has already been cancelled: manual abort"
    );
    let commit = call(&emu, "commit", "mt2");
    assert_eq!(commit["Status"], "FAILED");
    assert_eq!(
        message(&commit),
        format!("Can not commit CANCELLED transaction {txn_id}, label is mt2")
    );
    // Unlike a single-table label, a rolled-back multi-table label is not reusable.
    let reuse = call(&emu, "begin", "mt2");
    assert_eq!(reuse["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(reuse["ExistingJobStatus"], "CANCELLED");
}

#[test]
fn prepare_is_refused_and_commit_of_nothing_succeeds() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt3");
    load(&emu, "mt3", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    let prepare = on_fe(&emu, "prepare", &m("mt3", &[("prepared_timeout", "300")]));
    assert!(prepare.location.is_none());
    let prepare = prepare.json();
    assert_eq!(prepare["Status"], "FAILED");
    assert_eq!(
        message(&prepare),
        "class com.starrocks.common.StarRocksException: Unsupported operation: TXN_PREPARE"
    );
    // The refused prepare left the transaction open.
    assert_eq!(call(&emu, "commit", "mt3")["Status"], "OK");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);

    call(&emu, "begin", "mt4");
    let empty = call(&emu, "commit", "mt4");
    assert_eq!(empty, serde_json::json!({"Status": "OK", "Message": ""}));
    assert_eq!(emu.load_state("example_db", "mt4"), "UNKNOWN");
}

#[test]
fn calls_for_a_label_never_begun_fail_on_the_fe() {
    let emu = two_tables(Config::ephemeral());
    let load = load(&emu, "nobody", "test_tbl", "[]");
    assert_eq!(load["Status"], "FAILED");
    assert_eq!(
        message(&load),
        "class com.starrocks.common.StarRocksException: stream load task nobody does not exist"
    );
    let commit = call(&emu, "commit", "nobody");
    assert_eq!(
        message(&commit),
        "class com.starrocks.common.StarRocksException: stream load task nobody does not exist"
    );
    // StarRocks' rollback message has no spaces around the label.
    let rollback = call(&emu, "rollback", "nobody");
    assert_eq!(rollback["Status"], "FAILED");
    assert_eq!(
        message(&rollback),
        "class com.starrocks.common.StarRocksException: stream load tasknobodydoes not exist"
    );
    let no_db = call(&emu, "begin", "x");
    assert_eq!(no_db["Status"], "OK", "example_db exists");
    let bad_db = txn(
        emu.fe_http(),
        "begin",
        &[
            ("label", "y"),
            ("db", "nowhere"),
            ("transaction_type", "multi"),
        ],
        b"",
    );
    assert_eq!(bad_db["Status"], "FAILED");
    assert_eq!(
        message(&bad_db),
        "class com.starrocks.common.StarRocksException: Database[nowhere] does not exist"
    );
    let bad_timeout = txn(emu.fe_http(), "begin", &m("z", &[("timeout", "soon")]), b"");
    assert_eq!(bad_timeout["Status"], "FAILED");
    assert_eq!(
        message(&bad_timeout),
        "class java.lang.NumberFormatException: For input string: \"soon\""
    );
}

#[test]
fn a_load_for_another_database_or_a_missing_table_cancels_the_transaction() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt5");
    load(&emu, "mt5", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    let mut other_db = vec![
        ("label", "mt5"),
        ("db", "test"),
        ("table", "customers"),
        ("transaction_type", "multi"),
    ];
    other_db.extend_from_slice(&JSON);
    let refused = txn(emu.fe_http(), "load", &other_db, b"[]");
    assert_eq!(refused["Status"], "FAILED");
    assert_eq!(
        message(&refused),
        "class com.starrocks.common.StarRocksException: Request database test not equal transaction database example_db"
    );
    let after = load(&emu, "mt5", "test_tbl", r#"[{"id":2,"city":"x"}]"#);
    assert!(
        message(&after).starts_with("stream load task mt5 has already been cancelled: "),
        "{after}"
    );

    call(&emu, "begin", "mt6");
    let missing = load(&emu, "mt6", "nope", "[]");
    assert_eq!(missing["Status"], "FAILED");
    assert_eq!(
        message(&missing),
        "class com.starrocks.common.MetaNotFoundException: Failed to find table nope in db example_db"
    );
    assert_eq!(call(&emu, "commit", "mt6")["Status"], "FAILED");

    call(&emu, "begin", "mt7");
    let no_table = txn(emu.fe_http(), "load", &m("mt7", &JSON), b"[]");
    assert_eq!(
        message(&no_table),
        "class com.starrocks.common.MetaNotFoundException: Failed to find table null in db example_db"
    );
}

#[test]
fn each_table_keeps_its_own_load_parameters() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt8");
    // JSON for one table, CSV for the other: the rule is per table.
    assert_eq!(
        load(&emu, "mt8", "test_tbl", r#"[{"id":1,"city":"x"}]"#)["Status"],
        "OK"
    );
    let csv = txn(
        emu.fe_http(),
        "load",
        &m("mt8", &[("table", "scores"), ("column_separator", ",")]),
        b"5,50\n",
    );
    assert_eq!(csv["Status"], "OK", "{csv}");
    let csv_again = txn(
        emu.fe_http(),
        "load",
        &m("mt8", &[("table", "scores"), ("column_separator", ",")]),
        b"6,60\n",
    );
    assert_eq!(csv_again["Status"], "OK", "{csv_again}");
    assert_eq!(call(&emu, "commit", "mt8")["Status"], "OK");
    assert_eq!(rows(&emu, "example_db", "scores").len(), 2);

    call(&emu, "begin", "mt9");
    load(&emu, "mt9", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    let drift = txn(
        emu.fe_http(),
        "load",
        &m(
            "mt9",
            &[
                ("table", "test_tbl"),
                ("format", "json"),
                ("strip_outer_array", "false"),
            ],
        ),
        br#"{"id":2,"city":"y"}"#,
    );
    assert_eq!(drift["Status"], "INTERNAL_ERROR");
    assert_eq!(message(&drift), "load request not equal last.");

    call(&emu, "begin", "mt11");
    load(&emu, "mt11", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    let csv = txn(
        emu.fe_http(),
        "load",
        &m("mt11", &[("table", "test_tbl"), ("format", "csv")]),
        b"2\ty\n",
    );
    assert_eq!(csv["Status"], "INTERNAL_ERROR");
    assert_eq!(
        message(&csv),
        "stream load context's format is not same as format from cur http header"
    );
    // A refused load cancels the whole transaction (see src/http/multi.rs).
    let commit = call(&emu, "commit", "mt11");
    assert_eq!(commit["Status"], "FAILED");
    assert!(
        rows(&emu, "example_db", "test_tbl").len() == 1,
        "only mt8's row"
    );
}

#[test]
fn one_table_with_bad_rows_fails_the_commit_for_every_table() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt12");
    load(&emu, "mt12", "scores", r#"[{"id":1,"score":10}]"#);
    // A JSON array without strip_outer_array: the row is filtered at commit.
    let bad = txn(
        emu.fe_http(),
        "load",
        &m("mt12", &[("table", "test_tbl"), ("format", "json")]),
        br#"[{"id":1,"city":"x"}]"#,
    );
    assert_eq!(bad["Status"], "OK", "data is checked at commit");
    let commit = call(&emu, "commit", "mt12");
    assert_eq!(commit["Status"], "FAILED");
    let text = message(&commit);
    assert!(text.contains("Failed to load table test_tbl"), "{text}");
    assert!(text.contains("tracking_url: http://"), "{text}");
    assert!(rows(&emu, "example_db", "scores").is_empty());
    assert_eq!(emu.load_state("example_db", "mt12"), "ABORTED");
    assert_eq!(call(&emu, "rollback", "mt12")["Status"], "OK");
}

#[test]
fn labels_are_shared_with_single_table_transactions() {
    let emu = two_tables(Config::ephemeral());
    let single = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[("label", "s1"), ("format", "json")],
        br#"{"id":1,"city":"x"}"#,
    );
    assert_eq!(single["Status"], "Success");
    let used = call(&emu, "begin", "s1");
    assert_eq!(used["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(message(&used), "Label [s1] has already been used.");
    assert_eq!(used["ExistingJobStatus"], "VISIBLE");
    assert_eq!(used["Db"], "example_db");

    // An ABORTED single-table label may be begun as a multi-table one.
    let h = [("label", "s2"), ("db", "example_db"), ("table", "test_tbl")];
    txn(emu.fe_http(), "begin", &h, b"");
    txn(emu.fe_http(), "rollback", &h, b"");
    assert_eq!(call(&emu, "begin", "s2")["Status"], "OK");

    // The FE keeps multi-table tasks by label alone, whatever the database; commit and
    // rollback do not look at `db`.
    let elsewhere = txn(
        emu.fe_http(),
        "begin",
        &[
            ("label", "s2"),
            ("db", "test"),
            ("transaction_type", "multi"),
        ],
        b"",
    );
    assert_eq!(elsewhere["Status"], "LABEL_ALREADY_EXISTS");
    load(&emu, "s2", "test_tbl", r#"[{"id":2,"city":"y"}]"#);
    let commit = txn(
        emu.fe_http(),
        "commit",
        &[
            ("label", "s2"),
            ("db", "test"),
            ("transaction_type", "multi"),
        ],
        b"",
    );
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 2);
}

#[test]
fn the_be_refuses_multi_table_calls_and_serves_only_redirected_loads() {
    let emu = two_tables(Config::ephemeral());
    let be = emu.be_http()[0];
    let direct = send(
        Method::POST,
        &format!("http://{be}/api/transaction/begin"),
        Some(("root", "")),
        &m("mt13", &[("table", "test_tbl")]),
        Vec::new(),
    );
    assert_eq!(direct.status, StatusCode::OK);
    assert_eq!(
        direct.json(),
        serde_json::json!({
            "Status": "INVALID_ARGUMENT",
            "Message": "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes"
        })
    );
    // A table the FE never redirected has no channel on the BE.
    call(&emu, "begin", "mt14");
    let mut headers = m("mt14", &[("table", "scores")]);
    headers.extend_from_slice(&JSON);
    let unplanned = send(
        Method::PUT,
        &format!("http://{be}/api/transaction/load"),
        Some(("root", "")),
        &headers,
        b"[]".to_vec(),
    )
    .json();
    assert_eq!(unplanned["Status"], "TXN_NOT_EXISTS");
    assert_eq!(
        message(&unplanned),
        "Transaction with label mt14 not exists"
    );
}

#[test]
fn a_multi_table_transaction_times_out_from_begin() {
    let emu = two_tables(Config::ephemeral());
    txn(emu.fe_http(), "begin", &m("mt15", &[("timeout", "1")]), b"");
    load(&emu, "mt15", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    wait_until(
        "the transaction to time out",
        Duration::from_secs(5),
        || call(&emu, "begin", "mt15")["ExistingJobStatus"] == "CANCELLED",
    );
    let late = load(&emu, "mt15", "test_tbl", r#"[{"id":2,"city":"x"}]"#);
    assert_eq!(
        message(&late),
        "stream load task mt15 has already been cancelled: transaction timeout after 1000ms"
    );
    assert_eq!(call(&emu, "commit", "mt15")["Status"], "FAILED");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
}

#[test]
fn a_publish_timeout_still_commits_every_table_and_they_turn_visible_together() {
    let emu = two_tables(Config::ephemeral());
    txn(emu.fe_http(), "begin", &m("mt16", &[("timeout", "1")]), b"");
    load(&emu, "mt16", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    load(&emu, "mt16", "scores", r#"[{"id":1,"score":1}]"#);
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_secs(3),
        },
        1,
    );
    // The commit waits for the publish up to the transaction's timeout (1 s), then answers
    // OK with the transaction COMMITTED.
    let commit = call(&emu, "commit", "mt16");
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(emu.load_state("example_db", "mt16"), "COMMITTED");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
    assert!(rows(&emu, "example_db", "scores").is_empty());
    wait_until("the publish", Duration::from_secs(10), || {
        emu.load_state("example_db", "mt16") == "VISIBLE"
    });
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);
    assert_eq!(rows(&emu, "example_db", "scores").len(), 1);
}

#[test]
fn a_commit_reply_lost_after_commit_leaves_every_table_loaded() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt17");
    load(&emu, "mt17", "test_tbl", r#"[{"id":1,"city":"x"}]"#);
    load(&emu, "mt17", "scores", r#"[{"id":1,"score":1}]"#);
    emu.inject(Fault::DropReplyAfterCommit, 1);
    let result = client()
        .post(format!("http://{}/api/transaction/commit", emu.fe_http()))
        .basic_auth("root", Some(""))
        .header("label", "mt17")
        .header("db", "example_db")
        .header("transaction_type", "multi")
        .send();
    assert!(result.is_err(), "no answer: {result:?}");
    assert_eq!(
        load_state(emu.fe_http(), "example_db", "mt17")["state"],
        "VISIBLE"
    );
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);
    assert_eq!(rows(&emu, "example_db", "scores").len(), 1);
    assert_eq!(
        call(&emu, "begin", "mt17")["Status"],
        "LABEL_ALREADY_EXISTS"
    );
}

#[test]
fn load_faults_hit_the_table_they_name() {
    let emu = two_tables(Config::ephemeral());
    call(&emu, "begin", "mt18");
    emu.arm(starrocks_emulator::faults::ArmedFault {
        fault: Fault::CloseMidBody,
        times: 1,
        table: Some("scores".into()),
    });
    assert_eq!(
        load(&emu, "mt18", "test_tbl", r#"[{"id":1,"city":"x"}]"#)["Status"],
        "OK"
    );
    let mut headers = m("mt18", &[("table", "scores")]);
    headers.extend_from_slice(&JSON);
    let first = send(
        Method::PUT,
        &format!("http://{}/api/transaction/load", emu.fe_http()),
        Some(("root", "")),
        &headers,
        Vec::new(),
    );
    let dropped = client()
        .put(first.location.unwrap())
        .basic_auth("root", Some(""))
        .header("label", "mt18")
        .header("db", "example_db")
        .header("table", "scores")
        .header("format", "json")
        .header("strip_outer_array", "true")
        .body(vec![b' '; 1 << 20])
        .send();
    assert!(dropped.is_err(), "no answer: {dropped:?}");
    // The dropped request sent nothing; the transaction goes on.
    assert_eq!(
        load(&emu, "mt18", "scores", r#"[{"id":1,"score":1}]"#)["Status"],
        "OK"
    );

    emu.inject(
        Fault::FailLoad {
            http_status: 200,
            status: "INTERNAL_ERROR".into(),
            message: "injected".into(),
        },
        1,
    );
    let failed = load(&emu, "mt18", "scores", r#"[{"id":2,"score":2}]"#);
    assert_eq!(failed["Status"], "INTERNAL_ERROR");
    assert_eq!(message(&failed), "injected");
    assert_eq!(call(&emu, "commit", "mt18")["Status"], "FAILED");
    assert!(rows(&emu, "example_db", "scores").is_empty());
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
}

#[test]
fn followers_send_multi_table_calls_to_the_leader() {
    let emu = two_tables(Config::ephemeral().with_fes(2).with_bes(2));
    let follower = emu.fe_http_all()[1];
    let answer = send(
        Method::POST,
        &format!("http://{follower}/api/transaction/begin"),
        Some(("root", "")),
        &m("mt19", &[]),
        Vec::new(),
    );
    assert_eq!(answer.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        answer.location.unwrap(),
        format!("http://{}/api/transaction/begin", emu.fe_http())
    );
    assert_eq!(txn(follower, "begin", &m("mt19", &[]), b"")["Status"], "OK");
    for (table, body) in [
        ("test_tbl", r#"[{"id":1,"city":"x"}]"#),
        ("scores", r#"[{"id":1,"score":1}]"#),
        ("test_tbl", r#"[{"id":2,"city":"y"}]"#),
    ] {
        let mut headers = m("mt19", &[("table", table)]);
        headers.extend_from_slice(&JSON);
        assert_eq!(
            txn(follower, "load", &headers, body.as_bytes())["Status"],
            "OK"
        );
    }
    assert_eq!(
        txn(follower, "commit", &m("mt19", &[]), b"")["Status"],
        "OK"
    );
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 2);
    assert_eq!(rows(&emu, "example_db", "scores").len(), 1);
}

#[test]
fn a_3x_cluster_ignores_the_multi_table_header() {
    let emu = two_tables(Config::ephemeral().with_starrocks_version("3.5.4"));
    // A 3.x FE sends begin to a BE as for any transaction; without a table the BE's begin
    // fails in the FE's table lookup.
    let begin = on_fe(&emu, "begin", &m("old1", &[]));
    assert_eq!(begin.status, StatusCode::TEMPORARY_REDIRECT);
    let no_table = call(&emu, "begin", "old1");
    assert_eq!(no_table["Status"], "ANALYSIS_ERROR", "{no_table}");
    assert_eq!(message(&no_table), "unknown table \"example_db.\"");
    // With a table it is an ordinary single-table transaction, and the BE lets the header
    // through.
    let h = m("old2", &[("table", "test_tbl")]);
    assert_eq!(txn(emu.fe_http(), "begin", &h, b"")["Status"], "OK");
    let mut lh = h.clone();
    lh.extend_from_slice(&JSON);
    assert_eq!(
        txn(emu.fe_http(), "load", &lh, br#"[{"id":1,"city":"x"}]"#)["Status"],
        "OK"
    );
    let prepare = txn(emu.fe_http(), "prepare", &h, b"");
    assert_eq!(prepare["Status"], "OK", "{prepare}");
    assert_eq!(txn(emu.fe_http(), "commit", &h, b"")["Status"], "OK");
    assert_eq!(emu.load_state("example_db", "old2"), "VISIBLE");
    let other_table = txn(
        emu.fe_http(),
        "begin",
        &m("old3", &[("table", "test_tbl")]),
        b"",
    );
    assert_eq!(other_table["Status"], "OK");
    let mut scores = m("old3", &[("table", "scores")]);
    scores.extend_from_slice(&JSON);
    let refused = txn(emu.fe_http(), "load", &scores, b"[]");
    assert_eq!(refused["Status"], "INVALID_ARGUMENT");
    assert_eq!(
        message(&refused),
        "Request table scores not equal transaction table test_tbl"
    );
}
