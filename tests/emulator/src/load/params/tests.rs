use super::*;
use crate::catalog::Column;
use crate::load::tests::{params, Headers};

#[test]
fn defaults_match_the_be() {
    let p = params(&[]).unwrap();
    assert_eq!(p.format, Format::Csv);
    assert_eq!(p.format_compression, None);
    assert_eq!(p.column_separator, b"\t");
    assert_eq!(p.row_delimiter, b"\n");
    assert_eq!(p.max_filter_ratio, 0.0);
    assert!(!p.strict_mode && !p.partial_update && !p.strip_outer_array && !p.ignore_json_size);
    assert_eq!(p.timeout_secs, 600);
    assert_eq!(p.compression, None);
}

#[test]
fn validates_header_values_with_starrocks_messages() {
    // (header, value, Ok or the exact error)
    let cases: &[(&str, &str, Result<(), &str>)] = &[
        ("format", "JSON", Ok(())),
        ("format", "Csv", Ok(())),
        ("format", "gzip", Ok(())),
        ("format", "lz4", Ok(())),
        ("format", "parquet", Err("unknown data format, format=parquet")),
        (
            "format",
            "zstd",
            Err("starrocks-emulator does not implement the Stream Load format 'zstd' (compressed CSV)"),
        ),
        ("strict_mode", "TRUE", Ok(())),
        ("strict_mode", "false", Ok(())),
        ("strict_mode", "yes", Err("Invalid strict mode format. Must be bool type")),
        ("partial_update", "true", Ok(())),
        ("partial_update", "1", Err("Invalid partial update flag format. Must be bool type")),
        ("timeout", "30", Ok(())),
        ("timeout", "259200", Ok(())),
        ("timeout", "abc", Err("Invalid timeout format")),
        ("timeout", "1.5", Err("Invalid timeout format")),
        ("timeout", "-5", Err("Invalid timeout format")),
        (
            "timeout",
            "0",
            Err("Invalid timeout: 0. Timeout should be between 1 and 259200 seconds"),
        ),
        (
            "timeout",
            "259201",
            Err("Invalid timeout: 259201. Timeout should be between 1 and 259200 seconds"),
        ),
        ("max_filter_ratio", "0.2", Ok(())),
        ("max_filter_ratio", "1", Ok(())),
        (
            "max_filter_ratio",
            "1.5",
            Err("Invalid max_filter_ratio: 1.5. It must be a number between 0 and 1"),
        ),
        (
            "max_filter_ratio",
            "lots",
            Err("Invalid max_filter_ratio: lots. It must be a number between 0 and 1"),
        ),
        ("compression", "LZ4_FRAME", Ok(())),
        ("compression", "gzip", Ok(())),
        (
            "compression",
            "zstd",
            Err("starrocks-emulator does not implement the Stream Load compression 'zstd'"),
        ),
        ("compression", "snappy", Err("Unsupported compression type: snappy")),
        ("content-encoding", "gzip", Ok(())),
        ("column_separator", ",", Ok(())),
        ("column_separator", "\\x", Err("Invalid delimiter '\\x': empty hex string")),
        (
            "column_separator",
            "\\x0",
            Err("Invalid delimiter '\\x0': hex length must be a even number"),
        ),
        (
            "column_separator",
            "\\xZZ",
            Err("Invalid delimiter '\\xZZ': invalid hex format"),
        ),
        ("load_mem_limit", "1024", Ok(())),
        ("load_mem_limit", "lots", Err("Invalid load mem limit format")),
        ("load_mem_limit", "-1", Err("load_mem_limit must be equal or greater than 0")),
        ("exec_mem_limit", "0", Err("exec_mem_limit must be greater than 0")),
        ("log_rejected_record_num", "-1", Ok(())),
        (
            "log_rejected_record_num",
            "-2",
            Err("log_rejected_record_num must be equal or greater than -1"),
        ),
        ("load_dop", "x", Err("Invalid load_dop format")),
        ("timezone", "Asia/Shanghai", Ok(())),
        ("warehouse", "default_warehouse", Ok(())),
        ("columns", "id, name, __op = 'delete'", Ok(())),
        ("jsonpaths", "[\"$.id\", \"$.name\"]", Ok(())),
        ("json_root", "$.data", Ok(())),
        ("json_root", "data", Err("Invalid json path: data")),
        ("skip_header", "0", Ok(())),
        ("trim_space", "false", Ok(())),
        ("negative", "false", Ok(())),
        ("enable_merge_commit", "false", Ok(())),
    ];
    for (name, value, expected) in cases {
        let got = params(&[(name, value)]).map(|_| ());
        assert_eq!(got, expected.map_err(str::to_string), "{name}: {value}");
    }
}

