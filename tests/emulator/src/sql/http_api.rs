//! StarRocks' HTTP SQL API (`POST /api/v1/catalogs/<catalog>[/databases/<db>]/sql`), as a
//! pure function of the request body.
//!
//! The HTTP layer authenticates, checks the catalog name and passes the body here; this
//! module answers with the status, content type and body StarRocks' `ExecuteSqlAction`
//! sends. Success is newline-delimited JSON: `{"connectionId":N}` (SELECT only), `{"meta":[…]}`,
//! one `{"data":[…]}` per row and `{"statistics":{…}}`. A request refused before execution
//! is one JSON object with `"status":"FAILED"` and the message (under both the documented
//! `msg` and the v2 `message` keys): 400 for a malformed body or a statement other than
//! SELECT/SHOW/DESC, 403 when the path's database does not exist, 500 for a statement that
//! fails to parse or run. Every call is its own session; `sessionVariables` are accepted and
//! ignored.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value as Json};

use crate::catalog::Catalog;
use crate::sql::exec::{parse_sql, run, Outcome, ResultSet, Session};
use crate::types::ColumnType;
use crate::version::Version;

/// The content type of every SQL API response.
pub const CONTENT_TYPE: &str = "application/x-ndjson; charset=utf-8";

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Handles one SQL API request: `db` is the path's database, `body` the JSON request.
/// Returns the HTTP status, the content type and the response body.
pub fn handle_sql_api(catalog: &Catalog, db: Option<&str>, body: &[u8]) -> (u16, String, Vec<u8>) {
    handle_sql_api_as(catalog, &Version::default(), db, body)
}

/// [`handle_sql_api`] on a server that reports `version`.
pub fn handle_sql_api_as(
    catalog: &Catalog,
    version: &Version,
    db: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    match answer(catalog, version, db, body) {
        Ok(lines) => (200, CONTENT_TYPE.to_string(), lines.into_bytes()),
        Err((status, msg)) => {
            let failed = json!({"status": "FAILED", "code": "1", "msg": msg, "message": msg});
            (
                status,
                CONTENT_TYPE.to_string(),
                failed.to_string().into_bytes(),
            )
        }
    }
}

fn answer(
    catalog: &Catalog,
    version: &Version,
    db: Option<&str>,
    body: &[u8],
) -> Result<String, (u16, String)> {
    let request: Json = serde_json::from_slice(body).map_err(|_| {
        (
            400,
            format!("malformed json [ {} ]", String::from_utf8_lossy(body)),
        )
    })?;
    let query = request
        .get("query")
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or("");
    if query.is_empty() {
        return Err((400, "\"query can not be empty\"".to_string()));
    }
    let mut session = Session::with_version(version.clone());
    if let Some(db) = db {
        if !catalog.has_database(db) {
            return Err((403, "set catalog or db failed".to_string()));
        }
        session.database = Some(db.to_string());
    }
    let stmt = parse_sql(query).map_err(|e| {
        if e.message.starts_with("Multiple statements") {
            (
                400,
                "/api/v1/<catalog_name>/<database_name>/query does not support execute multiple query".to_string(),
            )
        } else {
            (500, e.message)
        }
    })?;
    if !stmt.is_query() {
        return Err((
            400,
            "/api/v1/<catalog_name>/<database_name>/query only support SELECT, SHOW, EXPLAIN, DESC, KILL statement"
                .to_string(),
        ));
    }
    let rs = match run(catalog, &mut session, &stmt).map_err(|e| (500, e.message))? {
        Outcome::Rows(rs) => rs,
        Outcome::Ok { .. } => ResultSet::default(),
    };
    let mut out = String::new();
    let mut line = |v: Json| {
        out.push_str(&v.to_string());
        out.push('\n');
    };
    if stmt.is_select() {
        line(json!({ "connectionId": NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed) }));
    }
    let meta: Vec<Json> = rs
        .columns
        .iter()
        .map(|c| json!({"name": c.name, "type": meta_type(&c.ty)}))
        .collect();
    line(json!({ "meta": meta }));
    for row in &rs.rows {
        let data: Vec<Json> = row.iter().map(|v| v.to_json()).collect();
        line(json!({ "data": data }));
    }
    line(json!({"statistics": {"scanRows": 0, "scanBytes": 0, "returnRows": rs.rows.len()}}));
    Ok(out)
}

