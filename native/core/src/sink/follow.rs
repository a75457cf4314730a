//! What a table must be before a load is sent to it, made sure of over the FE's MySQL protocol
//! by the table's worker:
//!
//! - Tables that follow the source (`starrocks.table.create`, `starrocks.table.evolve`): when
//!   the load's rows ask for columns (`ddl::Columns`), the table has them — `DESC`, then `CREATE
//!   TABLE IF NOT EXISTS` for a table that is not there, `ALTER TABLE … ADD COLUMN` for the
//!   fields it lacks — and `DESC` shows them (a schema change that is not a fast one runs as a
//!   job after the statement returns).
//! - Under `starrocks.envelope=debezium`, the table is a primary-key table
//!   (`information_schema.tables_config`), checked once: on any other table `__op` is not a
//!   column, and deletes would load as rows. When the FE cannot be asked and nothing else needs
//!   it, the load goes on without the check, with a warning.
//!
//! What a table was found to have is remembered, so a load whose columns it already has costs
//! no statement. Each table has its own lock: a slow statement on one table holds up no other.
//! A statement another task ran first (the column is already there) is no failure. Errors are
//! the load's failures: an FE out of reach is transient; a refusal (no privilege, a column whose
//! type no longer fits) is permanent, retried like any failing load until it is mended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::config::{Envelope, SinkConfig};
use crate::ddl::{self, Columns, Existing};
use crate::error::{Error, Result};
use crate::query::QueryClient;
use crate::stream_load::{Backoff, Ended, Failure, FailureKind, RetryPolicy};

/// How long the columns an `ALTER TABLE` added may take to show in `DESC`.
const SCHEMA_CHANGE_WAIT: Duration = Duration::from_secs(300);
/// How often `DESC` is asked meanwhile.
const SCHEMA_CHANGE_POLL: Duration = Duration::from_secs(1);

/// What is known of one table.
#[derive(Debug, Default)]
struct Known {
    /// Checked once: it exists (or was created) and, under the Debezium envelope, its model.
    ready: bool,
    /// Its columns as last described (tables that follow the source).
    columns: Vec<Existing>,
}

pub(super) struct Follower {
    query: QueryClient,
    database: String,
    create: bool,
    evolve: bool,
    properties: Vec<(String, String)>,
    /// Debezium's deletes need a primary-key table.
    needs_key: bool,
    tables: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Known>>>>,
}

impl Follower {
    /// `None` when no table needs anything made sure of.
    pub(super) fn of(config: &SinkConfig) -> Option<Follower> {
        let needed =
            config.table_create || config.table_evolve || config.envelope == Envelope::Debezium;
        needed.then(|| Follower {
            query: QueryClient::new(config),
            database: config.database.clone(),
            create: config.table_create,
            evolve: config.table_evolve,
            properties: config.table_properties.clone(),
            needs_key: config.envelope == Envelope::Debezium,
            tables: Mutex::new(HashMap::new()),
        })
    }

    /// Makes `table` fit for a load whose rows ask for `columns` (when they have a schema):
    /// created when missing (under `starrocks.table.create`), the columns it lacks added (under
    /// `starrocks.table.evolve`), a primary-key table (under the Debezium envelope).
    pub(super) async fn ensure(&self, table: &str, columns: Option<&Columns>) -> Result<()> {
        let known = Arc::clone(
            self.tables
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(table.to_owned())
                .or_default(),
        );
        let mut known = known.lock().await;
        let follows = self.create || self.evolve;
        // Whether the columns described before (a table always has some) take `c`'s values,
        // and have all of them when the table is to gain columns.
        let suffices = |c: &Columns, known: &Known| {
            !known.columns.is_empty()
                && ddl::missing(c, &known.columns).is_ok_and(|m| !self.evolve || m.is_empty())
        };
        match columns.filter(|_| follows) {
            _ if !known.ready => {}
            None => return Ok(()),
            Some(c) if suffices(c, &known) => return Ok(()),
            Some(_) => {}
        }
        if let Some(columns) = columns.filter(|_| follows) {
            known.columns = self.follow(table, columns).await?;
        }
        if !known.ready {
            if self.needs_key {
                self.check_model(table, follows).await?;
            }
            known.ready = true;
        }
        Ok(())
    }

