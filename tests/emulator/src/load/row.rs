//! From one source row (its fields, by source index) to a [`RowOp`], or the reason StarRocks
//! filters it.
//!
//! Order of checks follows the BE: values are converted first (scanner), NOT NULL is checked
//! afterwards (tablet sink). Invariant: an `Ok` row op has one entry per table column, every
//! `Some` value fits its column, and a NOT NULL column is `Null` in no row and `None` only
//! where the catalog will fill it (partial update, or a DEFAULT).

use super::columns::{Expr, OpExpr, Plan};
use super::convert::{convert, Datum, Failure};
use super::jsontree::Json;
use crate::catalog::{KeyModel, RowOp, TableSchema};
use crate::types::Value;

/// One source field of a row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    /// Not in the row (a JSON key that is missing, a jsonpath that matches nothing).
    Absent,
    /// `\N` in CSV, `null` in JSON.
    Null,
    /// A CSV field.
    Text(&'a str),
    /// A JSON value other than `null`.
    Json(&'a Json),
}

/// Builds the row op for `cells` (indexed like `plan.sources`).
pub(crate) fn build_row(
    schema: &TableSchema,
    plan: &Plan,
    strict: bool,
    cells: &[Cell<'_>],
) -> Result<RowOp, String> {
    let delete = match &plan.op {
        OpExpr::Upsert => false,
        OpExpr::Const(delete) => *delete,
        OpExpr::Source(i) => op_of(&cells[*i])?,
    };
    let mut values = Vec::with_capacity(schema.columns.len());
    for (col, target) in schema.columns.iter().zip(&plan.targets) {
        let converted = match target {
            None => None,
            Some(Expr::Const(None)) => Some(Ok(Value::Null)),
            Some(Expr::Const(Some(text))) => Some(convert(Datum::Const(text), col)),
            Some(Expr::Source(j)) => {
                let name = plan.sources[*j].as_str();
                match cells[*j] {
                    Cell::Absent => None,
                    Cell::Null => Some(Ok(Value::Null)),
                    Cell::Text(text) => Some(convert(
                        Datum::Field {
                            text,
                            name,
                            pos: *j,
                        },
                        col,
                    )),
                    Cell::Json(value) => Some(convert(Datum::Json { value, name }, col)),
                }
            }
        };
        let value = match converted {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(failure)) => Some(settle(failure, strict)?),
        };
        values.push(value);
    }
    for (i, (col, value)) in schema.columns.iter().zip(&values).enumerate() {
        let is_key = schema.key.contains(&i);
        let missing = match value {
            Some(Value::Null) => !col.nullable && (is_key || !delete),
            None => {
                (is_key && schema.model == KeyModel::Primary)
                    || (!plan.partial && !delete && !col.nullable && col.default.is_none())
            }
            Some(_) => false,
        };
        if missing {
            return Err(format!("NULL value in non-nullable column '{}'", col.name));
        }
    }
    Ok(RowOp { delete, values })
}

/// What a conversion failure becomes: NULL outside strict mode, else the row is filtered.
fn settle(failure: Failure, strict: bool) -> Result<Value, String> {
    match failure {
        Failure::Invalid(_) if !strict => Ok(Value::Null),
        Failure::Invalid(reason) | Failure::Reject(reason) => Err(reason),
    }
}

/// The load operation of a row: `0`/`1`, `"upsert"`/`"delete"`; absent or NULL is upsert.
fn op_of(cell: &Cell<'_>) -> Result<bool, String> {
    let text = match cell {
        Cell::Absent | Cell::Null => return Ok(false),
        Cell::Text(t) => t.trim().to_string(),
        Cell::Json(Json::Number(n)) | Cell::Json(Json::Str(n)) => n.trim().to_string(),
        Cell::Json(other) => other.render(),
    };
    match text.as_str() {
        "0" => Ok(false),
        "1" => Ok(true),
        t if t.eq_ignore_ascii_case("upsert") => Ok(false),
        t if t.eq_ignore_ascii_case("delete") => Ok(true),
        t => Err(format!(
            "Invalid __op value '{t}': it must be 0 (upsert) or 1 (delete)"
        )),
    }
}
