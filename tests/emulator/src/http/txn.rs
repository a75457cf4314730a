//! Transaction Stream Load: `/api/transaction/{begin,load,prepare,commit,rollback}`.
//!
//! The FE validates, sends followers' calls to the leader, and redirects begin, load,
//! prepare (and commit/rollback of an unprepared transaction) to the coordinator BE picked
//! at begin; it answers commit and rollback of a PREPARED transaction itself. The BE keeps
//! the loads of a live transaction and parses them at prepare (or commit), so a data-quality
//! failure surfaces there, as in StarRocks. One database and one table per label; from 4.0 a
//! call with `transaction_type: multi` is a multi-table transaction (`multi`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::StatusCode;
use serde_json::{Map, Value};

use super::be::{be_authenticate, label_error, label_ok, lookup_table, parse_and_check};
use super::fe::{authenticate, fe_faults, same_request_on};
use super::txn_load::{load_ok, not_exists, receive, BeAnswer, LoadFailure, Received};
use super::{header, json, redirect, text, Outcome};
use crate::faults::Fault;
use crate::state::{Cluster, Pending, TxnKind, TxnState};

const OPS: [&str; 5] = ["begin", "load", "prepare", "commit", "rollback"];

fn fe_answer(status: &str, message: String, extra: &[(&str, Value)]) -> Outcome {
    let mut m = Map::new();
    m.insert("Status".into(), status.into());
    m.insert("Message".into(), message.clone().into());
    for (k, v) in extra {
        m.insert((*k).into(), v.clone());
    }
    let note = format!("{status} {message}");
    Outcome::reply(json(StatusCode::OK, &Value::Object(m), true), note, 0)
}

fn fe_failed(message: String) -> Outcome {
    fe_answer("FAILED", message, &[])
}

fn exception(text: String) -> String {
    format!("class com.starrocks.common.StarRocksException: {text}")
}

/// An FE transaction call.
pub async fn fe(
    cluster: &Arc<Cluster>,
    fe: usize,
    parts: &Parts,
    peer: SocketAddr,
    op: &str,
) -> Outcome {
    if let Err(resp) = authenticate(cluster, parts, peer) {
        return Outcome::reply(*resp, "", 0);
    }
    if !cluster.frontends.is_leader(fe) {
        let location = same_request_on(cluster.frontends.leader_addr(), parts);
        return Outcome::reply(redirect(&location, false), location, 0);
    }
    if !OPS.contains(&op) {
        return fe_failed(format!("Unknown transaction operation: {op}"));
    }
    let Some(db) = header(parts, "db").filter(|d| !d.is_empty()) else {
        return fe_failed("No database selected.".into());
    };
    let Some(label) = header(parts, "label").filter(|l| !l.is_empty()) else {
        return fe_failed("Empty label.".into());
    };
    if cluster.version.has_multi_table_transactions() && super::multi::is_multi(parts) {
        return super::multi::fe(cluster, parts, op, &db, &label).await;
    }
    let table = header(parts, "table").unwrap_or_default();
    let to_be = |be: usize| {
        let cluster = Arc::clone(cluster);
        let table = table.clone();
        async move {
            let target = fe_faults(&cluster, &table, cluster.bes[be]).await;
            let location = same_request_on(target, parts);
            Outcome::reply(redirect(&location, false), location, 0)
        }
    };
    if op == "begin" {
        return to_be(cluster.choose_be()).await;
    }
    // A multi-table transaction's label is unknown to the transaction manager until its
    // commit registers it; once registered, its state answers as any transaction's.
    let latest = cluster
        .txns()
        .latest(&db, &label)
        .filter(|t| t.multi.as_ref().is_none_or(|m| m.registered))
        .map(|t| (t.id, t.state, t.be));
    let Some((id, state, be)) = latest else {
        return fe_failed(exception(format!("No transaction found by label {label}")));
    };
    match (op, state) {
        ("load" | "prepare", _) | ("commit" | "rollback", TxnState::Prepare) => to_be(be).await,
        ("commit", TxnState::Prepared) => commit_prepared(cluster, parts, id, &label, &table).await,
        ("commit", TxnState::Committed | TxnState::Visible) => fe_answer(
            "OK",
            format!("Transaction {id} has already committed, label is {label}"),
            &[],
        ),
        ("commit", _) => fe_failed(exception(format!(
            "Can not commit ABORTED transaction {id}, label is {label}"
        ))),
        ("rollback", TxnState::Prepared) => {
            cluster.txns().abort(id, "rolled back by the user");
            fe_answer("OK", String::new(), &[])
        }
        ("rollback", TxnState::Aborted) => fe_answer(
            "OK",
            format!("Transaction {id} has already aborted, label is {label}"),
            &[],
        ),
        (_, state) => fe_failed(exception(format!(
            "Can not abort {} transaction {id}, label is {label}",
            state.name()
        ))),
    }
}

