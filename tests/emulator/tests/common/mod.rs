//! Helpers shared by the emulator's integration tests: a started emulator with the seed's
//! tables, and a Stream Load client that follows the FE's 307 itself, as a correct client
//! must (re-sending Authorization and the body to the BE).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::Value;
// Not every test binary uses each of them.
#[allow(unused_imports)]
pub use starrocks_emulator::testing::{refused, rows, wait_until};
use starrocks_emulator::{start, Config, Emulator};

pub const SEED_DDL: &str = "
CREATE DATABASE example_db;
USE example_db;
CREATE TABLE test_tbl (id INT, city STRING);
CREATE DATABASE test;
USE test;
CREATE TABLE `customers` (
  `id` int(11) COMMENT \"\",
  `first_name` varchar(65533) NULL COMMENT \"\",
  `last_name` varchar(65533) NULL COMMENT \"\",
  `email` varchar(65533) NULL COMMENT \"\"
) ENGINE=OLAP
PRIMARY KEY(`id`)
DISTRIBUTED BY hash(id) buckets 1
PROPERTIES (
\"bucket_size\" = \"4294967296\",
\"in_memory\" = \"false\",
\"enable_persistent_index\" = \"true\",
\"replicated_storage\" = \"true\",
\"fast_schema_evolution\" = \"true\"
);
";

pub const SEED_ROWS: &str =
    "{\"id\":1,\"city\":\"New York\"}\n{\"id\":2,\"city\":\"Los Angeles\"}\n{\"id\":3,\"city\":\"Chicago\"}\n";

pub fn emulator(config: Config) -> Emulator {
    let emu = start(config).expect("the emulator starts");
    emu.run_script(SEED_DDL).expect("the seed DDL runs");
    emu
}

pub fn seeded() -> Emulator {
    emulator(Config::ephemeral())
}

pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client builds")
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub fn send(
    method: reqwest::Method,
    url: &str,
    user: Option<(&str, &str)>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut req = client().request(method, url).body(body);
    if let Some((u, p)) = user {
        req = req.basic_auth(u, Some(p));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().expect("the request gets an answer");
    let status = resp.status();
    let headers = resp.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().unwrap_or_default();
    Answer {
        status,
        location,
        headers,
        text,
    }
}

/// PUT to the FE with an empty body and `Expect: 100-continue`, then the body to the BE the
/// 307 names. Returns the BE's JSON (or the FE's answer if it did not redirect).
pub fn stream_load(
    fe: SocketAddr,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    stream_load_as(fe, ("root", ""), db, table, headers, body)
}

pub fn stream_load_as(
    fe: SocketAddr,
    user: (&str, &str),
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let url = format!("http://{fe}/api/{db}/{table}/_stream_load");
    let mut with_expect: Vec<(&str, &str)> = headers.to_vec();
    with_expect.push(("Expect", "100-continue"));
    let first = send(
        reqwest::Method::PUT,
        &url,
        Some(user),
        &with_expect,
        Vec::new(),
    );
    let Some(location) = first.location else {
        return first.json();
    };
    assert_eq!(first.status, StatusCode::TEMPORARY_REDIRECT);
    send(
        reqwest::Method::PUT,
        &location,
        Some(user),
        headers,
        body.to_vec(),
    )
    .json()
}

/// A transaction call through the FE, following every 307 (follower → leader → BE).
pub fn txn(fe: SocketAddr, op: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let mut url = format!("http://{fe}/api/transaction/{op}");
    let method = if op == "load" {
        reqwest::Method::PUT
    } else {
        reqwest::Method::POST
    };
    for _ in 0..3 {
        let answer = send(
            method.clone(),
            &url,
            Some(("root", "")),
            headers,
            body.to_vec(),
        );
        match answer.location {
            Some(location) => url = location,
            None => return answer.json(),
        }
    }
    panic!("more than three redirects");
}

pub fn load_state(fe: SocketAddr, db: &str, label: &str) -> Value {
    let url = format!("http://{fe}/api/{db}/get_load_state?label={label}");
    let answer = send(
        reqwest::Method::GET,
        &url,
        Some(("root", "")),
        &[],
        Vec::new(),
    );
    if let Some(location) = answer.location {
        return send(
            reqwest::Method::GET,
            &location,
            Some(("root", "")),
            &[],
            Vec::new(),
        )
        .json();
    }
    answer.json()
}

pub fn seed_table() -> Vec<Vec<String>> {
    vec![
        vec!["1".into(), "New York".into()],
        vec!["2".into(), "Los Angeles".into()],
        vec!["3".into(), "Chicago".into()],
    ]
}
