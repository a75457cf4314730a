//! Converting one loaded field to a column's type, with StarRocks' reasons when it cannot.
//!
//! Invariant: a returned [`Value`] always fits its column (range, precision, byte length), so
//! the catalog never sees a value its column could not hold. A failure is either
//! [`Failure::Invalid`] (the value cannot be read as the type: StarRocks stores NULL unless
//! `strict_mode` is on, then it filters the row) or [`Failure::Reject`] (the row is filtered in
//! every mode, e.g. a string longer than its VARCHAR). NULL inputs are handled by the caller.
//!
//! The reason texts follow the BE code path each source takes: CSV fields are parsed straight
//! into the column type (`csv_scanner.cpp`), JSON numbers/booleans into numeric and boolean
//! columns natively (`formats/json/*.cpp`), everything else as VARCHAR cast to the column type
//! (`FileScanner::materialize`), and string lengths at the tablet sink.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::jsontree::Json;
use crate::catalog::Column;
use crate::types::{ColumnType, Value};

/// A non-NULL source value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Datum<'a> {
    /// A CSV field: `name` is its source column, `pos` its field index.
    Field {
        text: &'a str,
        name: &'a str,
        pos: usize,
    },
    /// A constant from a `columns` mapping (`c = 'x'`).
    Const(&'a str),
    /// A JSON value (never `Json::Null`); `name` is its source column.
    Json { value: &'a Json, name: &'a str },
}

/// Why a value does not fit its column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// Unreadable as the column type: NULL without strict mode, filtered with it.
    Invalid(String),
    /// Filtered whatever the mode.
    Reject(String),
}

/// Converts `datum` to `col`'s type.
pub(crate) fn convert(datum: Datum<'_>, col: &Column) -> Result<Value, Failure> {
    match datum {
        Datum::Json { value, name } => convert_json(value, name, col),
        Datum::Field { text, name, pos } => convert_text(text, col).map_err(|()| {
            Failure::Invalid(format!(
                "The field (name = {name}, pos = {pos}) is out of range. Type: {}, Value length: {}, Value: {text}",
                type_debug(&col.ty),
                text.len()
            ))
        })?,
        Datum::Const(text) => convert_text(text, col).map_err(|()| cast_failure(text, col))?,
    }
}

/// The type as the BE's `TypeDescriptor::debug_string` prints it.
pub(crate) fn type_debug(ty: &ColumnType) -> String {
    match ty {
        ColumnType::TinyInt => "TINYINT".into(),
        ColumnType::SmallInt => "SMALLINT".into(),
        ColumnType::Int => "INT".into(),
        ColumnType::BigInt => "BIGINT".into(),
        ColumnType::LargeInt => "LARGEINT".into(),
        ColumnType::Float => "FLOAT".into(),
        ColumnType::Double => "DOUBLE".into(),
        ColumnType::Decimal { precision, scale } => {
            let width = match precision {
                0..=9 => 32,
                10..=18 => 64,
                _ => 128,
            };
            format!("DECIMAL{width}({precision}, {scale})")
        }
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::Char(n) => format!("CHAR({n})"),
        ColumnType::Varchar(n) => format!("VARCHAR({n})"),
        ColumnType::String => "VARCHAR(65533)".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::DateTime => "DATETIME".into(),
        ColumnType::Json => "JSON".into(),
    }
}

/// `FileScanner::materialize`'s strict-mode reason: the source is a VARCHAR, so its debug
/// form is quoted (`Value ''x'' is out of range...`, as real error logs show).
fn cast_failure(text: &str, col: &Column) -> Failure {
    Failure::Invalid(format!(
        "Value ''{text}'' is out of range. The type of '{}' is {}",
        col.name,
        type_debug(&col.ty)
    ))
}

/// Converts text (CSV field, constant, or a JSON value read as VARCHAR); `Err(())` when the
/// text is not a value of the type. Length limits are checked here too (as `Reject`).
fn convert_text(text: &str, col: &Column) -> Result<Result<Value, Failure>, ()> {
    let value = match &col.ty {
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => {
            let i: i128 = text.trim().parse().map_err(|_| ())?;
            if !int_fits(i, &col.ty) {
                return Err(());
            }
            Value::Int(i)
        }
        ColumnType::Float | ColumnType::Double => Value::Float(parse_float(text, &col.ty)?),
        ColumnType::Decimal { precision, scale } => Value::Decimal {
            unscaled: parse_decimal(text, *precision, *scale).ok_or(())?,
            scale: *scale,
        },
        ColumnType::Boolean => Value::Bool(parse_bool(text).ok_or(())?),
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
            return Ok(string_value(text, col));
        }
        ColumnType::Date => Value::Date(parse_datetime(text).ok_or(())?.date()),
        ColumnType::DateTime => Value::DateTime(parse_datetime(text).ok_or(())?),
        ColumnType::Json => Value::Json(serde_json::from_str(text).map_err(|_| ())?),
    };
    Ok(Ok(value))
}