/// The FE commits a PREPARED transaction and waits for it to become visible, up to the
/// commit's `timeout` header (default 20 s).
async fn commit_prepared(
    cluster: &Arc<Cluster>,
    parts: &Parts,
    id: i64,
    label: &str,
    table: &str,
) -> Outcome {
    let wait = header(parts, "timeout")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(20));
    {
        let mut txns = cluster.txns();
        let Some(t) = txns.get_mut(id) else {
            return fe_failed(exception(format!("No transaction found by label {label}")));
        };
        t.state = TxnState::Committed;
    }
    match cluster.faults.take(table, Fault::at_commit) {
        Some(Fault::PublishTimeout { visible_after }) => {
            cluster.publish_later(id, visible_after);
            if visible_after > wait {
                tokio::time::sleep(wait).await;
                return fe_failed(exception(format!("publish timeout: {}", wait.as_millis())));
            }
            tokio::time::sleep(visible_after).await;
        }
        Some(Fault::DropReplyAfterCommit) => {
            cluster.publish(id);
            return Outcome::dropped("after commit (injected)", 0);
        }
        _ => {
            cluster.publish(id);
        }
    }
    fe_answer(
        "OK",
        String::new(),
        &[("TxnId", id.into()), ("Label", label.into())],
    )
}

/// A BE transaction call.
pub async fn be(
    cluster: &Arc<Cluster>,
    be: usize,
    parts: &Parts,
    body: Incoming,
    peer: SocketAddr,
    op: &str,
) -> Outcome {
    if op == "list" {
        return list(cluster, be);
    }
    // From 4.0 the BE's transaction manager refuses the multi-table header: those calls
    // belong to the FE (TransactionManagerAction::handle, after its empty-label check).
    // Loads go through TransactionStreamLoadAction, which does not look at it.
    if cluster.version.has_multi_table_transactions()
        && op != "load"
        && header(parts, "label").is_some_and(|l| !l.is_empty())
        && header(parts, "transaction_type").is_some_and(|t| !t.is_empty())
    {
        return BeAnswer::new(
            "INVALID_ARGUMENT",
            "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes",
        )
        .outcome(0);
    }
    if let Err(m) = be_authenticate(cluster, parts, peer) {
        return BeAnswer::new("INTERNAL_ERROR", m).outcome(0);
    }
    let Some(db) = header(parts, "db").filter(|d| !d.is_empty()) else {
        return BeAnswer::new("INVALID_ARGUMENT", "No database selected.").outcome(0);
    };
    let Some(label) = header(parts, "label").filter(|l| !l.is_empty()) else {
        return BeAnswer::new("INVALID_ARGUMENT", "Empty label.").outcome(0);
    };
    match op {
        "begin" => begin(cluster, be, parts, &db, &label),
        "load" => load(cluster, be, parts, body, &db, &label).await,
        "prepare" => finish(cluster, be, parts, &db, &label, false),
        "commit" => finish(cluster, be, parts, &db, &label, true),
        "rollback" => rollback(cluster, be, &db, &label),
        other => BeAnswer::new(
            "INVALID_ARGUMENT",
            format!("Unknown transaction operation: {other}"),
        )
        .outcome(0),
    }
}

fn secs_header(parts: &Parts, name: &str) -> Result<Option<u64>, String> {
    match header(parts, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("Invalid {name}: {v}")),
    }
}

/// A BE's answer when the step needs the leader FE and none is elected.
fn no_leader(cluster: &Cluster) -> Option<Outcome> {
    cluster
        .no_leader()
        .map(|m| BeAnswer::new("THRIFT_RPC_ERROR", m).outcome(0))
}

fn begin(cluster: &Arc<Cluster>, be: usize, parts: &Parts, db: &str, label: &str) -> Outcome {
    if let Some(answer) = no_leader(cluster) {
        return answer;
    }
    if !label_ok(label) {
        return BeAnswer::new("INVALID_ARGUMENT", label_error(label)).outcome(0);
    }
    let table = header(parts, "table").unwrap_or_default();
    if let Err(m) = lookup_table(cluster, db, &table) {
        return BeAnswer::new("ANALYSIS_ERROR", m).outcome(0);
    }
    let timeout = match secs_header(parts, "timeout") {
        Ok(t) => Duration::from_secs(t.unwrap_or(600)),
        Err(m) => return BeAnswer::new("INVALID_ARGUMENT", m).outcome(0),
    };
    let idle = match secs_header(parts, "idle_transaction_timeout") {
        Ok(t) => t.map(Duration::from_secs),
        Err(m) => return BeAnswer::new("INVALID_ARGUMENT", m).outcome(0),
    };
    let mut txns = cluster.txns();
    if let Some(t) = txns.latest(db, label) {
        if t.state == TxnState::Prepare && t.kind == TxnKind::Api && t.be == be {
            // A live context for this label on this BE.
            return BeAnswer::new("LABEL_ALREADY_EXISTS", "")
                .with("ExistingJobStatus", "")
                .outcome(0);
        }
    }
    match txns.begin(db, &table, label, TxnKind::Api, be, timeout, idle) {
        Ok(id) => BeAnswer::new("OK", "")
            .with("Label", label)
            .with("TxnId", id)
            .with("BeginTxnTimeMs", 0)
            .outcome(0),
        Err(in_use) => BeAnswer::new(
            "LABEL_ALREADY_EXISTS",
            format!("Label [{label}] has already been used."),
        )
        .with("ExistingJobStatus", in_use.0.existing_job_status())
        .outcome(0),
    }
}

