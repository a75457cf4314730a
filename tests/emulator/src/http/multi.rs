//! Multi-table Transaction Stream Load (StarRocks 4.0): `/api/transaction/{begin,load,
//! prepare,commit,rollback}` with the header `transaction_type: multi` (any case).
//!
//! One label, one transaction, loads into several tables of one database, visible together
//! at commit. The leader FE owns it (`MultiStatementTransactionHandler`, `StreamLoadMgr`,
//! `StreamLoadMultiStmtTask` in `fe/fe-core/.../http/rest/transaction/` and
//! `.../load/streamload/`): it answers begin, prepare, commit and rollback itself, and sends
//! each load with a 307 to the BE that coordinates that table. The BE keeps one channel per
//! table (`be/src/http/action/transaction_stream_load.cpp`), so the "load request not equal
//! last." rule holds per table. Facts and messages come from those sources as of StarRocks
//! main early 2026 (after PR #68542, before PR #78790) and from StarRocks' SQL tests
//! `test/sql/test_stream_load/R/test_stream_load_multi_table_rollback`,
//! `test_multi_statement_txn` and `test_be_reject_transaction_type`. Where the 4.0 docs
//! (`docs/en/loading/Stream_Load_transaction_interface.md`) disagree, the source wins:
//! - prepare is not supported (`Unsupported operation: TXN_PREPARE`), although the docs show
//!   `/api/transaction/prepare` with `transaction_type:multi`; the Flink connector's SDK
//!   skips prepare for the same reason (`SharedTransactionCoordinator`);
//! - a label whose multi-table transaction was rolled back cannot be begun again while the
//!   FE keeps the task (`stream_load_task_keep_max_second`, three days; the emulator keeps
//!   it for good): the second begin answers LABEL_ALREADY_EXISTS, unlike a single-table
//!   label;
//! - the transaction times out `timeout` seconds (from begin's header; 20 s without one,
//!   `TransactionLoadAction.DEFAULT_TXN_TIMEOUT_MILLIS`) after begin; `idle_transaction_
//!   timeout` and `prepared_timeout` do not apply.
//!
//! One choice is the emulator's: a load the BE refuses (its answer is not OK) cancels the
//! whole transaction, as the docs' "Precautions" promise for any failed load; the BE's
//! channel path was not traced far enough to confirm it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value};

use super::be::{lookup_table, parse_and_check};
use super::fe::{fe_faults, same_request_on};
use super::txn_load::{load_ok, not_exists, receive, BeAnswer, Received};
use super::{header, redirect, Outcome};
use crate::faults::Fault;
use crate::state::multi::{Channel, MultiState};
use crate::state::{Cluster, Pending, TxnState};

/// Whether a transaction call asks for a multi-table transaction
/// (`TransactionLoadAction.toTxnOperationParams`: `transaction_type` equal, ignoring case,
/// to `multi`).
pub fn is_multi(parts: &Parts) -> bool {
    header(parts, "transaction_type").is_some_and(|t| t.eq_ignore_ascii_case("multi"))
}

/// An FE answer: a `TransactionResult`, which Gson pretty-prints with two spaces.
fn answer(status: &str, message: &str, fields: &[(&str, Value)]) -> Outcome {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert((*k).into(), v.clone());
    }
    // Kept in place when `fields` gave them a position (a map insert keeps the slot).
    m.insert("Status".into(), status.into());
    m.insert("Message".into(), message.into());
    let mut body = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut ser = serde_json::Serializer::with_formatter(&mut body, fmt);
    serde::Serialize::serialize(&Value::Object(m), &mut ser)
        .expect("a JSON value always serializes");
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html"),
    );
    Outcome::reply(resp, format!("{status} {message}"), 0)
}

fn failed(message: String) -> Outcome {
    answer("FAILED", &message, &[])
}

/// The FE's rendering of an exception that escaped the handler:
/// `TransactionLoadAction.executeWithoutPassword` answers `e.getClass() + ": " + message`.
fn exception(class: &str, message: &str) -> String {
    format!("class {class}: {message}")
}

const STARROCKS_EXCEPTION: &str = "com.starrocks.common.StarRocksException";
const META_NOT_FOUND: &str = "com.starrocks.common.MetaNotFoundException";

