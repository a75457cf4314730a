use super::*;
use crate::types::ColumnType;

fn ok(sql: &str) -> Statement {
    parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn err(sql: &str) -> ParseError {
    match parse(sql) {
        Ok(stmt) => panic!("{sql} parsed as {stmt:?}"),
        Err(e) => e,
    }
}

fn table(db: Option<&str>, name: &str) -> TableRef {
    TableRef {
        database: db.map(String::from),
        name: name.into(),
    }
}

const SEED_CUSTOMERS: &str = r#"CREATE TABLE `customers` (
  `id` int(11) COMMENT "",
  `first_name` varchar(65533) NULL COMMENT "",
  `last_name` varchar(65533) NULL COMMENT "",
  `email` varchar(65533) NULL COMMENT ""
) ENGINE=OLAP 
PRIMARY KEY(`id`) 
DISTRIBUTED BY hash(id) buckets 1
PROPERTIES (
"bucket_size" = "4294967296",
"in_memory" = "false",
"enable_persistent_index" = "true",
"replicated_storage" = "true",
"fast_schema_evolution" = "true"
);"#;

#[test]
fn parses_the_seed_test_tbl_ddl_verbatim() {
    let Statement::CreateTable(ct) = ok("CREATE TABLE test_tbl (id INT, city STRING);") else {
        panic!("not a CREATE TABLE");
    };
    assert_eq!(ct.table, table(None, "test_tbl"));
    assert_eq!(ct.key, None);
    let cols: Vec<_> = ct
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty.clone()))
        .collect();
    assert_eq!(
        cols,
        vec![("id", ColumnType::Int), ("city", ColumnType::String)]
    );
}

#[test]
fn parses_the_seed_customers_ddl_verbatim() {
    let Statement::CreateTable(ct) = ok(SEED_CUSTOMERS) else {
        panic!("not a CREATE TABLE");
    };
    assert_eq!(ct.table, table(None, "customers"));
    assert_eq!(
        ct.key,
        Some(KeyClause {
            kind: KeyKind::Primary,
            columns: vec!["id".into()]
        })
    );
    assert_eq!(
        ct.distribution,
        Some(Distribution::Hash {
            columns: vec!["id".into()],
            buckets: Some(1)
        })
    );
    assert_eq!(ct.properties.len(), 5);
    assert_eq!(
        ct.properties[0],
        ("bucket_size".into(), "4294967296".into())
    );
    assert_eq!(ct.columns[0].ty, ColumnType::Int);
    assert_eq!(ct.columns[0].nullable, None);
    assert_eq!(ct.columns[0].comment.as_deref(), Some(""));
    assert_eq!(ct.columns[1].ty, ColumnType::Varchar(65533));
    assert_eq!(ct.columns[1].nullable, Some(true));
}

#[test]
fn parses_the_seed_database_statements() {
    assert_eq!(
        ok("CREATE DATABASE example_db;"),
        Statement::CreateDatabase {
            name: "example_db".into(),
            if_not_exists: false
        }
    );
    assert_eq!(
        ok("USE example_db;"),
        Statement::Use {
            database: "example_db".into()
        }
    );
    assert_eq!(
        ok("create database if not exists `d`"),
        Statement::CreateDatabase {
            name: "d".into(),
            if_not_exists: true
        }
    );
    assert_eq!(
        ok("DROP DATABASE IF EXISTS d FORCE"),
        Statement::DropDatabase {
            name: "d".into(),
            if_exists: true
        }
    );
}

#[test]
fn parses_column_options_defaults_and_duplicate_keys() {
    let sql = "create table if not exists db1.t (k BIGINT NOT NULL, v DECIMAL(10, 2) DEFAULT \"1.5\", \
               d DATE DEFAULT '2024-01-01' COMMENT 'day', INDEX i (v) USING BITMAP) \
               DUPLICATE KEY(k) COMMENT 'tbl' PARTITION BY date_trunc('day', d) \
               DISTRIBUTED BY RANDOM BUCKETS 3 ORDER BY (k) PROPERTIES (\"replication_num\" = \"1\")";
    let Statement::CreateTable(ct) = ok(sql) else {
        panic!("not a CREATE TABLE");
    };
    assert!(ct.if_not_exists);
    assert_eq!(ct.table, table(Some("db1"), "t"));
    assert_eq!(ct.columns.len(), 3);
    assert_eq!(ct.columns[0].nullable, Some(false));
    assert_eq!(ct.columns[1].default, Some(Literal::Str("1.5".into())));
    assert_eq!(ct.columns[2].comment.as_deref(), Some("day"));
    assert_eq!(ct.key.map(|k| k.kind), Some(KeyKind::Duplicate));
    assert_eq!(ct.comment.as_deref(), Some("tbl"));
    assert_eq!(
        ct.distribution,
        Some(Distribution::Random { buckets: Some(3) })
    );
}