/// Finds the live API transaction of a label on this BE.
fn live_txn(cluster: &Cluster, be: usize, db: &str, label: &str) -> Option<i64> {
    let txns = cluster.txns();
    let t = txns.latest(db, label)?;
    (t.kind == TxnKind::Api && t.state == TxnState::Prepare && t.be == be).then_some(t.id)
}

async fn load(
    cluster: &Arc<Cluster>,
    be: usize,
    parts: &Parts,
    body: Incoming,
    db: &str,
    label: &str,
) -> Outcome {
    let Some(id) = live_txn(cluster, be, db, label) else {
        // TransactionStreamLoadAction::on_header looks for the label's context first, then
        // for the channel context of this table (a table of a multi-table transaction).
        return super::multi::be_load(cluster, be, parts, body, db, label).await;
    };
    let table = header(parts, "table").unwrap_or_default();
    // Claim the transaction for this request.
    {
        let mut txns = cluster.txns();
        let Some(t) = txns.get_mut(id) else {
            return not_exists(label);
        };
        if t.in_process {
            return BeAnswer::new("TXN_IN_PROCESSING", "")
                .with("Label", label)
                .outcome(0);
        }
        if t.table != table {
            return BeAnswer::new(
                "INVALID_ARGUMENT",
                format!(
                    "Request table {table} not equal transaction table {}",
                    t.table
                ),
            )
            .outcome(0);
        }
        t.in_process = true;
    }
    let result = load_claimed(cluster, id, parts, body, &table).await;
    let mut txns = cluster.txns();
    if let Some(t) = txns.get_mut(id) {
        t.in_process = false;
        t.last_active = std::time::Instant::now();
    }
    match result {
        Ok(outcome) => outcome,
        Err((status, message, bytes)) => {
            txns.abort(id, &message);
            BeAnswer::new(status, message).outcome(bytes)
        }
    }
}

async fn load_claimed(
    cluster: &Arc<Cluster>,
    id: i64,
    parts: &Parts,
    body: Incoming,
    table: &str,
) -> Result<Outcome, LoadFailure> {
    let (previous, load_bytes) = {
        let txns = cluster.txns();
        let t = txns
            .get(id)
            .ok_or(("TXN_NOT_EXISTS".to_string(), String::new(), 0))?;
        (t.params.clone(), t.load_bytes)
    };
    let received = receive(
        cluster,
        parts,
        body,
        table,
        previous.as_ref(),
        load_bytes,
        false,
    )
    .await?;
    let (params, data, bytes) = match received {
        Received::Reply(outcome) => return Ok(outcome),
        Received::Data {
            params,
            data,
            bytes,
        } => (params, data, bytes),
    };
    let mut txns = cluster.txns();
    let t = txns
        .get_mut(id)
        .filter(|t| t.state == TxnState::Prepare)
        .ok_or((
            "TXN_NOT_EXISTS".to_string(),
            "current transaction is aborted".to_string(),
            bytes,
        ))?;
    t.params = Some(params);
    t.bodies.push(data);
    t.load_bytes += bytes;
    let label = t.label.clone();
    drop(txns);
    Ok(load_ok(&label, id, bytes))
}