/// A string value, or the tablet sink's rejection when it exceeds the column's byte length.
fn string_value(text: &str, col: &Column) -> Result<Value, Failure> {
    let max = match col.ty {
        ColumnType::Char(n) | ColumnType::Varchar(n) => Some(n as usize),
        _ => None,
    };
    match max {
        Some(max) if text.len() > max => {
            let shown: String = if text.len() > 100 {
                let mut cut = 100;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}...", &text[..cut])
            } else {
                text.to_string()
            };
            Err(Failure::Reject(format!(
                "String '{shown}'(length={}) is too long. The max length of '{}' is {max}",
                text.len(),
                col.name
            )))
        }
        _ => Ok(Value::Str(text.to_string())),
    }
}

fn convert_json(value: &Json, name: &str, col: &Column) -> Result<Value, Failure> {
    match &col.ty {
        ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt => {
            json_int(value, name, &col.ty).map(Value::Int)
        }
        ColumnType::Float | ColumnType::Double => {
            json_float(value, name, &col.ty).map(Value::Float)
        }
        ColumnType::Boolean => json_bool(value, name).map(Value::Bool),
        ColumnType::Json => Ok(Value::Json(value.to_serde())),
        _ => {
            // Read as VARCHAR (numbers keep their text, booleans become 1/0, objects and
            // arrays their minified JSON), then cast.
            let text = match value {
                Json::Str(s) => s.clone(),
                Json::Number(n) => n.clone(),
                Json::Bool(b) => if *b { "1" } else { "0" }.to_string(),
                other => other.render(),
            };
            convert_text(&text, col).map_err(|()| cast_failure(&text, col))?
        }
    }
}

fn json_int(value: &Json, name: &str, ty: &ColumnType) -> Result<i128, Failure> {
    let overflow =
        |shown: &str| Failure::Invalid(format!("Value is overflow. column={name}, value={shown}"));
    let from_float = |f: f64| {
        let t = f.trunc();
        if t.is_finite() && t.abs() < 1e38 && int_fits(t as i128, ty) {
            Ok(t as i128)
        } else {
            Err(overflow(&f.to_string()))
        }
    };
    match value {
        Json::Number(text) => match text.parse::<i128>() {
            Ok(i) if int_fits(i, ty) => Ok(i),
            Ok(_) => Err(overflow(text)),
            Err(_) => from_float(text.parse::<f64>().map_err(|_| overflow(text))?),
        },
        Json::Str(s) => match s.trim().parse::<i128>() {
            Ok(i) if int_fits(i, ty) => Ok(i),
            Ok(_) => Err(overflow(s)),
            Err(_) => match s.trim().parse::<f64>() {
                Ok(f) => from_float(f),
                Err(_) => Err(Failure::Invalid(format!(
                    "Unable to cast string value to BIGINT. value={s}, column={name}"
                ))),
            },
        },
        _ => Err(Failure::Invalid(format!(
            "Unsupported value type. Numeric type is required. column={name}"
        ))),
    }
}

fn json_float(value: &Json, name: &str, ty: &ColumnType) -> Result<f64, Failure> {
    let text = match value {
        Json::Number(n) => n.as_str(),
        Json::Str(s) => s.as_str(),
        _ => {
            return Err(Failure::Invalid(format!(
                "Unsupported value type. Numeric type is required. column={name}"
            )))
        }
    };
    parse_float(text, ty).map_err(|()| match value {
        Json::Str(s) if s.trim().parse::<f64>().is_err() => Failure::Invalid(format!(
            "Unable to cast string value to BIGINT. value={s}, column={name}"
        )),
        _ => Failure::Invalid(format!("Value is overflow. column={name}, value={text}")),
    })
}

