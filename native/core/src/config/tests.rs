//! Table-driven tests of configuration parsing: defaults, ranges, formats, and the reasons given.

use super::*;

/// The four required keys, for the unit tests of every module.
pub(crate) fn base() -> HashMap<String, String> {
    [
        (keys::HTTP_URL, "127.0.0.1:8030"),
        (keys::DATABASE, "example_db"),
        (keys::USERNAME, "root"),
        (keys::PASSWORD, "s3cret-Pa55"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut props = base();
    for (k, v) in pairs {
        props.insert((*k).to_owned(), (*v).to_owned());
    }
    props
}

fn parse_ok(pairs: &[(&str, &str)]) -> SinkConfig {
    SinkConfig::from_map(&with(pairs)).unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
}

fn parse_err(pairs: &[(&str, &str)]) -> Error {
    match SinkConfig::from_map(&with(pairs)) {
        Ok(cfg) => panic!("{pairs:?} was accepted: {cfg:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_seed_standalone_example_parses() {
    let cfg = parse_ok(&[
        ("name", "starrocks-kafka-connector"),
        (
            "connector.class",
            "com.starrocks.connector.kafka.StarRocksSinkConnector",
        ),
        ("topics", "test"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("key.converter.schemas.enable", "true"),
        ("value.converter.schemas.enable", "false"),
        (keys::HTTP_URL, "192.168.0.1:8030"),
        (keys::TOPIC_TO_TABLE, "test:test_tbl"),
        (keys::USERNAME, "user1"),
        (keys::PASSWORD, "123456"),
        (keys::DATABASE, "example_db"),
        (keys::STRIP_OUTER_ARRAY, "true"),
    ]);
    assert_eq!(cfg.http_urls, ["http://192.168.0.1:8030"]);
    assert_eq!(cfg.table_for_topic("test"), "test_tbl");
    assert_eq!(cfg.username, "user1");
    assert_eq!(cfg.password.expose(), "123456");
    assert!(cfg.strip_outer_array);
}

#[test]
fn every_optional_key_has_the_seed_default() {
    let cfg = parse_ok(&[]);
    assert_eq!(cfg.buffer_max_bytes, 94_371_840);
    assert_eq!(cfg.flush_interval, Duration::from_millis(1_000));
    assert_eq!(cfg.connect_timeout, Duration::from_millis(1_000));
    assert_eq!(cfg.max_retries, RetryLimit::AtMost(3));
    assert_eq!(cfg.retry_timeout, Duration::from_secs(900));
    assert_eq!(cfg.table_failure, TableFailure::Retry);
    assert_eq!(cfg.format, Format::Json);
    assert!(!cfg.strip_outer_array);
    assert_eq!(cfg.column_separator, b"\t");
    assert_eq!(cfg.row_delimiter, b"\n");
    assert_eq!(cfg.compression, None);
    assert!(!cfg.partial_update);
    assert_eq!(cfg.partial_update_mode, None);
    assert_eq!(cfg.temporal_rendering, TemporalRendering::String);
    assert_eq!(cfg.loads_in_flight, 2);
    assert!(cfg.topic_to_table.is_empty());
    assert_eq!(
        cfg.load_headers,
        BTreeMap::from([("format".to_owned(), "json".to_owned())])
    );
}

#[test]
fn numeric_keys_accept_their_bounds_and_reject_one_beyond() {
    let cases = [
        (keys::BUFFER_MAX_BYTES, BUFFER_MAX_BYTES_RANGE),
        (keys::BUFFER_INTERVAL_MS, BUFFER_INTERVAL_MS_RANGE),
        (keys::CONNECT_TIMEOUT_MS, CONNECT_TIMEOUT_MS_RANGE),
        (keys::MAX_RETRIES, MAX_RETRIES_RANGE),
        (keys::RETRY_TIMEOUT_MS, RETRY_TIMEOUT_MS_RANGE),
        (keys::LOADS_IN_FLIGHT, LOADS_IN_FLIGHT_RANGE),
    ];
    for (key, (min, max)) in cases {
        for ok in [min, max] {
            parse_ok(&[(key, &ok.to_string())]);
        }
        let mut beyond = vec![min - 1];
        if max < i64::MAX {
            beyond.push(max + 1);
        }
        for bad in beyond {
            let e = parse_err(&[(key, &bad.to_string())]);
            assert!(e.is_config(), "{e}");
            assert_eq!(e.key(), Some(key));
            assert!(e.to_string().contains(&bad.to_string()), "{e}");
        }
    }
}

#[test]
fn in_range_numbers_reach_the_config_trimmed() {
    let cfg = parse_ok(&[
        (keys::BUFFER_MAX_BYTES, " 10737418240 "),
        (keys::BUFFER_INTERVAL_MS, "3600000"),
        (keys::CONNECT_TIMEOUT_MS, "100"),
        (keys::MAX_RETRIES, "0"),
    ]);
    assert_eq!(cfg.buffer_max_bytes, 10 * 1024 * 1024 * 1024);
    assert_eq!(cfg.flush_interval, Duration::from_secs(3600));
    assert_eq!(cfg.connect_timeout, Duration::from_millis(100));
    assert_eq!(cfg.max_retries, RetryLimit::AtMost(0));
}

#[test]
fn a_failing_table_retries_or_fails_the_task() {
    assert_eq!(
        parse_ok(&[(keys::TABLE_FAILURE, " FAIL ")]).table_failure,
        TableFailure::Fail
    );
    assert_eq!(
        parse_ok(&[(keys::TABLE_FAILURE, "retry")]).table_failure,
        TableFailure::Retry
    );
    let e = parse_err(&[(keys::TABLE_FAILURE, "ignore")]);
    assert_eq!(e.key(), Some(keys::TABLE_FAILURE));
    assert!(e.to_string().contains("retry, fail"), "{e}");
}

#[test]
fn max_retries_of_minus_one_retries_forever() {
    let cfg = parse_ok(&[(keys::MAX_RETRIES, "-1")]);
    assert_eq!(cfg.max_retries, RetryLimit::Forever);
    assert!(cfg.max_retries.allows_retry(u64::MAX - 1));
    assert!(RetryLimit::AtMost(3).allows_retry(2));
    assert!(!RetryLimit::AtMost(3).allows_retry(3));
    assert!(!RetryLimit::AtMost(0).allows_retry(0));
}

#[test]
fn non_numbers_are_rejected_naming_the_key() {
    for key in [
        keys::BUFFER_MAX_BYTES,
        keys::BUFFER_INTERVAL_MS,
        keys::CONNECT_TIMEOUT_MS,
        keys::MAX_RETRIES,
    ] {
        for bad in ["", "abc", "1.5", "90M", "99999999999999999999"] {
            let e = parse_err(&[(key, bad)]);
            assert_eq!(e.key(), Some(key), "{key}={bad}");
            assert!(e.to_string().contains(key), "{e}");
        }
    }
}

#[test]
fn urls_are_normalised_to_base_urls_with_a_scheme() {
    let cases: &[(&str, &[&str])] = &[
        ("fe:8030", &["http://fe:8030"]),
        ("192.168.1.2:8030", &["http://192.168.1.2:8030"]),
        (" a:1 , b:2 ", &["http://a:1", "http://b:2"]),
        ("http://fe:8030", &["http://fe:8030"]),
        (
            "HTTPS://fe.example.com:8443/",
            &["https://fe.example.com:8443"],
        ),
        ("https://fe.example.com", &["https://fe.example.com"]),
        ("fe_1.internal:65535", &["http://fe_1.internal:65535"]),
        ("fe:08030", &["http://fe:8030"]),
        ("[::1]:8030", &["http://[::1]:8030"]),
        ("http://[fe80::1]", &["http://[fe80::1]"]),
        (
            "fe1:8030,https://fe2:8443",
            &["http://fe1:8030", "https://fe2:8443"],
        ),
    ];
    for (raw, expected) in cases {
        let cfg = parse_ok(&[(keys::HTTP_URL, raw)]);
        assert_eq!(&cfg.http_urls, expected, "{raw}");
    }
}

#[test]
fn malformed_urls_are_rejected_naming_the_key() {
    let cases = [
        "",
        "   ",
        "fe",
        "fe:",
        ":8030",
        "fe:0",
        "fe:65536",
        "fe:80a",
        "fe:+80",
        "fe:-1",
        "fe:8030,",
        ",fe:8030",
        "fe:8030,,fe2:8030",
        "ftp://fe:21",
        "http://",
        "http://fe:8030/api",
        "http://user:pw@fe:8030",
        "fe host:8030",
        "::1:8030",
        "[::1",
        "[]:8030",
        "[::1]8030",
        "http://fe:8030?x=1",
    ];
    for raw in cases {
        let e = parse_err(&[(keys::HTTP_URL, raw)]);
        assert_eq!(e.key(), Some(keys::HTTP_URL), "{raw:?}: {e}");
    }
}

#[test]
fn topic2table_routes_listed_topics_and_defaults_to_the_topic() {
    let cfg = parse_ok(&[(keys::TOPIC_TO_TABLE, " a:b , c.d-e:f_g ,")]);
    assert_eq!(cfg.table_for_topic("a"), "b");
    assert_eq!(cfg.table_for_topic("c.d-e"), "f_g");
    assert_eq!(cfg.table_for_topic("other"), "other");
    assert_eq!(cfg.topic_to_table.len(), 2);
    assert!(parse_ok(&[(keys::TOPIC_TO_TABLE, "")])
        .topic_to_table
        .is_empty());
}

#[test]
fn malformed_topic2table_entries_are_rejected() {
    let cases = [
        ("a:b,a:c", "more than once"),
        ("a", "exactly one ':'"),
        ("a:b:c", "exactly one ':'"),
        ("a:", "both a topic and a table"),
        (":b", "both a topic and a table"),
        ("a:b,,c:d", "empty entry"),
        ("a b:c", "not a Kafka topic name"),
        ("a:my table", "whitespace"),
        ("a:x/y", "whitespace or one of"),
    ];
    for (raw, reason) in cases {
        let e = parse_err(&[(keys::TOPIC_TO_TABLE, raw)]);
        assert_eq!(e.key(), Some(keys::TOPIC_TO_TABLE), "{raw}");
        assert!(e.to_string().contains(reason), "{raw}: {e}");
    }
}

#[test]
fn debug_output_never_contains_the_password() {
    let cfg = parse_ok(&[(keys::PASSWORD, "s3cret-Pa55")]);
    for rendered in [format!("{cfg:?}"), format!("{cfg:#?}")] {
        assert!(!rendered.contains("s3cret-Pa55"), "{rendered}");
        assert!(rendered.contains("[hidden]"), "{rendered}");
    }
    assert_eq!(cfg.password.to_string(), "[hidden]");
}

#[test]
fn an_empty_password_is_allowed_but_a_missing_one_is_not() {
    assert_eq!(parse_ok(&[(keys::PASSWORD, "")]).password.expose(), "");
    let mut props = base();
    props.remove(keys::PASSWORD);
    let e = SinkConfig::from_map(&props).unwrap_err();
    assert_eq!(e.key(), Some(keys::PASSWORD));
}

#[test]
fn validate_reports_every_missing_required_key_at_once() {
    let props = HashMap::from([("name".to_owned(), "sr".to_owned())]);
    let keys: Vec<String> = SinkConfig::validate(&props)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            keys::HTTP_URL,
            keys::DATABASE,
            keys::USERNAME,
            keys::PASSWORD
        ]
    );
}

#[test]
fn validate_reports_every_bad_key_with_its_reason() {
    let props = with(&[
        (keys::HTTP_URL, "nope"),
        (keys::DATABASE, " "),
        (keys::BUFFER_INTERVAL_MS, "999"),
        (keys::FORMAT, "xml"),
        (keys::COMPRESSION, "gzip"),
    ]);
    let problems = SinkConfig::validate(&props);
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            keys::HTTP_URL,
            keys::DATABASE,
            keys::BUFFER_INTERVAL_MS,
            keys::FORMAT,
            keys::COMPRESSION
        ]
    );
    assert!(problems[3].1.contains("json, csv"), "{problems:?}");
    assert!(SinkConfig::validate(&base()).is_empty());
}

#[test]
fn from_map_reports_the_first_problem_with_its_key_in_the_message() {
    let mut props = base();
    props.remove(keys::USERNAME);
    let e = SinkConfig::from_map(&props).unwrap_err();
    assert!(e.is_config());
    assert_eq!(
        e.to_string(),
        "Invalid value for configuration 'starrocks.username': a value is required and there is no default"
    );
}

#[test]
fn format_is_case_insensitive_and_always_sent() {
    let cfg = parse_ok(&[(keys::FORMAT, " CSV ")]);
    assert_eq!(cfg.format, Format::Csv);
    assert_eq!(cfg.load_headers["format"], "csv");
    assert_eq!(parse_ok(&[(keys::FORMAT, "Json")]).format, Format::Json);
}

#[test]
fn sink_properties_become_lower_cased_headers() {
    let cfg = parse_ok(&[
        ("sink.properties.Max_Filter_Ratio", "0.1"),
        ("sink.properties.columns", "id, name, __op = tmp"),
        ("sink.properties.timeout", " 600 "),
        (keys::STRIP_OUTER_ARRAY, "TRUE"),
    ]);
    assert_eq!(cfg.load_headers["max_filter_ratio"], "0.1");
    assert_eq!(cfg.load_headers["columns"], "id, name, __op = tmp");
    assert_eq!(cfg.load_headers["timeout"], "600");
    assert_eq!(cfg.load_headers["strip_outer_array"], "TRUE");
    assert!(cfg.strip_outer_array);
}

#[test]
fn typed_sink_properties_match_regardless_of_case() {
    let cfg = parse_ok(&[
        ("sink.properties.Strip_Outer_Array", "true"),
        ("sink.properties.FORMAT", "csv"),
    ]);
    assert!(cfg.strip_outer_array);
    assert_eq!(cfg.format, Format::Csv);
    assert_eq!(cfg.load_headers["format"], "csv");
    assert_eq!(cfg.load_headers["strip_outer_array"], "true");
}

#[test]
fn unsendable_or_conflicting_sink_properties_are_rejected() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("sink.properties.", "x")], "sink.properties."),
        (&[("sink.properties.a b", "x")], "sink.properties.a b"),
        (
            &[("sink.properties.columns", "a\r\nb")],
            "sink.properties.columns",
        ),
        (&[(keys::LABEL, "mine")], keys::LABEL),
        (
            &[
                ("sink.properties.Timeout", "1"),
                ("sink.properties.timeout", "2"),
            ],
            "sink.properties.timeout",
        ),
    ];
    for (pairs, key) in cases {
        let e = parse_err(pairs);
        assert_eq!(e.key(), Some(*key), "{pairs:?}: {e}");
    }
}