/// A multi-table transaction call on the leader FE (auth, leader, op, `db` and `label` are
/// already checked by `txn::fe`).
pub async fn fe(cluster: &Arc<Cluster>, parts: &Parts, op: &str, db: &str, label: &str) -> Outcome {
    // toTxnOperationParams parses `timeout` with Long.parseLong before any handler runs.
    let timeout = match header(parts, "timeout") {
        None => Duration::from_millis(20_000),
        Some(t) => match t.parse::<i64>() {
            Ok(secs) => Duration::from_secs(u64::try_from(secs).unwrap_or(0)),
            Err(_) => {
                return failed(exception(
                    "java.lang.NumberFormatException",
                    &format!("For input string: \"{t}\""),
                ))
            }
        },
    };
    match op {
        "begin" => begin(cluster, db, label, timeout),
        "load" => load(cluster, parts, db, label).await,
        "commit" => commit(cluster, label).await,
        "rollback" => rollback(cluster, label),
        // The handler's switch has no TXN_PREPARE case: its default throws.
        _ => failed(exception(
            STARROCKS_EXCEPTION,
            "Unsupported operation: TXN_PREPARE",
        )),
    }
}

/// `StreamLoadMgr.beginMultiStatementLoadTask`: answered by the FE, no BE involved; the
/// `table` header is not read.
fn begin(cluster: &Arc<Cluster>, db: &str, label: &str, timeout: Duration) -> Outcome {
    if !cluster.catalog.has_database(db) {
        return failed(exception(
            STARROCKS_EXCEPTION,
            &format!("Database[{db}] does not exist"),
        ));
    }
    let mut txns = cluster.txns();
    // A task with this label, in any database (the manager keys tasks by label alone).
    if let Some(t) = txns.multi_id(label).and_then(|id| txns.get(id)) {
        let state = t.multi.as_ref().map_or(MultiState::Begin, |m| m.state);
        if state == MultiState::Committed {
            return answer(
                "LABEL_ALREADY_EXISTS",
                &format!("Label [{label}] has already been used."),
                &[("ExistingJobStatus", state.name().into())],
            );
        }
        return answer(
            "LABEL_ALREADY_EXISTS",
            &format!(
                "Transaction already started with label [{label}], txnId: {}",
                t.id
            ),
            &[
                ("ExistingJobStatus", state.name().into()),
                ("TxnId", t.id.into()),
            ],
        );
    }
    // Then the transaction manager's label check, as a single-table begin makes it.
    if let Some(t) = txns.latest(db, label) {
        if t.state != TxnState::Aborted {
            return answer(
                "LABEL_ALREADY_EXISTS",
                &format!("Label [{label}] has already been used."),
                &[
                    ("ExistingJobStatus", t.state.name().into()),
                    ("Db", db.into()),
                ],
            );
        }
    }
    txns.begin_multi(db, label, timeout);
    answer("OK", "", &[])
}

/// Why the FE refuses a load for the task's state (`StreamLoadMultiStmtTask.
/// checkLoadAllowed`), or `None` while loads are allowed.
fn load_refused(label: &str, state: MultiState, error: &str) -> Option<String> {
    match state {
        MultiState::Begin => None,
        MultiState::Cancelled => Some(format!(
            "stream load task {label} has already been cancelled: {error}"
        )),
        MultiState::Committed => Some(format!(
            "stream load task {label} has already been {}",
            state.name().to_ascii_lowercase()
        )),
        MultiState::Committing => Some(format!(
            "stream load task {label} is committing, can not accept new loads"
        )),
    }
}

/// `StreamLoadMgr.executeLoadTask`: finds the table's channel (created at the table's first
/// load) and redirects the load to its BE. Failures here cancel the transaction.
async fn load(cluster: &Arc<Cluster>, parts: &Parts, db: &str, label: &str) -> Outcome {
    let table = header(parts, "table");
    let be = {
        let mut txns = cluster.txns();
        let Some(id) = txns.multi_id(label) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        let Some(t) = txns.get(id) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        let (state, error) = t
            .multi
            .as_ref()
            .map_or((MultiState::Cancelled, String::new()), |m| {
                (m.state, m.error.clone())
            });
        if t.db != db {
            let m = format!(
                "Request database {db} not equal transaction database {}",
                t.db
            );
            txns.abort(id, &m);
            return failed(exception(STARROCKS_EXCEPTION, &m));
        }
        if let Some(m) = load_refused(label, state, &error) {
            return failed(m);
        }
        let name = table.clone().unwrap_or_else(|| "null".to_string());
        if table.is_none() || cluster.catalog.schema(db, &name).is_err() {
            let m = format!("Failed to find table {name} in db {db}");
            txns.abort(id, &m);
            return failed(exception(META_NOT_FOUND, &m));
        }
        let Some(m) = txns.get_mut(id).and_then(|t| t.multi.as_mut()) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        m.tables
            .entry(name)
            .or_insert_with(|| Channel::new(cluster.choose_be()))
            .be
    };
    let table = table.unwrap_or_default();
    let target = fe_faults(cluster, &table, cluster.bes[be]).await;
    let location = same_request_on(target, parts);
    Outcome::reply(redirect(&location, false), location, 0)
}

