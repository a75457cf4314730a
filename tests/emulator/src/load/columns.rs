//! The `columns` header: which source fields a load reads and how each table column and the
//! virtual `__op` column get their values.
//!
//! Follows the FE's `Load.initColumns`: names without `=` are source fields (CSV positions,
//! JSON keys); `col = expr` maps a table column (or `__op`) from a source field or constant; a
//! source field with a table column's name feeds that column unless a mapping overrides it; a
//! source field with no such column is read and dropped (how CSV users skip a field). Without
//! source names the table's columns are the source fields. Invariant: a [`Plan`] only refers
//! to existing source fields and table columns, so building rows cannot fail on names.

use super::Format;
use crate::catalog::{KeyModel, TableSchema};

/// The name of the virtual load-operation column.
pub(crate) const OP_COLUMN: &str = "__op";

/// One comma-separated item of the `columns` header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A source field name.
    Source(String),
    /// `target = expr`.
    Mapping(String, MapExpr),
}

/// The right-hand side of a mapping; the emulator supports references and constants only.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MapExpr {
    Ref(String),
    /// A constant; `None` is `NULL`.
    Const(Option<String>),
}

/// Where a table column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Source(usize),
    Const(Option<String>),
}

/// Where a row's upsert/delete flag comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OpExpr {
    Upsert,
    /// A constant: `true` deletes.
    Const(bool),
    Source(usize),
}

/// The resolved load plan for one table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Source field names in order: CSV field positions, JSON keys, or `jsonpaths` order.
    pub sources: Vec<String>,
    /// Per table column: its value's origin, or `None` when this load does not supply it.
    pub targets: Vec<Option<Expr>>,
    pub op: OpExpr,
    /// Partial update on a primary-key table: unsupplied columns keep their stored value.
    pub partial: bool,
}

/// Splits and parses the header (syntax only; names are checked by [`plan`]).
pub(crate) fn parse_columns(header: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for raw in split_top_level(header, ',') {
        let text = raw.trim();
        if text.is_empty() {
            return Err(format!("Invalid columns header: '{header}'"));
        }
        let item = match split_top_level(text, '=').as_slice() {
            [name] => Item::Source(identifier(name).ok_or_else(|| bad_name(name))?),
            [target, expr] => Item::Mapping(
                identifier(target).ok_or_else(|| bad_name(target))?,
                parse_expr(expr)?,
            ),
            _ => return Err(unsupported(text)),
        };
        items.push(item);
    }
    Ok(items)
}

/// Resolves the header against a table.
pub(crate) fn plan(
    schema: &TableSchema,
    header: Option<&str>,
    format: Format,
    partial_update: bool,
) -> Result<Plan, String> {
    let items = match header {
        Some(h) if !h.trim().is_empty() => parse_columns(h)?,
        _ => Vec::new(),
    };
    let mut sources: Vec<String> = Vec::new();
    let mut mappings: Vec<(String, MapExpr)> = Vec::new();
    for item in items {
        match item {
            Item::Source(name) => {
                if sources.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                    return Err(format!("Duplicate column: {name}"));
                }
                sources.push(name);
            }
            Item::Mapping(target, expr) => {
                if mappings
                    .iter()
                    .any(|(t, _)| t.eq_ignore_ascii_case(&target))
                {
                    return Err(format!("Duplicate column mapping: {target}"));
                }
                if schema.column_index(&target).is_none() && target != OP_COLUMN {
                    return Err(format!("Mapping column is not in table. column: {target}"));
                }
                mappings.push((target, expr));
            }
        }
    }
    if sources.is_empty() {
        sources = schema.columns.iter().map(|c| c.name.clone()).collect();
    }
    let find_source = |name: &str| sources.iter().position(|s| s.eq_ignore_ascii_case(name));
    let resolve = |target: &str, expr: &MapExpr| match expr {
        MapExpr::Const(c) => Ok(Expr::Const(c.clone())),
        MapExpr::Ref(r) => find_source(r)
            .map(Expr::Source)
            .ok_or_else(|| format!("unknown reference column, column={target}, reference={r}")),
    };

    let mut targets = Vec::with_capacity(schema.columns.len());
    for col in &schema.columns {
        let mapped = mappings
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(&col.name));
        targets.push(match mapped {
            Some((t, expr)) => Some(resolve(t, expr)?),
            None => find_source(&col.name).map(Expr::Source),
        });
    }

    let primary = schema.model == KeyModel::Primary;
    let op = if !primary {
        // Duplicate-key tables have no delete: StarRocks ignores `__op` there.
        OpExpr::Upsert
    } else if let Some((t, expr)) = mappings.iter().find(|(t, _)| t == OP_COLUMN) {
        match resolve(t, expr)? {
            Expr::Source(i) => OpExpr::Source(i),
            Expr::Const(c) => OpExpr::Const(const_op(c.as_deref())?),
        }
    } else if let Some(i) = sources.iter().position(|s| s == OP_COLUMN) {
        OpExpr::Source(i)
    } else if format == Format::Json {
        // "op auto projection": a `__op` key in each JSON object.
        sources.push(OP_COLUMN.to_string());
        OpExpr::Source(sources.len() - 1)
    } else {
        OpExpr::Upsert
    };

    let partial = partial_update && primary;
    for (i, (col, target)) in schema.columns.iter().zip(&targets).enumerate() {
        if target.is_some() {
            continue;
        }
        if partial {
            if schema.key.contains(&i) {
                return Err(format!(
                    "key column {} not in partial update columns",
                    col.name
                ));
            }
        } else if !col.nullable && col.default.is_none() {
            return Err(format!("Column has no default value. column: {}", col.name));
        }
    }
    Ok(Plan {
        sources,
        targets,
        op,
        partial,
    })
}