#[test]
fn separators_decode_the_hex_form_into_bytes() {
    let cases: &[(&str, &[u8])] = &[
        ("\\x01", b"\x01"),
        ("\\X0d0A", b"\r\n"),
        ("|", b"|"),
        (" ", b" "),
        ("||", b"||"),
        ("", b"\t"),
    ];
    for (raw, expected) in cases {
        let cfg = parse_ok(&[(keys::COLUMN_SEPARATOR, raw), (keys::ROW_DELIMITER, raw)]);
        let default_row: &[u8] = if raw.is_empty() { b"\n" } else { expected };
        assert_eq!(cfg.column_separator, *expected, "{raw:?}");
        assert_eq!(cfg.row_delimiter, default_row, "{raw:?}");
    }
}

#[test]
fn separators_that_are_not_visible_ascii_are_sent_in_hex() {
    let cfg = parse_ok(&[
        (keys::COLUMN_SEPARATOR, "\t"),
        (keys::ROW_DELIMITER, "\n"),
        ("sink.properties.format", "csv"),
    ]);
    assert_eq!(cfg.load_headers["column_separator"], "\\x09");
    assert_eq!(cfg.load_headers["row_delimiter"], "\\x0A");
    let cfg = parse_ok(&[
        (keys::COLUMN_SEPARATOR, "\\x01"),
        (keys::ROW_DELIMITER, "|"),
    ]);
    assert_eq!(cfg.load_headers["column_separator"], "\\x01");
    assert_eq!(cfg.load_headers["row_delimiter"], "|");
}

