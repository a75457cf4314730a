//! The BE's HTTP API: plain Stream Load, the transaction operations it coordinates, and the
//! rejected-row logs.
//!
//! A plain load is checked from its headers first (auth, parameters, label, table, sizes)
//! and answered without reading the body when any check fails, as the BE does. Only then is
//! the transaction begun and the body read; rows reach the table when the load publishes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{Map, Value};

use super::{header, json, query_param, read_body, read_some, text, BodyError, Outcome};
use crate::auth::parse_basic;
use crate::catalog::{KeyModel, TableSchema};
use crate::faults::Fault;
use crate::load::{self, LoadParams, ParsedBatch};
use crate::state::{Cluster, Counters, Pending, TxnKind, TxnState};

/// Routes one BE request.
pub async fn handle(
    cluster: Arc<Cluster>,
    be: usize,
    parts: Parts,
    body: Incoming,
    peer: SocketAddr,
) -> Outcome {
    let path = parts.uri.path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::PUT, ["api", db, table, "_stream_load"]) => {
            stream_load(&cluster, be, &parts, body, peer, db, table).await
        }
        (m, ["api", "transaction", op]) if m == Method::POST || m == Method::PUT => {
            super::txn::be(&cluster, be, &parts, body, peer, op).await
        }
        (&Method::GET, ["api", "_load_error_log"]) => {
            let file = query_param(&parts, "file").unwrap_or_default();
            match cluster.error_log(&file) {
                Some(log) => Outcome::reply(text(StatusCode::OK, log), "", 0),
                None => Outcome::reply(text(StatusCode::NOT_FOUND, "file not found"), "", 0),
            }
        }
        _ => Outcome::reply(text(StatusCode::NOT_FOUND, "Not Found"), "", 0),
    }
}

/// The fields of a plain Stream Load answer, in the BE's order.
#[derive(Debug, Default)]
pub struct LoadAnswer {
    pub txn_id: i64,
    pub label: String,
    pub status: String,
    pub existing_job_status: Option<String>,
    pub message: String,
    pub counters: Counters,
    pub load_bytes: u64,
    pub load_time_ms: u64,
    pub error_url: Option<String>,
}

