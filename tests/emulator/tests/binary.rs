//! The `starrocks-emulator` binary: command line, ready line, and the stock MySQL client
//! printing the seed's table, as the StarRocks docs show it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_binary(init_sql: &std::path::Path) -> (Running, serde_json::Value) {
    start_binary_with(init_sql, &[])
}

fn start_binary_with(init_sql: &std::path::Path, extra: &[&str]) -> (Running, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_starrocks-emulator"))
        .args(extra)
        .args([
            "--fe-http-port",
            "0",
            "--be-http-port",
            "0",
            "--be-http-port",
            "0",
            "--query-port",
            "0",
            "--user",
            "root:",
            "--user",
            "user1:123456",
            "--init-sql",
        ])
        .arg(init_sql)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the ready line is JSON ({e}): {line}"));
    (running, ready)
}

#[test]
fn the_binary_prints_its_addresses_and_serves_the_seed_table_to_the_mysql_client() {
    let dir = std::env::temp_dir().join(format!("emu-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sql = dir.join("init.sql");
    std::fs::write(&sql, SEED_DDL).unwrap();
    let (_running, ready) = start_binary(&sql);
    let fe: std::net::SocketAddr = ready["fe_http"].as_str().unwrap().parse().unwrap();
    assert_eq!(ready["be_http"].as_array().unwrap().len(), 2);
    let query: std::net::SocketAddr = ready["query"].as_str().unwrap().parse().unwrap();

    let answer = stream_load_as(
        fe,
        ("user1", "123456"),
        "example_db",
        "test_tbl",
        &[("label", "bin1"), ("format", "json")],
        SEED_ROWS.as_bytes(),
    );
    assert_eq!(answer["Status"], "Success", "{answer}");

    let out = Command::new("mysql")
        .args([
            "-h127.0.0.1",
            &format!("-P{}", query.port()),
            "-uroot",
            "--table",
            "-e",
        ])
        .arg("select * from example_db.test_tbl")
        .output()
        .expect("the mysql client runs (scripts/setup.sh installs it)");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = "\
+------+-------------+
| id   | city        |
+------+-------------+
|    1 | New York    |
|    2 | Los Angeles |
|    3 | Chicago     |
+------+-------------+
";
    assert_eq!(printed, expected);

    let denied = Command::new("mysql")
        .args([
            "-h127.0.0.1",
            &format!("-P{}", query.port()),
            "-uuser1",
            "-pwrong",
            "-e",
            "select 1",
        ])
        .output()
        .unwrap();
    assert!(!denied.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_binary_claims_the_starrocks_version_it_is_given() {
    let dir = std::env::temp_dir().join(format!("emu-bin-ver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sql = dir.join("init.sql");
    std::fs::write(&sql, SEED_DDL).unwrap();
    let (_running, ready) = start_binary_with(&sql, &["--starrocks-version", "3.5.4-9ab1c2d"]);
    let query: std::net::SocketAddr = ready["query"].as_str().unwrap().parse().unwrap();
    let out = Command::new("mysql")
        .args([
            "-h127.0.0.1",
            &format!("-P{}", query.port()),
            "-uroot",
            "-N",
            "-e",
            "select current_version()",
        ])
        .output()
        .expect("the mysql client runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3.5.4-9ab1c2d");

    let bad = Command::new(env!("CARGO_BIN_EXE_starrocks-emulator"))
        .args(["--starrocks-version", "four", "--query-port", "0"])
        .args(["--fe-http-port", "0", "--be-http-port", "0"])
        .output()
        .expect("the binary runs");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("invalid StarRocks version 'four'"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}
