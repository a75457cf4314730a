//! A multi-table transaction (StarRocks 4.0, `transaction_type: multi`) as the leader FE
//! tracks it: one label and one transaction id for loads into several tables of one
//! database.
//!
//! StarRocks keeps it as a `StreamLoadMultiStmtTask` in the FE's `StreamLoadMgr`, keyed by
//! label alone (not by database), with one sub-task per table, each a one-channel load whose
//! coordinator BE receives that table's `/api/transaction/load` bodies
//! (`fe/.../load/streamload/StreamLoadMultiStmtTask.java`). Its states are the task's, with
//! StarRocks' spelling: BEGIN → COMMITING → COMMITED, or → CANCELLED on rollback, timeout or
//! a failed load or commit. The invariant kept here: a table's rows reach the catalog only
//! when the whole transaction publishes, all tables at once.

use std::collections::BTreeMap;

use crate::load::LoadParams;
use crate::state::Pending;

/// The task's state, named as StarRocks names `StreamLoadMultiStmtTask.State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiState {
    Begin,
    Committing,
    Committed,
    Cancelled,
}

impl MultiState {
    /// The name StarRocks puts in `ExistingJobStatus` (its enum constant, typos included).
    pub fn name(self) -> &'static str {
        match self {
            MultiState::Begin => "BEGIN",
            MultiState::Committing => "COMMITING",
            MultiState::Committed => "COMMITED",
            MultiState::Cancelled => "CANCELLED",
        }
    }
}

/// One table of the transaction: its coordinator BE and what its loads sent.
#[derive(Debug, Clone)]
pub struct Channel {
    /// The BE the FE sends this table's loads to.
    pub be: usize,
    /// The parameters of the table's first load; its later loads must match them.
    pub params: Option<LoadParams>,
    /// The decompressed bodies, in order.
    pub bodies: Vec<Vec<u8>>,
    /// Bytes received over all loads (the BE's size limits apply to the sum).
    pub load_bytes: u64,
    /// A load of this table is being served (TXN_IN_PROCESSING for another).
    pub in_process: bool,
}

impl Channel {
    pub fn new(be: usize) -> Channel {
        Channel {
            be,
            params: None,
            bodies: Vec::new(),
            load_bytes: 0,
            in_process: false,
        }
    }
}

/// The multi-table part of a [`Txn`](crate::state::Txn).
#[derive(Debug, Clone)]
pub struct MultiTxn {
    pub state: MultiState,
    /// Why it was cancelled (the text StarRocks appends to "has already been cancelled: ").
    pub error: String,
    /// Tables in the order of their names (StarRocks iterates a hash map; any order is
    /// faithful).
    pub tables: BTreeMap<String, Channel>,
    /// Whether the FE's transaction manager knows the label, i.e. whether
    /// `get_load_state` can see it. StarRocks registers a multi-statement transaction with
    /// its `DatabaseTransactionMgr` only when the commit adds the tables' loads
    /// (`TransactionStmtExecutor.loadData`); until then the label is UNKNOWN there.
    pub registered: bool,
    /// Rows per table, waiting for the publish.
    pub pending: Vec<(String, Pending)>,
}

impl MultiTxn {
    pub fn new() -> MultiTxn {
        MultiTxn {
            state: MultiState::Begin,
            error: String::new(),
            tables: BTreeMap::new(),
            registered: false,
            pending: Vec::new(),
        }
    }

    /// Cancels the task: every table's data is dropped.
    pub fn cancel(&mut self, reason: &str) {
        self.state = MultiState::Cancelled;
        self.error = reason.to_string();
        self.pending.clear();
        for channel in self.tables.values_mut() {
            channel.bodies.clear();
        }
    }
}

impl Default for MultiTxn {
    fn default() -> MultiTxn {
        MultiTxn::new()
    }
}