/// A constant `__op`: `'upsert'` / `'delete'` (any case) or `0` / `1`.
fn const_op(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::trim) {
        Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(s) if s.eq_ignore_ascii_case("upsert") => Ok(false),
        Some(s) if s.eq_ignore_ascii_case("delete") => Ok(true),
        Some(s) if s.parse::<f64>().is_err() => Err(format!(
            "load op type string not supported: {}",
            s.to_lowercase()
        )),
        _ => Err("const load op type column should only be upsert(0)/delete(1)".to_string()),
    }
}

fn parse_expr(text: &str) -> Result<MapExpr, String> {
    let t = text.trim();
    for quote in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(quote) && t.ends_with(quote) {
            let inner = &t[1..t.len() - 1];
            let doubled = format!("{quote}{quote}");
            return Ok(MapExpr::Const(Some(
                inner.replace(&doubled, &quote.to_string()),
            )));
        }
    }
    if t.eq_ignore_ascii_case("null") {
        return Ok(MapExpr::Const(None));
    }
    if t.parse::<f64>().is_ok()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return Ok(MapExpr::Const(Some(t.to_string())));
    }
    identifier(t)
        .map(MapExpr::Ref)
        .ok_or_else(|| unsupported(text))
}

/// A plain or back-quoted column name.
fn identifier(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        return (!inner.is_empty() && !inner.contains('`')).then(|| inner.to_string());
    }
    let valid = !t.is_empty()
        && !t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    valid.then(|| t.to_string())
}

fn bad_name(text: &str) -> String {
    format!(
        "Invalid column name '{}' in the columns header",
        text.trim()
    )
}

fn unsupported(text: &str) -> String {
    format!(
        "starrocks-emulator does not implement the expression '{}' in the columns header \
         (only column names, quoted constants, numbers and NULL are supported)",
        text.trim()
    )
}

