//! The MySQL protocol server against a real client (mysql_async): the seed's DDL and query,
//! authentication, error codes, `USE` at connect and as a statement, prepared statements,
//! shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use mysql_async::consts::ColumnType as WireType;
use mysql_async::prelude::*;
use mysql_async::{Conn, Error, OptsBuilder, Row};
use starrocks_emulator::auth::Users;
use starrocks_emulator::catalog::{ApplyMode, Catalog, RowOp};
use starrocks_emulator::sql::mysql::serve;
use starrocks_emulator::state::Pending;
use starrocks_emulator::types::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    catalog: Catalog,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let catalog = Catalog::new();
    let users = Users::new([
        ("root".to_string(), String::new()),
        ("user1".to_string(), "123456".to_string()),
    ]);
    let (shutdown, rx) = watch::channel(false);
    let task = tokio::spawn(serve(listener, catalog.clone(), users, rx));
    Server {
        addr,
        catalog,
        shutdown,
        task,
    }
}

fn opts(server: &Server, user: &str, password: &str, db: Option<&str>) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname(server.addr.ip().to_string())
        .tcp_port(server.addr.port())
        .user(Some(user))
        .pass(Some(password))
        .db_name(db)
        .prefer_socket(false)
}

async fn connect(
    server: &Server,
    user: &str,
    password: &str,
    db: Option<&str>,
) -> Result<Conn, Error> {
    tokio::time::timeout(DEADLINE, Conn::new(opts(server, user, password, db)))
        .await
        .expect("the handshake finishes before the deadline")
}

fn server_code(e: Error) -> (u16, String) {
    match e {
        Error::Server(e) => (e.code, e.message),
        other => panic!("expected a server error, got {other:?}"),
    }
}

fn load_seed_rows(catalog: &Catalog) {
    let ops: Vec<RowOp> = [(1, "New York"), (2, "Los Angeles"), (3, "Chicago")]
        .into_iter()
        .map(|(id, city)| RowOp {
            delete: false,
            values: vec![Some(Value::Int(id)), Some(Value::Str(city.into()))],
        })
        .collect();
    catalog
        .apply(
            "example_db",
            "test_tbl",
            &Pending::of(ops, ApplyMode::default()),
        )
        .unwrap();
}

const CUSTOMERS_DDL: &str = r#"CREATE TABLE `customers` (
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

