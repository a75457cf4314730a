//! Body-level tests of `parse_body`, and helpers shared by the load module's tests.

use std::io::Write;

use super::*;
use crate::catalog::{Column, KeyModel};
use crate::types::{ColumnType, Value};

/// Request headers as `(lower-case name, value)` pairs.
pub(crate) type Headers<'a> = &'a [(&'a str, &'a str)];

/// Builds params from `(lower-case name, value)` pairs.
pub(crate) fn params(headers: Headers<'_>) -> Result<LoadParams, String> {
    LoadParams::from_headers(&|name: &str| {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

fn column(name: &str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable,
        default: None,
        comment: String::new(),
    }
}

/// `orders(id BIGINT NOT NULL, name VARCHAR(10), score INT)` keyed on `id`.
fn orders(model: KeyModel) -> TableSchema {
    TableSchema {
        name: "orders".into(),
        columns: vec![
            column("id", ColumnType::BigInt, false),
            column("name", ColumnType::Varchar(10), true),
            column("score", ColumnType::Int, true),
        ],
        model,
        key: vec![0],
        version: 0,
    }
}

fn parse(schema: &TableSchema, headers: &[(&str, &str)], body: &str) -> ParsedBatch {
    parse_body(schema, &params(headers).unwrap(), body.as_bytes()).unwrap()
}

fn int(i: i128) -> Option<Value> {
    Some(Value::Int(i))
}

fn s(text: &str) -> Option<Value> {
    Some(Value::Str(text.into()))
}

fn values(batch: &ParsedBatch) -> Vec<Vec<Option<Value>>> {
    batch.ops.iter().map(|op| op.values.clone()).collect()
}

fn deletes(batch: &ParsedBatch) -> Vec<bool> {
    batch.ops.iter().map(|op| op.delete).collect()
}

fn reasons(batch: &ParsedBatch) -> Vec<&str> {
    batch.rejected.iter().map(|r| r.reason.as_str()).collect()
}

const JSON: (&str, &str) = ("format", "json");
const STRIP: (&str, &str) = ("strip_outer_array", "true");

#[test]
fn a_json_document_stream_of_three_objects_is_three_rows() {
    let body =
        "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 2}{\"id\": 3, \"name\": \"c\", \"score\": 9}  ";
    let batch = parse(&orders(KeyModel::Primary), &[JSON], body);
    assert_eq!(
        values(&batch),
        vec![
            vec![int(1), s("a"), None],
            vec![int(2), None, None],
            vec![int(3), s("c"), int(9)],
        ]
    );
    assert!(batch.rejected.is_empty());
    assert_eq!(batch.total(), 3);
}

#[test]
fn a_top_level_array_without_strip_outer_array_is_one_filtered_row() {
    let body = r#"[{"id": 1}, {"id": 2}]"#;
    let batch = parse(&orders(KeyModel::Primary), &[JSON], body);
    assert!(batch.ops.is_empty());
    assert_eq!(
        batch.rejected,
        vec![Rejected {
            reason: "JSON data is an array, strip_outer_array must be set true".into(),
            row: r#"[{"id":1},{"id":2}]"#.into(),
        }]
    );
}

#[test]
fn strip_outer_array_makes_each_element_a_row() {
    let body = r#"[{"id": 1}, {"id": 2, "name": "b"}]"#;
    let batch = parse(&orders(KeyModel::Primary), &[JSON, STRIP], body);
    assert_eq!(
        values(&batch),
        vec![vec![int(1), None, None], vec![int(2), s("b"), None]]
    );
}

#[test]
fn strip_outer_array_filters_a_top_level_object_and_non_object_elements() {
    let batch = parse(
        &orders(KeyModel::Primary),
        &[JSON, STRIP],
        r#"{"id": 1} [{"id": 2}, 5]"#,
    );
    assert_eq!(values(&batch), vec![vec![int(2), None, None]]);
    assert_eq!(
        reasons(&batch),
        vec![
            r#"the value should be array type with strip_outer_array=true, value: {"id":1}"#,
            "Failed to iterate json array as object. error: The JSON element does not have the requested type.",
        ]
    );
}

#[test]
fn json_root_and_jsonpaths_select_and_map_fields() {
    let body = r#"{"meta": 1, "data": {"k": 7, "inner": {"n": "x"}, "s": "8"}}"#;
    let batch = parse(
        &orders(KeyModel::Primary),
        &[
            JSON,
            ("json_root", "$.data"),
            ("jsonpaths", r#"["$.k", "$.inner.n", "$.s"]"#),
            ("columns", "id, name, score"),
        ],
        body,
    );
    assert_eq!(values(&batch), vec![vec![int(7), s("x"), int(8)]]);

    // Without `columns`, the paths map to the table's columns in order.
    let batch = parse(
        &orders(KeyModel::Duplicate),
        &[JSON, ("jsonpaths", r#"["$.a[1]", "$.b.c"]"#)],
        r#"{"a": [0, 11], "b": {"c": "deep"}}"#,
    );
    assert_eq!(values(&batch), vec![vec![int(11), s("deep"), None]]);
}

#[test]
fn json_root_with_strip_outer_array_expands_the_array_under_the_root() {
    let body = r#"{"data": [{"id": 1}, {"id": 2}]} {"data": [{"id": 3}]}"#;
    let batch = parse(
        &orders(KeyModel::Primary),
        &[JSON, STRIP, ("json_root", "$.data")],
        body,
    );
    assert_eq!(batch.ops.len(), 3);
    let missing = parse(
        &orders(KeyModel::Primary),
        &[JSON, ("json_root", "$.data")],
        r#"{"other": {}}"#,
    );
    assert_eq!(
        reasons(&missing),
        vec!["JSON root $.data not found in the json object"]
    );
}

#[test]
fn json_keys_match_columns_ignoring_case() {
    let batch = parse(
        &orders(KeyModel::Duplicate),
        &[JSON],
        r#"{"ID": 1, "Name": "n", "SCORE": 2}"#,
    );
    assert_eq!(values(&batch), vec![vec![int(1), s("n"), int(2)]]);
}

#[test]
fn json_op_keys_mark_deletes_on_primary_key_tables_only() {
    let body = r#"{"id": 1, "__op": 1} {"id": 2, "__op": "0"} {"id": 3, "__op": "delete"} {"id": 4} {"id": 5, "__op": null}"#;
    let pk = parse(&orders(KeyModel::Primary), &[JSON], body);
    assert_eq!(deletes(&pk), vec![true, false, true, false, false]);
    // StarRocks ignores __op on duplicate-key tables: every row is appended.
    let dup = parse(&orders(KeyModel::Duplicate), &[JSON], body);
    assert_eq!(deletes(&dup), vec![false; 5]);
    let bad = parse(
        &orders(KeyModel::Primary),
        &[JSON],
        r#"{"id": 1, "__op": 7}"#,
    );
    assert_eq!(
        reasons(&bad),
        vec!["Invalid __op value '7': it must be 0 (upsert) or 1 (delete)"]
    );
}

#[test]
fn json_op_can_come_from_a_columns_mapping_or_constant() {
    let schema = orders(KeyModel::Primary);
    let mapped = parse(
        &schema,
        &[JSON, ("columns", "id, name, flag, __op = flag")],
        r#"{"id": 1, "flag": 1, "__op": 0} {"id": 2, "flag": "upsert"}"#,
    );
    assert_eq!(deletes(&mapped), vec![true, false]);
    let constant = parse(
        &schema,
        &[JSON, ("columns", "id, __op = 'delete'")],
        r#"{"id": 1} {"id": 2}"#,
    );
    assert_eq!(deletes(&constant), vec![true, true]);
}

#[test]
fn csv_op_comes_from_a_positional_field_a_mapping_or_a_constant() {
    let schema = orders(KeyModel::Primary);
    let cases: &[(&str, &str, Vec<bool>)] = &[
        (
            "id,name,score,__op",
            "1\ta\t5\t1\n2\tb\t6\t0\n",
            vec![true, false],
        ),
        (
            "id,name,score,t,__op=t",
            "1\ta\t5\tdelete\n2\tb\t6\tupsert\n",
            vec![true, false],
        ),
        ("id, __op = 'delete'", "1\n2\n", vec![true, true]),
        ("id,name,score", "1\ta\t5\n", vec![false]),
    ];
    for (columns, body, expected) in cases {
        let batch = parse(&schema, &[("columns", columns)], body);
        assert_eq!(&deletes(&batch), expected, "{columns}");
        assert!(batch.rejected.is_empty(), "{columns}: {:?}", batch.rejected);
    }
}

#[test]
fn csv_rows_split_on_hex_separators_and_skip_empty_records() {
    let batch = parse(
        &orders(KeyModel::Duplicate),
        &[("column_separator", "\\x01"), ("row_delimiter", "\\x0D0A")],
        "1\x01a\x015\r\n\r\n2\x01\\N\x016\r\n",
    );
    assert_eq!(
        values(&batch),
        vec![
            vec![int(1), s("a"), int(5)],
            vec![int(2), Some(Value::Null), int(6)],
        ]
    );
    assert_eq!(batch.total(), 2);
}

#[test]
fn csv_rows_with_the_wrong_field_count_are_filtered_with_the_raw_line() {
    let batch = parse(&orders(KeyModel::Duplicate), &[], "1\ta\n2\tb\t3\n");
    assert_eq!(values(&batch), vec![vec![int(2), s("b"), int(3)]]);
    assert_eq!(
        batch.rejected,
        vec![Rejected {
            reason: "Target column count: 3 doesn't match source value column count: 2. \
                     Column separator: '\\t', Row delimiter: '\\n'"
                .into(),
            row: "1\ta".into(),
        }]
    );
}

#[test]
fn csv_fields_without_a_table_column_are_skipped() {
    let batch = parse(
        &orders(KeyModel::Duplicate),
        &[("columns", "id, ignored, score"), ("column_separator", ",")],
        "1,zzz,5\n",
    );
    assert_eq!(values(&batch), vec![vec![int(1), None, int(5)]]);
}

#[test]
fn null_in_a_not_null_column_filters_the_row() {
    let schema = orders(KeyModel::Primary);
    let csv = parse(&schema, &[], "\\N\ta\t1\n");
    assert_eq!(
        reasons(&csv),
        vec!["NULL value in non-nullable column 'id'"]
    );
    assert_eq!(csv.rejected[0].row, "\\N\ta\t1");
    let json = parse(&schema, &[JSON], r#"{"name": "no key"} {"id": null}"#);
    assert_eq!(
        reasons(&json),
        vec![
            "NULL value in non-nullable column 'id'",
            "NULL value in non-nullable column 'id'"
        ]
    );
    assert_eq!(json.rejected[0].row, r#"{"name":"no key"}"#);
}

#[test]
fn strict_mode_filters_what_non_strict_mode_loads_as_null() {
    let schema = orders(KeyModel::Duplicate);
    let lenient = parse(&schema, &[], "1\ta\tnotanint\n");
    assert_eq!(
        values(&lenient),
        vec![vec![int(1), s("a"), Some(Value::Null)]]
    );
    let strict = parse(&schema, &[("strict_mode", "true")], "1\ta\tnotanint\n");
    assert_eq!(
        reasons(&strict),
        vec![
            "The field (name = score, pos = 2) is out of range. Type: INT, Value length: 8, Value: notanint"
        ]
    );
    let json_strict = parse(
        &schema,
        &[JSON, ("strict_mode", "true")],
        r#"{"id": 1, "score": 1e10}"#,
    );
    assert_eq!(
        reasons(&json_strict),
        vec!["Value is overflow. column=score, value=10000000000"]
    );
    // Without strict mode an unreadable value in a NOT NULL column becomes NULL, then fails.
    let not_null = parse(&schema, &[JSON], r#"{"id": "x"}"#);
    assert_eq!(
        reasons(&not_null),
        vec!["NULL value in non-nullable column 'id'"]
    );
}

#[test]
fn strings_too_long_are_filtered_even_without_strict_mode() {
    let batch = parse(
        &orders(KeyModel::Duplicate),
        &[JSON],
        r#"{"id": 1, "name": "far too long"}"#,
    );
    assert_eq!(
        reasons(&batch),
        vec!["String 'far too long'(length=12) is too long. The max length of 'name' is 10"]
    );
}

#[test]
fn partial_update_leaves_unsupplied_columns_unset_and_unchecked() {
    let mut schema = orders(KeyModel::Primary);
    schema.columns.push(column("qty", ColumnType::Int, false));
    let body = r#"{"id": 1, "score": 5}"#;
    let partial = parse(&schema, &[JSON, ("partial_update", "true")], body);
    assert_eq!(values(&partial), vec![vec![int(1), None, int(5), None]]);
    let full = parse(&schema, &[JSON], body);
    assert_eq!(
        reasons(&full),
        vec!["NULL value in non-nullable column 'qty'"]
    );
    let csv = parse(
        &schema,
        &[
            ("partial_update", "true"),
            ("columns", "id,score"),
            ("column_separator", ","),
        ],
        "1,5\n",
    );
    assert_eq!(values(&csv), vec![vec![int(1), None, int(5), None]]);
}

#[test]
fn delete_rows_need_only_their_key() {
    let mut schema = orders(KeyModel::Primary);
    schema.columns.push(column("qty", ColumnType::Int, false));
    let batch = parse(&schema, &[JSON], r#"{"id": 1, "__op": 1}"#);
    assert_eq!(deletes(&batch), vec![true]);
}

#[test]
fn decimals_load_exactly_from_json_numbers() {
    let schema = TableSchema {
        name: "money".into(),
        columns: vec![
            column("id", ColumnType::Int, false),
            column(
                "amount",
                ColumnType::Decimal {
                    precision: 20,
                    scale: 2,
                },
                true,
            ),
        ],
        model: KeyModel::Duplicate,
        key: vec![0],
        version: 0,
    };
    let batch = parse(
        &schema,
        &[JSON],
        r#"{"id": 1, "amount": 12345678901234567.89}"#,
    );
    assert_eq!(
        values(&batch),
        vec![vec![
            int(1),
            Some(Value::Decimal {
                unscaled: 1_234_567_890_123_456_789,
                scale: 2
            })
        ]]
    );
}

#[test]
fn malformed_json_keeps_earlier_rows_and_filters_the_rest() {
    let batch = parse(
        &orders(KeyModel::Primary),
        &[JSON],
        r#"{"id": 1} {"id": 2,"#,
    );
    assert_eq!(batch.ops.len(), 1);
    assert_eq!(batch.rejected.len(), 1);
    let rejected = &batch.rejected[0];
    assert!(
        rejected
            .reason
            .starts_with("Failed to iterate document stream as object. error: EOF while parsing"),
        "{}",
        rejected.reason
    );
    assert_eq!(rejected.row, r#"parser current location: {"id": 2,"#);
    let illegal = parse(&orders(KeyModel::Primary), &[JSON], "  nope");
    assert_eq!(reasons(&illegal), vec!["illegal json started with n"]);
    assert_eq!(
        parse(&orders(KeyModel::Primary), &[JSON], " \n ").total(),
        0
    );
}

#[test]
fn columns_that_do_not_fit_the_table_fail_the_whole_load() {
    let p = params(&[("columns", "id, x = id")]).unwrap();
    assert_eq!(
        parse_body(&orders(KeyModel::Duplicate), &p, b"1\n"),
        Err("Mapping column is not in table. column: x".into())
    );
}

#[test]
fn compressed_bodies_load_after_decompression() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"[{\"id\": 1}, {\"id\": 2}]").unwrap();
    let body = enc.finish().unwrap();
    let p = params(&[JSON, STRIP, ("compression", "gzip")]).unwrap();
    let plain = decompress(&p, body.clone()).unwrap();
    let batch = parse_body(&orders(KeyModel::Primary), &p, &plain).unwrap();
    assert_eq!(batch.ops.len(), 2);
}

#[test]
fn the_json_size_check_uses_content_length_unless_ignored() {
    let json = params(&[JSON]).unwrap();
    assert!(check_json_size(&json, Some(MAX_JSON_BODY_BYTES), MAX_JSON_BODY_BYTES).is_ok());
    assert!(check_json_size(&json, None, MAX_JSON_BODY_BYTES).is_ok());
    assert_eq!(
        check_json_size(&json, Some(MAX_JSON_BODY_BYTES + 1), MAX_JSON_BODY_BYTES),
        Err("The size of this batch exceed the max size [104857600]  of json type data  data [ 104857601 ]. \
             Set ignore_json_size to skip the check, although it may lead huge memory consuming."
            .into())
    );
    let ignored = params(&[JSON, ("ignore_json_size", "true")]).unwrap();
    assert!(check_json_size(&ignored, Some(u64::MAX), MAX_JSON_BODY_BYTES).is_ok());
    assert!(check_json_size(&params(&[]).unwrap(), Some(u64::MAX), MAX_JSON_BODY_BYTES).is_ok());
}

const DEBEZIUM: (&str, &str) = ("envelope", "Debezium");

/// `envelope: debezium`, as StarRocks' `DebeziumJsonDocumentStreamParser` reads events.
#[test]
fn debezium_events_load_their_after_image_and_delete_their_before_image() {
    let body = concat!(
        r#"{"op":"r","before":null,"after":{"id":1,"name":"a"},"source":{"lsn":1}}"#,
        "\n",
        r#"{"schema":{"type":"struct"},"payload":{"op":"u","before":{"id":1},"after":{"id":1,"name":"b","score":2}}}"#,
        "\n",
        r#"{"schema":null,"payload":null}"#,
        "\n",
        r#"{"op":"d","before":{"id":1,"name":"b"},"after":null}"#,
        "\n",
        r#"{"op":"c","after":{"id":2,"name":"c","__op":1}}"#,
    );
    let batch = parse(&orders(KeyModel::Primary), &[JSON, DEBEZIUM], body);
    assert_eq!(
        values(&batch),
        vec![
            vec![int(1), s("a"), None],
            vec![int(1), s("b"), int(2)],
            vec![int(1), s("b"), None],
            vec![int(2), s("c"), None],
        ]
    );
    // The event's op decides, not an `__op` key of its image.
    assert_eq!(deletes(&batch), vec![false, false, true, false]);
    assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
}

#[test]
fn debezium_events_that_name_no_row_are_filtered_with_the_bes_reasons() {
    let body = concat!(
        r#"{"id":1}"#,
        "\n",
        r#"{"op":1,"after":{"id":1}}"#,
        "\n",
        r#"{"op":"d","after":null}"#,
        "\n",
        r#"{"op":"d","before":null}"#,
        "\n",
        r#"{"op":"c"}"#,
        "\n",
        r#"{"op":"u","after":null}"#,
        "\n",
        r#"{"op":"t","before":null,"after":null}"#,
        "\n",
        r#"{"op":"c","after":[1]}"#,
    );
    let batch = parse(&orders(KeyModel::Primary), &[JSON, DEBEZIUM], body);
    assert!(batch.ops.is_empty());
    assert_eq!(
        reasons(&batch),
        vec![
            "Missing 'op' field in Debezium JSON message",
            "'op' field in Debezium JSON message is not a string",
            "Missing 'before' field in Debezium delete message",
            "'before' is null in Debezium delete message",
            "Missing 'after' field in Debezium message",
            "'after' is null in Debezium message",
            "Unknown Debezium op type: 't'",
            "The value should be object type in json document stream",
        ]
    );
    // Count-only mode counts the same rows and filters the same events.
    let params = params(&[JSON, DEBEZIUM]).unwrap();
    let schema = orders(KeyModel::Primary);
    let counted = super::count_body(&schema, &params, body.as_bytes()).unwrap();
    assert_eq!((counted.counted, counted.rejected.len()), (0, 8));
    let good = r#"{"op":"c","after":{"id":1}} {"payload":null} {"op":"d","before":{"id":1}}"#;
    let counted = super::count_body(&schema, &params, good.as_bytes()).unwrap();
    assert_eq!(counted.counted, 2);
}

#[test]
fn the_envelope_header_takes_debezium_or_none_and_only_plain_json() {
    assert!(params(&[JSON, ("envelope", "none")]).is_ok_and(|p| !p.debezium));
    assert!(params(&[JSON, ("envelope", "DEBEZIUM")]).is_ok_and(|p| p.debezium));
    assert_eq!(
        params(&[JSON, ("envelope", "canal")]).unwrap_err(),
        "Unknown envelope type: canal"
    );
    for headers in [
        &[JSON, DEBEZIUM, STRIP][..],
        &[JSON, DEBEZIUM, ("json_root", "$.data")][..],
        &[DEBEZIUM][..],
    ] {
        let e = params(headers).unwrap_err();
        assert!(
            e.starts_with("starrocks-emulator does not implement envelope: debezium"),
            "{e}"
        );
    }
}
