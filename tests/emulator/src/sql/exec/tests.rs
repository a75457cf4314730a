use super::*;
use crate::catalog::{ApplyMode, RowOp};
use crate::state::Pending;

fn exec(catalog: &Catalog, session: &mut Session, sql: &str) -> QueryOutput {
    execute(catalog, session, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn fail(catalog: &Catalog, session: &mut Session, sql: &str) -> SqlError {
    match execute(catalog, session, sql) {
        Ok(out) => panic!("{sql} succeeded with {out:?}"),
        Err(e) => e,
    }
}

fn rows(out: QueryOutput) -> Vec<Vec<Option<String>>> {
    match out {
        QueryOutput::Rows { rows, .. } => rows,
        other => panic!("expected rows, got {other:?}"),
    }
}

fn text_rows(data: &[&[&str]]) -> Vec<Vec<Option<String>>> {
    data.iter()
        .map(|r| r.iter().map(|c| Some(c.to_string())).collect())
        .collect()
}

fn row(values: Vec<Value>) -> RowOp {
    RowOp {
        delete: false,
        values: values.into_iter().map(Some).collect(),
    }
}

/// The seed's `example_db.test_tbl` with its three rows, loaded out of key order.
fn seeded() -> (Catalog, Session) {
    let catalog = Catalog::new();
    let mut session = Session::default();
    exec(&catalog, &mut session, "CREATE DATABASE example_db;");
    exec(&catalog, &mut session, "USE example_db;");
    exec(
        &catalog,
        &mut session,
        "CREATE TABLE test_tbl (id INT, city STRING);",
    );
    let city = |s: &str| Value::Str(s.into());
    catalog
        .apply(
            "example_db",
            "test_tbl",
            &Pending::of(
                vec![
                    row(vec![Value::Int(1), city("New York")]),
                    row(vec![Value::Int(2), city("Los Angeles")]),
                    row(vec![Value::Int(3), city("Chicago")]),
                ],
                ApplyMode::default(),
            ),
        )
        .unwrap();
    (catalog, session)
}

#[test]
fn select_star_returns_the_seed_rows_in_load_order() {
    let (catalog, mut session) = seeded();
    let out = exec(&catalog, &mut session, "select * from test_tbl;");
    let QueryOutput::Rows { columns, rows } = out else {
        panic!("expected rows");
    };
    assert_eq!(
        columns,
        vec![
            ResultColumn {
                name: "id".into(),
                numeric: true
            },
            ResultColumn {
                name: "city".into(),
                numeric: false
            },
        ]
    );
    assert_eq!(
        rows,
        text_rows(&[&["1", "New York"], &["2", "Los Angeles"], &["3", "Chicago"]])
    );
}

#[test]
fn where_converts_literals_to_the_column_type() {
    let (catalog, mut session) = seeded();
    let q = |s: &mut Session, sql: &str| rows(exec(&catalog, s, sql));
    assert_eq!(
        q(&mut session, "select city from test_tbl where id = '2'"),
        text_rows(&[&["Los Angeles"]])
    );
    assert_eq!(
        q(
            &mut session,
            "select id from test_tbl where id > 1.5 AND city != 'Chicago'"
        ),
        text_rows(&[&["2"]])
    );
    assert_eq!(
        q(&mut session, "select id from test_tbl where id = 'x'"),
        Vec::<Vec<Option<String>>>::new()
    );
    assert_eq!(
        q(&mut session, "select id from test_tbl where id = NULL"),
        Vec::<Vec<Option<String>>>::new()
    );
}

#[test]
fn order_by_and_limit_shape_the_result() {
    let (catalog, mut session) = seeded();
    assert_eq!(
        rows(exec(
            &catalog,
            &mut session,
            "select id, city from example_db.test_tbl order by city limit 2"
        )),
        text_rows(&[&["3", "Chicago"], &["2", "Los Angeles"]])
    );
    assert_eq!(
        rows(exec(
            &catalog,
            &mut session,
            "select id from test_tbl order by id desc limit 1 offset 1"
        )),
        text_rows(&[&["2"]])
    );
}

#[test]
fn count_star_counts_the_rows_that_match() {
    let (catalog, mut session) = seeded();
    let out = exec(
        &catalog,
        &mut session,
        "SELECT COUNT(*) FROM test_tbl WHERE id <= 2",
    );
    let QueryOutput::Rows { columns, rows } = out else {
        panic!("expected rows");
    };
    assert_eq!(columns[0].name, "COUNT(*)");
    assert!(columns[0].numeric);
    assert_eq!(rows, text_rows(&[&["2"]]));
}

#[test]
fn count_star_without_where_counts_every_row_of_either_model() {
    let (catalog, mut session) = seeded();
    assert_eq!(
        rows(exec(
            &catalog,
            &mut session,
            "SELECT COUNT(*), COUNT(*) FROM test_tbl"
        )),
        text_rows(&[&["3", "3"]])
    );
    exec(
        &catalog,
        &mut session,
        "CREATE TABLE pk (id INT, city STRING) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    );
    let city = |s: &str| Value::Str(s.into());
    for name in ["Lyon", "Leeds"] {
        catalog
            .apply(
                "example_db",
                "pk",
                &Pending::of(
                    vec![
                        row(vec![Value::Int(1), city(name)]),
                        row(vec![Value::Int(2), city(name)]),
                    ],
                    ApplyMode::default(),
                ),
            )
            .unwrap();
    }
    // The second load replaced both keys' rows.
    assert_eq!(
        rows(exec(&catalog, &mut session, "SELECT COUNT(*) FROM pk")),
        text_rows(&[&["2"]])
    );
    let e = fail(
        &catalog,
        &mut session,
        "SELECT COUNT(*) FROM pk ORDER BY id",
    );
    assert!(e.to_string().contains("ORDER BY"), "{e}");
}

#[test]
fn primary_key_tables_read_in_key_order_and_describe_like_starrocks() {
    let catalog = Catalog::new();
    let mut session = Session::default();
    exec(&catalog, &mut session, "CREATE DATABASE test");
    exec(
        &catalog,
        &mut session,
        r#"CREATE TABLE test.`customers` (
  `id` int(11) COMMENT "",
  `first_name` varchar(65533) NULL COMMENT "",
  `email` varchar(65533) NULL DEFAULT "none" COMMENT ""
) ENGINE=OLAP PRIMARY KEY(`id`) DISTRIBUTED BY hash(id) buckets 1
PROPERTIES ("replicated_storage" = "true");"#,
    );
    let s = |v: &str| Value::Str(v.into());
    catalog
        .apply(
            "test",
            "customers",
            &Pending::of(
                vec![
                    row(vec![Value::Int(2), s("b"), s("b@b.com")]),
                    RowOp {
                        delete: false,
                        values: vec![Some(Value::Int(1)), Some(s("a")), None],
                    },
                ],
                ApplyMode::default(),
            ),
        )
        .unwrap();
    assert_eq!(
        rows(exec(&catalog, &mut session, "select * from test.customers")),
        text_rows(&[&["1", "a", "none"], &["2", "b", "b@b.com"]])
    );
    let desc = rows(exec(&catalog, &mut session, "DESC test.customers"));
    assert_eq!(
        desc[0],
        vec![
            Some("id".to_string()),
            Some("int(11)".into()),
            Some("NO".into()),
            Some("true".into()),
            None,
            Some("".into())
        ]
    );
    assert_eq!(desc[2][2].as_deref(), Some("YES"));
    assert_eq!(desc[2][3].as_deref(), Some("false"));
    assert_eq!(desc[2][4].as_deref(), Some("none"));
}

#[test]
fn show_lists_databases_and_tables() {
    let (catalog, mut session) = seeded();
    exec(&catalog, &mut session, "create database other");
    let out = exec(&catalog, &mut session, "SHOW DATABASES");
    let QueryOutput::Rows { columns, rows } = out else {
        panic!("expected rows");
    };
    assert_eq!(columns[0].name, "Database");
    assert_eq!(rows, text_rows(&[&["example_db"], &["other"]]));
    let out = exec(&catalog, &mut session, "SHOW TABLES");
    let QueryOutput::Rows { columns, rows } = out else {
        panic!("expected rows");
    };
    assert_eq!(columns[0].name, "Tables_in_example_db");
    assert_eq!(rows, text_rows(&[&["test_tbl"]]));
    assert!(rows_of(&catalog, "SHOW TABLES FROM other").is_empty());
}

fn rows_of(catalog: &Catalog, sql: &str) -> Vec<Vec<Option<String>>> {
    rows(exec(catalog, &mut Session::default(), sql))
}

#[test]
fn truncate_empties_and_drop_removes_a_table() {
    let (catalog, mut session) = seeded();
    exec(&catalog, &mut session, "TRUNCATE TABLE test_tbl");
    assert_eq!(
        rows(exec(
            &catalog,
            &mut session,
            "select count(*) from test_tbl"
        )),
        text_rows(&[&["0"]])
    );
    exec(&catalog, &mut session, "DROP TABLE example_db.test_tbl");
    assert_eq!(
        fail(&catalog, &mut session, "select * from test_tbl").code,
        codes::NO_SUCH_TABLE
    );
    assert_eq!(
        fail(&catalog, &mut session, "drop table test_tbl").code,
        codes::BAD_TABLE
    );
    exec(&catalog, &mut session, "drop table if exists test_tbl");
    exec(&catalog, &mut session, "DROP DATABASE example_db");
    assert_eq!(session.database, None);
    assert_eq!(
        fail(&catalog, &mut session, "drop database example_db").code,
        codes::DB_DROP_EXISTS
    );
}

#[test]
fn errors_carry_mysql_codes() {
    let (catalog, mut session) = seeded();
    let cases = [
        (
            "select * from nope",
            codes::NO_SUCH_TABLE,
            "Table 'example_db.nope' doesn't exist",
        ),
        ("use nowhere", codes::BAD_DB, "Unknown database 'nowhere'"),
        (
            "select * from nowhere.t",
            codes::BAD_DB,
            "Unknown database 'nowhere'",
        ),
        (
            "create database example_db",
            codes::DB_CREATE_EXISTS,
            "Can't create database 'example_db'; database exists",
        ),
        (
            "create table test_tbl (id int)",
            codes::TABLE_EXISTS,
            "Table 'test_tbl' already exists",
        ),
        (
            "select nope from test_tbl",
            codes::BAD_FIELD,
            "Unknown column 'nope' in 'field list'",
        ),
        (
            "select id from test_tbl where nope = 1",
            codes::BAD_FIELD,
            "Unknown column 'nope' in 'where clause'",
        ),
        ("selec 1", codes::PARSE, ""),
        (
            "insert into test_tbl values (4, 'x')",
            codes::NOT_SUPPORTED,
            "",
        ),
    ];
    for (sql, code, message) in cases {
        let e = fail(&catalog, &mut session, sql);
        assert_eq!(e.code, code, "{sql}: {e}");
        if !message.is_empty() {
            assert_eq!(e.message, message, "{sql}");
        }
    }
    let mut fresh = Session::default();
    let e = fail(&catalog, &mut fresh, "select * from test_tbl");
    assert_eq!(
        (e.code, e.message.as_str()),
        (codes::NO_DB, "No database selected")
    );
}

#[test]
fn create_table_checks_keys_distribution_and_defaults() {
    let (catalog, mut session) = seeded();
    let cases = [
        ("create table a (k int, k int)", codes::DUP_FIELDNAME),
        (
            "create table a (k int, v int) primary key (v)",
            codes::UNKNOWN,
        ),
        ("create table a (k int) primary key (x)", codes::BAD_FIELD),
        (
            "create table a (k int) distributed by hash(x) buckets 1",
            codes::BAD_FIELD,
        ),
        (
            "create table a (k int, v tinyint default '1000')",
            codes::INVALID_DEFAULT,
        ),
        (
            "create table a (k int, v int not null default null)",
            codes::INVALID_DEFAULT,
        ),
    ];
    for (sql, code) in cases {
        assert_eq!(fail(&catalog, &mut session, sql).code, code, "{sql}");
    }
    exec(
        &catalog,
        &mut session,
        "create table a (k bigint, d decimal(6,2) default '1.5', b boolean default 'true') duplicate key(k)",
    );
    let schema = catalog.schema("example_db", "a").unwrap();
    assert_eq!(schema.model, KeyModel::Duplicate);
    assert_eq!(schema.key, vec![0]);
    assert_eq!(
        schema.columns[1].default,
        Some(Value::Decimal {
            unscaled: 150,
            scale: 2
        })
    );
    assert_eq!(schema.columns[2].default, Some(Value::Bool(true)));
    assert!(schema.columns[0].nullable);
}

#[test]
fn client_probes_and_set_statements_succeed() {
    let (catalog, mut session) = seeded();
    let out = exec(&catalog, &mut session, "select @@version_comment limit 1");
    assert_eq!(rows(out), text_rows(&[&["4.0.2-0000000"]]));
    assert_eq!(
        rows(exec(&catalog, &mut session, "SELECT DATABASE()")),
        text_rows(&[&["example_db"]])
    );
    assert_eq!(
        exec(&catalog, &mut session, "SET NAMES utf8"),
        QueryOutput::Ok { affected: 0 }
    );
    assert_eq!(
        rows(exec(&catalog, &mut session, "select 1")),
        text_rows(&[&["1"]])
    );
}

#[test]
fn scripts_run_statement_by_statement_with_the_session_carried_along() {
    let catalog = Catalog::new();
    let mut session = Session::default();
    let outs = execute_script(
        &catalog,
        &mut session,
        "CREATE DATABASE example_db;\nUSE example_db;\nCREATE TABLE test_tbl (id INT, city STRING);\nSHOW TABLES;",
    )
    .unwrap();
    assert_eq!(outs.len(), 4);
    assert_eq!(rows(outs[3].clone()), text_rows(&[&["test_tbl"]]));
    let e = execute_script(
        &catalog,
        &mut session,
        "use example_db; select * from nope; create database never",
    )
    .unwrap_err();
    assert_eq!(e.code, codes::NO_SUCH_TABLE);
    assert!(!catalog.has_database("never"));
}

#[test]
fn delete_removes_the_matching_rows_of_either_table_model() {
    // test_tbl is a duplicate-key table (no key clause).
    let (catalog, mut session) = seeded();
    assert_eq!(
        exec(&catalog, &mut session, "DELETE FROM test_tbl WHERE id >= 2"),
        QueryOutput::Ok { affected: 2 }
    );
    let left = rows(exec(&catalog, &mut session, "select * from test_tbl"));
    assert_eq!(left, text_rows(&[&["1", "New York"]]));
    assert_eq!(
        exec(
            &catalog,
            &mut session,
            "DELETE FROM test_tbl WHERE city IS NULL"
        ),
        QueryOutput::Ok { affected: 0 }
    );

    exec(
        &catalog,
        &mut session,
        "CREATE TABLE pk (k INT NOT NULL, v STRING) PRIMARY KEY (k)",
    );
    catalog
        .apply(
            "example_db",
            "pk",
            &Pending::of(
                vec![
                    row(vec![Value::Int(1), Value::Str("a".into())]),
                    row(vec![Value::Int(2), Value::Str("b".into())]),
                ],
                ApplyMode::default(),
            ),
        )
        .unwrap();
    assert_eq!(
        exec(
            &catalog,
            &mut session,
            "DELETE FROM example_db.pk WHERE v = 'b'"
        ),
        QueryOutput::Ok { affected: 1 }
    );
    let left = rows(exec(&catalog, &mut session, "select k from pk"));
    assert_eq!(left, text_rows(&[&["1"]]));
    let e = fail(&catalog, &mut session, "DELETE FROM pk");
    assert_eq!(e.code, codes::PARSE);
    assert!(
        e.message.contains("Delete must specify where clause"),
        "{e}"
    );
}

/// `ALTER TABLE … ADD COLUMN` on a primary-key table with rows: StarRocks' fast schema
/// evolution (the default since 3.2) changes the schema before the statement returns.
#[test]
fn add_column_extends_the_schema_and_gives_stored_rows_the_default_or_null() {
    let catalog = Catalog::new();
    let mut session = Session::default();
    for sql in [
        "CREATE DATABASE d",
        "USE d",
        "CREATE TABLE t (id INT NOT NULL, name VARCHAR(10)) PRIMARY KEY (id) \
         DISTRIBUTED BY HASH(id) BUCKETS 1",
    ] {
        exec(&catalog, &mut session, sql);
    }
    let pk_row = |id: i128, name: &str| row(vec![Value::Int(id), Value::Str(name.into())]);
    catalog
        .apply(
            "d",
            "t",
            &Pending::of(vec![pk_row(1, "a")], ApplyMode::default()),
        )
        .unwrap();
    // A load whose rows were built before the change publishes after it.
    let in_flight = Pending::of(vec![pk_row(2, "b")], ApplyMode::default());
    exec(
        &catalog,
        &mut session,
        "ALTER TABLE t ADD COLUMN email VARCHAR(20) NULL COMMENT 'new'",
    );
    exec(
        &catalog,
        &mut session,
        "alter table d.t add column (score INT DEFAULT '7', seen DATETIME), \
         ADD COLUMN flag BOOLEAN AFTER name PROPERTIES ('timeout' = '60')",
    );
    catalog.apply("d", "t", &in_flight).unwrap();
    assert_eq!(
        rows(exec(&catalog, &mut session, "SELECT * FROM t ORDER BY id")),
        vec![
            vec![
                Some("1".into()),
                Some("a".into()),
                None,
                None,
                Some("7".into()),
                None
            ],
            vec![
                Some("2".into()),
                Some("b".into()),
                None,
                None,
                Some("7".into()),
                None
            ],
        ]
    );
    let fields: Vec<Option<String>> = rows(exec(&catalog, &mut session, "DESC t"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let names = ["id", "name", "flag", "email", "score", "seen"];
    assert_eq!(fields, names.map(|n| Some(n.to_owned())).to_vec());
    // A load built at the new schema fills the new columns.
    let schema = catalog.schema("d", "t").unwrap();
    assert_eq!(schema.version, 4);
    let mode = ApplyMode {
        schema_version: schema.version,
        ..ApplyMode::default()
    };
    let full = row(vec![
        Value::Int(3),
        Value::Str("c".into()),
        Value::Bool(true),
        Value::Str("c@c".into()),
        Value::Int(9),
        Value::Null,
    ]);
    catalog
        .apply("d", "t", &Pending::of(vec![full], mode))
        .unwrap();
    assert_eq!(
        rows(exec(
            &catalog,
            &mut session,
            "SELECT flag, email, score FROM t WHERE id = 3"
        )),
        vec![vec![Some("1".into()), Some("c@c".into()), Some("9".into())]]
    );
}

/// Database `d` (the session's) with a primary-key table `pk (id, v)` and a duplicate-key table
/// `dup (k, v)`.
fn pk_and_dup() -> (Catalog, Session) {
    let catalog = Catalog::new();
    let mut session = Session::default();
    for sql in [
        "CREATE DATABASE d",
        "USE d",
        "CREATE TABLE pk (id INT NOT NULL, v INT) PRIMARY KEY (id) DISTRIBUTED BY HASH(id)",
        "CREATE TABLE dup (k INT, v INT) DUPLICATE KEY (k) DISTRIBUTED BY HASH(k)",
    ] {
        exec(&catalog, &mut session, sql);
    }
    (catalog, session)
}

#[test]
fn add_column_refuses_what_starrocks_refuses() {
    let (catalog, mut session) = pk_and_dup();
    let cases: [(&str, u16, &str); 6] = [
        (
            "ALTER TABLE pk ADD COLUMN V BIGINT",
            codes::UNKNOWN,
            "Can not add column which already exists in base table: V",
        ),
        (
            "ALTER TABLE pk ADD COLUMN (a INT, A INT)",
            codes::UNKNOWN,
            "Repeatedly add column: A",
        ),
        (
            "ALTER TABLE pk ADD COLUMN k2 INT KEY",
            codes::UNKNOWN,
            "Can not add key column: k2 for primary key table",
        ),
        (
            "ALTER TABLE pk ADD COLUMN n INT NOT NULL",
            codes::NO_DEFAULT_FOR_FIELD,
            "Field 'n' is not null but doesn't have a default value",
        ),
        (
            "ALTER TABLE missing ADD COLUMN n INT",
            codes::PARSE,
            "Getting analyzing error. Detail message: Table missing is not found.",
        ),
        (
            "ALTER TABLE dup ADD COLUMN n INT AFTER nope",
            codes::BAD_FIELD,
            "Column 'nope' does not exist",
        ),
    ];
    for (sql, code, message) in cases {
        let e = fail(&catalog, &mut session, sql);
        assert_eq!((e.code, e.message.as_str()), (code, message), "{sql}");
    }
    // Nothing of a refused statement is applied, even the columns before the bad one.
    fail(
        &catalog,
        &mut session,
        "ALTER TABLE pk ADD COLUMN (ok INT, v INT)",
    );
    assert_eq!(catalog.schema("d", "pk").unwrap().columns.len(), 2);
    // A key column of a duplicate-key table goes after the last key column.
    exec(
        &catalog,
        &mut session,
        "ALTER TABLE dup ADD COLUMN k2 INT KEY",
    );
    let schema = catalog.schema("d", "dup").unwrap();
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!((names, schema.key), (vec!["k", "k2", "v"], vec![0, 1]));
    for sql in [
        "ALTER TABLE dup DROP COLUMN v",
        "ALTER TABLE dup ADD COLUMN r INT TO rollup1",
        "ALTER VIEW x AS SELECT 1",
    ] {
        assert_eq!(
            fail(&catalog, &mut session, sql).code,
            codes::NOT_SUPPORTED,
            "{sql}"
        );
    }
}

#[test]
fn tables_config_reports_each_tables_model() {
    let (catalog, mut session) = pk_and_dup();
    let model = |table: &str| {
        rows_of(
            &catalog,
            &format!(
                "SELECT TABLE_MODEL FROM information_schema.tables_config \
                 WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = '{table}'"
            ),
        )
    };
    assert_eq!(model("pk"), [[Some("PRI_KEYS".to_owned())]]);
    assert_eq!(model("dup"), [[Some("DUP_KEYS".to_owned())]]);
    assert!(model("nope").is_empty());

    exec(&catalog, &mut session, "USE information_schema");
    let all = rows(exec(
        &catalog,
        &mut session,
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ENGINE, TABLE_MODEL FROM tables_config \
         ORDER BY TABLE_NAME",
    ));
    let text = |v: &[&str]| v.iter().map(|s| Some((*s).to_owned())).collect::<Vec<_>>();
    assert_eq!(
        all,
        [
            text(&["d", "dup", "OLAP", "DUP_KEYS"]),
            text(&["d", "pk", "OLAP", "PRI_KEYS"])
        ]
    );
    // What the emulator does not keep is refused, not invented.
    for sql in [
        "SELECT * FROM information_schema.tables_config",
        "SELECT DISTRIBUTE_BUCKET FROM information_schema.tables_config",
        "SELECT TABLE_NAME FROM information_schema.tables_config WHERE SORT_KEY = 'k'",
        "SELECT * FROM information_schema.columns",
    ] {
        assert_eq!(
            fail(&catalog, &mut session, sql).code,
            codes::NOT_SUPPORTED,
            "{sql}"
        );
    }
}
