//! `SELECT … FROM table`: filter, order, limit and project one table's rows; and
//! `DELETE FROM table WHERE …`, which removes the rows the same filter keeps.
//!
//! The rows are copied out of the catalog in one locked call (for `COUNT(*)` of a whole table,
//! only their number is read), so a query sees a consistent snapshot: every published load or
//! none of it. Without `ORDER BY` the order is the
//! table's own ([`crate::catalog::Table::rows`]: key order for primary-key tables, load
//! order for duplicate-key tables). Comparisons follow SQL: anything compared with NULL is
//! not true, and a literal that cannot be converted to the column's type matches nothing.

use std::cmp::Ordering;

use crate::catalog::{Catalog, TableSchema};
use crate::sql::ast::{CmpOp, Condition, Delete, Select, SelectItem};
use crate::sql::exec::{
    codes, database_of, no_such_table, ResultSet, Session, SqlError, TypedColumn,
};
use crate::sql::information_schema;
use crate::sql::literal::comparable;
use crate::sql::variables::constant;
use crate::types::{ColumnType, Value};

/// Where a result column's values come from.
enum Source {
    Column(usize),
    Constant(Value),
}

/// A resolved `WHERE` condition.
enum Check {
    Compare {
        column: usize,
        op: CmpOp,
        value: Option<Value>,
    },
    IsNull {
        column: usize,
        negated: bool,
    },
}

