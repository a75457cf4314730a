//! Plain Stream Load over real HTTP: the FE's 307, the BE's answers, labels, data quality.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode};

#[test]
fn the_seed_rows_load_through_the_fe_redirect() {
    let emu = seeded();
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[("label", "seed1"), ("format", "json")],
        SEED_ROWS.as_bytes(),
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(answer["Message"], "OK");
    assert_eq!(answer["NumberTotalRows"], 3);
    assert_eq!(answer["NumberLoadedRows"], 3);
    assert_eq!(answer["NumberFilteredRows"], 0);
    assert_eq!(answer["LoadBytes"], SEED_ROWS.len());
    assert!(answer["TxnId"].as_i64().unwrap() > 0);
    assert_eq!(rows(&emu, "example_db", "test_tbl"), seed_table());
    assert_eq!(emu.load_state("example_db", "seed1"), "VISIBLE");
}

#[test]
fn the_fe_redirects_from_headers_alone_and_closes_the_connection() {
    let emu = seeded();
    let mut stream = TcpStream::connect(emu.fe_http()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Headers only, announcing a body that never comes: the FE must answer anyway.
    write!(
        stream,
        "PUT /api/example_db/test_tbl/_stream_load?x=1 HTTP/1.1\r\nHost: fe\r\nAuthorization: Basic cm9vdDo=\r\nExpect: 100-continue\r\nContent-Length: 1000\r\nlabel: l1\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap(); // returns only because the FE closes
    assert!(response.starts_with("HTTP/1.1 307"), "{response}");
    assert!(!response.contains("100 Continue"), "{response}");
    let location = format!(
        "location: http://{}/api/example_db/test_tbl/_stream_load?x=1",
        emu.be_http()[0]
    );
    assert!(response.to_lowercase().contains(&location), "{response}");
    assert!(
        response.to_lowercase().contains("connection: close"),
        "{response}"
    );
}

#[test]
fn the_fe_refuses_a_load_without_expect_100_continue() {
    let emu = seeded();
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.fe_http()
    );
    let answer = send(
        Method::PUT,
        &url,
        Some(("root", "")),
        &[("label", "x")],
        Vec::new(),
    );
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["Status"], "FAILED");
    assert_eq!(
        answer.json()["Message"],
        "class com.starrocks.common.DdlException: There is no 100-continue header"
    );
}

#[test]
fn authentication_failures_answer_as_starrocks_does() {
    let emu = seeded();
    let url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.fe_http()
    );
    let expect = [("Expect", "100-continue")];
    let cases: [(Option<(&str, &str)>, &str); 3] = [
        (None, "Need auth information."),
        (Some(("root", "wrong")), "Access denied for root@127.0.0.1"),
        (Some(("nobody", "")), "Access denied for nobody@127.0.0.1"),
    ];
    for (user, msg) in cases {
        let answer = send(Method::PUT, &url, user, &expect, Vec::new());
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{user:?}");
        assert_eq!(
            answer.headers.get("www-authenticate").unwrap(),
            "Basic realm=\"\""
        );
        let body = answer.json();
        assert_eq!(body["status"], "FAILED");
        assert_eq!(body["code"], "1");
        assert_eq!(body["msg"], msg);
        assert_eq!(body["message"], msg);
    }
    // The BE authenticates again: a client that drops Authorization on the redirect fails.
    let be_url = format!(
        "http://{}/api/example_db/test_tbl/_stream_load",
        emu.be_http()[0]
    );
    let answer = send(Method::PUT, &be_url, None, &[], b"{}".to_vec()).json();
    assert_eq!(answer["Status"], "Fail");
    assert_eq!(answer["Message"], "no valid Basic authorization");
    assert_eq!(answer["TxnId"], -1);
}

