//! Leader failover, as StarRocks behaves while no FE leads and after a follower is elected:
//! transaction calls and label-state queries go to the leader a follower knew, plain loads
//! reach a BE that cannot begin a transaction, and after the election delay everything works
//! through the new leader.

mod common;

use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode};
use starrocks_emulator::Config;

const DELAY: Duration = Duration::from_millis(300);

fn two_fes() -> starrocks_emulator::Emulator {
    emulator(Config::ephemeral().with_fes(2).with_election_delay(DELAY))
}

fn row(label: &str) -> (Vec<(&str, &str)>, &'static [u8]) {
    (
        vec![("label", label), ("format", "json")],
        b"{\"id\":1,\"city\":\"x\"}",
    )
}

fn begin_on(fe: std::net::SocketAddr, label: &str) -> Answer {
    send(
        Method::POST,
        &format!("http://{fe}/api/transaction/begin"),
        Some(("root", "")),
        &[
            ("label", label),
            ("db", "example_db"),
            ("table", "test_tbl"),
        ],
        Vec::new(),
    )
}

#[test]
fn while_no_fe_leads_a_follower_redirects_to_the_leader_it_knew_and_bes_cannot_begin() {
    let emu = two_fes();
    let [leader, follower] = [emu.fe_http_all()[0], emu.fe_http_all()[1]];
    emu.fe_down(0);
    wait_until("the leader to go down", Duration::from_secs(5), || {
        refused(leader)
    });
    assert_eq!(emu.leader(), None);

    // Transaction calls: 307 to the old leader, where nothing listens.
    let begin = begin_on(follower, "no-leader-1");
    assert_eq!(begin.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        begin.location.as_deref(),
        Some(format!("http://{leader}/api/transaction/begin").as_str())
    );
    // Label-state queries: the same.
    let state = send(
        Method::GET,
        &format!("http://{follower}/api/example_db/get_load_state?label=x"),
        Some(("root", "")),
        &[],
        Vec::new(),
    );
    assert_eq!(state.status, StatusCode::TEMPORARY_REDIRECT);
    assert!(state
        .location
        .unwrap()
        .starts_with(&format!("http://{leader}/")));

    // Plain loads: any FE redirects to a BE, which cannot begin the transaction.
    let (h, b) = row("no-leader-2");
    let answer = stream_load(follower, "example_db", "test_tbl", &h, b);
    assert_eq!(answer["Status"], "Fail", "{answer}");
    let message = answer["Message"].as_str().unwrap();
    assert!(
        message.starts_with("Couldn't open transport for 127.0.0.1:9020"),
        "{message}"
    );

    // A BE asked directly to begin a transaction fails the same way, in its dialect.
    let be = emu.be_http()[0];
    let direct = begin_on(be, "no-leader-3").json();
    assert_eq!(direct["Status"], "THRIFT_RPC_ERROR", "{direct}");
    assert!(direct["Message"]
        .as_str()
        .unwrap()
        .contains("Couldn't open transport"));
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
}

#[test]
fn after_the_election_delay_the_follower_leads_and_everything_works_through_it() {
    let emu = two_fes();
    let follower = emu.fe_http_all()[1];
    emu.fe_down(0);
    wait_until("a follower to be elected", Duration::from_secs(5), || {
        emu.leader() == Some(1)
    });
    // The new leader serves transaction calls itself: begin goes straight to a BE.
    let begin = begin_on(follower, "after-1");
    assert_eq!(begin.status, StatusCode::TEMPORARY_REDIRECT);
    assert!(
        !begin
            .location
            .unwrap()
            .contains(&emu.fe_http_all()[0].to_string()),
        "not to the old leader"
    );
    let headers = [
        ("label", "after-2"),
        ("db", "example_db"),
        ("table", "test_tbl"),
    ];
    assert_eq!(txn(follower, "begin", &headers, b"")["Status"], "OK");
    let mut load_headers = headers.to_vec();
    load_headers.push(("format", "json"));
    assert_eq!(
        txn(
            follower,
            "load",
            &load_headers,
            b"{\"id\":1,\"city\":\"x\"}"
        )["Status"],
        "OK"
    );
    assert_eq!(txn(follower, "prepare", &headers, b"")["Status"], "OK");
    assert_eq!(txn(follower, "commit", &headers, b"")["Status"], "OK");
    assert_eq!(
        load_state(follower, "example_db", "after-2")["state"],
        "VISIBLE"
    );
    let (h, b) = row("after-3");
    assert_eq!(
        stream_load(follower, "example_db", "test_tbl", &h, b)["Status"],
        "Success"
    );
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 2);

    // The old leader comes back as a follower and redirects to the new one.
    emu.fe_up(0);
    let old = emu.fe_http_all()[0];
    wait_until("the old leader to listen", Duration::from_secs(5), || {
        std::net::TcpStream::connect_timeout(&old, Duration::from_millis(500)).is_ok()
    });
    let again = begin_on(old, "after-4");
    assert_eq!(
        again.location.as_deref(),
        Some(format!("http://{follower}/api/transaction/begin").as_str())
    );
    assert_eq!(emu.leader(), Some(1));
}

#[test]
fn the_admin_endpoint_reports_the_leader_and_sets_the_election_delay() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let admin = emu.admin_addr();
    let leader = |emu: &starrocks_emulator::Emulator| {
        send(
            Method::GET,
            &format!("http://{}/leader", emu.admin_addr()),
            None,
            &[],
            Vec::new(),
        )
        .json()["leader"]
            .clone()
    };
    assert_eq!(leader(&emu), 0);
    let set = send(
        Method::POST,
        &format!("http://{admin}/election"),
        None,
        &[],
        br#"{"delay":100}"#.to_vec(),
    );
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let down = send(
        Method::POST,
        &format!("http://{admin}/fe/0/down"),
        None,
        &[],
        Vec::new(),
    );
    assert_eq!(down.status, StatusCode::OK);
    assert_eq!(leader(&emu), serde_json::Value::Null);
    wait_until("the 100 ms election", Duration::from_secs(2), || {
        leader(&emu) == 1
    });
}
