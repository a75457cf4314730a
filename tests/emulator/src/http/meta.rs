//! The FE's metadata endpoints: a table's columns (`GET /api/{db}/{table}/_schema`) and the
//! liveness probe (`GET /api/health`).
//!
//! Both are answered by whichever FE receives them, leader or follower: StarRocks'
//! `TableSchemaAction` and `HealthAction` never redirect. The schema endpoint authenticates
//! like every REST action (401 with the `RestBaseResult` body) but reports its own outcomes
//! in a different shape, `{"status": <HTTP code as a number>, ...}`, with the same code as
//! the HTTP status. Keys come in the order StarRocks writes them, which is the iteration
//! order of the Java `HashMap`s it serializes.

use std::net::SocketAddr;

use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::fe::authenticate;
use super::{json, Outcome, Resp};
use crate::catalog::Column;
use crate::state::Cluster;

/// `GET /api/{db}/{table}/_schema`; `db` and `table` are the raw path segments.
pub fn table_schema(
    cluster: &Cluster,
    parts: &Parts,
    peer: SocketAddr,
    db: &str,
    table: &str,
) -> Outcome {
    if let Err(resp) = authenticate(cluster, parts, peer) {
        return Outcome::reply(*resp, "", 0);
    }
    // StarRocks decodes path parameters (`WebUtils#decodeComponent`) before the action reads
    // them. Every emulated user holds every privilege, so the SELECT check always passes.
    let (db, table) = (decode_component(db), decode_component(table));
    let failure = |status: StatusCode, exception: String| {
        let body = json!({"exception": exception, "status": status.as_u16()});
        Outcome::reply(
            application_json(status, &body, "application/json"),
            exception,
            0,
        )
    };
    if db.is_empty() || table.is_empty() {
        return failure(
            StatusCode::BAD_REQUEST,
            "No database or table selected.".into(),
        );
    }
    let dbs = cluster.catalog.lock();
    let Some(database) = dbs.get(&db) else {
        return failure(
            StatusCode::NOT_FOUND,
            format!("Database [{db}] does not exists"),
        );
    };
    let Some(t) = database.tables.get(&table) else {
        return failure(
            StatusCode::NOT_FOUND,
            format!("Table [{table}] does not exists"),
        );
    };
    let properties: Vec<Value> = t.schema.columns.iter().map(column_properties).collect();
    drop(dbs);
    let body = json!({"properties": properties, "status": 200});
    Outcome::reply(
        application_json(StatusCode::OK, &body, "application/json"),
        "",
        0,
    )
}

/// One entry of `properties`: every value a string, precision and scale only for decimals.
fn column_properties(column: &Column) -> Value {
    let ty = column.ty.primitive_name();
    match column.ty {
        crate::types::ColumnType::Decimal { precision, scale } => json!({
            "name": column.name,
            "scale": scale.to_string(),
            "comment": column.comment,
            "type": ty,
            "precision": precision.to_string(),
        }),
        _ => json!({"type": ty, "name": column.name, "comment": column.comment}),
    }
}

/// `GET /api/health`: no authentication; the number of BEs and how many are alive (all of
/// them: the emulator does not take BEs down).
pub fn health(cluster: &Cluster) -> Outcome {
    let bes = cluster.bes.len();
    let body = json!({"online_backend_num": bes, "total_backend_num": bes, "status": "OK"});
    let resp = application_json(StatusCode::OK, &body, "application/json; charset=UTF-8");
    Outcome::reply(resp, "", 0)
}

/// A compact JSON answer with the given `Content-Type`.
fn application_json(status: StatusCode, body: &Value, content_type: &'static str) -> Resp {
    let mut resp = json(status, body, false);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    resp
}

/// Decodes `%XX` escapes (as UTF-8) and `+` (a space) in a path segment, as StarRocks'
/// `WebUtils#decodeComponent` does; a malformed escape leaves the segment as it came.
fn decode_component(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(byte) = hex else {
                    return raw.to_string();
                };
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_path_segments_as_starrocks_does() {
        assert_eq!(decode_component("test_tbl"), "test_tbl");
        assert_eq!(decode_component("my%2Etbl"), "my.tbl");
        assert_eq!(decode_component("a+b"), "a b");
        assert_eq!(decode_component("%E4%B8%AD"), "中");
        assert_eq!(decode_component("bad%zz"), "bad%zz");
        assert_eq!(decode_component("cut%4"), "cut%4");
    }

    #[test]
    fn decimal_columns_carry_precision_and_scale_as_strings() {
        let column = |ty| Column {
            name: "c".into(),
            ty,
            nullable: true,
            default: None,
            comment: "note".into(),
        };
        let dec = column_properties(&column(crate::types::ColumnType::Decimal {
            precision: 10,
            scale: 2,
        }));
        assert_eq!(
            dec.to_string(),
            r#"{"name":"c","scale":"2","comment":"note","type":"DECIMAL64","precision":"10"}"#
        );
        let int = column_properties(&column(crate::types::ColumnType::Int));
        assert_eq!(
            int.to_string(),
            r#"{"type":"INT","name":"c","comment":"note"}"#
        );
    }
}