#[tokio::test]
async fn the_seed_ddl_runs_and_the_seed_query_returns_the_loaded_rows() {
    let server = start().await;
    let mut conn = connect(&server, "user1", "123456", None).await.unwrap();
    conn.query_drop("CREATE DATABASE example_db;")
        .await
        .unwrap();
    conn.query_drop("USE example_db;").await.unwrap();
    conn.query_drop("CREATE TABLE test_tbl (id INT, city STRING);")
        .await
        .unwrap();
    load_seed_rows(&server.catalog);

    let rows: Vec<Row> = conn
        .query("select * from example_db.test_tbl")
        .await
        .unwrap();
    let columns = rows[0].columns_ref();
    assert_eq!(columns[0].name_str(), "id");
    assert_eq!(columns[0].column_type(), WireType::MYSQL_TYPE_LONG);
    assert_eq!(columns[1].name_str(), "city");
    assert_eq!(columns[1].column_type(), WireType::MYSQL_TYPE_VAR_STRING);
    let values: Vec<(i32, String)> = rows.into_iter().map(mysql_async::from_row).collect();
    assert_eq!(
        values,
        vec![
            (1, "New York".to_string()),
            (2, "Los Angeles".to_string()),
            (3, "Chicago".to_string())
        ]
    );

    // The unqualified form the seed shows, in the database chosen with USE.
    let cities: Vec<String> = conn
        .query("select city from test_tbl where id = 3")
        .await
        .unwrap();
    assert_eq!(cities, vec!["Chicago".to_string()]);
    let count: Option<i64> = conn
        .query_first("SELECT COUNT(*) FROM test_tbl")
        .await
        .unwrap();
    assert_eq!(count, Some(3));

    conn.query_drop("CREATE DATABASE test").await.unwrap();
    conn.query_drop("USE test").await.unwrap();
    conn.query_drop(CUSTOMERS_DDL).await.unwrap();
    let desc: Vec<(String, String, String, String)> = conn
        .query_map("DESC customers", |row: Row| {
            let (field, ty, null, key): (String, String, String, String) = (
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(2).unwrap(),
                row.get(3).unwrap(),
            );
            (field, ty, null, key)
        })
        .await
        .unwrap();
    assert_eq!(
        desc[0],
        ("id".into(), "int(11)".into(), "NO".into(), "true".into())
    );
    assert_eq!(
        desc[3],
        (
            "email".into(),
            "varchar(65533)".into(),
            "YES".into(),
            "false".into()
        )
    );
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_rejected() {
    let server = start().await;
    assert!(connect(&server, "user1", "wrong", None).await.is_err());
    assert!(connect(&server, "user1", "", None).await.is_err());
    assert!(connect(&server, "nobody", "123456", None).await.is_err());
    assert!(connect(&server, "root", "anything", None).await.is_err());
    let root = connect(&server, "root", "", None).await.unwrap();
    root.disconnect().await.unwrap();
}

#[tokio::test]
async fn errors_reach_the_client_with_mysql_codes() {
    let server = start().await;
    server.catalog.create_database("example_db", false).unwrap();
    let mut conn = connect(&server, "root", "", Some("example_db"))
        .await
        .unwrap();
    let (code, message) = server_code(
        conn.query_drop("select * from example_db.nope")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 1146);
    assert_eq!(message, "Table 'example_db.nope' doesn't exist");
    let (code, _) = server_code(conn.query_drop("selec 1").await.unwrap_err());
    assert_eq!(code, 1064);
    let (code, _) = server_code(conn.query_drop("use nowhere").await.unwrap_err());
    assert_eq!(code, 1049);
    let (_, message) = server_code(conn.exec_drop("select 1", ()).await.unwrap_err());
    assert_eq!(
        message,
        "prepared statements are not supported by the emulator"
    );
    // The connection survives its errors.
    let one: Option<i64> = conn.query_first("select 1").await.unwrap();
    assert_eq!(one, Some(1));
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn the_database_can_be_chosen_at_connect_and_with_use() {
    let server = start().await;
    server.catalog.create_database("example_db", false).unwrap();
    let mut conn = connect(&server, "root", "", Some("example_db"))
        .await
        .unwrap();
    let db: Option<String> = conn.query_first("SELECT DATABASE()").await.unwrap();
    assert_eq!(db.as_deref(), Some("example_db"));
    conn.query_drop("CREATE TABLE test_tbl (id INT, city STRING)")
        .await
        .unwrap();
    load_seed_rows(&server.catalog);
    // opensrv hands `USE x` to the init-db hook and other spellings to the SQL parser.
    conn.query_drop("USE example_db").await.unwrap();
    conn.query_drop("Use `example_db`;").await.unwrap();
    let n: Option<i64> = conn
        .query_first("select count(*) from test_tbl")
        .await
        .unwrap();
    assert_eq!(n, Some(3));
    let comment: Option<String> = conn
        .query_first("select @@version_comment limit 1")
        .await
        .unwrap();
    assert_eq!(comment.as_deref(), Some("4.0.2-0000000"));
    conn.disconnect().await.unwrap();

    let (code, _) = server_code(
        connect(&server, "root", "", Some("nowhere"))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 1049);
}

#[tokio::test]
async fn shutdown_stops_accepting_and_closes_open_connections() {
    let server = start().await;
    let mut conn = connect(&server, "root", "", None).await.unwrap();
    server.shutdown.send(true).unwrap();
    tokio::time::timeout(DEADLINE, server.task)
        .await
        .expect("serve returns before the deadline")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
    let closed = tokio::time::timeout(DEADLINE, conn.query_drop("select 1"))
        .await
        .expect("the closed connection answers before the deadline");
    assert!(closed.is_err());
}