#[test]
fn refuses_table_models_the_emulator_does_not_have() {
    for sql in [
        "CREATE TABLE t (k INT, v INT) UNIQUE KEY(k)",
        "CREATE TABLE t (k INT, v INT) AGGREGATE KEY(k)",
        "CREATE TABLE t (k INT, v INT SUM) AGGREGATE KEY(k)",
        "CREATE TABLE t (k DATE) PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN ('2024-01-01'))",
        "CREATE TABLE t (k INT) ENGINE=mysql",
        "CREATE TABLE t (k ARRAY<INT>)",
    ] {
        let e = err(sql);
        assert_eq!(e.kind, ParseErrorKind::Unsupported, "{sql}: {e}");
        assert!(e.message.contains("not supported by the emulator"), "{sql}: {e}");
    }
}

#[test]
fn parses_selects_with_where_order_and_limit() {
    let Statement::Select(sel) = ok(
        "select id, city AS c from example_db.test_tbl where id >= 2 and city = 'Chicago' \
         order by id desc, city limit 1, 5",
    ) else {
        panic!("not a SELECT");
    };
    assert_eq!(sel.from, table(Some("example_db"), "test_tbl"));
    assert_eq!(
        sel.items,
        vec![
            SelectItem::Column {
                name: "id".into(),
                label: "id".into()
            },
            SelectItem::Column {
                name: "city".into(),
                label: "c".into()
            },
        ]
    );
    assert_eq!(
        sel.filter,
        vec![
            Condition::Compare {
                column: "id".into(),
                op: CmpOp::Ge,
                value: Literal::Number("2".into())
            },
            Condition::Compare {
                column: "city".into(),
                op: CmpOp::Eq,
                value: Literal::Str("Chicago".into())
            },
        ]
    );
    assert_eq!(
        sel.order_by,
        vec![
            OrderItem {
                column: "id".into(),
                descending: true
            },
            OrderItem {
                column: "city".into(),
                descending: false
            },
        ]
    );
    assert_eq!((sel.offset, sel.limit), (1, Some(5)));
}

#[test]
fn parses_count_star_and_star() {
    let Statement::Select(sel) = ok("SELECT COUNT(*) FROM t WHERE v IS NOT NULL") else {
        panic!("not a SELECT");
    };
    assert_eq!(
        sel.items,
        vec![SelectItem::CountStar {
            label: "COUNT(*)".into()
        }]
    );
    assert_eq!(
        sel.filter,
        vec![Condition::IsNull {
            column: "v".into(),
            negated: true
        }]
    );
    let Statement::Select(sel) = ok("select * from test_tbl") else {
        panic!("not a SELECT");
    };
    assert_eq!(sel.items, vec![SelectItem::Star]);
}

#[test]
fn parses_the_probes_mysql_clients_send_on_connect() {
    assert_eq!(
        ok("select @@version_comment limit 1"),
        Statement::SelectValues(vec![SelectItem::Variable {
            name: "version_comment".into(),
            label: "@@version_comment".into()
        }])
    );
    assert_eq!(
        ok("/* mysql-connector-java-8.0 */SELECT @@session.auto_increment_increment AS auto_increment_increment, DATABASE(), 1"),
        Statement::SelectValues(vec![
            SelectItem::Variable {
                name: "auto_increment_increment".into(),
                label: "auto_increment_increment".into()
            },
            SelectItem::Function {
                name: "database".into(),
                label: "DATABASE()".into()
            },
            SelectItem::Literal {
                value: Literal::Number("1".into()),
                label: "1".into()
            },
        ])
    );
    assert_eq!(ok("SET NAMES utf8mb4"), Statement::Set);
    assert_eq!(ok("set autocommit = 1;"), Statement::Set);
}

#[test]
fn parses_show_and_describe() {
    assert_eq!(ok("SHOW DATABASES"), Statement::ShowDatabases);
    assert_eq!(ok("show tables"), Statement::ShowTables { database: None });
    assert_eq!(
        ok("SHOW FULL TABLES FROM example_db;"),
        Statement::ShowTables {
            database: Some("example_db".into())
        }
    );
    assert_eq!(
        ok("show variables like 'wait%'"),
        Statement::ShowVariables {
            pattern: Some("wait%".into())
        }
    );
    assert_eq!(
        ok("DESC example_db.test_tbl"),
        Statement::Describe {
            table: table(Some("example_db"), "test_tbl")
        }
    );
    assert_eq!(
        ok("describe `test_tbl`"),
        Statement::Describe {
            table: table(None, "test_tbl")
        }
    );
    assert_eq!(
        ok("TRUNCATE TABLE d.t"),
        Statement::Truncate {
            table: table(Some("d"), "t")
        }
    );
    assert_eq!(
        ok("drop table if exists t"),
        Statement::DropTable {
            table: table(None, "t"),
            if_exists: true
        }
    );
}

