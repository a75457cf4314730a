//! System variables, session functions and constant `SELECT`s.
//!
//! MySQL clients probe the server when they connect (`select @@version_comment limit 1`
//! from the mysql CLI, `SELECT @@max_allowed_packet,@@wait_timeout,@@socket` from
//! mysql_async, a long `@@session.…` list from Connector/J). The emulator answers from one
//! fixed table of StarRocks' defaults, so `SELECT @@x` and `SHOW VARIABLES` always agree; a
//! name outside the table is MySQL's "Unknown system variable" error, never a silent NULL.

use crate::sql::ast::{Literal, SelectItem};
use crate::sql::exec::{codes, ResultSet, Session, SqlError, TypedColumn};
use crate::types::{ColumnType, Value};

/// The version clients see in `@@version` and `VERSION()`.
pub const VERSION: &str = "5.1.0";

/// A variable's value: text or number.
#[derive(Clone, Copy)]
enum Var {
    Text(&'static str),
    Int(i64),
    Null,
    /// The server's StarRocks version, `<release>-<build>`: StarRocks' FE answers
    /// `@@version_comment` with `Version.STARROCKS_VERSION + "-" + Version.STARROCKS_COMMIT_HASH`
    /// (`SessionVariable.versionComment`), the same text `current_version()` returns.
    StarRocksVersion,
}

/// StarRocks' defaults for the variables clients ask about, sorted by name.
const VARIABLES: &[(&str, Var)] = &[
    ("auto_increment_increment", Var::Int(1)),
    ("autocommit", Var::Int(1)),
    ("character_set_client", Var::Text("utf8")),
    ("character_set_connection", Var::Text("utf8")),
    ("character_set_database", Var::Text("utf8")),
    ("character_set_results", Var::Text("utf8")),
    ("character_set_server", Var::Text("utf8")),
    ("collation_connection", Var::Text("utf8_general_ci")),
    ("collation_database", Var::Text("utf8_general_ci")),
    ("collation_server", Var::Text("utf8_general_ci")),
    ("init_connect", Var::Text("")),
    ("interactive_timeout", Var::Int(3600)),
    ("language", Var::Text("/starrocks/share/english/")),
    ("license", Var::Text("Apache License 2.0")),
    ("lower_case_table_names", Var::Int(0)),
    ("max_allowed_packet", Var::Int(67_108_864)),
    ("net_buffer_length", Var::Int(16384)),
    ("net_read_timeout", Var::Int(60)),
    ("net_write_timeout", Var::Int(60)),
    ("performance_schema", Var::Int(0)),
    ("query_cache_size", Var::Int(1_048_576)),
    ("query_cache_type", Var::Int(0)),
    ("query_timeout", Var::Int(300)),
    ("socket", Var::Null),
    ("sql_mode", Var::Text("ONLY_FULL_GROUP_BY")),
    ("sql_select_limit", Var::Int(9_223_372_036_854_775_807)),
    ("system_time_zone", Var::Text("UTC")),
    ("time_zone", Var::Text("Asia/Shanghai")),
    ("transaction_isolation", Var::Text("REPEATABLE-READ")),
    ("transaction_read_only", Var::Int(0)),
    ("tx_isolation", Var::Text("REPEATABLE-READ")),
    ("tx_read_only", Var::Int(0)),
    ("version", Var::Text(VERSION)),
    ("version_comment", Var::StarRocksVersion),
    ("wait_timeout", Var::Int(28800)),
];

fn typed(var: Var, session: &Session) -> (ColumnType, Value) {
    match var {
        Var::Text(s) => (ColumnType::Varchar(1024), Value::Str(s.to_string())),
        Var::StarRocksVersion => (
            ColumnType::Varchar(1024),
            Value::Str(session.version.as_str().to_string()),
        ),
        Var::Int(i) => (ColumnType::BigInt, Value::Int(i128::from(i))),
        Var::Null => (ColumnType::Varchar(1024), Value::Null),
    }
}

/// `SELECT` without `FROM`.
pub(crate) fn select_values(
    session: &Session,
    items: &[SelectItem],
) -> Result<ResultSet, SqlError> {
    let mut rs = ResultSet {
        columns: Vec::new(),
        rows: vec![Vec::new()],
    };
    for item in items {
        let (name, ty, value) = match item {
            SelectItem::Column { name, .. } => {
                return Err(SqlError::new(
                    codes::BAD_FIELD,
                    format!("Unknown column '{name}' in 'field list'"),
                ))
            }
            SelectItem::CountStar { label } => (label.clone(), ColumnType::BigInt, Value::Int(1)),
            SelectItem::Literal { label, .. }
            | SelectItem::Variable { label, .. }
            | SelectItem::Function { label, .. } => {
                let (ty, value) = constant(item, session)?;
                (label.clone(), ty, value)
            }
            SelectItem::Star => return Err(SqlError::new(codes::PARSE, "No tables used")),
        };
        rs.columns.push(TypedColumn { name, ty });
        rs.rows[0].push(value);
    }
    Ok(rs)
}

/// The type and value of a select item that does not read a table column.
pub(crate) fn constant(
    item: &SelectItem,
    session: &Session,
) -> Result<(ColumnType, Value), SqlError> {
    match item {
        SelectItem::Literal { value, .. } => Ok(literal(value)),
        SelectItem::Variable { name, .. } => VARIABLES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| typed(*v, session))
            .ok_or_else(|| {
                SqlError::new(
                    codes::UNKNOWN_SYSTEM_VARIABLE,
                    format!("Unknown system variable '{name}'"),
                )
            }),
        SelectItem::Function { name, .. } => match name.as_str() {
            "database" | "schema" => Ok((
                ColumnType::Varchar(1024),
                session.database.clone().map_or(Value::Null, Value::Str),
            )),
            "version" => Ok(typed(Var::Text(VERSION), session)),
            "current_version" => Ok(typed(Var::StarRocksVersion, session)),
            _ => Err(SqlError::new(
                codes::NOT_SUPPORTED,
                format!("Function {name}() is not supported by the emulator"),
            )),
        },
        SelectItem::Star | SelectItem::CountStar { .. } | SelectItem::Column { .. } => Err(
            SqlError::new(codes::UNKNOWN, "internal error: not a constant select item"),
        ),
    }
}