fn json_bool(value: &Json, name: &str) -> Result<bool, Failure> {
    match value {
        Json::Bool(b) => Ok(*b),
        Json::Number(n) => match n.parse::<i128>() {
            Ok(i) => Ok(i != 0),
            Err(_) => n.parse::<f64>().map(|f| f != 0.0).map_err(|_| {
                Failure::Invalid(format!(
                    "Fail to convert big integer. column={name}, value={n}"
                ))
            }),
        },
        Json::Str(s) => parse_bool(s).ok_or_else(|| {
            Failure::Invalid(format!(
                "Failed to parse string value as boolean. column={name}, value={s}"
            ))
        }),
        other => Err(Failure::Invalid(format!(
            "Unsupported value type to boolean. column={name}, type={}",
            other.type_name()
        ))),
    }
}

fn int_fits(i: i128, ty: &ColumnType) -> bool {
    match ty {
        ColumnType::TinyInt => i8::try_from(i).is_ok(),
        ColumnType::SmallInt => i16::try_from(i).is_ok(),
        ColumnType::Int => i32::try_from(i).is_ok(),
        ColumnType::BigInt => i64::try_from(i).is_ok(),
        _ => true,
    }
}

fn parse_float(text: &str, ty: &ColumnType) -> Result<f64, ()> {
    let f: f64 = text.trim().parse().map_err(|_| ())?;
    if !f.is_finite() || (*ty == ColumnType::Float && f.abs() > f64::from(f32::MAX)) {
        return Err(());
    }
    Ok(f)
}

/// `true`/`false` (any case) or an integer (non-zero is true).
fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        t.parse::<i128>().ok().map(|i| i != 0)
    }
}

/// Parses decimal text exactly (sign, digits, optional fraction and exponent) into the
/// unscaled value at `scale`, rounding half away from zero; `None` if it is not a number or
/// needs more than `precision` digits.
pub(crate) fn parse_decimal(text: &str, precision: u8, scale: u8) -> Option<i128> {
    let t = text.trim();
    let (negative, t) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], t[at + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    // value = digits * 10^(exponent - frac_len); we want digits * 10^shift at `scale`.
    let shift = i64::from(exponent) - frac_part.len() as i64 + i64::from(scale);
    let dropped = if shift < 0 { shift.unsigned_abs() } else { 0 };
    let mut unscaled: i128 = 0;
    if dropped <= digits.len() as u64 {
        let kept = digits.len() - dropped as usize;
        for &d in &digits[..kept] {
            unscaled = unscaled.checked_mul(10)?.checked_add(i128::from(d))?;
        }
        for _ in 0..shift.max(0) {
            unscaled = unscaled.checked_mul(10)?;
        }
        if kept < digits.len() && digits[kept] >= 5 {
            unscaled = unscaled.checked_add(1)?;
        }
    }
    if unscaled >= 10i128.checked_pow(u32::from(precision))? {
        return None;
    }
    Some(if negative { -unscaled } else { unscaled })
}

/// Parses DATE / DATETIME text: `YYYY-MM-DD` (or `/`), optionally followed by ` ` or `T` and
/// `HH:MM[:SS[.ffffff]]`; also `YYYYMMDD` and `YYYYMMDDHHMMSS`. A date alone is midnight.
pub(crate) fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
        return match t.len() {
            8 => NaiveDate::from_ymd_opt(n(0..4)? as i32, n(4..6)?, n(6..8)?)?.and_hms_opt(0, 0, 0),
            14 => NaiveDate::from_ymd_opt(n(0..4)? as i32, n(4..6)?, n(6..8)?)?.and_hms_opt(
                n(8..10)?,
                n(10..12)?,
                n(12..14)?,
            ),
            _ => None,
        };
    }
    let (date_part, time_part) = match t.find([' ', 'T']) {
        Some(at) => (&t[..at], Some(t[at + 1..].trim_start())),
        None => (t, None),
    };
    let mut ymd = date_part.split(['-', '/']);
    let year = number(ymd.next()?, 1, 4)?;
    let month = number(ymd.next()?, 1, 2)?;
    let day = number(ymd.next()?, 1, 2)?;
    if ymd.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(tp) => {
            let (hms, frac) = tp.split_once('.').unwrap_or((tp, ""));
            let mut parts = hms.split(':');
            let h = number(parts.next()?, 1, 2)?;
            let m = number(parts.next()?, 1, 2)?;
            let s = match parts.next() {
                Some(s) => number(s, 1, 2)?,
                None => 0,
            };
            if parts.next().is_some() || (!frac.is_empty() && hms.matches(':').count() != 2) {
                return None;
            }
            let micros = if frac.is_empty() {
                0
            } else {
                if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
                    return None;
                }
                let six: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
                six.parse().ok()?
            };
            NaiveTime::from_hms_micro_opt(h, m, s, micros)?
        }
    };
    Some(date.and_time(time))
}

fn number(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests;