#[test]
fn malformed_separators_are_rejected() {
    let too_long = "x".repeat(51);
    for raw in ["\\x", "\\x1", "\\xZZ", "\\x0g", too_long.as_str()] {
        let e = parse_err(&[(keys::ROW_DELIMITER, raw)]);
        assert_eq!(e.key(), Some(keys::ROW_DELIMITER), "{raw}");
    }
    parse_ok(&[(keys::ROW_DELIMITER, &"x".repeat(50))]);
}

#[test]
fn only_lz4_frame_compression_is_accepted() {
    let cfg = parse_ok(&[(keys::COMPRESSION, "LZ4_FRAME")]);
    assert_eq!(cfg.compression, Some(Compression::Lz4Frame));
    assert_eq!(cfg.load_headers["compression"], "lz4_frame");
    for bad in ["gzip", "lz4", "zstd", ""] {
        let e = parse_err(&[(keys::COMPRESSION, bad)]);
        assert_eq!(e.key(), Some(keys::COMPRESSION), "{bad}");
        assert!(e.to_string().contains("lz4_frame"), "{e}");
    }
}

#[test]
fn partial_update_settings_are_validated() {
    let cfg = parse_ok(&[
        (keys::PARTIAL_UPDATE, "True"),
        (keys::PARTIAL_UPDATE_MODE, "COLUMN"),
    ]);
    assert!(cfg.partial_update);
    assert_eq!(cfg.partial_update_mode, Some(PartialUpdateMode::Column));
    assert_eq!(
        parse_ok(&[(keys::PARTIAL_UPDATE_MODE, "row")]).partial_update_mode,
        Some(PartialUpdateMode::Row)
    );
    for (key, bad) in [
        (keys::PARTIAL_UPDATE, "yes"),
        (keys::PARTIAL_UPDATE_MODE, "cell"),
        (keys::STRIP_OUTER_ARRAY, "1"),
    ] {
        assert_eq!(parse_err(&[(key, bad)]).key(), Some(key), "{key}={bad}");
    }
}