#[test]
fn a_reused_label_answers_label_already_exists_and_an_aborted_one_is_reusable() {
    let emu = seeded();
    let fe = emu.fe_http();
    let ok = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("label", "dup"), ("format", "json")],
        b"{\"id\":1,\"city\":\"a\"}",
    );
    assert_eq!(ok["Status"], "Success");
    let again = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("label", "dup"), ("format", "json")],
        b"{\"id\":1,\"city\":\"a\"}",
    );
    assert_eq!(again["Status"], "Label Already Exists");
    assert_eq!(again["ExistingJobStatus"], "FINISHED");
    assert_eq!(again["Message"], "Label [dup] has already been used.");
    assert_eq!(again["TxnId"], -1);
    assert_eq!(
        rows(&emu, "example_db", "test_tbl").len(),
        1,
        "no duplicate row"
    );

    // A failed load aborts its transaction; its label can be used again.
    let bad = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[
            ("label", "retry"),
            ("format", "json"),
            ("strict_mode", "true"),
        ],
        b"{\"id\":\"not a number\",\"city\":\"a\"}",
    );
    assert_eq!(bad["Status"], "Fail");
    assert_eq!(emu.load_state("example_db", "retry"), "ABORTED");
    let good = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("label", "retry"), ("format", "json")],
        b"{\"id\":2,\"city\":\"b\"}",
    );
    assert_eq!(good["Status"], "Success", "{good}");
}

#[test]
fn a_label_outside_the_pattern_fails() {
    let emu = seeded();
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[("label", "a.b"), ("format", "json")],
        b"{}",
    );
    assert_eq!(answer["Status"], "Fail");
    assert_eq!(
        answer["Message"],
        "Label format error. regex: ^[-\\w]{1,128}$, label: a.b"
    );
}

#[test]
fn filtered_rows_past_max_filter_ratio_fail_with_an_error_url_that_serves_them() {
    let emu = seeded();
    let body = b"{\"id\":1,\"city\":\"a\"}\n{\"id\":\"x\",\"city\":\"b\"}\n";
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[("label", "q1"), ("format", "json"), ("strict_mode", "true")],
        body,
    );
    assert_eq!(answer["Status"], "Fail");
    assert_eq!(answer["Message"], "too many filtered rows");
    assert_eq!(answer["NumberTotalRows"], 2);
    assert_eq!(answer["NumberFilteredRows"], 1);
    let url = answer["ErrorURL"]
        .as_str()
        .expect("an ErrorURL")
        .to_string();
    let log = send(Method::GET, &url, None, &[], Vec::new());
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.text.starts_with("Error: "), "{}", log.text);
    assert!(log.text.contains("Row: "), "{}", log.text);
    assert!(log.text.contains("\"x\""), "{}", log.text);
    assert!(rows(&emu, "example_db", "test_tbl").is_empty());
    assert_eq!(emu.load_state("example_db", "q1"), "ABORTED");

    // Within the ratio, the good rows load and the ErrorURL still says what was dropped.
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[
            ("label", "q2"),
            ("format", "json"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "0.5"),
        ],
        body,
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(answer["NumberLoadedRows"], 1);
    assert_eq!(answer["NumberFilteredRows"], 1);
    assert!(answer["ErrorURL"].is_string());
    assert_eq!(
        rows(&emu, "example_db", "test_tbl"),
        vec![vec!["1".to_string(), "a".to_string()]]
    );
}

#[test]
fn a_top_level_array_needs_strip_outer_array() {
    let emu = seeded();
    let body = b"[{\"id\":1,\"city\":\"a\"},{\"id\":2,\"city\":\"b\"}]";
    let without = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[("label", "a1"), ("format", "json")],
        body,
    );
    assert_eq!(without["Status"], "Fail");
    assert_eq!(without["Message"], "too many filtered rows");
    let log = send(
        Method::GET,
        without["ErrorURL"].as_str().unwrap(),
        None,
        &[],
        Vec::new(),
    );
    assert!(
        log.text
            .contains("JSON data is an array, strip_outer_array must be set true"),
        "{}",
        log.text
    );
    let with = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[
            ("label", "a2"),
            ("format", "json"),
            ("strip_outer_array", "true"),
        ],
        body,
    );
    assert_eq!(with["Status"], "Success");
    assert_eq!(with["NumberLoadedRows"], 2);
}