#[test]
fn refuses_every_unimplemented_header() {
    for name in UNIMPLEMENTED_HEADERS {
        let value = match *name {
            "negative" | "trim_space" | "enable_merge_commit" => "true",
            "skip_header" => "1",
            _ => "x",
        };
        assert_eq!(
            params(&[(name, value)]),
            Err(format!(
                "starrocks-emulator does not implement the Stream Load header '{name}'"
            )),
            "{name}"
        );
    }
}

#[test]
fn refuses_both_compression_headers_at_once() {
    assert_eq!(
        params(&[("compression", "gzip"), ("content-encoding", "gzip")]),
        Err("Only one of http header content-encoding and compression can be set".into())
    );
}

#[test]
fn reads_flags_and_names() {
    let p = params(&[
        ("format", "json"),
        ("strip_outer_array", "TRUE"),
        ("ignore_json_size", "true"),
        ("strict_mode", "true"),
        ("partial_update", "TRUE"),
        ("partial_update_mode", "column"),
        ("merge_condition", "version"),
        ("timeout", "60"),
        ("compression", "lz4_frame"),
        ("max_filter_ratio", "0.25"),
    ])
    .unwrap();
    assert_eq!(p.format, Format::Json);
    assert!(p.strip_outer_array && p.ignore_json_size && p.strict_mode && p.partial_update);
    assert_eq!(p.partial_update_mode.as_deref(), Some("column"));
    assert_eq!(p.merge_condition.as_deref(), Some("version"));
    assert_eq!(p.timeout_secs, 60);
    assert_eq!(p.compression, Some(Compression::Lz4Frame));
    assert_eq!(p.max_filter_ratio, 0.25);
    // Anything but "true" turns strip_outer_array off; unknown modes are ignored.
    let q = params(&[("strip_outer_array", "yes"), ("partial_update_mode", "ROW")]).unwrap();
    assert!(!q.strip_outer_array);
    assert_eq!(q.partial_update_mode, None);
    // Empty values count as absent.
    assert_eq!(params(&[("timeout", "")]).unwrap().timeout_secs, 600);
}

#[test]
fn parses_hex_and_literal_separators() {
    let cases: &[(&str, &[u8])] = &[
        ("\\x01", &[0x01]),
        ("\\\\x0D0A", b"\r\n"),
        ("\\X7c", b"|"),
        ("||", b"||"),
        (",", b","),
    ];
    for (header, bytes) in cases {
        let p = params(&[("column_separator", header), ("row_delimiter", header)]).unwrap();
        assert_eq!(p.column_separator, *bytes, "{header}");
        assert_eq!(p.row_delimiter, *bytes, "{header}");
    }
    let long = "x".repeat(51);
    assert_eq!(
        params(&[("row_delimiter", &long)]),
        Err("The valid bytes length for 'row_delimiter' is [1, 50]".into())
    );
}

fn schema(model: KeyModel) -> TableSchema {
    let col = |name: &str, ty: ColumnType| Column {
        name: name.into(),
        ty,
        nullable: true,
        default: None,
        comment: String::new(),
    };
    TableSchema {
        name: "orders".into(),
        columns: vec![
            col("id", ColumnType::BigInt),
            col("note", ColumnType::Varchar(10)),
            col("version", ColumnType::Int),
        ],
        model,
        key: vec![0],
        version: 0,
    }
}

#[test]
fn apply_mode_carries_partial_update_and_the_merge_column() {
    let p = params(&[("partial_update", "true"), ("merge_condition", "VERSION")]).unwrap();
    assert_eq!(
        p.apply_mode(&schema(KeyModel::Primary)),
        Ok(ApplyMode {
            partial_update: true,
            merge_condition: Some(2),
            schema_version: 0,
        })
    );
    assert_eq!(
        params(&[])
            .unwrap()
            .apply_mode(&schema(KeyModel::Duplicate)),
        Ok(ApplyMode::default())
    );
}

#[test]
fn apply_mode_refuses_what_the_fe_refuses() {
    let cases: &[(Headers<'_>, KeyModel, &str)] = &[
        (
            &[("partial_update", "true")],
            KeyModel::Duplicate,
            "Only primary key table support partial update",
        ),
        (
            &[("merge_condition", "version")],
            KeyModel::Duplicate,
            "Conditional update only support primary key table orders",
        ),
        (
            &[("merge_condition", "nope")],
            KeyModel::Primary,
            "Merge condition column nope should be a column of the table orders",
        ),
        (
            &[("merge_condition", "id")],
            KeyModel::Primary,
            "Merge condition column id should not be primary key!",
        ),
        (
            &[("merge_condition", "note")],
            KeyModel::Primary,
            "Merge condition column has invalid type maybe bitmap/hll/percentile/json/varchar!",
        ),
    ];
    for (headers, model, message) in cases {
        let p = params(headers).unwrap();
        assert_eq!(
            p.apply_mode(&schema(*model)),
            Err(message.to_string()),
            "{headers:?}"
        );
    }
}
