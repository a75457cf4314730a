//! The FE's HTTP API: Stream Load entry, transaction entry, label state, the SQL API, and
//! the metadata endpoints of `meta` (table schema, health).
//!
//! The FE answers from the request line and headers alone: it never reads a load body and
//! never sends `100 Continue`. Plain loads are redirected (307) to a BE chosen round-robin by
//! any FE; transaction calls and label lookups on a follower are redirected to the leader
//! first — while no leader is elected, to the leader the follower knew (see `leader`).

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::json;

use super::{closing, header, json, query_param, redirect, Outcome, Resp};
use crate::auth::parse_basic;
use crate::faults::Fault;
use crate::state::Cluster;

/// Routes one FE request.
pub async fn handle(
    cluster: Arc<Cluster>,
    fe: usize,
    parts: Parts,
    body: Incoming,
    peer: SocketAddr,
) -> Outcome {
    let path = parts.uri.path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::PUT, ["api", db, table, "_stream_load"]) => {
            stream_load(&cluster, &parts, peer, db, table).await
        }
        (m, ["api", "transaction", op]) if m == Method::POST || m == Method::PUT => {
            super::txn::fe(&cluster, fe, &parts, peer, op).await
        }
        (&Method::GET, ["api", db, "get_load_state"]) => load_state(&cluster, fe, &parts, peer, db),
        (&Method::GET, ["api", db, table, "_schema"]) => {
            super::meta::table_schema(&cluster, &parts, peer, db, table)
        }
        (&Method::GET, ["api", "health"]) => super::meta::health(&cluster),
        (&Method::POST, ["api", "v1", "catalogs", "default_catalog", "sql"]) => {
            sql_api(&cluster, &parts, body, peer, None).await
        }
        (&Method::POST, ["api", "v1", "catalogs", "default_catalog", "databases", db, "sql"]) => {
            sql_api(&cluster, &parts, body, peer, Some(db)).await
        }
        _ => Outcome::reply(
            json(
                StatusCode::NOT_FOUND,
                &json!({"status": "FAILED", "code": "404", "msg": "Not implemented", "message": "Not implemented"}),
                false,
            ),
            "",
            0,
        ),
    }
}

/// Checks FE Basic auth; `Err` is the 401 answer.
pub fn authenticate(
    cluster: &Cluster,
    parts: &Parts,
    peer: SocketAddr,
) -> Result<String, Box<Resp>> {
    let msg = match parse_basic(header(parts, "authorization").as_deref()) {
        None => "Need auth information.".to_string(),
        Some((user, password)) if cluster.users.check(&user, &password) => return Ok(user),
        Some((user, _)) => format!("Access denied for {user}@{}", peer.ip()),
    };
    let mut resp = json(
        StatusCode::UNAUTHORIZED,
        &json!({"status": "FAILED", "code": "1", "msg": msg, "message": msg}),
        false,
    );
    resp.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Basic realm=\"\""),
    );
    Err(Box::new(resp))
}

/// The URL of the same path and query on another node.
pub fn same_request_on(addr: SocketAddr, parts: &Parts) -> String {
    let pq = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    format!("http://{addr}{pq}")
}

/// Applies the FE-side faults (delay, unreachable BE); returns the address to redirect to.
pub async fn fe_faults(cluster: &Cluster, table: &str, target: SocketAddr) -> SocketAddr {
    let mut target = target;
    while let Some(fault) = cluster.faults.take(table, Fault::at_fe) {
        match fault {
            Fault::DelayRedirect { delay } => tokio::time::sleep(delay).await,
            Fault::RedirectUnreachable => target = cluster.unreachable,
            _ => {}
        }
    }
    target
}

async fn stream_load(
    cluster: &Arc<Cluster>,
    parts: &Parts,
    peer: SocketAddr,
    _db: &str,
    table: &str,
) -> Outcome {
    if let Err(resp) = authenticate(cluster, parts, peer) {
        return Outcome::reply(closing(*resp), "", 0);
    }
    let expects_continue =
        header(parts, "expect").is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    if !expects_continue {
        let body = json!({
            "Status": "FAILED",
            "Message": "class com.starrocks.common.DdlException: There is no 100-continue header"
        });
        return Outcome::reply(
            closing(json(StatusCode::OK, &body, false)),
            "FAILED no 100-continue",
            0,
        );
    }
    let be = cluster.bes[cluster.choose_be()];
    let target = fe_faults(cluster, table, be).await;
    let location = same_request_on(target, parts);
    Outcome::reply(redirect(&location, true), location, 0)
}

fn load_state(
    cluster: &Arc<Cluster>,
    fe: usize,
    parts: &Parts,
    peer: SocketAddr,
    db: &str,
) -> Outcome {
    if !cluster.frontends.is_leader(fe) {
        let location = same_request_on(cluster.frontends.leader_addr(), parts);
        return Outcome::reply(redirect(&location, false), location, 0);
    }
    if let Err(resp) = authenticate(cluster, parts, peer) {
        return Outcome::reply(*resp, "", 0);
    }
    let failed = |msg: String| json!({"status": "FAILED", "code": "1", "msg": msg, "message": msg});
    let body = match query_param(parts, "label").filter(|l| !l.is_empty()) {
        None => failed("No label selected.".to_string()),
        Some(_) if !cluster.catalog.has_database(db) => {
            failed(format!("unknown database, database={db}"))
        }
        Some(label) => {
            let state = cluster.txns().label_state(db, &label);
            json!({"state": state, "status": "OK", "code": "0", "msg": "Success", "message": "OK"})
        }
    };
    let note = body["state"].as_str().unwrap_or("FAILED").to_string();
    Outcome::reply(json(StatusCode::OK, &body, false), note, 0)
}

async fn sql_api(
    cluster: &Arc<Cluster>,
    parts: &Parts,
    body: Incoming,
    peer: SocketAddr,
    db: Option<&str>,
) -> Outcome {
    if let Err(resp) = authenticate(cluster, parts, peer) {
        return Outcome::reply(*resp, "", 0);
    }
    let bytes = match super::read_body(body, 16 << 20).await {
        Ok(b) => b,
        Err(_) => return Outcome::dropped("unreadable SQL body", 0),
    };
    let (status, content_type, out) =
        crate::sql::http_api::handle_sql_api_as(&cluster.catalog, &cluster.version, db, &bytes);
    let mut resp = super::text(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), out);
    if let Ok(ct) = hyper::header::HeaderValue::from_str(&content_type) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, ct);
    }
    Outcome::reply(resp, "", bytes.len() as u64)
}
