//! `information_schema.tables_config`, StarRocks' view of how each table is configured
//! (`docs/en/sql-reference/information_schema/tables_config.md`): one row per table, whose
//! `TABLE_MODEL` is `DUP_KEYS`, `AGG_KEYS`, `UNQ_KEYS` or `PRI_KEYS`. Clients read the model
//! to learn whether a table takes upserts and deletes (StarRocks' Flink connector does).
//!
//! The emulator keeps only what it models: `TABLE_SCHEMA`, `TABLE_NAME`, `TABLE_ENGINE` (always
//! `OLAP`), `TABLE_MODEL` and `TABLE_ID`. The view's other documented columns (`PRIMARY_KEY`,
//! `PARTITION_KEY`, `DISTRIBUTE_KEY`, `DISTRIBUTE_TYPE`, `DISTRIBUTE_BUCKET`, `SORT_KEY`,
//! `PROPERTIES`) describe what the emulator does not keep, so naming one, or `*`, is refused
//! as not supported rather than answered with invented values.

use crate::catalog::{Catalog, Column, KeyModel, TableSchema};
use crate::sql::ast::{Condition, Select, SelectItem};
use crate::sql::exec::{codes, Session, SqlError};
use crate::types::{ColumnType, Value};

pub(crate) const DATABASE: &str = "information_schema";
const TABLES_CONFIG: &str = "tables_config";
const MODELED: [&str; 5] = [
    "TABLE_SCHEMA",
    "TABLE_NAME",
    "TABLE_ENGINE",
    "TABLE_MODEL",
    "TABLE_ID",
];
const NOT_MODELED: [&str; 7] = [
    "PRIMARY_KEY",
    "PARTITION_KEY",
    "DISTRIBUTE_KEY",
    "DISTRIBUTE_TYPE",
    "DISTRIBUTE_BUCKET",
    "SORT_KEY",
    "PROPERTIES",
];

/// The view's schema and rows.
type View = (TableSchema, Vec<Vec<Value>>);

/// `Some` when the query reads `information_schema.tables_config` (by name or after `USE
/// information_schema`): its schema and rows, or why the query cannot be answered.
pub(crate) fn tables_config(
    catalog: &Catalog,
    session: &Session,
    sel: &Select,
) -> Option<Result<View, SqlError>> {
    let database = sel
        .from
        .database
        .as_deref()
        .or(session.database.as_deref())?;
    if !database.eq_ignore_ascii_case(DATABASE) {
        return None;
    }
    if !sel.from.name.eq_ignore_ascii_case(TABLES_CONFIG) {
        return Some(Err(SqlError::new(
            codes::NOT_SUPPORTED,
            format!(
                "The emulator has no information_schema.{} (only tables_config)",
                sel.from.name
            ),
        )));
    }
    Some(check_columns(sel).map(|()| (schema(), rows(catalog))))
}

fn check_columns(sel: &Select) -> Result<(), SqlError> {
    let unmodeled = |name: &str| NOT_MODELED.iter().any(|n| n.eq_ignore_ascii_case(name));
    let mut named = Vec::new();
    for item in &sel.items {
        match item {
            SelectItem::Star => named.push("*"),
            SelectItem::Column { name, .. } if unmodeled(name) => named.push(name),
            _ => {}
        }
    }
    for condition in &sel.filter {
        let (Condition::Compare { column, .. } | Condition::IsNull { column, .. }) = condition;
        if unmodeled(column) {
            named.push(column);
        }
    }
    match named.first() {
        None => Ok(()),
        Some(name) => Err(SqlError::new(
            codes::NOT_SUPPORTED,
            format!(
                "information_schema.tables_config column {name} is not kept by the emulator \
                 (it keeps {})",
                MODELED.join(", ")
            ),
        )),
    }
}

fn schema() -> TableSchema {
    let column = |name: &str, ty: ColumnType| Column {
        name: name.to_owned(),
        ty,
        nullable: false,
        default: None,
        comment: String::new(),
    };
    let mut columns: Vec<Column> = MODELED[..4]
        .iter()
        .map(|name| column(name, ColumnType::Varchar(65533)))
        .collect();
    columns.push(column("TABLE_ID", ColumnType::BigInt));
    TableSchema {
        name: TABLES_CONFIG.to_owned(),
        columns,
        model: KeyModel::Duplicate,
        key: vec![0],
        version: 0,
    }
}

/// One row per table of every database, in name order; `TABLE_ID` numbers them in that order.
fn rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let dbs = catalog.lock();
    let mut rows = Vec::new();
    for (db_name, db) in dbs.iter() {
        for (table_name, table) in &db.tables {
            let model = match table.schema.model {
                KeyModel::Primary => "PRI_KEYS",
                KeyModel::Duplicate => "DUP_KEYS",
            };
            rows.push(vec![
                Value::Str(db_name.clone()),
                Value::Str(table_name.clone()),
                Value::Str("OLAP".to_owned()),
                Value::Str(model.to_owned()),
                Value::Int(10_000 + rows.len() as i128),
            ]);
        }
    }
    rows
}