/// A literal's value, typed the way StarRocks types constants.
fn literal(lit: &Literal) -> (ColumnType, Value) {
    match lit {
        Literal::Null => (ColumnType::Varchar(1024), Value::Null),
        Literal::Bool(b) => (ColumnType::Boolean, Value::Bool(*b)),
        Literal::Str(s) => (ColumnType::Varchar(1024), Value::Str(s.clone())),
        Literal::Number(text) => {
            if let Ok(i) = text.parse::<i128>() {
                let ty = if i8::try_from(i).is_ok() {
                    ColumnType::TinyInt
                } else if i16::try_from(i).is_ok() {
                    ColumnType::SmallInt
                } else if i32::try_from(i).is_ok() {
                    ColumnType::Int
                } else if i64::try_from(i).is_ok() {
                    ColumnType::BigInt
                } else {
                    ColumnType::LargeInt
                };
                return (ty, Value::Int(i));
            }
            if let Some((int, frac)) = text.split_once('.') {
                let digits = int.trim_start_matches('-').len() + frac.len();
                let scale = u8::try_from(frac.len()).unwrap_or(u8::MAX);
                let unscaled = format!("{int}{frac}").parse::<i128>();
                if let (Ok(unscaled), true) = (unscaled, digits <= 38 && !frac.contains(['e', 'E']))
                {
                    let precision = u8::try_from(digits.max(1)).unwrap_or(38);
                    return (
                        ColumnType::Decimal { precision, scale },
                        Value::Decimal { unscaled, scale },
                    );
                }
            }
            (
                ColumnType::Double,
                Value::Float(text.parse::<f64>().unwrap_or(f64::NAN)),
            )
        }
    }
}

/// `SHOW VARIABLES [LIKE 'pattern']`.
pub(crate) fn show_variables(session: &Session, pattern: Option<&str>) -> ResultSet {
    let rows = VARIABLES
        .iter()
        .filter(|(name, _)| pattern.is_none_or(|p| like(p, name)))
        .map(|(name, var)| {
            let value = match var {
                Var::Text(s) => s.to_string(),
                Var::Int(i) => i.to_string(),
                Var::Null => String::new(),
                Var::StarRocksVersion => session.version.as_str().to_string(),
            };
            vec![Value::Str(name.to_string()), Value::Str(value)]
        })
        .collect();
    ResultSet::text(&["Variable_name", "Value"], rows)
}

/// SQL `LIKE`, case-insensitive: `%` is any run, `_` one character, `\` escapes.
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                t.first() == Some(&rest[0]) && go(&rest[1..], &t[1..])
            }
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str) -> SelectItem {
        SelectItem::Variable {
            name: name.into(),
            label: format!("@@{name}"),
        }
    }

    #[test]
    fn answers_the_variables_mysql_clients_probe_on_connect() {
        let rs = select_values(
            &Session::default(),
            &[
                var("max_allowed_packet"),
                var("wait_timeout"),
                var("socket"),
            ],
        )
        .unwrap();
        assert_eq!(
            rs.rows,
            vec![vec![Value::Int(67_108_864), Value::Int(28800), Value::Null]]
        );
        assert_eq!(rs.columns[0].name, "@@max_allowed_packet");
    }

    #[test]
    fn refuses_unknown_variables_like_mysql() {
        let err = select_values(&Session::default(), &[var("no_such_thing")]).unwrap_err();
        assert_eq!(err.code, codes::UNKNOWN_SYSTEM_VARIABLE);
        assert_eq!(err.message, "Unknown system variable 'no_such_thing'");
    }

    #[test]
    fn database_function_reports_the_session_database() {
        let item = SelectItem::Function {
            name: "database".into(),
            label: "DATABASE()".into(),
        };
        let none = select_values(&Session::default(), std::slice::from_ref(&item)).unwrap();
        assert_eq!(none.rows, vec![vec![Value::Null]]);
        let session = Session {
            database: Some("example_db".into()),
            ..Session::default()
        };
        let some = select_values(&session, &[item]).unwrap();
        assert_eq!(some.rows, vec![vec![Value::Str("example_db".into())]]);
    }

    #[test]
    fn types_numeric_literals_like_starrocks() {
        assert_eq!(literal(&Literal::Number("1".into())).0, ColumnType::TinyInt);
        assert_eq!(
            literal(&Literal::Number("1.50".into())),
            (
                ColumnType::Decimal {
                    precision: 3,
                    scale: 2
                },
                Value::Decimal {
                    unscaled: 150,
                    scale: 2
                }
            )
        );
        assert_eq!(
            literal(&Literal::Number("1e3".into())),
            (ColumnType::Double, Value::Float(1000.0))
        );
    }

    #[test]
    fn show_variables_filters_with_like_patterns() {
        let rs = show_variables(&Session::default(), Some("%TIMEOUT"));
        let names: Vec<_> = rs.rows.iter().map(|r| r[0].clone()).collect();
        assert!(names.contains(&Value::Str("wait_timeout".into())));
        assert!(names
            .iter()
            .all(|n| n.render().is_some_and(|s| s.ends_with("timeout"))));
        assert!(like("version\\_comment", "version_comment"));
        assert!(!like("version\\_comment", "versionxcomment"));
    }
}
