//! Scripted faults, through the library and through the admin endpoint, and the journal.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use starrocks_emulator::faults::{ArmedFault, Fault};

fn row(label: &str) -> (Vec<(&str, &str)>, &'static [u8]) {
    (
        vec![("label", label), ("format", "json")],
        b"{\"id\":1,\"city\":\"x\"}",
    )
}

#[test]
fn failed_loads_answer_the_injected_status_the_given_number_of_times() {
    let emu = seeded();
    let fe = emu.fe_http();
    emu.inject(
        Fault::FailLoad {
            http_status: 200,
            status: "Fail".into(),
            message: "injected failure".into(),
        },
        2,
    );
    for i in 0..2 {
        let (h, b) = row("f1");
        let answer = stream_load(fe, "example_db", "test_tbl", &h, b);
        assert_eq!(answer["Status"], "Fail", "attempt {i}");
        assert_eq!(answer["Message"], "injected failure");
    }
    let (h, b) = row("f1");
    assert_eq!(
        stream_load(fe, "example_db", "test_tbl", &h, b)["Status"],
        "Success"
    );
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);

    emu.inject(
        Fault::FailLoad {
            http_status: 503,
            status: String::new(),
            message: "overloaded".into(),
        },
        1,
    );
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.be_http()[0]
    );
    let answer = send(
        Method::PUT,
        &url,
        Some(("root", "")),
        &[("label", "f2")],
        b"1\tx\n".to_vec(),
    );
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.text, "overloaded");
}

#[test]
fn a_publish_timeout_commits_and_becomes_visible_later() {
    let emu = seeded();
    emu.inject(
        Fault::PublishTimeout {
            visible_after: Duration::from_millis(300),
        },
        1,
    );
    let (h, b) = row("p1");
    let answer = stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b);
    assert_eq!(answer["Status"], "Publish Timeout");
    assert_eq!(emu.load_state("example_db", "p1"), "COMMITTED");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
    wait_until("the load to become visible", Duration::from_secs(5), || {
        emu.load_state("example_db", "p1") == "VISIBLE"
    });
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);
    let (h, b) = row("p1");
    let retry = stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b);
    assert_eq!(retry["Status"], "Label Already Exists");
    assert_eq!(retry["ExistingJobStatus"], "FINISHED");
}

#[test]
fn a_reply_dropped_after_commit_leaves_the_rows_in_and_the_label_used() {
    let emu = seeded();
    emu.inject(Fault::DropReplyAfterCommit, 1);
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.be_http()[0]
    );
    let result = client()
        .put(&url)
        .basic_auth("root", Some(""))
        .header("label", "d1")
        .header("format", "json")
        .body("{\"id\":1,\"city\":\"x\"}")
        .send();
    assert!(result.is_err(), "no answer: {result:?}");
    assert_eq!(emu.load_state("example_db", "d1"), "VISIBLE");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 1);
    let (h, b) = row("d1");
    assert_eq!(
        stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b)["Status"],
        "Label Already Exists"
    );
}

#[test]
fn a_connection_closed_mid_body_loads_nothing() {
    let emu = seeded();
    emu.inject(Fault::CloseMidBody, 1);
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.be_http()[0]
    );
    let result = client()
        .put(&url)
        .basic_auth("root", Some(""))
        .header("label", "c1")
        .body(vec![b'1'; 1 << 20])
        .send();
    assert!(result.is_err(), "no answer: {result:?}");
    assert_eq!(emu.load_state("example_db", "c1"), "UNKNOWN");
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
}