#[test]
fn syntax_errors_name_the_token_and_its_position() {
    let e = err("SELECT id FROM t WHERE id == 1");
    assert_eq!(e.kind, ParseErrorKind::Syntax);
    assert_eq!(
        e.message,
        "Getting syntax error at line 1, column 28. Detail message: Unexpected input '=', expected a literal."
    );
    let e = err("CREATE TABLE t (\n  id INT,\n  city STRING\n) BOGUS");
    assert!(e.message.contains("line 4, column 3"), "{e}");
    assert!(e.message.contains("'BOGUS'"), "{e}");
    let e = err("SELEC 1");
    assert!(e.message.contains("Unexpected input 'SELEC'"), "{e}");
    let e = err("select 'abc");
    assert!(e.message.contains("unterminated string literal"), "{e}");
    let e = err("select * from");
    assert!(e.message.contains("'<EOF>'"), "{e}");
}

#[test]
fn refuses_several_statements_and_unsupported_verbs() {
    let e = err("CREATE DATABASE a; USE a");
    assert_eq!(e.kind, ParseErrorKind::Unsupported);
    let e = err("INSERT INTO customers VALUES (1,'a','a','a@a.com')");
    assert_eq!(e.kind, ParseErrorKind::Unsupported);
    assert!(e.message.contains("Stream Load"), "{e}");
    let e = err("select id from t where id = 1 or id = 2");
    assert_eq!(e.kind, ParseErrorKind::Unsupported);
}

#[test]
fn splits_scripts_at_top_level_semicolons_only() {
    let script = "CREATE DATABASE example_db;\nUSE example_db; -- a comment; not a split\n\
                  CREATE TABLE t (c STRING DEFAULT 'a;b') COMMENT \"x;y\";;\n";
    let pieces = split_statements(script).unwrap();
    assert_eq!(
        pieces,
        vec![
            "CREATE DATABASE example_db",
            "USE example_db",
            "CREATE TABLE t (c STRING DEFAULT 'a;b') COMMENT \"x;y\"",
        ]
    );
    for p in pieces {
        ok(p);
    }
    assert!(split_statements("select 'unterminated;").is_err());
}

#[test]
fn reserved_words_are_names_only_when_back_quoted() {
    let e = err("CREATE TABLE t (partition INT)");
    assert_eq!(e.kind, ParseErrorKind::Syntax);
    assert_eq!(
        e.message,
        "Getting syntax error at line 1, column 17. Detail message: Unexpected input 'partition', the most similar input is {a legal identifier}."
    );
    ok("CREATE TABLE t (`partition` INT) PRIMARY KEY (`partition`)");
    assert_eq!(err("CREATE DATABASE like").kind, ParseErrorKind::Syntax);
    assert_eq!(err("select partition from t").kind, ParseErrorKind::Syntax);
    assert_eq!(
        err("select id from t order by key").kind,
        ParseErrorKind::Syntax
    );
    // Keywords StarRocks does not reserve stay usable bare.
    ok("CREATE TABLE t (topic STRING, label STRING, comment INT, offset INT)");
}

#[test]
fn a_column_label_is_the_name_without_quotes_or_qualifier() {
    let Statement::Select(sel) = ok("select `table_name`, t.`topic`, Next_Offset from t") else {
        panic!("a select");
    };
    let labels: Vec<&str> = sel
        .items
        .iter()
        .map(|i| match i {
            SelectItem::Column { label, .. } => label.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(labels, ["table_name", "topic", "Next_Offset"]);
}

#[test]
fn parses_delete_with_and_without_where() {
    assert_eq!(
        ok("DELETE FROM `db`.`t` WHERE `connector` = 'x' AND `topic` = 'y'"),
        Statement::Delete(Delete {
            table: table(Some("db"), "t"),
            filter: vec![
                Condition::Compare {
                    column: "connector".into(),
                    op: CmpOp::Eq,
                    value: Literal::Str("x".into()),
                },
                Condition::Compare {
                    column: "topic".into(),
                    op: CmpOp::Eq,
                    value: Literal::Str("y".into()),
                },
            ],
        })
    );
    assert_eq!(
        ok("delete from t"),
        Statement::Delete(Delete {
            table: table(None, "t"),
            filter: vec![],
        })
    );
    assert_eq!(
        err("DELETE FROM t USING u WHERE t.id = u.id").kind,
        ParseErrorKind::Unsupported
    );
    assert_eq!(err("DELETE t WHERE id = 1").kind, ParseErrorKind::Syntax);
}