/// Splits on `sep` outside quotes, back-quotes and parentheses.
fn split_top_level(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                c if c == sep && depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use crate::types::{ColumnType, Value};

    fn table(model: KeyModel) -> TableSchema {
        let col = |name: &str, nullable: bool| Column {
            name: name.into(),
            ty: ColumnType::Int,
            nullable,
            default: None,
            comment: String::new(),
        };
        TableSchema {
            name: "t".into(),
            columns: vec![col("id", false), col("name", true), col("score", true)],
            model,
            key: vec![0],
            version: 0,
        }
    }

    fn plan_of(header: Option<&str>, format: Format) -> Result<Plan, String> {
        plan(&table(KeyModel::Primary), header, format, false)
    }

    #[test]
    fn parses_sources_mappings_and_constants() {
        let items =
            parse_columns("id, `name`, tmp, score = tmp, __op = 'delete', x = NULL, y = -1.5")
                .unwrap();
        assert_eq!(
            items,
            vec![
                Item::Source("id".into()),
                Item::Source("name".into()),
                Item::Source("tmp".into()),
                Item::Mapping("score".into(), MapExpr::Ref("tmp".into())),
                Item::Mapping("__op".into(), MapExpr::Const(Some("delete".into()))),
                Item::Mapping("x".into(), MapExpr::Const(None)),
                Item::Mapping("y".into(), MapExpr::Const(Some("-1.5".into()))),
            ]
        );
    }

    #[test]
    fn rejects_expressions_the_emulator_does_not_evaluate() {
        let err = parse_columns("a, b = concat(a, 'x')").unwrap_err();
        assert!(
            err.contains("does not implement the expression 'concat(a, 'x')'"),
            "{err}"
        );
        assert!(parse_columns("a,,b").is_err());
    }

    #[test]
    fn table_columns_are_the_sources_without_a_header() {
        let p = plan_of(None, Format::Csv).unwrap();
        assert_eq!(p.sources, vec!["id", "name", "score"]);
        assert_eq!(
            p.targets,
            vec![
                Some(Expr::Source(0)),
                Some(Expr::Source(1)),
                Some(Expr::Source(2))
            ]
        );
        assert_eq!(p.op, OpExpr::Upsert);
    }

    #[test]
    fn json_loads_into_primary_key_tables_read_op_from_each_object() {
        let p = plan_of(None, Format::Json).unwrap();
        assert_eq!(p.sources.last().map(String::as_str), Some("__op"));
        assert_eq!(p.op, OpExpr::Source(3));
        let dup = plan(&table(KeyModel::Duplicate), None, Format::Json, false).unwrap();
        assert_eq!(dup.op, OpExpr::Upsert);
    }

    #[test]
    fn op_comes_from_constants_mappings_or_a_positional_field() {
        let cases: &[(&str, OpExpr)] = &[
            ("id, name, score, __op = 'delete'", OpExpr::Const(true)),
            ("id, name, score, __op = 'UPSERT'", OpExpr::Const(false)),
            ("id, name, score, __op = 1", OpExpr::Const(true)),
            ("id, name, score, tmp, __op = tmp", OpExpr::Source(3)),
            ("__op, id, name, score", OpExpr::Source(0)),
        ];
        for (header, op) in cases {
            assert_eq!(
                &plan_of(Some(header), Format::Csv).unwrap().op,
                op,
                "{header}"
            );
        }
    }

    #[test]
    fn reports_name_errors_with_starrocks_messages() {
        let cases: &[(&str, &str)] = &[
            ("id, id", "Duplicate column: id"),
            (
                "id, score = 1, score = 2",
                "Duplicate column mapping: score",
            ),
            (
                "id, nope = id",
                "Mapping column is not in table. column: nope",
            ),
            (
                "id, score = missing",
                "unknown reference column, column=score, reference=missing",
            ),
            (
                "id, __op = 'merge'",
                "load op type string not supported: merge",
            ),
            (
                "id, __op = 7",
                "const load op type column should only be upsert(0)/delete(1)",
            ),
            ("name, score", "Column has no default value. column: id"),
        ];
        for (header, message) in cases {
            assert_eq!(
                plan_of(Some(header), Format::Csv),
                Err(message.to_string()),
                "{header}"
            );
        }
    }

    #[test]
    fn source_fields_without_a_column_are_read_and_dropped() {
        let p = plan_of(Some("id, skipped, score"), Format::Csv).unwrap();
        assert_eq!(p.sources.len(), 3);
        assert_eq!(
            p.targets,
            vec![Some(Expr::Source(0)), None, Some(Expr::Source(2))]
        );
    }

    #[test]
    fn partial_update_requires_the_key_and_allows_missing_columns() {
        let schema = table(KeyModel::Primary);
        let p = plan(&schema, Some("id, score"), Format::Json, true).unwrap();
        assert!(p.partial);
        assert_eq!(p.targets[1], None);
        assert_eq!(
            plan(&schema, Some("score"), Format::Json, true),
            Err("key column id not in partial update columns".to_string())
        );
    }

    #[test]
    fn a_not_null_column_with_a_default_may_be_left_out() {
        let mut schema = table(KeyModel::Duplicate);
        schema.columns[0].default = Some(Value::Int(0));
        assert!(plan(&schema, Some("name"), Format::Csv, false).is_ok());
    }
}
