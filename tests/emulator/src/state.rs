//! Cluster-wide state: the nodes, transactions by label, and rejected-row logs.
//!
//! Every load, plain or through the transaction API, is a [`Txn`] here, and its state moves
//! only forward: PREPARE → (PREPARED →) COMMITTED → VISIBLE, or to ABORTED from PREPARE or
//! PREPARED. Rows reach the catalog only in [`Cluster::publish`], which is what makes a load
//! VISIBLE; a label is "in use" while its newest transaction is not ABORTED. A multi-table
//! transaction (`multi`) is one [`Txn`] whose rows, for every table, publish together.

pub mod multi;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::auth::Users;
use crate::catalog::{ApplyMode, Catalog, RowOp};
use crate::faults::Faults;
use crate::leader::Frontends;
use crate::load::{LoadParams, Rejected};
use crate::version::Version;
use multi::{MultiState, MultiTxn};

/// The FE's Thrift `rpc_port` a BE calls (StarRocks' default; the emulator serves no Thrift,
/// so it only appears in messages).
pub const FE_RPC_PORT: u16 = 9020;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    Prepare,
    Prepared,
    Committed,
    Visible,
    Aborted,
}

impl TxnState {
    /// The state name `get_load_state` reports.
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Prepare => "PREPARE",
            TxnState::Prepared => "PREPARED",
            TxnState::Committed => "COMMITTED",
            TxnState::Visible => "VISIBLE",
            TxnState::Aborted => "ABORTED",
        }
    }

    /// `ExistingJobStatus` of a "Label Already Exists" answer.
    pub fn existing_job_status(self) -> &'static str {
        match self {
            TxnState::Committed | TxnState::Visible => "FINISHED",
            _ => "RUNNING",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, TxnState::Committed | TxnState::Visible)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    /// A plain `_stream_load`.
    Plain,
    /// Begun through `/api/transaction/begin`.
    Api,
    /// Begun through `/api/transaction/begin` with `transaction_type: multi` (StarRocks 4.0).
    Multi,
}

/// Row counts of a load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub total: u64,
    pub loaded: u64,
    pub filtered: u64,
    pub unselected: u64,
}

/// Rows waiting to be published.
#[derive(Debug, Clone)]
pub struct Pending {
    pub ops: Vec<RowOp>,
    pub mode: ApplyMode,
    /// Rows counted, not built (count-only mode): the table's count grows by this many.
    pub counted: u64,
}

