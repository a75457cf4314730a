//! The count-only mode for benchmarks (`--count-only`): loads into duplicate-key tables are
//! checked for framing and counted, not converted or stored. Whatever a load's answer says in
//! full mode about framing, it says the same here; only `SELECT COUNT(*)` sees counted rows.

mod common;

use common::*;
use starrocks_emulator::sql::exec::QueryOutput;
use starrocks_emulator::{Config, Emulator};

fn count_only() -> Emulator {
    emulator(Config::ephemeral().with_count_only())
}

fn count(emu: &Emulator, table: &str) -> String {
    match emu
        .execute_sql(&format!("SELECT COUNT(*) FROM {table}"))
        .unwrap()
    {
        QueryOutput::Rows { rows, .. } => rows[0][0].clone().unwrap(),
        other => panic!("{other:?}"),
    }
}

const JSON_ARRAY: &[(&str, &str)] = &[("format", "json"), ("strip_outer_array", "true")];
const NDJSON: &[(&str, &str)] = &[("format", "json")];
const CSV: &[(&str, &str)] = &[("format", "csv"), ("column_separator", ",")];
const TOLERANT: (&str, &str) = ("max_filter_ratio", "1");

/// A load's headers, its body, and the rows a full load keeps of it.
type Case = (Vec<(&'static str, &'static str)>, &'static str, usize);

#[test]
fn a_load_is_answered_as_in_full_mode_and_its_rows_counted() {
    let cases: Vec<Case> = vec![
        (
            JSON_ARRAY.to_vec(),
            r#"[{"id":1,"city":"a"},{"id":2,"city":"b"},{"id":3,"city":"c"}]"#,
            3,
        ),
        (
            NDJSON.to_vec(),
            "{\"id\":1,\"city\":\"a\"}\n{\"id\":2}\n",
            2,
        ),
        (CSV.to_vec(), "1,a\n2,b\n\n3,c\n", 3),
        // Framing the BE filters: a scalar element, a short CSV row, malformed JSON.
        (
            [JSON_ARRAY, &[TOLERANT]].concat(),
            r#"[{"id":1,"city":"a"},7,{"id":3,"city":"c"}]"#,
            2,
        ),
        ([CSV, &[TOLERANT]].concat(), "1,a\n2\n3,c\n", 2),
        (
            [NDJSON, &[TOLERANT]].concat(),
            "{\"id\":1,\"city\":\"a\"}\n{\"id\":2,",
            1,
        ),
        // Arrays read past the one-pass count of a clean array: malformed inside, two arrays
        // back to back, an empty array, leading whitespace.
        (
            [JSON_ARRAY, &[TOLERANT]].concat(),
            r#"[{"id":1,"city":"a"},{"id":2,"city":}]"#,
            0,
        ),
        (
            JSON_ARRAY.to_vec(),
            "[{\"id\":1,\"city\":\"a\"}]\n[{\"id\":2,\"city\":\"b\"}]",
            2,
        ),
        (JSON_ARRAY.to_vec(), " \n[]", 0),
        (
            JSON_ARRAY.to_vec(),
            "\n [ {\"id\":1,\"city\":\"a\"} , {\"id\":2} ]\n",
            2,
        ),
        // The wrong framing for the headers: an array without strip_outer_array.
        (
            [NDJSON, &[TOLERANT]].concat(),
            r#"[{"id":1,"city":"a"}]"#,
            0,
        ),
    ];
    for (i, (headers, body, kept)) in cases.iter().enumerate() {
        let (full, counting) = (seeded(), count_only());
        let label = format!("l{i}");
        let mut headers = headers.clone();
        headers.push(("label", &label));
        let a = stream_load(
            full.fe_http(),
            "example_db",
            "test_tbl",
            &headers,
            body.as_bytes(),
        );
        let b = stream_load(
            counting.fe_http(),
            "example_db",
            "test_tbl",
            &headers,
            body.as_bytes(),
        );
        for field in [
            "Status",
            "NumberTotalRows",
            "NumberLoadedRows",
            "NumberFilteredRows",
        ] {
            assert_eq!(a[field], b[field], "case {i}, {field}: {a} against {b}");
        }
        assert_eq!(a["NumberLoadedRows"], *kept, "case {i}: {a}");
        assert_eq!(count(&full, "example_db.test_tbl"), kept.to_string());
        assert_eq!(count(&counting, "example_db.test_tbl"), kept.to_string());
    }
}

#[test]
fn a_load_failing_on_filtered_rows_counts_nothing() {
    let emu = count_only();
    let answer = stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        JSON_ARRAY,
        br#"[{"id":1,"city":"a"},"not an object"]"#,
    );
    assert_eq!(answer["Status"], "Fail", "{answer}");
    assert_eq!(answer["Message"], "too many filtered rows");
    assert_eq!(count(&emu, "example_db.test_tbl"), "0");
}

#[test]
fn only_count_star_without_where_sees_counted_rows() {
    let emu = count_only();
    stream_load(
        emu.fe_http(),
        "example_db",
        "test_tbl",
        NDJSON,
        SEED_ROWS.as_bytes(),
    );
    assert_eq!(count(&emu, "example_db.test_tbl"), "3");
    for query in [
        "SELECT * FROM example_db.test_tbl",
        "SELECT id FROM example_db.test_tbl",
        "SELECT COUNT(*) FROM example_db.test_tbl WHERE id = 1",
    ] {
        let error = emu.execute_sql(query).unwrap_err().to_string();
        assert!(error.contains("--count-only"), "{query}: {error}");
        assert!(error.contains("3 rows"), "{query}: {error}");
    }
    assert!(emu.rows("example_db", "test_tbl").is_err());
    emu.execute_sql("TRUNCATE TABLE example_db.test_tbl")
        .unwrap();
    assert_eq!(count(&emu, "example_db.test_tbl"), "0");
    assert!(emu.rows("example_db", "test_tbl").unwrap().is_empty());
}

#[test]
fn primary_key_tables_are_loaded_in_full() {
    let emu = count_only();
    let answer = stream_load(
        emu.fe_http(),
        "test",
        "customers",
        NDJSON,
        b"{\"id\":1,\"first_name\":\"a\"}\n{\"id\":1,\"first_name\":\"b\"}\n",
    );
    assert_eq!(answer["Status"], "Success", "{answer}");
    assert_eq!(
        rows(&emu, "test", "customers"),
        vec![vec!["1", "b", "NULL", "NULL"]]
    );
}

#[test]
fn a_transaction_counts_its_rows_only_once_committed() {
    let emu = count_only();
    let fe = emu.fe_http();
    let h = |extra: &[(&'static str, &'static str)]| {
        let mut v = vec![("label", "t1"), ("db", "example_db"), ("table", "test_tbl")];
        v.extend_from_slice(extra);
        v
    };
    assert_eq!(txn(fe, "begin", &h(&[]), b"")["Status"], "OK");
    let body = br#"[{"id":1,"city":"a"},{"id":2,"city":"b"}]"#;
    assert_eq!(txn(fe, "load", &h(JSON_ARRAY), body)["Status"], "OK");
    let prepare = txn(fe, "prepare", &h(&[]), b"");
    assert_eq!(prepare["NumberLoadedRows"], 2, "{prepare}");
    assert_eq!(count(&emu, "example_db.test_tbl"), "0");
    assert_eq!(txn(fe, "commit", &h(&[]), b"")["Status"], "OK");
    assert_eq!(count(&emu, "example_db.test_tbl"), "2");
}