/// Runs a `SELECT … FROM table`.
pub(crate) fn select(
    catalog: &Catalog,
    session: &Session,
    sel: &Select,
) -> Result<ResultSet, SqlError> {
    let count_star = sel
        .items
        .iter()
        .all(|i| matches!(i, SelectItem::CountStar { .. }));
    // `COUNT(*)` of a whole table reads its length, not a copy of its rows (a benchmark's table
    // holds millions): `stored` is that length, and `rows` is then empty.
    let whole_count = count_star && sel.filter.is_empty();
    let (schema, rows, counted, stored) =
        match information_schema::tables_config(catalog, session, sel) {
            Some(view) => view.map(|(schema, rows)| (schema, rows, 0, 0))?,
            None => {
                let db = database_of(catalog, session, &sel.from)?;
                catalog
                    .with_table(&db, &sel.from.name, |t| {
                        if whole_count {
                            (t.schema.clone(), Vec::new(), t.counted(), t.row_count())
                        } else {
                            (t.schema.clone(), t.rows(), t.counted(), 0)
                        }
                    })
                    .map_err(|_| no_such_table(&db, &sel.from.name))?
            }
        };
    let db = sel
        .from
        .database
        .clone()
        .or_else(|| session.database.clone())
        .unwrap_or_default();
    if counted > 0 && !whole_count {
        return Err(SqlError::new(
            codes::NOT_SUPPORTED,
            format!(
                "The emulator runs with --count-only: {counted} rows of {db}.{} were counted, not \
                 stored, and only SELECT COUNT(*) without WHERE sees them",
                sel.from.name
            ),
        ));
    }
    let checks = sel
        .filter
        .iter()
        .map(|c| resolve_condition(&schema, c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows: Vec<Vec<Value>> = rows
        .into_iter()
        .filter(|r| checks.iter().all(|c| holds(c, r)))
        .collect();

    let counts = sel
        .items
        .iter()
        .filter(|i| matches!(i, SelectItem::CountStar { .. }))
        .count();
    if counts > 0 {
        if counts != sel.items.len() || !sel.order_by.is_empty() {
            return Err(SqlError::new(
                codes::NOT_SUPPORTED,
                "Mixing COUNT(*) with other select items or ORDER BY is not supported by the emulator",
            ));
        }
        let count = Value::Int((rows.len() + stored) as i128 + i128::from(counted));
        let columns = sel
            .items
            .iter()
            .map(|i| TypedColumn {
                name: label(i),
                ty: ColumnType::BigInt,
            })
            .collect();
        let row = vec![count; sel.items.len()];
        let rows = page(vec![row], sel.offset, sel.limit);
        return Ok(ResultSet { columns, rows });
    }

    let mut columns = Vec::new();
    let mut sources = Vec::new();
    for item in &sel.items {
        match item {
            SelectItem::Star => {
                for (i, c) in schema.columns.iter().enumerate() {
                    columns.push(TypedColumn {
                        name: c.name.clone(),
                        ty: c.ty.clone(),
                    });
                    sources.push(Source::Column(i));
                }
            }
            SelectItem::Column { name, label } => {
                let i = column(&schema, name, "field list")?;
                columns.push(TypedColumn {
                    name: label.clone(),
                    ty: schema.columns[i].ty.clone(),
                });
                sources.push(Source::Column(i));
            }
            other => {
                let (ty, value) = constant(other, session)?;
                columns.push(TypedColumn {
                    name: label(other),
                    ty,
                });
                sources.push(Source::Constant(value));
            }
        }
    }

    if !sel.order_by.is_empty() {
        let keys = sel
            .order_by
            .iter()
            .map(|o| order_column(&schema, &sel.items, &o.column).map(|i| (i, o.descending)))
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|&(i, desc)| {
                    let o = a[i].total_cmp(&b[i]);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }

    let rows = page(rows, sel.offset, sel.limit)
        .into_iter()
        .map(|row| {
            sources
                .iter()
                .map(|s| match s {
                    Source::Column(i) => row[*i].clone(),
                    Source::Constant(v) => v.clone(),
                })
                .collect()
        })
        .collect();
    Ok(ResultSet { columns, rows })
}

/// Runs a `DELETE`: the matching rows go in one locked step, so a query sees all of them
/// or none gone. Returns how many were removed.
pub(crate) fn delete(catalog: &Catalog, session: &Session, del: &Delete) -> Result<u64, SqlError> {
    let db = database_of(catalog, session, &del.table)?;
    let schema = catalog
        .schema(&db, &del.table.name)
        .map_err(|_| no_such_table(&db, &del.table.name))?;
    if del.filter.is_empty() {
        // DeleteAnalyzer: StarRocks refuses a DELETE without WHERE.
        return Err(SqlError::new(
            codes::PARSE,
            "Getting analyzing error. Detail message: Delete must specify where clause to prevent full table delete.",
        ));
    }
    let checks = del
        .filter
        .iter()
        .map(|c| resolve_condition(&schema, c))
        .collect::<Result<Vec<_>, _>>()?;
    let removed = catalog
        .with_table(&db, &del.table.name, |t| {
            t.delete_where(|row| checks.iter().all(|c| holds(c, row)))
        })
        .map_err(|_| no_such_table(&db, &del.table.name))?;
    Ok(removed as u64)
}

fn label(item: &SelectItem) -> String {
    match item {
        SelectItem::Star => "*".to_string(),
        SelectItem::CountStar { label }
        | SelectItem::Column { label, .. }
        | SelectItem::Literal { label, .. }
        | SelectItem::Variable { label, .. }
        | SelectItem::Function { label, .. } => label.clone(),
    }
}

fn page(rows: Vec<Vec<Value>>, offset: u64, limit: Option<u64>) -> Vec<Vec<Value>> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    rows.into_iter().skip(offset).take(limit).collect()
}

fn column(schema: &TableSchema, name: &str, clause: &str) -> Result<usize, SqlError> {
    schema.column_index(name).ok_or_else(|| {
        SqlError::new(
            codes::BAD_FIELD,
            format!("Unknown column '{name}' in '{clause}'"),
        )
    })
}

/// An `ORDER BY` name: a table column, or the alias of a selected column.
fn order_column(schema: &TableSchema, items: &[SelectItem], name: &str) -> Result<usize, SqlError> {
    if let Some(i) = schema.column_index(name) {
        return Ok(i);
    }
    items
        .iter()
        .find_map(|item| match item {
            SelectItem::Column { name: col, label } if label.eq_ignore_ascii_case(name) => {
                schema.column_index(col)
            }
            _ => None,
        })
        .ok_or_else(|| {
            SqlError::new(
                codes::BAD_FIELD,
                format!("Unknown column '{name}' in 'order clause'"),
            )
        })
}

fn resolve_condition(schema: &TableSchema, cond: &Condition) -> Result<Check, SqlError> {
    Ok(match cond {
        Condition::Compare {
            column: name,
            op,
            value,
        } => {
            let i = column(schema, name, "where clause")?;
            Check::Compare {
                column: i,
                op: *op,
                value: comparable(value, &schema.columns[i].ty),
            }
        }
        Condition::IsNull {
            column: name,
            negated,
        } => Check::IsNull {
            column: column(schema, name, "where clause")?,
            negated: *negated,
        },
    })
}

fn holds(check: &Check, row: &[Value]) -> bool {
    match check {
        Check::IsNull { column, negated } => row[*column].is_null() != *negated,
        Check::Compare { column, op, value } => {
            let (cell, Some(value)) = (&row[*column], value) else {
                return false;
            };
            if cell.is_null() {
                return false;
            }
            let o = cell.total_cmp(value);
            match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => o.is_ne(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
            }
        }
    }
}