impl Pending {
    /// A load of built rows only.
    pub fn of(ops: Vec<RowOp>, mode: ApplyMode) -> Pending {
        Pending {
            ops,
            mode,
            counted: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Txn {
    pub id: i64,
    pub db: String,
    pub table: String,
    pub label: String,
    pub kind: TxnKind,
    pub state: TxnState,
    /// Index of the coordinator BE.
    pub be: usize,
    pub begun: Instant,
    pub last_active: Instant,
    pub timeout: Duration,
    pub idle_timeout: Option<Duration>,
    pub prepared_at: Option<Instant>,
    pub prepared_timeout: Duration,
    /// Transaction API: the decompressed bodies of each load, in order.
    pub bodies: Vec<Vec<u8>>,
    /// Transaction API: the parameters of the first load; later loads must match.
    pub params: Option<LoadParams>,
    pub load_bytes: u64,
    /// A request on this label is being served (TXN_IN_PROCESSING for others).
    pub in_process: bool,
    pub pending: Option<Pending>,
    pub counters: Counters,
    pub error_url: Option<String>,
    pub reason: String,
    /// The tables of a multi-table transaction ([`TxnKind::Multi`] only).
    pub multi: Option<Box<MultiTxn>>,
}

#[derive(Debug, Default)]
pub struct Txns {
    next_id: i64,
    txns: HashMap<i64, Txn>,
    /// Labels by (database name, database id, label): a recreated database has none.
    by_label: HashMap<(String, u64, String), Vec<i64>>,
    /// Multi-table transactions by label alone: StarRocks' `StreamLoadMgr` keys its tasks by
    /// label, whatever the database.
    multi_by_label: HashMap<String, i64>,
    catalog: Option<Catalog>,
}

/// Why a label cannot be begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelInUse(pub TxnState);

impl Txns {
    pub fn get(&self, id: i64) -> Option<&Txn> {
        self.txns.get(&id)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut Txn> {
        self.txns.get_mut(&id)
    }

    /// The newest transaction with this label in this database.
    pub fn with_catalog(catalog: Catalog) -> Txns {
        Txns {
            catalog: Some(catalog),
            ..Txns::default()
        }
    }

    fn key(&self, db: &str, label: &str) -> (String, u64, String) {
        let id = self
            .catalog
            .as_ref()
            .and_then(|c| c.database_id(db))
            .unwrap_or(0);
        (db.to_string(), id, label.to_string())
    }

    pub fn latest(&self, db: &str, label: &str) -> Option<&Txn> {
        let ids = self.by_label.get(&self.key(db, label))?;
        ids.last().and_then(|id| self.txns.get(id))
    }

    pub fn latest_id(&self, db: &str, label: &str) -> Option<i64> {
        self.latest(db, label).map(|t| t.id)
    }

    /// Begins a transaction unless the label is in use (its newest transaction not ABORTED).
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        &mut self,
        db: &str,
        table: &str,
        label: &str,
        kind: TxnKind,
        be: usize,
        timeout: Duration,
        idle_timeout: Option<Duration>,
    ) -> Result<i64, LabelInUse> {
        if let Some(t) = self.latest(db, label) {
            if t.state != TxnState::Aborted {
                return Err(LabelInUse(t.state));
            }
        }
        self.next_id += 1;
        let id = 1000 + self.next_id;
        let now = Instant::now();
        self.txns.insert(
            id,
            Txn {
                id,
                db: db.to_string(),
                table: table.to_string(),
                label: label.to_string(),
                kind,
                state: TxnState::Prepare,
                be,
                begun: now,
                last_active: now,
                timeout,
                idle_timeout,
                prepared_at: None,
                prepared_timeout: Duration::from_secs(86_400),
                bodies: Vec::new(),
                params: None,
                load_bytes: 0,
                in_process: false,
                pending: None,
                counters: Counters::default(),
                error_url: None,
                reason: String::new(),
                multi: None,
            },
        );
        let key = self.key(db, label);
        self.by_label.entry(key).or_default().push(id);
        Ok(id)
    }

    /// Begins a multi-table transaction. The caller has checked the label (StarRocks' rules
    /// for a multi-table begin differ from [`Txns::begin`]'s, see `http::multi`).
    pub fn begin_multi(&mut self, db: &str, label: &str, timeout: Duration) -> i64 {
        self.next_id += 1;
        let id = 1000 + self.next_id;
        let now = Instant::now();
        self.txns.insert(
            id,
            Txn {
                id,
                db: db.to_string(),
                table: String::new(),
                label: label.to_string(),
                kind: TxnKind::Multi,
                state: TxnState::Prepare,
                be: 0,
                begun: now,
                last_active: now,
                timeout,
                idle_timeout: None,
                prepared_at: None,
                prepared_timeout: Duration::from_secs(86_400),
                bodies: Vec::new(),
                params: None,
                load_bytes: 0,
                in_process: false,
                pending: None,
                counters: Counters::default(),
                error_url: None,
                reason: String::new(),
                multi: Some(Box::new(MultiTxn::new())),
            },
        );
        let key = self.key(db, label);
        self.by_label.entry(key).or_default().push(id);
        self.multi_by_label.insert(label.to_string(), id);
        id
    }

    /// The multi-table transaction with this label, in whatever database.
    pub fn multi_id(&self, label: &str) -> Option<i64> {
        self.multi_by_label.get(label).copied()
    }

    /// What `get_load_state` reports for a label. A multi-table transaction is UNKNOWN to
    /// the FE's transaction manager until its commit registers it (see
    /// [`MultiTxn::registered`]).
    pub fn label_state(&self, db: &str, label: &str) -> &'static str {
        match self.latest(db, label) {
            None => "UNKNOWN",
            Some(t) if t.multi.as_ref().is_some_and(|m| !m.registered) => "UNKNOWN",
            Some(t) => t.state.name(),
        }
    }

    /// Aborts a transaction that is PREPARE or PREPARED. A multi-table transaction whose
    /// commit is running is left alone (StarRocks refuses to cancel a COMMITING task).
    pub fn abort(&mut self, id: i64, reason: &str) {
        if let Some(t) = self.txns.get_mut(&id) {
            if t.multi
                .as_ref()
                .is_some_and(|m| m.state == MultiState::Committing)
            {
                return;
            }
            if matches!(t.state, TxnState::Prepare | TxnState::Prepared) {
                t.state = TxnState::Aborted;
                t.reason = reason.to_string();
                t.pending = None;
                t.bodies.clear();
                if let Some(m) = t.multi.as_mut() {
                    m.cancel(reason);
                }
            }
        }
    }

    /// Aborts transactions past their begin, idle or prepared timeout.
    pub fn expire(&mut self, now: Instant) {
        let mut expired = Vec::new();
        for t in self.txns.values() {
            if let Some(m) = &t.multi {
                // StreamLoadMultiStmtTask.isTimeout: from begin, whatever the loads, and not
                // while a commit runs; there is no idle timeout.
                if m.state == MultiState::Begin && now.duration_since(t.begun) > t.timeout {
                    expired.push((
                        t.id,
                        format!("transaction timeout after {}ms", t.timeout.as_millis()),
                    ));
                }
                continue;
            }
            let reason = match t.state {
                TxnState::Prepare if now.duration_since(t.begun) >= t.timeout => Some(format!(
                    "transaction is aborted by timeout {} seconds.",
                    t.timeout.as_secs()
                )),
                TxnState::Prepare
                    if !t.in_process
                        && t.idle_timeout
                            .is_some_and(|idle| now.duration_since(t.last_active) >= idle) =>
                {
                    Some(format!(
                        "transaction is aborted by idle timeout {} seconds.",
                        t.idle_timeout.map(|d| d.as_secs()).unwrap_or_default()
                    ))
                }
                TxnState::Prepared
                    if t.prepared_at
                        .is_some_and(|at| now.duration_since(at) >= t.prepared_timeout) =>
                {
                    Some("prepared transaction timed out".to_string())
                }
                _ => None,
            };
            if let Some(reason) = reason {
                expired.push((t.id, reason));
            }
        }
        for (id, reason) in expired {
            self.abort(id, &reason);
        }
    }

    /// Live API transactions coordinated by one BE (for `/api/transaction/list`).
    pub fn live_on_be(&self, be: usize) -> Vec<Txn> {
        let mut v: Vec<Txn> = self
            .txns
            .values()
            .filter(|t| t.kind == TxnKind::Api && t.state == TxnState::Prepare && t.be == be)
            .cloned()
            .collect();
        v.sort_by_key(|t| t.id);
        v
    }
}

/// How the BE takes loads: its size limits (`streaming_load_max_mb`,
/// `streaming_load_max_batch_size_mb`), and whether it stores rows.
#[derive(Debug, Clone, Copy)]
pub struct BeLoads {
    pub max_body_bytes: u64,
    pub max_json_bytes: u64,
    /// Loads into duplicate-key tables are counted, not stored (`Config::count_only`).
    pub count_only: bool,
}

/// Everything the FE, BE and query front ends share.
#[derive(Debug)]
pub struct Cluster {
    pub catalog: Catalog,
    pub users: Users,
    pub faults: Faults,
    pub loads: BeLoads,
    /// The FEs, and which of them leads.
    pub frontends: Arc<Frontends>,
    pub bes: Vec<SocketAddr>,
    /// An address where nothing listens (for the unreachable-BE fault).
    pub unreachable: SocketAddr,
    /// The StarRocks version the cluster claims.
    pub version: Version,
    txns: Mutex<Txns>,
    error_logs: Mutex<HashMap<String, String>>,
    next_be: AtomicUsize,
}

impl Cluster {
    pub fn new(
        catalog: Catalog,
        users: Users,
        loads: BeLoads,
        frontends: Arc<Frontends>,
        bes: Vec<SocketAddr>,
        unreachable: SocketAddr,
        version: Version,
    ) -> Arc<Cluster> {
        let txns = Txns::with_catalog(catalog.clone());
        Arc::new(Cluster {
            catalog,
            users,
            faults: Faults::default(),
            loads,
            frontends,
            bes,
            unreachable,
            version,
            txns: Mutex::new(txns),
            error_logs: Mutex::new(HashMap::new()),
            next_be: AtomicUsize::new(0),
        })
    }

    pub fn txns(&self) -> MutexGuard<'_, Txns> {
        self.txns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Round-robin choice of a BE for a new load.
    pub fn choose_be(&self) -> usize {
        self.next_be.fetch_add(1, Ordering::Relaxed) % self.bes.len()
    }

    /// What a BE answers when it must ask the leader FE (to begin, prepare or commit a
    /// transaction) and no leader is elected: it calls the address it knew, where nothing
    /// answers. `None` while a leader serves.
    pub fn no_leader(&self) -> Option<String> {
        if self.frontends.leader().is_some() {
            return None;
        }
        Some(format!(
            "Couldn't open transport for {}:{FE_RPC_PORT} (connect() failed: Connection refused)",
            self.frontends.leader_addr().ip()
        ))
    }

    /// Makes a committed transaction's rows visible. Returns false if it was not COMMITTED.
    pub fn publish(&self, id: i64) -> bool {
        let mut txns = self.txns();
        let Some(t) = txns.get_mut(id) else {
            return false;
        };
        if t.state != TxnState::Committed {
            return false;
        }
        if let Some(pending) = t.pending.take() {
            // The table may have been dropped since; the load then publishes nothing.
            let _ = self.catalog.apply(&t.db, &t.table, &pending);
        }
        if let Some(m) = t.multi.as_mut() {
            // Every table at once, under one catalog lock: no query sees some tables of
            // the transaction and not the others.
            let pending = std::mem::take(&mut m.pending);
            self.catalog.apply_many(&t.db, &pending);
        }
        t.state = TxnState::Visible;
        true
    }

    /// Publishes after a delay (a slow publish).
    pub fn publish_later(self: &Arc<Self>, id: i64, delay: Duration) {
        let cluster = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            cluster.publish(id);
        });
    }