    /// Creates the table or adds the columns it lacks, as configured; its columns then.
    async fn follow(&self, table: &str, columns: &Columns) -> Result<Vec<Existing>> {
        let existing = match self.describe(table).await {
            Ok(existing) => existing,
            Err(e) if self.create && !e.is_retriable() => {
                self.create(table, columns).await?;
                self.describe(table).await?
            }
            Err(e) if !self.create && !e.is_retriable() => {
                return Err(Error::fatal(format!(
                    "{e} (if the table is missing: starrocks.table.create is off, so the sink \
                     does not create it)"
                )))
            }
            Err(e) => return Err(e),
        };
        if self.evolve {
            self.add_missing(table, columns, existing).await
        } else {
            // Not to gain columns, but still never to load values a column cannot hold.
            ddl::missing(columns, &existing).map_err(|reason| self.unfit(table, reason))?;
            Ok(existing)
        }
    }

    fn unfit(&self, table: &str, reason: String) -> Error {
        Error::fatal(format!("table '{}': {reason}", self.name(table)))
    }

    /// Whether the table is a primary-key table, as `information_schema.tables_config` says.
    /// `required`: the FE is needed anyway (tables that follow the source), so not reaching it
    /// is a failure; otherwise the load goes on unchecked, with a warning.
    async fn check_model(&self, table: &str, required: bool) -> Result<()> {
        let literal = |s: &str| s.replace('\\', "\\\\").replace('\'', "''");
        let sql = format!(
            "SELECT TABLE_MODEL FROM information_schema.tables_config \
             WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{}'",
            literal(&self.database),
            literal(table)
        );
        match self.query.value(&sql).await {
            Ok(Some(model)) if model.eq_ignore_ascii_case("PRI_KEYS") => Ok(()),
            Ok(Some(model)) => Err(Error::fatal(format!(
                "table '{}' is a {model} table, but starrocks.envelope=debezium needs a \
                 primary-key table: anywhere else __op is no column, and deletes would load as \
                 rows. Create it with PRIMARY KEY, or let the sink create it \
                 (starrocks.table.create=true)",
                self.name(table)
            ))),
            Ok(None) => {
                tracing::warn!(table, "information_schema.tables_config has no row for the table (missing, or not visible to this user): whether it is a primary-key table was not checked.");
                Ok(())
            }
            Err(e) if required => Err(e),
            Err(e) => {
                tracing::warn!(table, error = %e, "Could not check that the table is a primary-key table (starrocks.envelope=debezium needs one): loading without the check.");
                Ok(())
            }
        }
    }

    fn name(&self, table: &str) -> String {
        format!("{}.{table}", self.database)
    }