/// A column type as the SQL API's `meta` names it (`int(11)`, `decimal64(10, 2)`, `varchar`).
fn meta_type(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Decimal { precision, scale } => {
            let width = match precision {
                0..=9 => 32,
                10..=18 => 64,
                _ => 128,
            };
            format!("decimal{width}({precision}, {scale})")
        }
        ColumnType::Char(_) => "char".to_string(),
        ColumnType::Varchar(_) | ColumnType::String => "varchar".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ApplyMode, RowOp};
    use crate::sql::exec::execute;
    use crate::types::Value;

    fn seeded() -> Catalog {
        let catalog = Catalog::new();
        let mut s = Session::default();
        for sql in [
            "CREATE DATABASE example_db",
            "CREATE TABLE example_db.t (no INT, k DECIMAL(10, 2), city STRING)",
        ] {
            execute(&catalog, &mut s, sql).unwrap();
        }
        let dec = |u| Value::Decimal {
            unscaled: u,
            scale: 2,
        };
        let ops = [(1, 1000, None), (2, 2500, Some("Chicago"))].map(|(no, k, city)| RowOp {
            delete: false,
            values: vec![
                Some(Value::Int(no)),
                Some(dec(k)),
                Some(city.map_or(Value::Null, |c| Value::Str(c.into()))),
            ],
        });
        let load = crate::state::Pending::of(ops.to_vec(), ApplyMode::default());
        catalog.apply("example_db", "t", &load).unwrap();
        catalog
    }

    fn lines(body: &[u8]) -> Vec<Json> {
        String::from_utf8(body.to_vec())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn select_answers_connection_meta_data_and_statistics_lines() {
        let catalog = seeded();
        let (status, ctype, body) = handle_sql_api(
            &catalog,
            Some("example_db"),
            br#"{"query": "select * from t;", "sessionVariables": {"query_timeout": 10}}"#,
        );
        assert_eq!((status, ctype.as_str()), (200, CONTENT_TYPE));
        assert!(body.ends_with(b"\n"));
        let l = lines(&body);
        assert_eq!(l.len(), 5);
        assert!(l[0]["connectionId"].is_u64(), "{}", l[0]);
        assert_eq!(
            l[1],
            json!({"meta": [
                {"name": "no", "type": "int(11)"},
                {"name": "k", "type": "decimal64(10, 2)"},
                {"name": "city", "type": "varchar"}
            ]})
        );
        assert_eq!(l[2], json!({"data": [1, "10.00", null]}));
        assert_eq!(l[3], json!({"data": [2, "25.00", "Chicago"]}));
        assert_eq!(
            l[4],
            json!({"statistics": {"scanRows": 0, "scanBytes": 0, "returnRows": 2}})
        );
    }

    #[test]
    fn show_and_desc_answer_without_a_connection_id() {
        let catalog = seeded();
        let (status, _, body) = handle_sql_api(&catalog, None, br#"{"query": "show databases"}"#);
        assert_eq!(status, 200);
        let l = lines(&body);
        assert_eq!(
            l[0],
            json!({"meta": [{"name": "Database", "type": "varchar"}]})
        );
        assert_eq!(l[1], json!({"data": ["example_db"]}));
        let (status, _, body) =
            handle_sql_api(&catalog, Some("example_db"), br#"{"query": "desc t"}"#);
        assert_eq!(status, 200);
        assert_eq!(lines(&body)[1]["data"][0], json!("no"));
    }

    #[test]
    fn refuses_writes_bad_bodies_and_unknown_databases_with_failed_status() {
        let catalog = seeded();
        let cases: [(Option<&str>, &[u8], u16, &str); 6] = [
            (
                None,
                br#"{"query": "drop database example_db"}"#,
                400,
                "only support SELECT, SHOW",
            ),
            (None, b"not json", 400, "malformed json"),
            (None, br#"{"query": "  "}"#, 400, "query can not be empty"),
            (
                Some("nowhere"),
                br#"{"query": "select 1"}"#,
                403,
                "set catalog or db failed",
            ),
            (
                None,
                br#"{"query": "select * from example_db.nope"}"#,
                500,
                "doesn't exist",
            ),
            (
                None,
                br#"{"query": "select 1; select 2"}"#,
                400,
                "multiple query",
            ),
        ];
        for (db, body, want_status, want_msg) in cases {
            let (status, _, out) = handle_sql_api(&catalog, db, body);
            let v: Json = serde_json::from_slice(&out).unwrap();
            assert_eq!(status, want_status, "{}", String::from_utf8_lossy(body));
            assert_eq!(v["status"], "FAILED");
            assert!(v["msg"].as_str().unwrap().contains(want_msg), "{v}");
            assert_eq!(v["msg"], v["message"]);
        }
        assert!(catalog.has_database("example_db"));
    }
}