    /// Stores rejected rows and returns the ErrorURL that serves them (from the given BE).
    pub fn store_error_log(&self, be: usize, id: i64, rejected: &[Rejected]) -> String {
        let file = format!(
            "error_log_{:016x}_{:016x}",
            id,
            uuid::Uuid::new_v4().as_u64_pair().0
        );
        let mut text = String::new();
        for r in rejected {
            text.push_str(&format!("Error: {}. Row: {}\n", r.reason, r.row));
        }
        self.error_logs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file.clone(), text);
        format!("http://{}/api/_load_error_log?file={}", self.bes[be], file)
    }

    pub fn error_log(&self, file: &str) -> Option<String> {
        self.error_logs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(file)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_reusable_only_after_its_transaction_aborted() {
        let mut txns = Txns::default();
        let t = Duration::from_secs(600);
        let id = txns
            .begin("db", "t", "l1", TxnKind::Plain, 0, t, None)
            .unwrap();
        assert_eq!(
            txns.begin("db", "t", "l1", TxnKind::Plain, 0, t, None),
            Err(LabelInUse(TxnState::Prepare))
        );
        // Labels are per database.
        assert!(txns
            .begin("other", "t", "l1", TxnKind::Plain, 0, t, None)
            .is_ok());
        txns.abort(id, "test");
        let again = txns
            .begin("db", "t", "l1", TxnKind::Plain, 0, t, None)
            .unwrap();
        assert_ne!(again, id);
        assert_eq!(txns.latest("db", "l1").unwrap().state, TxnState::Prepare);
    }

    #[test]
    fn expire_aborts_transactions_past_their_timeouts() {
        let mut txns = Txns::default();
        let id = txns
            .begin(
                "db",
                "t",
                "l",
                TxnKind::Api,
                0,
                Duration::from_secs(600),
                Some(Duration::from_secs(5)),
            )
            .unwrap();
        let begun = txns.get(id).unwrap().begun;
        txns.expire(begun + Duration::from_secs(4));
        assert_eq!(txns.get(id).unwrap().state, TxnState::Prepare);
        txns.expire(begun + Duration::from_secs(5));
        let t = txns.get(id).unwrap();
        assert_eq!(t.state, TxnState::Aborted);
        assert!(t.reason.contains("idle timeout 5"));
    }
}
