//! From SQL literals to cell values: DDL `DEFAULT`s and the right-hand sides of `WHERE`.
//!
//! Two entry points with different strictness. [`default_value`] is strict: a default either
//! fits its column exactly (range, scale, length) or `CREATE TABLE` fails with StarRocks'
//! "Invalid default value" message, because the catalog only stores values that fit.
//! [`comparable`] is lenient: it turns a literal into something [`Value::total_cmp`] can
//! compare with the column's values, or `None` when no value of the column can equal it (a
//! comparison with `None` is never true, as a failed cast to NULL is in StarRocks).

use chrono::{NaiveDate, NaiveDateTime};

use crate::sql::ast::Literal;
use crate::types::{ColumnType, Value};

/// Converts a `DEFAULT` literal of column `name` to a value of `ty`. `Ok(None)` is
/// `DEFAULT NULL`.
pub fn default_value(name: &str, lit: &Literal, ty: &ColumnType) -> Result<Option<Value>, String> {
    let invalid = || format!("Invalid default value for '{name}'");
    let text = match lit {
        Literal::Null => return Ok(None),
        Literal::Bool(b) => {
            return match ty {
                ColumnType::Boolean => Ok(Some(Value::Bool(*b))),
                _ => Err(invalid()),
            }
        }
        Literal::Number(t) | Literal::Str(t) => t.as_str(),
    };
    let value = match ty {
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => {
            let v = text.trim().parse::<i128>().map_err(|_| invalid())?;
            if !int_range(ty).contains(&v) {
                return Err(format!("{}: out of range", invalid()));
            }
            Value::Int(v)
        }
        ColumnType::Float | ColumnType::Double => {
            Value::Float(text.trim().parse::<f64>().map_err(|_| invalid())?)
        }
        ColumnType::Decimal { precision, scale } => {
            let unscaled = parse_decimal(text.trim(), *scale).ok_or_else(invalid)?;
            let limit = 10i128.pow(u32::from(*precision));
            if unscaled.abs() >= limit {
                return Err(format!("{}: out of range", invalid()));
            }
            Value::Decimal {
                unscaled,
                scale: *scale,
            }
        }
        ColumnType::Boolean => Value::Bool(parse_bool(text).ok_or_else(invalid)?),
        ColumnType::Char(n) | ColumnType::Varchar(n) => {
            if text.len() > *n as usize {
                return Err(format!("{}: longer than {n} bytes", invalid()));
            }
            Value::Str(text.to_string())
        }
        ColumnType::String => Value::Str(text.to_string()),
        ColumnType::Date => Value::Date(parse_date(text.trim()).ok_or_else(invalid)?),
        ColumnType::DateTime => Value::DateTime(parse_datetime(text.trim()).ok_or_else(invalid)?),
        ColumnType::Json => return Err(format!("{}: JSON columns take no default", invalid())),
    };
    Ok(Some(value))
}

/// Converts a `WHERE` literal to a value comparable with the values of a column of type `ty`;
/// `None` when the literal is NULL or can equal no value of the column.
pub fn comparable(lit: &Literal, ty: &ColumnType) -> Option<Value> {
    let numeric = ty.is_numeric() && *ty != ColumnType::Boolean;
    match lit {
        Literal::Null => None,
        Literal::Bool(b) => match ty {
            ColumnType::Boolean => Some(Value::Bool(*b)),
            _ if numeric => Some(Value::Int(i128::from(*b))),
            _ => None,
        },
        Literal::Number(t) | Literal::Str(t) => match ty {
            _ if numeric => parse_number(t.trim()),
            ColumnType::Boolean => parse_bool(t).map(Value::Bool),
            ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
                Some(Value::Str(t.clone()))
            }
            ColumnType::Date => parse_date(t.trim()).map(Value::Date),
            ColumnType::DateTime => parse_datetime(t.trim()).map(Value::DateTime),
            ColumnType::Json => serde_json::from_str(t).ok().map(Value::Json),
            _ => None,
        },
    }
}

