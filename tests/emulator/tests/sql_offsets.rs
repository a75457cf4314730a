//! The SQL an exactly-once sink sends over the MySQL port to keep its offsets in a StarRocks
//! table, against a started emulator: `CREATE TABLE IF NOT EXISTS` with a back-quoted
//! reserved column name, filtered `SELECT`s, `DELETE … WHERE` on a primary-key table, and
//! `current_version()` with the configured StarRocks version.

use std::time::Duration;

use mysql_async::prelude::*;
use mysql_async::{Conn, Error, OptsBuilder, Row};
use starrocks_emulator::{start, Config, Emulator};

const DEADLINE: Duration = Duration::from_secs(10);

const OFFSETS_DDL: &str = "CREATE TABLE IF NOT EXISTS `db`.`t` (`connector` VARCHAR(255) NOT NULL, `table_name` VARCHAR(255) NOT NULL, `topic` VARCHAR(255) NOT NULL, `partition` INT NOT NULL, `next_offset` BIGINT NOT NULL, `next_label` VARCHAR(128) NOT NULL, `label` VARCHAR(128) NOT NULL, `updated_at` DATETIME NULL) PRIMARY KEY (`connector`, `table_name`, `topic`, `partition`) DISTRIBUTED BY HASH(`connector`) PROPERTIES (\"replication_num\" = \"1\")";

/// The same table without PROPERTIES, under another name.
const OFFSETS_DDL_BARE: &str = "CREATE TABLE IF NOT EXISTS `db`.`t2` (`connector` VARCHAR(255) NOT NULL, `table_name` VARCHAR(255) NOT NULL, `topic` VARCHAR(255) NOT NULL, `partition` INT NOT NULL, `next_offset` BIGINT NOT NULL, `next_label` VARCHAR(128) NOT NULL, `label` VARCHAR(128) NOT NULL, `updated_at` DATETIME NULL) PRIMARY KEY (`connector`, `table_name`, `topic`, `partition`) DISTRIBUTED BY HASH(`connector`)";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime")
}

async fn connect(emu: &Emulator) -> Conn {
    let addr = emu.query_addr();
    let opts = OptsBuilder::default()
        .ip_or_hostname(addr.ip().to_string())
        .tcp_port(addr.port())
        .user(Some("root"))
        .pass(Some(""))
        .prefer_socket(false);
    tokio::time::timeout(DEADLINE, Conn::new(opts))
        .await
        .expect("the handshake finishes before the deadline")
        .expect("root connects")
}

fn server_error(e: Error) -> (u16, String) {
    match e {
        Error::Server(e) => (e.code, e.message),
        other => panic!("expected a server error, got {other:?}"),
    }
}

/// Loads offset rows (connector, table, topic, partition, next_offset) into `db.t` through
/// Stream Load, as rows reach StarRocks tables.
fn seed_offsets(emu: &Emulator, rows: &[(&str, &str, &str, i32, i64)]) {
    let body: Vec<String> = rows
        .iter()
        .map(|(c, t, topic, p, o)| {
            format!(
                r#"{{"connector":"{c}","table_name":"{t}","topic":"{topic}","partition":{p},"next_offset":{o},"next_label":"l-{p}-{o}","label":"l-{p}","updated_at":"2026-01-01 00:00:00"}}"#
            )
        })
        .collect();
    let url = format!("http://{}/api/db/t/_stream_load", emu.be_http()[0]);
    let answer: serde_json::Value = reqwest::blocking::Client::new()
        .put(url)
        .basic_auth("root", Some(""))
        .header("format", "json")
        .body(body.join("\n"))
        .send()
        .expect("the BE answers")
        .json()
        .expect("JSON");
    assert_eq!(answer["Status"], "Success", "{answer}");
}

