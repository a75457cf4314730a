//! The FE's table-schema endpoint (`GET /api/{db}/{table}/_schema`) and liveness probe
//! (`GET /api/health`), answered as StarRocks' `TableSchemaAction` and `HealthAction` do:
//! exact statuses, bodies and key order.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use starrocks_emulator::Config;

fn schema_url(fe: std::net::SocketAddr, db: &str, table: &str) -> String {
    format!("http://{fe}/api/{db}/{table}/_schema")
}

fn get(url: &str, user: Option<(&str, &str)>) -> Answer {
    send(Method::GET, url, user, &[], Vec::new())
}

fn content_type(answer: &Answer) -> &str {
    answer.headers["content-type"].to_str().unwrap()
}

#[test]
fn a_table_answers_its_columns_in_order_with_starrocks_type_names() {
    let emu = seeded();
    let answer = get(
        &schema_url(emu.fe_http(), "test", "customers"),
        Some(("root", "")),
    );
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(content_type(&answer), "application/json");
    assert_eq!(
        answer.text,
        concat!(
            r#"{"properties":["#,
            r#"{"type":"INT","name":"id","comment":""},"#,
            r#"{"type":"VARCHAR","name":"first_name","comment":""},"#,
            r#"{"type":"VARCHAR","name":"last_name","comment":""},"#,
            r#"{"type":"VARCHAR","name":"email","comment":""}"#,
            r#"],"status":200}"#
        )
    );
}