#[test]
fn header_and_table_errors_fail_with_starrocks_messages() {
    let emu = seeded();
    let fe = emu.fe_http();
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "example_db",
            "test_tbl",
            vec![("format", "xml")],
            "unknown data format, format=xml",
        ),
        (
            "example_db",
            "test_tbl",
            vec![("timeout", "abc")],
            "Invalid timeout format",
        ),
        (
            "example_db",
            "nope",
            vec![("format", "json")],
            "unknown table \"example_db.nope\"",
        ),
        (
            "nodb",
            "t",
            vec![("format", "json")],
            "unknown database, database=nodb",
        ),
        (
            "example_db",
            "test_tbl",
            vec![("compression", "lz4_frame"), ("content-encoding", "gzip")],
            "Only one of http header content-encoding and compression can be set",
        ),
    ];
    for (db, table, headers, message) in cases {
        let answer = stream_load(fe, db, table, &headers, b"");
        assert_eq!(answer["Status"], "Fail", "{headers:?}");
        assert!(
            answer["Message"].as_str().unwrap().contains(message),
            "{headers:?}: {answer}"
        );
    }
}

#[test]
fn csv_loads_with_hex_separators_and_columns() {
    let emu = seeded();
    let body = b"Paris\x011\nRome\x012\n";
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[
            ("label", "c1"),
            ("column_separator", "\\x01"),
            ("columns", "city,id"),
        ],
        body,
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(
        rows(&emu, "example_db", "test_tbl"),
        vec![
            vec!["1".to_string(), "Paris".to_string()],
            vec!["2".to_string(), "Rome".to_string()]
        ]
    );
}

#[test]
fn primary_key_tables_upsert_delete_and_partially_update() {
    let emu = seeded();
    let fe = emu.fe_http();
    let load = |label: &str, headers: &[(&str, &str)], body: &str| {
        let mut h = vec![("label", label), ("format", "json")];
        h.extend_from_slice(headers);
        let answer = stream_load(fe, "test", "customers", &h, body.as_bytes());
        assert_eq!(answer["Status"], "Success", "{answer}");
    };
    load("p1", &[], "{\"id\":1,\"first_name\":\"a\",\"last_name\":\"a\",\"email\":\"a@a.com\"}{\"id\":2,\"first_name\":\"b\",\"last_name\":\"b\",\"email\":\"b@b.com\"}");
    load(
        "p2",
        &[],
        "{\"id\":1,\"first_name\":\"a\",\"last_name\":\"a\",\"email\":\"c@c.com\",\"__op\":0}",
    );
    load("p3", &[], "{\"id\":2,\"__op\":1}");
    assert_eq!(
        rows(&emu, "test", "customers"),
        vec![vec![
            "1".to_string(),
            "a".into(),
            "a".into(),
            "c@c.com".into()
        ]]
    );
    load(
        "p4",
        &[("partial_update", "true"), ("columns", "id,email")],
        "{\"id\":1,\"email\":\"d@d.com\"}",
    );
    assert_eq!(
        rows(&emu, "test", "customers"),
        vec![vec![
            "1".to_string(),
            "a".into(),
            "a".into(),
            "d@d.com".into()
        ]]
    );
}

#[test]
fn compressed_bodies_load() {
    let emu = seeded();
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(SEED_ROWS.as_bytes()).unwrap();
    let lz4 = lz4.finish().unwrap();
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[
            ("label", "z1"),
            ("format", "json"),
            ("compression", "lz4_frame"),
        ],
        &lz4,
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(SEED_ROWS.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        &[
            ("label", "z2"),
            ("format", "json"),
            ("Content-Encoding", "gzip"),
        ],
        &gz,
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 6);
}

#[test]
fn size_limits_are_enforced_from_content_length() {
    let mut config = starrocks_emulator::Config::ephemeral();
    config.max_json_bytes = 10;
    config.max_body_bytes = 100;
    let emu = emulator(config);
    let fe = emu.fe_http();
    let json = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("format", "json")],
        SEED_ROWS.as_bytes(),
    );
    assert!(
        json["Message"].as_str().unwrap().starts_with(&format!(
            "The size of this batch exceed the max size [10]  of json type data  data [ {} ]",
            SEED_ROWS.len()
        )),
        "{json}"
    );
    let ignored = stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("format", "json"), ("ignore_json_size", "true")],
        SEED_ROWS.as_bytes(),
    );
    assert_eq!(ignored["Status"], "Success", "{ignored}");
    let big = stream_load(fe, "example_db", "test_tbl", &[], &[b'x'; 200]);
    assert!(
        big["Message"]
            .as_str()
            .unwrap()
            .starts_with("body size 200 exceed limit: 100"),
        "{big}"
    );
}