#[test]
fn temporal_rendering_defaults_to_string_and_accepts_numeric() {
    let cfg = parse_ok(&[(keys::TEMPORAL_RENDERING, "Numeric")]);
    assert_eq!(cfg.temporal_rendering, TemporalRendering::Numeric);
    let e = parse_err(&[(keys::TEMPORAL_RENDERING, "epoch")]);
    assert_eq!(e.key(), Some(keys::TEMPORAL_RENDERING));
}

#[test]
fn framework_and_unknown_keys_are_ignored() {
    let cfg = parse_ok(&[
        ("tasks.max", "4"),
        ("topics.regex", "cdc\\..*"),
        ("transforms", "addfield,unwrap"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("errors.tolerance", "all"),
        ("consumer.override.max.poll.records", "500"),
        ("header.converter", "x"),
        ("config.action.reload", "restart"),
        ("predicates", "p"),
        ("some.future.key", "whatever"),
    ]);
    assert_eq!(cfg, parse_ok(&[]));
}

#[test]
fn database_names_that_cannot_go_into_a_url_are_rejected() {
    for bad in ["my db", "a/b", "x?y"] {
        assert_eq!(
            parse_err(&[(keys::DATABASE, bad)]).key(),
            Some(keys::DATABASE),
            "{bad}"
        );
    }
}

#[test]
fn every_declared_default_is_what_an_absent_key_gives_and_every_choice_parses() {
    let absent = parse_ok(&[]);
    let with_defaults: Vec<(&str, String)> = declared()
        .iter()
        .map(|d| (d.key, d.default.clone()))
        .collect();
    let pairs: Vec<(&str, &str)> = with_defaults
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let explicit = parse_ok(&pairs);
    // The defaults written out change nothing but the headers they add.
    assert_eq!(explicit.buffer_max_bytes, absent.buffer_max_bytes);
    assert_eq!(explicit.flush_interval, absent.flush_interval);
    assert_eq!(explicit.connect_timeout, absent.connect_timeout);
    assert_eq!(explicit.max_retries, absent.max_retries);
    assert_eq!(explicit.retry_timeout, absent.retry_timeout);
    assert_eq!(explicit.table_failure, absent.table_failure);
    assert_eq!(explicit.format, absent.format);
    assert_eq!(explicit.strip_outer_array, absent.strip_outer_array);
    assert_eq!(explicit.partial_update, absent.partial_update);
    assert_eq!(explicit.temporal_rendering, absent.temporal_rendering);
    for d in declared() {
        match d.valid {
            Valid::Range(min, max) => {
                parse_ok(&[(d.key, &min.to_string())]);
                parse_ok(&[(d.key, &max.to_string())]);
            }
            Valid::OneOf(options) => {
                for option in options {
                    parse_ok(&[(d.key, option)]);
                }
                assert!(parse_err(&[(d.key, "no-such-value")]).is_config());
            }
            Valid::NonEmpty => {
                parse_ok(&[(d.key, "some_name")]);
                assert!(parse_err(&[(d.key, "two words")]).is_config());
            }
        }
    }
    assert_eq!(explicit.semantic, absent.semantic);
    assert_eq!(explicit.progress_table, absent.progress_table);
}

#[test]
fn the_query_url_defaults_to_the_fes_on_port_9030_and_takes_jdbc_urls() {
    let absent = parse_ok(&[("starrocks.http.url", "fe1:8030,fe2:8030,fe1:8031")]);
    assert_eq!(absent.query_addrs, vec!["fe1:9030", "fe2:9030"]);
    let jdbc = parse_ok(&[("starrocks.query.url", "jdbc:mysql://fe1:9031,fe2")]);
    assert_eq!(jdbc.query_addrs, vec!["fe1:9031", "fe2:9030"]);
    for bad in [
        "http://fe1:9030",
        "fe1:0",
        "fe1:x",
        "fe1:9030,,fe2:9030",
        "fe1:9030/db",
    ] {
        let e = parse_err(&[("starrocks.query.url", bad)]);
        assert!(e.to_string().contains("starrocks.query.url"), "{bad}: {e}");
    }
}

#[test]
fn exactly_once_is_chosen_by_sink_semantic() {
    use crate::config::Semantic;
    assert_eq!(parse_ok(&[]).semantic, Semantic::AtLeastOnce);
    let eo = parse_ok(&[
        ("sink.semantic", "EXACTLY-ONCE"),
        ("sink.progress.table", "p1"),
    ]);
    assert_eq!(eo.semantic, Semantic::ExactlyOnce);
    assert_eq!(eo.progress_table, "p1");
    assert_eq!(parse_ok(&[]).progress_table, "kafka_connect_progress");
    assert!(parse_err(&[("sink.semantic", "exactly_once")]).is_config());
}

#[test]
fn tables_follow_the_source_only_when_asked_and_with_json_rows() {
    let cfg = parse_ok(&[]);
    assert!(!cfg.table_create && !cfg.table_evolve);
    assert!(cfg.table_properties.is_empty());
    let cfg = parse_ok(&[
        (keys::TABLE_CREATE, "TRUE"),
        (keys::TABLE_EVOLVE, "true"),
        (
            keys::TABLE_CREATE_PROPERTIES,
            " replication_num = 1 ,, compression=LZ4 ",
        ),
    ]);
    assert!(cfg.table_create && cfg.table_evolve);
    assert_eq!(
        cfg.table_properties,
        [
            ("replication_num".to_owned(), "1".to_owned()),
            ("compression".to_owned(), "LZ4".to_owned())
        ]
    );
    for key in [keys::TABLE_CREATE, keys::TABLE_EVOLVE] {
        let e = parse_err(&[(key, "true"), ("sink.properties.format", "csv")]);
        assert_eq!(e.key(), Some(key));
        assert_eq!(parse_err(&[(key, "yes")]).key(), Some(key));
    }
    for bad in ["replication_num", "a b=1", "x=\"1\"", "x=1\\"] {
        let e = parse_err(&[(keys::TABLE_CREATE_PROPERTIES, bad)]);
        assert_eq!(e.key(), Some(keys::TABLE_CREATE_PROPERTIES), "{bad}");
    }
}

#[test]
fn under_the_debezium_envelope_a_column_list_or_jsonpaths_must_load_op() {
    let envelope = (keys::ENVELOPE, "debezium");
    for (key, value) in [
        (
            "sink.properties.columns",
            "id,name,raw_b64,raw=from_base64(raw_b64)",
        ),
        (
            "sink.properties.columns",
            "id, name, op_x = concat('__op', name)",
        ),
        ("sink.properties.jsonpaths", r#"["$.id","$.name"]"#),
        ("sink.properties.jsonpaths", "not json"),
    ] {
        let e = parse_err(&[envelope, (key, value)]);
        assert_eq!(e.key(), Some(key), "{value}");
        assert!(e.to_string().contains("upsert"), "{e}");
    }
    for (key, value) in [
        ("sink.properties.columns", "id,name,__op"),
        (
            "sink.properties.columns",
            "id, raw = from_base64(raw_b64), `__OP`",
        ),
        (
            "sink.properties.columns",
            "id, x = concat(a, b), __op = temp",
        ),
        ("sink.properties.jsonpaths", r#"["$.id","$.__op"]"#),
    ] {
        parse_ok(&[envelope, (key, value)]);
    }
    // Named as written.
    let e = parse_err(&[envelope, ("sink.properties.Columns", "id,name")]);
    assert_eq!(e.key(), Some("sink.properties.Columns"));
    // Without the envelope the list is the user's.
    parse_ok(&[("sink.properties.columns", "id,name")]);
}