/// Prepare (or commit without prepare): parse every load of the transaction, check the
/// filter ratio, and move it to PREPARED (or COMMITTED and publish).
fn finish(
    cluster: &Arc<Cluster>,
    be: usize,
    parts: &Parts,
    db: &str,
    label: &str,
    commit: bool,
) -> Outcome {
    let prepared_timeout = match header(parts, "prepared_timeout") {
        None => None,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n > 0 => Some(Duration::from_secs(n as u64)),
            _ => {
                return BeAnswer::new("INVALID_ARGUMENT", format!("Invalid prepared_timeout: {v}"))
                    .outcome(0)
            }
        },
    };
    let Some(id) = live_txn(cluster, be, db, label) else {
        return not_exists(label);
    };
    if let Some(answer) = no_leader(cluster) {
        return answer;
    }
    let (table, params, bodies) = {
        let txns = cluster.txns();
        let Some(t) = txns.get(id) else {
            return not_exists(label);
        };
        (t.table.clone(), t.params.clone(), t.bodies.clone())
    };
    let Some(params) = params else {
        let m = format!("transaction {id} hasn't send any data yet");
        cluster.txns().abort(id, &m);
        return BeAnswer::new("INTERNAL_ERROR", m).outcome(0);
    };
    let schema = match lookup_table(cluster, db, &table) {
        Ok(s) => s,
        Err(m) => {
            cluster.txns().abort(id, &m);
            return BeAnswer::new("ANALYSIS_ERROR", m).outcome(0);
        }
    };
    let mode = match params.apply_mode(&schema) {
        Ok(m) => m,
        Err(m) => {
            cluster.txns().abort(id, &m);
            return BeAnswer::new("ANALYSIS_ERROR", m).outcome(0);
        }
    };
    let checked = parse_and_check(cluster, be, id, &schema, &params, &bodies);
    if let Some(message) = checked.failure {
        cluster.txns().abort(id, &message);
        let mut answer = BeAnswer::new("INTERNAL_ERROR", message);
        if let Some(url) = checked.error_url {
            answer = answer.with("ErrorURL", url);
        }
        return answer.outcome(0);
    }
    let load_bytes = {
        let mut txns = cluster.txns();
        let Some(t) = txns.get_mut(id) else {
            return not_exists(label);
        };
        t.state = if commit {
            TxnState::Committed
        } else {
            TxnState::Prepared
        };
        t.prepared_at = Some(std::time::Instant::now());
        if let Some(pt) = prepared_timeout {
            t.prepared_timeout = pt;
        }
        t.counters = checked.counters;
        t.error_url = checked.error_url.clone();
        t.bodies.clear();
        t.pending = Some(Pending {
            counted: checked.batch.counted,
            ops: checked.batch.ops,
            mode,
        });
        t.load_bytes
    };
    let mut status = "OK";
    if commit {
        match cluster.faults.take(&table, Fault::at_commit) {
            Some(Fault::PublishTimeout { visible_after }) => {
                cluster.publish_later(id, visible_after);
                status = "PUBLISH_TIMEOUT";
            }
            Some(Fault::DropReplyAfterCommit) => {
                cluster.publish(id);
                return Outcome::dropped("after commit (injected)", 0);
            }
            _ => {
                cluster.publish(id);
            }
        }
    }
    let c = checked.counters;
    let mut answer = BeAnswer::new(status, "")
        .with("Label", label)
        .with("TxnId", id)
        .with("NumberTotalRows", c.total)
        .with("NumberLoadedRows", c.loaded)
        .with("NumberFilteredRows", c.filtered)
        .with("NumberUnselectedRows", c.unselected)
        .with("LoadBytes", load_bytes)
        .with("LoadTimeMs", 0)
        .with("StreamLoadPlanTimeMs", 0)
        .with("ReceivedDataTimeMs", 0)
        .with("WriteDataTimeMs", 0)
        .with("CommitAndPublishTimeMs", 0);
    if let Some(url) = checked.error_url {
        answer = answer.with("ErrorURL", url);
    }
    answer.outcome(0)
}

fn rollback(cluster: &Arc<Cluster>, be: usize, db: &str, label: &str) -> Outcome {
    let Some(id) = live_txn(cluster, be, db, label) else {
        return not_exists(label);
    };
    cluster.txns().abort(id, "rolled back by the user");
    BeAnswer::new("OK", "").outcome(0)
}

/// `/api/transaction/list`: one pretty JSON object per live transaction, not in an array.
fn list(cluster: &Arc<Cluster>, be: usize) -> Outcome {
    let live = cluster.txns().live_on_be(be);
    let mut out = String::new();
    for t in live {
        let mut m = Map::new();
        m.insert(
            "Status".into(),
            if t.in_process { "InProcessing" } else { "OK" }.into(),
        );
        m.insert("Label".into(), t.label.clone().into());
        m.insert("TxnId".into(), t.id.into());
        m.insert("LoadBytes".into(), t.load_bytes.into());
        m.insert("TransactionTimeoutSec".into(), t.timeout.as_secs().into());
        m.insert(
            "IdleTransactionTimeoutSec".into(),
            t.idle_timeout
                .map(|d| d.as_secs() as i64)
                .unwrap_or(-1)
                .into(),
        );
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        serde::Serialize::serialize(&Value::Object(m), &mut ser)
            .expect("a JSON value always serializes");
        out.push_str(&String::from_utf8_lossy(&buf));
        out.push('\n');
    }
    Outcome::reply(text(StatusCode::OK, out), "", 0)
}