#[test]
fn delays_and_unreachable_bes_are_injected_at_the_fe() {
    let emu = seeded();
    emu.inject(
        Fault::DelayRedirect {
            delay: Duration::from_millis(400),
        },
        1,
    );
    let started = Instant::now();
    let (h, b) = row("r1");
    assert_eq!(
        stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b)["Status"],
        "Success"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    emu.inject(Fault::RedirectUnreachable, 1);
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.fe_http()
    );
    let answer = send(
        Method::PUT,
        &url,
        Some(("root", "")),
        &[("Expect", "100-continue")],
        Vec::new(),
    );
    let location = answer.location.expect("a redirect");
    assert!(!emu
        .be_http()
        .iter()
        .any(|be| location.contains(&be.to_string())));
    assert!(
        client().put(&location).body("x").send().is_err(),
        "nothing listens there"
    );

    emu.inject(
        Fault::DelayReply {
            delay: Duration::from_millis(300),
        },
        1,
    );
    let started = Instant::now();
    let (h, b) = row("r2");
    assert_eq!(
        stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b)["Status"],
        "Success"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn an_fe_taken_down_refuses_connections_until_it_comes_back_and_leads_after_an_election() {
    let emu = emulator(
        starrocks_emulator::Config::ephemeral().with_election_delay(Duration::from_millis(200)),
    );
    let fe = emu.fe_http();
    emu.fe_down(0);
    wait_until("the FE to stop listening", Duration::from_secs(5), || {
        refused(fe)
    });
    emu.fe_up(0);
    wait_until("the FE to listen again", Duration::from_secs(5), || {
        std::net::TcpStream::connect_timeout(&fe, Duration::from_millis(500)).is_ok()
    });
    wait_until("the FE to lead again", Duration::from_secs(5), || {
        emu.leader() == Some(0)
    });
    let (h, b) = row("u1");
    assert_eq!(
        stream_load(fe, "example_db", "test_tbl", &h, b)["Status"],
        "Success"
    );
}

#[test]
fn the_admin_endpoint_arms_faults_moves_fes_and_serves_the_journal() {
    let emu = seeded();
    let admin = emu.admin_addr();
    let arm = send(
        Method::POST,
        &format!("http://{admin}/faults"),
        None,
        &[],
        br#"{"kind":"fail_load","times":1,"status":"Fail","message":"from admin"}"#.to_vec(),
    );
    assert_eq!(arm.status, StatusCode::OK, "{}", arm.text);
    let (h, b) = row("a1");
    let answer = stream_load(emu.fe_http(), "example_db", "test_tbl", &h, b);
    assert_eq!(answer["Message"], "from admin");

    let journal = send(
        Method::GET,
        &format!("http://{admin}/journal"),
        None,
        &[],
        Vec::new(),
    )
    .json();
    let entries = journal.as_array().unwrap();
    let be_entry = entries
        .iter()
        .find(|e| e["node"] == "be0")
        .expect("a BE entry");
    assert_eq!(be_entry["label"], "a1");
    assert_eq!(be_entry["headers"]["authorization"], "[redacted]");
    assert!(be_entry["outcome"].as_str().unwrap().contains("from admin"));
    let fe_entry = entries
        .iter()
        .find(|e| e["node"] == "fe0")
        .expect("an FE entry");
    assert!(fe_entry["outcome"].as_str().unwrap().starts_with("307"));

    let down = send(
        Method::POST,
        &format!("http://{admin}/fe/0/down"),
        None,
        &[],
        Vec::new(),
    );
    assert_eq!(down.status, StatusCode::OK);
    let fe = emu.fe_http();
    wait_until("the FE to go down", Duration::from_secs(5), || refused(fe));
    send(
        Method::POST,
        &format!("http://{admin}/fe/0/up"),
        None,
        &[],
        Vec::new(),
    );
    wait_until("the FE to come back", Duration::from_secs(5), || {
        std::net::TcpStream::connect_timeout(&fe, Duration::from_millis(500)).is_ok()
    });
    let bad = send(
        Method::POST,
        &format!("http://{admin}/faults"),
        None,
        &[],
        b"{\"kind\":\"nope\"}".to_vec(),
    );
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_commit_fault_applies_to_the_transaction_api_too() {
    let emu = seeded();
    let fe = emu.fe_http();
    let h = [
        ("label", "tx1"),
        ("db", "example_db"),
        ("table", "test_tbl"),
        ("format", "json"),
        ("timeout", "1"),
    ];
    txn(fe, "begin", &h, b"");
    txn(fe, "load", &h, b"{\"id\":1}");
    txn(fe, "prepare", &h, b"");
    emu.arm(ArmedFault {
        fault: Fault::PublishTimeout {
            visible_after: Duration::from_millis(1500),
        },
        times: 1,
        table: Some("test_tbl".into()),
    });
    let commit = txn(fe, "commit", &h, b"");
    assert_eq!(commit["Status"], "FAILED");
    assert_eq!(
        commit["Message"],
        "class com.starrocks.common.StarRocksException: publish timeout: 1000"
    );
    assert_eq!(emu.load_state("example_db", "tx1"), "COMMITTED");
    wait_until("visibility", Duration::from_secs(5), || {
        emu.load_state("example_db", "tx1") == "VISIBLE"
    });
}