#[test]
fn the_offsets_table_is_created_read_and_cleared_over_the_mysql_port() {
    let emu = start(Config::ephemeral()).expect("the emulator starts");
    let rt = runtime();
    let mut conn = rt.block_on(connect(&emu));
    rt.block_on(async {
        conn.query_drop("CREATE DATABASE db").await.unwrap();
        conn.query_drop(OFFSETS_DDL).await.unwrap();
        conn.query_drop(OFFSETS_DDL)
            .await
            .expect("IF NOT EXISTS: a second run is fine");
        conn.query_drop(OFFSETS_DDL_BARE).await.unwrap();
        let created: Vec<String> = conn.query("SHOW TABLES FROM db").await.unwrap();
        assert_eq!(created, vec!["t".to_string(), "t2".to_string()]);
    });
    seed_offsets(
        &emu,
        &[
            ("x", "orders", "y", 0, 42),
            ("x", "orders", "y", 1, 7),
            ("x", "items", "z", 0, 3),
            ("other", "orders", "y", 0, 99),
        ],
    );
    rt.block_on(async {
        let rows: Vec<Row> = conn
            .query("SELECT `table_name`, `topic`, `partition`, `next_offset`, `next_label` FROM `db`.`t` WHERE `connector` = 'x'")
            .await
            .unwrap();
        let names: Vec<String> = rows[0]
            .columns_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        assert_eq!(
            names,
            ["table_name", "topic", "partition", "next_offset", "next_label"]
        );
        let mut got: Vec<(String, String, i32, i64, String)> =
            rows.into_iter().map(mysql_async::from_row).collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("items".into(), "z".into(), 0, 3, "l-0-3".into()),
                ("orders".into(), "y".into(), 0, 42, "l-0-42".into()),
                ("orders".into(), "y".into(), 1, 7, "l-1-7".into()),
            ]
        );
        let topic_y: Vec<(String, String, i32, i64, String)> = conn
            .query("SELECT `table_name`, `topic`, `partition`, `next_offset`, `next_label` FROM `db`.`t` WHERE `connector` = 'x' AND `topic` = 'y'")
            .await
            .unwrap();
        assert_eq!(topic_y.len(), 2);
        assert!(topic_y.iter().all(|r| r.1 == "y"));

        let deleted = conn
            .query_iter("DELETE FROM `db`.`t` WHERE `connector` = 'x' AND `topic` = 'z'")
            .await
            .unwrap()
            .affected_rows();
        assert_eq!(deleted, 1);
        conn.query_drop("DELETE FROM `db`.`t` WHERE `connector` = 'x'")
            .await
            .unwrap();
        let left: Vec<(String, i64)> = conn
            .query("SELECT `connector`, `next_offset` FROM `db`.`t`")
            .await
            .unwrap();
        assert_eq!(left, vec![("other".to_string(), 99)]);
        let none: Vec<Row> = conn
            .query("SELECT `table_name` FROM `db`.`t` WHERE `connector` = 'x'")
            .await
            .unwrap();
        assert!(none.is_empty());
        conn.disconnect().await.unwrap();
    });
}

#[test]
fn reserved_words_must_be_back_quoted_and_delete_needs_a_where() {
    let emu = start(Config::ephemeral()).expect("the emulator starts");
    let rt = runtime();
    rt.block_on(async {
        let mut conn = connect(&emu).await;
        conn.query_drop("CREATE DATABASE db").await.unwrap();
        let unquoted = OFFSETS_DDL.replace("`partition` INT", "partition INT");
        let (code, message) = server_error(conn.query_drop(unquoted).await.unwrap_err());
        assert_eq!(code, 1064);
        assert!(
            message.contains(
                "Unexpected input 'partition', the most similar input is {a legal identifier}"
            ),
            "{message}"
        );
        conn.query_drop(OFFSETS_DDL).await.unwrap();
        let (code, message) = server_error(
            conn.query_drop("SELECT partition FROM db.t")
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 1064, "{message}");
        let (code, _) = server_error(
            conn.query_drop("CREATE TABLE db.select (id INT)")
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 1064, "a reserved table name too");
        // Non-reserved keywords stay usable bare.
        conn.query_drop("CREATE TABLE db.k (topic VARCHAR(10), label INT, comment INT)")
            .await
            .unwrap();

        let (code, message) = server_error(conn.query_drop("DELETE FROM db.t").await.unwrap_err());
        assert_eq!(code, 1064);
        assert!(
            message.contains("Delete must specify where clause to prevent full table delete"),
            "{message}"
        );
        let (code, _) = server_error(
            conn.query_drop("DELETE FROM db.nope WHERE x = 1")
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 1146);
        let (code, message) = server_error(
            conn.query_drop("DELETE FROM db.t WHERE nope = 1")
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 1054, "{message}");
        conn.disconnect().await.unwrap();
    });
}

#[test]
fn current_version_reports_the_configured_release() {
    for (configured, reported) in [
        (None, "4.0.2-0000000"),
        (Some("3.5.4-9ab1c2d"), "3.5.4-9ab1c2d"),
        (Some("4.1.0"), "4.1.0-0000000"),
    ] {
        let mut config = Config::ephemeral();
        if let Some(v) = configured {
            config = config.with_starrocks_version(v);
        }
        let emu = start(config).expect("the emulator starts");
        assert_eq!(emu.version().as_str(), reported);
        let rt = runtime();
        rt.block_on(async {
            let mut conn = connect(&emu).await;
            let rows: Vec<Row> = conn.query("SELECT current_version()").await.unwrap();
            assert_eq!(rows[0].columns_ref()[0].name_str(), "current_version()");
            let version: Vec<String> = rows.into_iter().map(mysql_async::from_row).collect();
            assert_eq!(version, vec![reported.to_string()]);
            conn.disconnect().await.unwrap();
        });
    }
    assert!(
        start(Config::ephemeral().with_starrocks_version("four")).is_err(),
        "a malformed version is refused at start"
    );
}