#[test]
fn load_state_reports_labels_and_unknown_ones() {
    let emu = seeded();
    let fe = emu.fe_http();
    stream_load(
        fe,
        "example_db",
        "test_tbl",
        &[("label", "s1"), ("format", "json")],
        b"{\"id\":1}",
    );
    let state = load_state(fe, "example_db", "s1");
    assert_eq!(state["state"], "VISIBLE");
    assert_eq!(state["status"], "OK");
    assert_eq!(load_state(fe, "example_db", "never")["state"], "UNKNOWN");
    let bad = load_state(fe, "nodb", "s1");
    assert_eq!(bad["status"], "FAILED");
    assert_eq!(bad["msg"], "unknown database, database=nodb");
}

#[test]
fn loads_spread_over_several_bes_and_any_fe_accepts_them() {
    let emu = emulator(
        starrocks_emulator::Config::ephemeral()
            .with_fes(2)
            .with_bes(2),
    );
    for (i, fe) in emu.fe_http_all().iter().enumerate() {
        for j in 0..2 {
            let label = format!("m{i}{j}");
            let answer = stream_load(
                *fe,
                "example_db",
                "test_tbl",
                &[("label", &label), ("format", "json")],
                b"{\"id\":1,\"city\":\"x\"}",
            );
            assert_eq!(answer["Status"], "Success");
        }
    }
    let be_nodes: std::collections::BTreeSet<String> = emu
        .journal()
        .into_iter()
        .filter(|e| e.node.starts_with("be"))
        .map(|e| e.node)
        .collect();
    assert_eq!(be_nodes.len(), 2, "both BEs served loads");
    assert_eq!(rows(&emu, "example_db", "test_tbl").len(), 4);
    // A follower answers label lookups with a 307 to the leader.
    let url = format!(
        "http://{}/api/example_db/get_load_state?label=m00",
        emu.fe_http_all()[1]
    );
    let answer = send(Method::GET, &url, Some(("root", "")), &[], Vec::new());
    assert_eq!(answer.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        answer.location.unwrap(),
        format!(
            "http://{}/api/example_db/get_load_state?label=m00",
            emu.fe_http()
        )
    );
}

#[test]
fn the_curl_form_from_the_starrocks_docs_works_unchanged() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("curl is required for this test (.ci/run installs it)");
    }
    let emu = seeded();
    let dir = std::env::temp_dir().join(format!("emu-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rows.json");
    std::fs::write(&file, "[{\"id\":1,\"city\":\"New York\"},{\"id\":2,\"city\":\"Los Angeles\"},{\"id\":3,\"city\":\"Chicago\"}]").unwrap();
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "--location-trusted",
            "-u",
            "root:",
            "-H",
            "Expect:100-continue",
            "-H",
            "label:l1",
            "-H",
            "format:json",
            "-H",
            "strip_outer_array:true",
            "-T",
        ])
        .arg(&file)
        .arg(format!(
            "http://{}/api/example_db/test_tbl/_stream_load",
            emu.fe_http()
        ))
        .output()
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(rows(&emu, "example_db", "test_tbl"), seed_table());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_recreated_database_starts_without_labels() {
    let emu = seeded();
    let fe = emu.fe_http();
    let load = || {
        stream_load(
            fe,
            "example_db",
            "test_tbl",
            &[("label", "again"), ("format", "json")],
            b"{\"id\":1,\"city\":\"x\"}",
        )
    };
    assert_eq!(load()["Status"], "Success");
    assert_eq!(load()["Status"], "Label Already Exists");
    emu.run_script("DROP DATABASE example_db; CREATE DATABASE example_db; USE example_db; CREATE TABLE test_tbl (id INT, city STRING);")
        .unwrap();
    assert_eq!(
        load()["Status"],
        "Success",
        "labels belong to the dropped database"
    );
    assert_eq!(emu.load_state("example_db", "again"), "VISIBLE");
}