/// An integer literal as `Int`, anything else numeric as `Float`.
fn parse_number(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i128>() {
        return Some(Value::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Value::Float)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn int_range(ty: &ColumnType) -> std::ops::RangeInclusive<i128> {
    match ty {
        ColumnType::TinyInt => i128::from(i8::MIN)..=i128::from(i8::MAX),
        ColumnType::SmallInt => i128::from(i16::MIN)..=i128::from(i16::MAX),
        ColumnType::Int => i128::from(i32::MIN)..=i128::from(i32::MAX),
        ColumnType::BigInt => i128::from(i64::MIN)..=i128::from(i64::MAX),
        _ => i128::MIN..=i128::MAX,
    }
}

/// Parses `[-]digits[.digits]` into an unscaled integer with `scale` fractional digits,
/// rounding half away from zero when the text has more.
pub fn parse_decimal(text: &str, scale: u8) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return None;
    }
    let scale = usize::from(scale);
    let mut kept: String = frac.chars().take(scale).collect();
    while kept.len() < scale {
        kept.push('0');
    }
    let round_up = frac.as_bytes().get(scale).is_some_and(|d| *d >= b'5');
    let mut unscaled: i128 = format!("{int}{kept}").parse().ok()?;
    if round_up {
        unscaled = unscaled.checked_add(1)?;
    }
    Some(if negative { -unscaled } else { unscaled })
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// `YYYY-MM-DD[( |T)HH:MM:SS[.ffffff]]`.
fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(dt);
        }
    }
    parse_date(text).and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Literal {
        Literal::Number(s.into())
    }

    #[test]
    fn converts_defaults_to_the_column_type() {
        let dec = ColumnType::Decimal {
            precision: 10,
            scale: 2,
        };
        assert_eq!(
            default_value("c", &num("1.5"), &dec),
            Ok(Some(Value::Decimal {
                unscaled: 150,
                scale: 2
            }))
        );
        assert_eq!(
            default_value("c", &Literal::Str("0".into()), &ColumnType::Int),
            Ok(Some(Value::Int(0)))
        );
        assert_eq!(
            default_value("c", &Literal::Str("2024-02-29".into()), &ColumnType::Date),
            Ok(Some(Value::Date(
                NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
            )))
        );
        assert_eq!(
            default_value("c", &Literal::Null, &ColumnType::Int),
            Ok(None)
        );
    }

    #[test]
    fn rejects_defaults_that_do_not_fit() {
        let err = default_value("age", &num("300"), &ColumnType::TinyInt).unwrap_err();
        assert!(err.starts_with("Invalid default value for 'age'"), "{err}");
        assert!(default_value("c", &num("1.5"), &ColumnType::Int).is_err());
        assert!(default_value("c", &Literal::Str("abcd".into()), &ColumnType::Varchar(3)).is_err());
        assert!(default_value("c", &Literal::Str("x".into()), &ColumnType::Date).is_err());
    }

    #[test]
    fn where_literals_meet_the_column_type() {
        assert_eq!(
            comparable(&Literal::Str("42".into()), &ColumnType::Int),
            Some(Value::Int(42))
        );
        assert_eq!(
            comparable(&num("2.5"), &ColumnType::Int),
            Some(Value::Float(2.5))
        );
        assert_eq!(
            comparable(&num("7"), &ColumnType::String),
            Some(Value::Str("7".into()))
        );
        assert_eq!(
            comparable(&Literal::Str("x".into()), &ColumnType::Int),
            None
        );
        assert_eq!(comparable(&Literal::Null, &ColumnType::Int), None);
        assert_eq!(
            comparable(&Literal::Str("2024-01-02".into()), &ColumnType::DateTime),
            NaiveDate::from_ymd_opt(2024, 1, 2)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(Value::DateTime)
        );
    }

    #[test]
    fn rounds_decimal_text_half_away_from_zero() {
        assert_eq!(parse_decimal("1.005", 2), Some(101));
        assert_eq!(parse_decimal("-1.004", 2), Some(-100));
        assert_eq!(parse_decimal("12", 3), Some(12000));
        assert_eq!(parse_decimal("1.2.3", 2), None);
        assert_eq!(parse_decimal(".", 2), None);
    }
}