impl LoadAnswer {
    pub fn fail(label: &str, message: impl Into<String>) -> LoadAnswer {
        LoadAnswer {
            txn_id: -1,
            label: label.to_string(),
            status: "Fail".to_string(),
            message: message.into(),
            ..LoadAnswer::default()
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("TxnId".into(), self.txn_id.into());
        m.insert("Label".into(), self.label.clone().into());
        m.insert("Status".into(), self.status.clone().into());
        if let Some(s) = &self.existing_job_status {
            m.insert("ExistingJobStatus".into(), s.clone().into());
        }
        m.insert("Message".into(), self.message.clone().into());
        m.insert("NumberTotalRows".into(), self.counters.total.into());
        m.insert("NumberLoadedRows".into(), self.counters.loaded.into());
        m.insert("NumberFilteredRows".into(), self.counters.filtered.into());
        m.insert(
            "NumberUnselectedRows".into(),
            self.counters.unselected.into(),
        );
        m.insert("LoadBytes".into(), self.load_bytes.into());
        m.insert("LoadTimeMs".into(), self.load_time_ms.into());
        m.insert("BeginTxnTimeMs".into(), 0.into());
        m.insert("StreamLoadPlanTimeMs".into(), 0.into());
        m.insert("ReadDataTimeMs".into(), 0.into());
        m.insert("WriteDataTimeMs".into(), 0.into());
        m.insert("CommitAndPublishTimeMs".into(), 0.into());
        if let Some(url) = &self.error_url {
            m.insert("ErrorURL".into(), url.clone().into());
        }
        Value::Object(m)
    }

    pub fn outcome(&self, body_bytes: u64) -> Outcome {
        let note = format!("{} {}", self.status, self.message);
        Outcome::reply(
            json(StatusCode::OK, &self.to_json(), true),
            note,
            body_bytes,
        )
    }
}

/// Whether a label matches `^[-\w]{1,128}$`.
pub fn label_ok(label: &str) -> bool {
    (1..=128).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn label_error(label: &str) -> String {
    format!("Label format error. regex: ^[-\\w]{{1,128}}$, label: {label}")
}

/// Checks BE Basic auth; `Err` is the message StarRocks answers with.
pub fn be_authenticate(cluster: &Cluster, parts: &Parts, peer: SocketAddr) -> Result<(), String> {
    match parse_basic(header(parts, "authorization").as_deref()) {
        None => Err("no valid Basic authorization".to_string()),
        Some((user, password)) if cluster.users.check(&user, &password) => Ok(()),
        Some((user, _)) => Err(format!("Access denied for {user}@{}", peer.ip())),
    }
}

/// The table's schema, or StarRocks' message for a missing database or table.
pub fn lookup_table(cluster: &Cluster, db: &str, table: &str) -> Result<TableSchema, String> {
    if !cluster.catalog.has_database(db) {
        return Err(format!("unknown database, database={db}"));
    }
    cluster
        .catalog
        .schema(db, table)
        .map_err(|_| format!("unknown table \"{db}.{table}\""))
}

/// Checks a body size against the BE's limits (`streaming_load_max_mb`, and the JSON batch
/// size unless `ignore_json_size`).
pub fn check_size(cluster: &Cluster, params: &LoadParams, bytes: u64) -> Result<(), String> {
    let limits = cluster.loads;
    if bytes > limits.max_body_bytes {
        return Err(format!(
            "body size {bytes} exceed limit: {}, data_size_exceed_limit. You can increase streaming_load_max_mb in be.conf",
            limits.max_body_bytes
        ));
    }
    load::check_json_size(params, Some(bytes), limits.max_json_bytes)
}

/// Parses bodies and decides, with `max_filter_ratio`, whether they load.
pub struct Checked {
    pub batch: ParsedBatch,
    pub counters: Counters,
    pub error_url: Option<String>,
    /// `Some(message)` when the load must fail.
    pub failure: Option<String>,
}

pub fn parse_and_check(
    cluster: &Cluster,
    be: usize,
    txn_id: i64,
    schema: &TableSchema,
    params: &LoadParams,
    bodies: &[Vec<u8>],
) -> Checked {
    let mut batch = ParsedBatch::default();
    let count_only = cluster.loads.count_only && schema.model == KeyModel::Duplicate;
    for body in bodies {
        let parsed = if count_only {
            load::count_body(schema, params, body)
        } else {
            load::parse_body(schema, params, body)
        };
        match parsed {
            Ok(b) => {
                batch.ops.extend(b.ops);
                batch.rejected.extend(b.rejected);
                batch.unselected += b.unselected;
                batch.counted += b.counted;
            }
            Err(message) => {
                return Checked {
                    batch: ParsedBatch::default(),
                    counters: Counters::default(),
                    error_url: None,
                    failure: Some(message),
                }
            }
        }
    }
    let counters = Counters {
        total: batch.total(),
        loaded: batch.loaded(),
        filtered: batch.rejected.len() as u64,
        unselected: batch.unselected,
    };
    let error_url =
        (!batch.rejected.is_empty()).then(|| cluster.store_error_log(be, txn_id, &batch.rejected));
    let ratio = if counters.total == 0 {
        0.0
    } else {
        counters.filtered as f64 / counters.total as f64
    };
    let failure = (counters.filtered > 0 && ratio > params.max_filter_ratio)
        .then(|| "too many filtered rows".to_string());
    Checked {
        batch,
        counters,
        error_url,
        failure,
    }
}

async fn stream_load(
    cluster: &Arc<Cluster>,
    be: usize,
    parts: &Parts,
    body: Incoming,
    peer: SocketAddr,
    db: &str,
    table: &str,
) -> Outcome {
    let started = Instant::now();
    let label = header(parts, "label")
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Err(m) = be_authenticate(cluster, parts, peer) {
        return LoadAnswer::fail(&label, m).outcome(0);
    }
    let params = match LoadParams::from_headers(&|name| header(parts, name)) {
        Ok(p) => p,
        Err(m) => return LoadAnswer::fail(&label, m).outcome(0),
    };
    if !label_ok(&label) {
        return LoadAnswer::fail(&label, label_error(&label)).outcome(0);
    }
    let schema = match lookup_table(cluster, db, table) {
        Ok(s) => s,
        Err(m) => return LoadAnswer::fail(&label, m).outcome(0),
    };
    let mode = match params.apply_mode(&schema) {
        Ok(m) => m,
        Err(m) => return LoadAnswer::fail(&label, m).outcome(0),
    };
    let declared = header(parts, "content-length").and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared {
        if let Err(m) = check_size(cluster, &params, n) {
            return LoadAnswer::fail(&label, m).outcome(0);
        }
    }

    let fault = cluster.faults.take(table, |f| !f.at_fe());
    match &fault {
        Some(Fault::FailLoad {
            http_status,
            status,
            message,
        }) => {
            if *http_status != 200 {
                let code =
                    StatusCode::from_u16(*http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Outcome::reply(text(code, message.clone()), "injected", 0);
            }
            let mut answer = LoadAnswer::fail(&label, message.clone());
            answer.status = status.clone();
            return answer.outcome(0);
        }
        Some(Fault::CloseMidBody) => {
            let n = read_some(body).await;
            return Outcome::dropped("mid-body (injected)", n);
        }
        _ => {}
    }

    if let Some(message) = cluster.no_leader() {
        return LoadAnswer::fail(&label, message).outcome(0);
    }
    let txn_id = {
        let timeout = Duration::from_secs(params.timeout_secs);
        let begun = cluster
            .txns()
            .begin(db, table, &label, TxnKind::Plain, be, timeout, None);
        match begun {
            Ok(id) => id,
            Err(in_use) => {
                let answer = LoadAnswer {
                    txn_id: -1,
                    label: label.clone(),
                    status: "Label Already Exists".into(),
                    existing_job_status: Some(in_use.0.existing_job_status().into()),
                    message: format!("Label [{label}] has already been used."),
                    ..LoadAnswer::default()
                };
                return answer.outcome(0);
            }
        }
    };
    let abort = |message: String, bytes: u64| {
        cluster.txns().abort(txn_id, &message);
        let mut answer = LoadAnswer::fail(&label, message);
        answer.txn_id = txn_id;
        answer.load_bytes = bytes;
        answer
    };

    let raw = match read_body(body, cluster.loads.max_body_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            let m = format!(
                "body size exceed limit: {}, data_size_exceed_limit",
                cluster.loads.max_body_bytes
            );
            return abort(m, 0).outcome(0);
        }
        Err(BodyError::Transport(e)) => {
            cluster.txns().abort(txn_id, &e);
            return Outcome::dropped(format!("receive body don't equal with body bytes: {e}"), 0);
        }
    };
    let bytes = raw.len() as u64;
    if declared.is_none() {
        if let Err(m) = check_size(cluster, &params, bytes) {
            return abort(m, bytes).outcome(bytes);
        }
    }
    let data = match load::decompress(&params, raw) {
        Ok(d) => d,
        Err(m) => return abort(m, bytes).outcome(bytes),
    };
    let checked = parse_and_check(cluster, be, txn_id, &schema, &params, &[data]);
    if let Some(message) = checked.failure {
        let mut answer = abort(message, bytes);
        answer.counters = checked.counters;
        answer.error_url = checked.error_url;
        return answer.outcome(bytes);
    }

    {
        let mut txns = cluster.txns();
        if let Some(t) = txns.get_mut(txn_id) {
            if t.state != TxnState::Prepare {
                // Aborted by its timeout while the body was read.
                drop(txns);
                let m = "transaction is aborted by timeout".to_string();
                return abort(m, bytes).outcome(bytes);
            }
            t.state = TxnState::Committed;
            t.counters = checked.counters;
            t.load_bytes = bytes;
            t.error_url = checked.error_url.clone();
            t.pending = Some(Pending {
                counted: checked.batch.counted,
                ops: checked.batch.ops,
                mode,
            });
        }
    }
    let mut answer = LoadAnswer {
        txn_id,
        label: label.clone(),
        status: "Success".into(),
        message: "OK".into(),
        counters: checked.counters,
        load_bytes: bytes,
        error_url: checked.error_url,
        ..LoadAnswer::default()
    };
    match fault {
        Some(Fault::PublishTimeout { visible_after }) => {
            cluster.publish_later(txn_id, visible_after);
            answer.status = "Publish Timeout".into();
            answer.message =
                "transaction commit successfully, BUT data will be visible later".into();
        }
        Some(Fault::DropReplyAfterCommit) => {
            cluster.publish(txn_id);
            return Outcome::dropped("after commit (injected)", bytes);
        }
        Some(Fault::DelayReply { delay }) => {
            cluster.publish(txn_id);
            tokio::time::sleep(delay).await;
        }
        _ => {
            cluster.publish(txn_id);
        }
    }
    answer.load_time_ms = started.elapsed().as_millis() as u64;
    answer.outcome(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_starrocks_pattern() {
        for (label, ok) in [
            ("l1", true),
            ("-kc_db-t-0-1", true),
            ("a.b", false),
            ("", false),
            ("with space", false),
            (&"x".repeat(128), true),
            (&"x".repeat(129), false),
        ] {
            assert_eq!(label_ok(label), ok, "{label}");
        }
    }

    #[test]
    fn a_load_answer_keeps_the_be_field_order() {
        let answer = LoadAnswer {
            txn_id: 7,
            label: "l".into(),
            status: "Label Already Exists".into(),
            existing_job_status: Some("FINISHED".into()),
            message: "m".into(),
            ..LoadAnswer::default()
        };
        let keys: Vec<String> = answer
            .to_json()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            &keys[..6],
            [
                "TxnId",
                "Label",
                "Status",
                "ExistingJobStatus",
                "Message",
                "NumberTotalRows"
            ]
        );
    }
}
