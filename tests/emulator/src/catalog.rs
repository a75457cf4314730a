//! Databases, table schemas and the rows they hold.
//!
//! The catalog is the only owner of table data. Loads never write rows directly: a load
//! produces a [`RowOp`] list and hands it to [`Catalog::apply`] when its transaction is
//! published, so a row is visible exactly when its load is VISIBLE. One mutex guards the
//! whole catalog, which keeps every publish atomic with respect to queries.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::types::{ColumnType, Value};

/// A column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    /// The DEFAULT literal, if the DDL gave one (already converted to the column type).
    pub default: Option<Value>,
    /// The COMMENT of the DDL; empty when it gave none (StarRocks stores "" then).
    pub comment: String,
}

/// The key model of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyModel {
    /// DUPLICATE KEY (and tables created without a key clause): every load appends.
    Duplicate,
    /// PRIMARY KEY: loads upsert by key and delete with `__op` = 1.
    Primary,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
    pub model: KeyModel,
    /// Indexes into `columns` of the key columns (the PRIMARY/DUPLICATE KEY list).
    pub key: Vec<usize>,
    /// How many `ADD COLUMN`s the table has had: a load records the version it read the
    /// schema at, so that its rows are completed when it publishes after a change.
    pub version: u64,
}

impl TableSchema {
    /// Inserts a column at `index` (a key column when `key`), shifting the key indexes after it.
    pub fn insert_column(&mut self, index: usize, column: Column, key: bool) {
        self.columns.insert(index, column);
        for k in &mut self.key {
            if *k >= index {
                *k += 1;
            }
        }
        if key {
            self.key.push(index);
            self.key.sort_unstable();
        }
        self.version += 1;
    }

    /// Finds a column by name; StarRocks column names are case-insensitive.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// What one loaded row does to a table.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOp {
    pub delete: bool,
    /// One entry per table column: `Some(value)` when the load supplied the column,
    /// `None` when it did not (default / NULL, or the old value under partial update).
    pub values: Vec<Option<Value>>,
}

/// How a batch of [`RowOp`]s is applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyMode {
    /// Partial update: columns a row does not supply keep their current value.
    pub partial_update: bool,
    /// Conditional update: an upsert replaces an existing row only when its value of this
    /// column is greater than or equal to the stored one.
    pub merge_condition: Option<usize>,
    /// The schema version the load's rows were built at ([`TableSchema::version`]).
    pub schema_version: u64,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub schema: TableSchema,
    /// Rows of a duplicate-key table, in load order.
    dup_rows: Vec<Vec<Value>>,
    /// Rows of a primary-key table, by key.
    pk_rows: BTreeMap<KeyOf, Vec<Value>>,
    /// Rows of a duplicate-key table loaded in count-only mode: counted, not stored.
    counted: u64,
    /// Every column added since the table was created: the schema version it made and the
    /// index it went to, in order.
    added: Vec<(u64, usize)>,
}

/// A primary key, ordered with [`Value::total_cmp`].
#[derive(Debug, Clone)]
struct KeyOf(Vec<Value>);