    /// The table's columns as `DESC` shows them.
    async fn describe(&self, table: &str) -> Result<Vec<Existing>> {
        let sql = format!(
            "DESC `{}`.`{}`",
            self.database.replace('`', "``"),
            table.replace('`', "``")
        );
        let rows = self.query.rows(&sql).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let text = |i: usize| row.get_opt::<String, usize>(i).and_then(|v| v.ok());
                Some(Existing {
                    name: text(0)?,
                    ty: text(1)?,
                })
            })
            .collect())
    }

    async fn create(&self, table: &str, columns: &Columns) -> Result<()> {
        let refused = |reason: &str| {
            Error::fatal(format!(
                "cannot create table '{}' (starrocks.table.create): {reason}; create it yourself",
                self.name(table)
            ))
        };
        if self.needs_key && columns.key.is_empty() {
            return Err(refused(
                "starrocks.envelope=debezium deletes rows by primary key, and the record key \
                 has no STRUCT schema whose fields are all in the row",
            ));
        }
        let sql = ddl::create_table(&self.database, table, columns, &self.properties)
            .map_err(|reason| refused(&reason))?;
        self.query.execute(&sql).await?;
        tracing::info!(table, statement = %sql, "Created the table from the records' schema.");
        Ok(())
    }

    /// Adds the columns the table lacks and waits until `DESC` shows them; what it then has.
    async fn add_missing(
        &self,
        table: &str,
        columns: &Columns,
        existing: Vec<Existing>,
    ) -> Result<Vec<Existing>> {
        let lacking = |existing: &[Existing]| -> Result<Vec<String>> {
            ddl::missing(columns, existing)
                .map(|m| m.iter().map(|c| c.name.clone()).collect())
                .map_err(|reason| self.unfit(table, reason))
        };
        let missing =
            ddl::missing(columns, &existing).map_err(|reason| self.unfit(table, reason))?;
        if missing.is_empty() {
            return Ok(existing);
        }
        let sql = ddl::add_columns(&self.database, table, &missing);
        let names = missing
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if let Err(e) = self.query.execute(&sql).await {
            if e.is_retriable() {
                return Err(e);
            }
            // Another task may have added them first.
            let now = self.describe(table).await?;
            if lacking(&now)?.is_empty() {
                return Ok(now);
            }
            return Err(e);
        }
        tracing::info!(table, columns = %names, statement = %sql, "Added the columns the records' schema gained.");
        let deadline = Instant::now() + SCHEMA_CHANGE_WAIT;
        loop {
            let now = self.describe(table).await?;
            let still = lacking(&now)?;
            if still.is_empty() {
                return Ok(now);
            }
            if Instant::now() >= deadline {
                return Err(Error::retriable(format!(
                    "table '{}' still lacks column(s) {} {} s after ALTER TABLE … ADD COLUMN \
                     (a schema change job still running?)",
                    self.name(table),
                    still.join(", "),
                    SCHEMA_CHANGE_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(SCHEMA_CHANGE_POLL).await;
        }
    }
}

/// Runs [`Follower::ensure`] until the table has `columns`, as a load retries: each failure
/// goes to `on_failure` (logged, counted, the table marked failing), waits out its backoff, and
/// ends the load when the policy gives up or the load is cancelled.
pub(super) async fn prepare(
    follower: &Follower,
    table: &str,
    columns: Option<&Columns>,
    policy: &RetryPolicy,
    on_failure: &mut impl FnMut(&Failure),
    cancel: &mut watch::Receiver<bool>,
) -> std::result::Result<(), Ended> {
    let backoff = Backoff::for_label(table);
    let mut failures = 0u32;
    let mut first_failure: Option<Instant> = None;
    loop {
        if *cancel.borrow() {
            return Err(Ended::Cancelled { rollback: false });
        }
        // The statements are safe to cut short and run again: a cancelled load stops here.
        let ensured = tokio::select! {
            ensured = follower.ensure(table, columns) => ensured,
            _ = cancel.wait_for(|c| *c) => return Err(Ended::Cancelled { rollback: false }),
        };
        let error = match ensured {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        failures = failures.saturating_add(1);
        let kind = if error.is_retriable() {
            FailureKind::Transient
        } else {
            FailureKind::Permanent
        };
        let failing_for = first_failure.get_or_insert_with(Instant::now).elapsed();
        let judgement = policy.judge(kind, failures, failing_for);
        let failure = Failure {
            number: failures,
            kind,
            reason: error.to_string(),
            judgement,
            backoff: backoff.delay(failures),
        };
        on_failure(&failure);
        if judgement.give_up {
            return Err(Ended::GaveUp(Error::fatal(format!(
                "table '{}' could not be made to follow the records' schema after {failures} \
                 attempt(s): {error}",
                follower.name(table)
            ))));
        }
        tokio::select! {
            _ = tokio::time::sleep(failure.backoff) => {}
            _ = cancel.wait_for(|c| *c) => return Err(Ended::Cancelled { rollback: false }),
        }
    }
}