/// The BE side of a multi-table load: the channel of `table` on this BE. Answers
/// TXN_NOT_EXISTS when there is none (never redirected here, or the transaction ended).
pub async fn be_load(
    cluster: &Arc<Cluster>,
    be: usize,
    parts: &Parts,
    body: Incoming,
    db: &str,
    label: &str,
) -> Outcome {
    let table = header(parts, "table").unwrap_or_default();
    // Claim the channel for this request.
    let (id, previous, load_bytes) = {
        let mut txns = cluster.txns();
        let Some(id) = txns.multi_id(label) else {
            return not_exists(label);
        };
        let Some(t) = txns.get_mut(id) else {
            return not_exists(label);
        };
        let txn_db = t.db.clone();
        let Some(m) = t.multi.as_mut().filter(|m| m.state == MultiState::Begin) else {
            return not_exists(label);
        };
        let Some(channel) = m.tables.get_mut(&table).filter(|c| c.be == be) else {
            return not_exists(label);
        };
        if txn_db != db {
            return BeAnswer::new(
                "INVALID_ARGUMENT",
                format!("Request database {db} not equal transaction database {txn_db}"),
            )
            .outcome(0);
        }
        if channel.in_process {
            return BeAnswer::new("TXN_IN_PROCESSING", "")
                .with("Label", label)
                .outcome(0);
        }
        channel.in_process = true;
        (id, channel.params.clone(), channel.load_bytes)
    };
    let received = receive(
        cluster,
        parts,
        body,
        &table,
        previous.as_ref(),
        load_bytes,
        true,
    )
    .await;
    let mut txns = cluster.txns();
    let channel = txns
        .get_mut(id)
        .and_then(|t| {
            t.last_active = Instant::now();
            t.multi.as_mut()
        })
        .filter(|m| m.state == MultiState::Begin)
        .and_then(|m| m.tables.get_mut(&table));
    let Some(channel) = channel else {
        // Cancelled (rolled back, timed out) while the body was read.
        return BeAnswer::new("ABORTED", "current transaction is aborted").outcome(0);
    };
    channel.in_process = false;
    match received {
        Ok(Received::Reply(outcome)) => outcome,
        Ok(Received::Data {
            params,
            data,
            bytes,
        }) => {
            channel.params = Some(params);
            channel.bodies.push(data);
            channel.load_bytes += bytes;
            drop(txns);
            load_ok(label, id, bytes)
        }
        Err((status, message, bytes)) => {
            txns.abort(id, &message);
            BeAnswer::new(status, message).outcome(bytes)
        }
    }
}

/// One table's rows, checked and ready to publish.
type Checked = (String, Pending);