impl PartialEq for KeyOf {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for KeyOf {}
impl PartialOrd for KeyOf {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for KeyOf {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = a.total_cmp(b);
            if o.is_ne() {
                return o;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl Table {
    pub fn new(schema: TableSchema) -> Table {
        Table {
            schema,
            dup_rows: Vec::new(),
            pk_rows: BTreeMap::new(),
            counted: 0,
            added: Vec::new(),
        }
    }

    /// `ADD COLUMN`: the column goes in at `index`; every stored row gets its default, else
    /// NULL.
    pub fn add_column(&mut self, index: usize, column: Column, key: bool) {
        let value = column.default.clone().unwrap_or(Value::Null);
        self.schema.insert_column(index, column, key);
        self.added.push((self.schema.version, index));
        for row in &mut self.dup_rows {
            row.insert(index, value.clone());
        }
        // A new key column holds one value in every row: the keys keep their order.
        let rows = std::mem::take(&mut self.pk_rows);
        self.pk_rows = rows
            .into_values()
            .map(|mut row| {
                row.insert(index, value.clone());
                let key = KeyOf(self.schema.key.iter().map(|&i| row[i].clone()).collect());
                (key, row)
            })
            .collect();
    }

    /// Rows counted but not stored (count-only mode); no query but `COUNT(*)` can see them.
    pub fn counted(&self) -> u64 {
        self.counted
    }

    /// Publishes a load: its row ops in order, and the rows it only counted. Rows built before
    /// a column was added get it as a column the load did not supply.
    pub fn publish(&mut self, load: &crate::state::Pending) {
        let since: Vec<usize> = self
            .added
            .iter()
            .filter(|(version, _)| *version > load.mode.schema_version)
            .map(|&(_, index)| index)
            .collect();
        if since.is_empty() {
            self.apply(&load.ops, &load.mode);
        } else {
            let ops: Vec<RowOp> = load
                .ops
                .iter()
                .map(|op| {
                    let mut values = op.values.clone();
                    for &index in &since {
                        values.insert(index, None);
                    }
                    RowOp {
                        delete: op.delete,
                        values,
                    }
                })
                .collect();
            let mut mode = load.mode.clone();
            if let Some(column) = mode.merge_condition.as_mut() {
                for &index in &since {
                    if index <= *column {
                        *column += 1;
                    }
                }
            }
            self.apply(&ops, &mode);
        }
        self.counted += load.counted;
    }

    /// All rows: primary-key tables in key order, duplicate-key tables in load order.
    pub fn rows(&self) -> Vec<Vec<Value>> {
        match self.schema.model {
            KeyModel::Duplicate => self.dup_rows.clone(),
            KeyModel::Primary => self.pk_rows.values().cloned().collect(),
        }
    }

    pub fn row_count(&self) -> usize {
        match self.schema.model {
            KeyModel::Duplicate => self.dup_rows.len(),
            KeyModel::Primary => self.pk_rows.len(),
        }
    }

    pub fn truncate(&mut self) {
        self.dup_rows.clear();
        self.pk_rows.clear();
        self.counted = 0;
    }

    /// Removes the rows `matches` holds for; returns how many.
    pub fn delete_where(&mut self, matches: impl Fn(&[Value]) -> bool) -> usize {
        match self.schema.model {
            KeyModel::Duplicate => {
                let before = self.dup_rows.len();
                self.dup_rows.retain(|r| !matches(r));
                before - self.dup_rows.len()
            }
            KeyModel::Primary => {
                let before = self.pk_rows.len();
                self.pk_rows.retain(|_, r| !matches(r));
                before - self.pk_rows.len()
            }
        }
    }

    /// Applies loaded rows in order.
    pub fn apply(&mut self, ops: &[RowOp], mode: &ApplyMode) {
        for op in ops {
            match self.schema.model {
                KeyModel::Duplicate => {
                    // Duplicate-key tables have no delete; StarRocks ignores __op there.
                    let row = self.complete(op, None);
                    self.dup_rows.push(row);
                }
                KeyModel::Primary => self.apply_pk(op, mode),
            }
        }
    }

    fn apply_pk(&mut self, op: &RowOp, mode: &ApplyMode) {
        let key = KeyOf(
            self.schema
                .key
                .iter()
                .map(|&i| op.values[i].clone().unwrap_or(Value::Null))
                .collect(),
        );
        if op.delete {
            self.pk_rows.remove(&key);
            return;
        }
        let existing = self.pk_rows.get(&key);
        if let (Some(col), Some(old)) = (mode.merge_condition, existing) {
            if let Some(new) = &op.values[col] {
                if new.total_cmp(&old[col]).is_lt() {
                    return;
                }
            }
        }
        let base = if mode.partial_update { existing } else { None };
        let row = self.complete(op, base);
        self.pk_rows.insert(key, row);
    }

    /// Fills the columns a row op does not supply: from `base` (partial update), else the
    /// column default, else NULL.
    fn complete(&self, op: &RowOp, base: Option<&Vec<Value>>) -> Vec<Value> {
        op.values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) => v.clone(),
                None => match base {
                    Some(old) => old[i].clone(),
                    None => self.schema.columns[i]
                        .default
                        .clone()
                        .unwrap_or(Value::Null),
                },
            })
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct Database {
    /// Unique for the emulator's lifetime: a database dropped and created again is a new one
    /// (StarRocks scopes labels by database id, so the new one starts without labels).
    pub id: u64,
    pub tables: BTreeMap<String, Table>,
}

/// Every database of the emulated cluster, shared by the FE, BE and query front ends.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    inner: Arc<Mutex<BTreeMap<String, Database>>>,
}

/// Catalog errors carry StarRocks' message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Catalog {
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Locks the catalog for a compound read or write.
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Database>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn create_database(&self, name: &str, if_not_exists: bool) -> Result<(), CatalogError> {
        let mut dbs = self.lock();
        if dbs.contains_key(name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(CatalogError(format!(
                "Can't create database '{name}'; database exists"
            )));
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        dbs.insert(
            name.to_string(),
            Database {
                id,
                ..Database::default()
            },
        );
        Ok(())
    }

    pub fn drop_database(&self, name: &str, if_exists: bool) -> Result<(), CatalogError> {
        let mut dbs = self.lock();
        if dbs.remove(name).is_none() && !if_exists {
            return Err(CatalogError(format!("Unknown database '{name}'")));
        }
        Ok(())
    }

    pub fn database_names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// The id of a database, if it exists.
    pub fn database_id(&self, db: &str) -> Option<u64> {
        self.lock().get(db).map(|d| d.id)
    }

    pub fn has_database(&self, db: &str) -> bool {
        self.lock().contains_key(db)
    }

    pub fn create_table(
        &self,
        db: &str,
        schema: TableSchema,
        if_not_exists: bool,
    ) -> Result<(), CatalogError> {
        let mut dbs = self.lock();
        let database = dbs
            .get_mut(db)
            .ok_or_else(|| CatalogError(format!("Unknown database '{db}'")))?;
        if database.tables.contains_key(&schema.name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(CatalogError(format!(
                "Table '{}' already exists",
                schema.name
            )));
        }
        database
            .tables
            .insert(schema.name.clone(), Table::new(schema));
        Ok(())
    }

    pub fn drop_table(&self, db: &str, table: &str, if_exists: bool) -> Result<(), CatalogError> {
        let mut dbs = self.lock();
        let database = dbs
            .get_mut(db)
            .ok_or_else(|| CatalogError(format!("Unknown database '{db}'")))?;
        if database.tables.remove(table).is_none() && !if_exists {
            return Err(CatalogError(format!("Unknown table '{db}.{table}'")));
        }
        Ok(())
    }

    pub fn table_names(&self, db: &str) -> Result<Vec<String>, CatalogError> {
        let dbs = self.lock();
        let database = dbs
            .get(db)
            .ok_or_else(|| CatalogError(format!("Unknown database '{db}'")))?;
        Ok(database.tables.keys().cloned().collect())
    }

    pub fn schema(&self, db: &str, table: &str) -> Result<TableSchema, CatalogError> {
        self.with_table(db, table, |t| t.schema.clone())
    }

    /// Runs `f` on one table under the catalog lock.
    pub fn with_table<R>(
        &self,
        db: &str,
        table: &str,
        f: impl FnOnce(&mut Table) -> R,
    ) -> Result<R, CatalogError> {
        let mut dbs = self.lock();
        let database = dbs
            .get_mut(db)
            .ok_or_else(|| CatalogError(format!("Unknown database '{db}'")))?;
        let t = database
            .tables
            .get_mut(table)
            .ok_or_else(|| CatalogError(format!("Unknown table '{db}.{table}'")))?;
        Ok(f(t))
    }

    /// Publishes a load: applies its row ops to the table atomically.
    pub fn apply(
        &self,
        db: &str,
        table: &str,
        load: &crate::state::Pending,
    ) -> Result<(), CatalogError> {
        self.with_table(db, table, |t| t.publish(load))
    }

    /// Publishes a transaction that wrote several tables of one database: all of them under
    /// one lock, so a query sees every table's rows or none. A table dropped since is
    /// skipped.
    pub fn apply_many(&self, db: &str, loads: &[(String, crate::state::Pending)]) {
        let mut dbs = self.lock();
        let Some(database) = dbs.get_mut(db) else {
            return;
        };
        for (table, pending) in loads {
            if let Some(t) = database.tables.get_mut(table) {
                t.publish(pending);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pk_schema() -> TableSchema {
        let col = |name: &str, ty: ColumnType| Column {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            comment: String::new(),
        };
        TableSchema {
            name: "t".into(),
            columns: vec![
                col("id", ColumnType::Int),
                col("name", ColumnType::String),
                col("v", ColumnType::Int),
            ],
            model: KeyModel::Primary,
            key: vec![0],
            version: 0,
        }
    }

    fn upsert(id: i128, name: Option<&str>, v: Option<i128>) -> RowOp {
        RowOp {
            delete: false,
            values: vec![
                Some(Value::Int(id)),
                name.map(|n| Value::Str(n.into())),
                v.map(Value::Int),
            ],
        }
    }

    #[test]
    fn primary_key_tables_upsert_and_delete_by_key() {
        let mut t = Table::new(pk_schema());
        let mode = ApplyMode::default();
        t.apply(
            &[upsert(2, Some("b"), Some(1)), upsert(1, Some("a"), Some(1))],
            &mode,
        );
        t.apply(&[upsert(2, Some("b2"), Some(2))], &mode);
        let mut del = upsert(1, None, None);
        del.delete = true;
        t.apply(&[del], &mode);
        assert_eq!(
            t.rows(),
            vec![vec![Value::Int(2), Value::Str("b2".into()), Value::Int(2)]]
        );
    }

    #[test]
    fn partial_update_keeps_the_columns_it_does_not_name() {
        let mut t = Table::new(pk_schema());
        t.apply(&[upsert(1, Some("a"), Some(1))], &ApplyMode::default());
        let partial = ApplyMode {
            partial_update: true,
            merge_condition: None,
            schema_version: 0,
        };
        t.apply(&[upsert(1, None, Some(9))], &partial);
        assert_eq!(
            t.rows(),
            vec![vec![Value::Int(1), Value::Str("a".into()), Value::Int(9)]]
        );
    }

    #[test]
    fn merge_condition_rejects_older_versions() {
        let mut t = Table::new(pk_schema());
        let mode = ApplyMode {
            partial_update: false,
            merge_condition: Some(2),
            schema_version: 0,
        };
        t.apply(&[upsert(1, Some("new"), Some(5))], &mode);
        t.apply(&[upsert(1, Some("old"), Some(3))], &mode);
        assert_eq!(t.rows()[0][1], Value::Str("new".into()));
    }
}