#[test]
fn decimals_report_precision_and_scale_and_comments_come_from_the_ddl() {
    let emu = seeded();
    emu.run_script(
        "CREATE TABLE example_db.prices (
           sku BIGINT NOT NULL COMMENT 'stock unit',
           price DECIMAL(10, 2) COMMENT 'EUR',
           ratio DECIMAL(5, 4),
           total DECIMAL(27, 9),
           at DATETIME,
           doc JSON
         ) PRIMARY KEY (sku) DISTRIBUTED BY HASH(sku) BUCKETS 1",
    )
    .expect("the DDL runs");
    let body = get(
        &schema_url(emu.fe_http(), "example_db", "prices"),
        Some(("root", "")),
    )
    .json();
    assert_eq!(body["status"], 200);
    let props = body["properties"].as_array().unwrap();
    let summary: Vec<String> = props
        .iter()
        .map(|p| {
            format!(
                "{} {} {}/{} {:?}",
                p["name"].as_str().unwrap(),
                p["type"].as_str().unwrap(),
                p["precision"].as_str().unwrap_or("-"),
                p["scale"].as_str().unwrap_or("-"),
                p["comment"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "sku BIGINT -/- \"stock unit\"",
            "price DECIMAL64 10/2 \"EUR\"",
            "ratio DECIMAL32 5/4 \"\"",
            "total DECIMAL128 27/9 \"\"",
            "at DATETIME -/- \"\"",
            "doc JSON -/- \"\"",
        ]
    );
    // Decimal entries keep StarRocks' key order too.
    assert_eq!(
        props[1].to_string(),
        r#"{"name":"price","scale":"2","comment":"EUR","type":"DECIMAL64","precision":"10"}"#
    );
}

#[test]
fn a_missing_database_or_table_is_a_404_naming_it() {
    let emu = seeded();
    let fe = emu.fe_http();
    let cases = [
        (
            "nope",
            "test_tbl",
            r#"{"exception":"Database [nope] does not exists","status":404}"#,
        ),
        (
            "example_db",
            "nope",
            r#"{"exception":"Table [nope] does not exists","status":404}"#,
        ),
    ];
    for (db, table, expected) in cases {
        let answer = get(&schema_url(fe, db, table), Some(("root", "")));
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{db}.{table}");
        assert_eq!(content_type(&answer), "application/json");
        assert_eq!(answer.text, expected);
    }
    // Names are case-sensitive, as StarRocks' catalog lookups are.
    let answer = get(
        &schema_url(fe, "example_db", "TEST_TBL"),
        Some(("root", "")),
    );
    assert_eq!(
        answer.text,
        r#"{"exception":"Table [TEST_TBL] does not exists","status":404}"#
    );
}

#[test]
fn bad_credentials_are_a_401_before_anything_is_looked_up() {
    let emu = seeded();
    let fe = emu.fe_http();
    let cases: [(Option<(&str, &str)>, &str); 3] = [
        (None, "Need auth information."),
        (Some(("root", "wrong")), "Access denied for root@127.0.0.1"),
        (Some(("nobody", "")), "Access denied for nobody@127.0.0.1"),
    ];
    for (user, msg) in cases {
        // A database that does not exist still answers 401: auth comes first.
        for (db, table) in [("example_db", "test_tbl"), ("nope", "nope")] {
            let answer = get(&schema_url(fe, db, table), user);
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{user:?} {db}");
            assert_eq!(answer.headers["www-authenticate"], "Basic realm=\"\"");
            assert_eq!(content_type(&answer), "text/html");
            assert_eq!(
                answer.text,
                format!(r#"{{"status":"FAILED","code":"1","msg":"{msg}","message":"{msg}"}}"#)
            );
        }
    }
    // A second user with the right password is accepted.
    let emu = emulator(Config::ephemeral().with_user("loader", "s3cret"));
    let answer = get(
        &schema_url(emu.fe_http(), "example_db", "test_tbl"),
        Some(("loader", "s3cret")),
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[test]
fn path_segments_are_percent_decoded() {
    let emu = seeded();
    let answer = get(
        &schema_url(emu.fe_http(), "example%5Fdb", "test%5Ftbl"),
        Some(("root", "")),
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let answer = get(
        &schema_url(emu.fe_http(), "example_db", "no+such"),
        Some(("root", "")),
    );
    assert_eq!(
        answer.text,
        r#"{"exception":"Table [no such] does not exists","status":404}"#
    );
}

#[test]
fn a_follower_answers_itself_even_while_no_fe_leads() {
    let emu = emulator(Config::ephemeral().with_fes(2));
    let [leader, follower] = [emu.fe_http_all()[0], emu.fe_http_all()[1]];
    let on_follower = get(
        &schema_url(follower, "example_db", "test_tbl"),
        Some(("root", "")),
    );
    assert_eq!(on_follower.status, StatusCode::OK);
    assert_eq!(
        on_follower.text,
        get(
            &schema_url(leader, "example_db", "test_tbl"),
            Some(("root", ""))
        )
        .text
    );
    emu.fe_down(0);
    wait_until(
        "the leader to go down",
        std::time::Duration::from_secs(5),
        || refused(leader),
    );
    let answer = get(
        &schema_url(follower, "example_db", "test_tbl"),
        Some(("root", "")),
    );
    assert_eq!(answer.status, StatusCode::OK);
}

#[test]
fn schema_requests_are_journaled() {
    let emu = seeded();
    emu.clear_journal();
    let fe = emu.fe_http();
    get(
        &schema_url(fe, "example_db", "test_tbl"),
        Some(("root", "")),
    );
    get(&schema_url(fe, "nope", "t"), Some(("root", "")));
    get(&schema_url(fe, "example_db", "test_tbl"), None);
    let seen: Vec<(String, String, String, String)> = emu
        .journal()
        .into_iter()
        .map(|e| (e.node, e.method, e.uri, e.outcome))
        .collect();
    let entry = |uri: &str, outcome: &str| {
        (
            "fe0".to_string(),
            "GET".to_string(),
            uri.to_string(),
            outcome.to_string(),
        )
    };
    assert_eq!(
        seen,
        [
            entry("/api/example_db/test_tbl/_schema", "200"),
            entry("/api/nope/t/_schema", "404 Database [nope] does not exists"),
            entry("/api/example_db/test_tbl/_schema", "401"),
        ]
    );
}

#[test]
fn health_needs_no_credentials_and_counts_backends() {
    let emu = emulator(Config::ephemeral().with_bes(2));
    let answer = get(&format!("http://{}/api/health", emu.fe_http()), None);
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(content_type(&answer), "application/json; charset=UTF-8");
    assert_eq!(
        answer.text,
        r#"{"online_backend_num":2,"total_backend_num":2,"status":"OK"}"#
    );
    // Wrong credentials do not matter either: the action never authenticates.
    let answer = get(
        &format!("http://{}/api/health", emu.fe_http()),
        Some(("root", "wrong")),
    );
    assert_eq!(answer.status, StatusCode::OK);
}