/// Parses every table's loads. `Err` is the message of the first table that fails, and the
/// failure of one table fails them all.
fn check_tables(cluster: &Arc<Cluster>, id: i64, db: &str) -> Result<Vec<Checked>, String> {
    let channels: Vec<(String, Channel)> = cluster
        .txns()
        .get(id)
        .and_then(|t| t.multi.as_ref())
        .map(|m| {
            m.tables
                .iter()
                .map(|(k, c)| (k.clone(), c.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (table, channel) in channels {
        let fail = |m: String| format!("Failed to load table {table}: {m}");
        let schema = lookup_table(cluster, db, &table).map_err(fail)?;
        let Some(params) = channel.params else {
            // Redirected but never sent: the table's load finishes with no rows.
            continue;
        };
        let mode = params.apply_mode(&schema).map_err(fail)?;
        let checked = parse_and_check(cluster, channel.be, id, &schema, &params, &channel.bodies);
        if let Some(message) = checked.failure {
            let mut m = fail(message);
            if let Some(url) = checked.error_url {
                m.push_str(&format!(", tracking_url: {url}"));
            }
            return Err(m);
        }
        out.push((
            table,
            Pending {
                counted: checked.batch.counted,
                ops: checked.batch.ops,
                mode,
            },
        ));
    }
    Ok(out)
}

/// `StreamLoadMultiStmtTask.commitTxn`, on the FE: finishes every table's load, commits the
/// one transaction and waits for it to publish. The `db` header is not checked.
async fn commit(cluster: &Arc<Cluster>, label: &str) -> Outcome {
    let (id, db, tables, wait) = {
        let mut txns = cluster.txns();
        let Some(id) = txns.multi_id(label) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        let Some(t) = txns.get_mut(id) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        let (db, wait) = (t.db.clone(), t.timeout);
        let Some(m) = t.multi.as_mut() else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        match m.state {
            MultiState::Committed => {
                return answer(
                    "OK",
                    &format!("Transaction {id} has already committed, label is {label}"),
                    &[("Label", label.into()), ("TxnId", id.into())],
                )
            }
            MultiState::Cancelled => {
                return failed(format!(
                    "Can not commit CANCELLED transaction {id}, label is {label}"
                ))
            }
            MultiState::Committing => {
                return failed(format!(
                    "Transaction {id} is already committing, label is {label}"
                ))
            }
            MultiState::Begin => m.state = MultiState::Committing,
        }
        let tables: Vec<String> = m.tables.keys().cloned().collect();
        (id, db, tables, wait)
    };
    let checked = check_tables(cluster, id, &db);
    {
        let mut txns = cluster.txns();
        let Some(t) = txns.get_mut(id) else {
            return failed(exception(
                STARROCKS_EXCEPTION,
                &format!("stream load task {label} does not exist"),
            ));
        };
        match checked {
            Err(message) => {
                // The commit had registered the transaction before a table failed, so the
                // label reads ABORTED afterwards. (Back to BEGIN first: `abort` leaves a
                // committing transaction alone.)
                if let Some(m) = t.multi.as_mut() {
                    m.state = MultiState::Begin;
                    m.registered = true;
                }
                txns.abort(id, &message);
                return failed(message);
            }
            Ok(pending) => {
                let m = t.multi.get_or_insert_with(Default::default);
                m.state = MultiState::Committed;
                if pending.is_empty() && tables.is_empty() {
                    // Nothing loaded: commitStmt ends the explicit transaction without the
                    // transaction manager ever hearing of it.
                    t.state = TxnState::Visible;
                    return answer("OK", "", &[]);
                }
                m.registered = true;
                m.pending = pending;
                t.state = TxnState::Committed;
            }
        }
    }
    let fault = tables
        .iter()
        .find_map(|table| cluster.faults.take(table, Fault::at_commit));
    match fault {
        Some(Fault::PublishTimeout { visible_after }) => {
            // commitStmt waits for the publish and, when it does not come in time, still
            // reports success with the transaction COMMITTED.
            cluster.publish_later(id, visible_after);
            tokio::time::sleep(visible_after.min(wait)).await;
        }
        Some(Fault::DropReplyAfterCommit) => {
            cluster.publish(id);
            return Outcome::dropped("after commit (injected)", 0);
        }
        _ => {
            cluster.publish(id);
        }
    }
    // The sub-tasks' prepareChannel put these entries in the result.
    answer(
        "OK",
        "",
        &[
            ("Label", label.into()),
            ("Status", "OK".into()),
            ("TxnId", id.into()),
            ("ChannelId", 0.into()),
            ("Message", "".into()),
            ("Prepared Channel Num", 1.into()),
        ],
    )
}

/// `StreamLoadMultiStmtTask.manualCancelTask`, on the FE. The `db` header is not checked.
fn rollback(cluster: &Arc<Cluster>, label: &str) -> Outcome {
    let mut txns = cluster.txns();
    let Some((id, state)) = txns.multi_id(label).and_then(|id| txns.get(id)).map(|t| {
        (
            t.id,
            t.multi.as_ref().map_or(MultiState::Cancelled, |m| m.state),
        )
    }) else {
        // StreamLoadMgr.rollbackLoadTask builds this message without spaces around the label.
        return failed(exception(
            STARROCKS_EXCEPTION,
            &format!("stream load task{label}does not exist"),
        ));
    };
    match state {
        MultiState::Committed => failed(format!(
            "Can not abort VISIBLE transaction {id}, label is {label}"
        )),
        MultiState::Cancelled => answer(
            "OK",
            &format!("Transaction {id} has already aborted, label is {label}"),
            &[("Label", label.into()), ("TxnId", id.into())],
        ),
        MultiState::Committing => failed(format!(
            "Can not abort transaction {id} during committing, label is {label}"
        )),
        MultiState::Begin => {
            txns.abort(id, "manual abort");
            answer("OK", &format!("stream load {label} abort"), &[])
        }
    }
}
