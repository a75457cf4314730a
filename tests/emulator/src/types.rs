//! Column types and cell values of the emulated tables.
//!
//! A [`Value`] stored in a table always fits its column's [`ColumnType`]: conversion (in
//! `load::convert`) is the only way in, and it either produces a fitting value or a reason
//! for filtering the row. Rendering back to text (MySQL results, the SQL API, error logs)
//! lives here so that every interface prints a value the same way.

use std::cmp::Ordering;
use std::fmt;

/// A StarRocks column type, as far as the emulator models it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    LargeInt,
    Float,
    Double,
    /// DECIMAL(precision, scale); DECIMAL without arguments is DECIMAL(10, 0).
    Decimal {
        precision: u8,
        scale: u8,
    },
    Boolean,
    Char(u32),
    Varchar(u32),
    String,
    Date,
    DateTime,
    Json,
}

impl ColumnType {
    /// Parses a type as written in DDL: a name (case-insensitive) and optional arguments,
    /// e.g. `int`, `INT(11)`, `varchar(65533)`, `DECIMAL(10,2)`, `datetime`.
    pub fn parse(name: &str, args: &[u32]) -> Result<ColumnType, String> {
        let arg = |i: usize| args.get(i).copied();
        let ty = match name.to_ascii_lowercase().as_str() {
            "tinyint" => ColumnType::TinyInt,
            "smallint" => ColumnType::SmallInt,
            "int" | "integer" => ColumnType::Int,
            "bigint" => ColumnType::BigInt,
            "largeint" => ColumnType::LargeInt,
            "float" => ColumnType::Float,
            "double" => ColumnType::Double,
            "decimal" | "decimalv2" | "decimal32" | "decimal64" | "decimal128" | "numeric" => {
                let precision = arg(0).unwrap_or(10);
                let scale = arg(1).unwrap_or(0);
                if !(1..=38).contains(&precision) || scale > precision {
                    return Err(format!(
                        "Invalid decimal type: DECIMAL({precision},{scale})"
                    ));
                }
                ColumnType::Decimal {
                    precision: precision as u8,
                    scale: scale as u8,
                }
            }
            "boolean" | "bool" => ColumnType::Boolean,
            "char" => ColumnType::Char(arg(0).unwrap_or(1)),
            "varchar" => ColumnType::Varchar(arg(0).unwrap_or(1_048_576)),
            "string" | "text" => ColumnType::String,
            "date" => ColumnType::Date,
            "datetime" | "timestamp" => ColumnType::DateTime,
            "json" => ColumnType::Json,
            other => return Err(format!("Unsupported column type: {other}")),
        };
        Ok(ty)
    }

    /// The FE's name for the type's primitive type (`PrimitiveType#toString`), which the
    /// table-schema endpoint reports: no length, STRING is a VARCHAR, and DECIMAL(p,s) is the
    /// narrowest decimal v3 type holding p digits (StarRocks' default `enable_decimal_v3`).
    pub fn primitive_name(&self) -> &'static str {
        match self {
            ColumnType::TinyInt => "TINYINT",
            ColumnType::SmallInt => "SMALLINT",
            ColumnType::Int => "INT",
            ColumnType::BigInt => "BIGINT",
            ColumnType::LargeInt => "LARGEINT",
            ColumnType::Float => "FLOAT",
            ColumnType::Double => "DOUBLE",
            ColumnType::Decimal { precision, .. } => match precision {
                0..=9 => "DECIMAL32",
                10..=18 => "DECIMAL64",
                19..=38 => "DECIMAL128",
                _ => "DECIMAL256",
            },
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Char(_) => "CHAR",
            ColumnType::Varchar(_) | ColumnType::String => "VARCHAR",
            ColumnType::Date => "DATE",
            ColumnType::DateTime => "DATETIME",
            ColumnType::Json => "JSON",
        }
    }

    /// Whether values of this type print as numbers (right-aligned in the MySQL client,
    /// unquoted in JSON results).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnType::TinyInt
                | ColumnType::SmallInt
                | ColumnType::Int
                | ColumnType::BigInt
                | ColumnType::LargeInt
                | ColumnType::Float
                | ColumnType::Double
                | ColumnType::Decimal { .. }
                | ColumnType::Boolean
        )
    }
}

impl fmt::Display for ColumnType {
    /// The type as `DESC` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::TinyInt => write!(f, "tinyint(4)"),
            ColumnType::SmallInt => write!(f, "smallint(6)"),
            ColumnType::Int => write!(f, "int(11)"),
            ColumnType::BigInt => write!(f, "bigint(20)"),
            ColumnType::LargeInt => write!(f, "largeint(40)"),
            ColumnType::Float => write!(f, "float"),
            ColumnType::Double => write!(f, "double"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Boolean => write!(f, "boolean"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::String => write!(f, "varchar(65533)"),
            ColumnType::Date => write!(f, "date"),
            ColumnType::DateTime => write!(f, "datetime"),
            ColumnType::Json => write!(f, "json"),
        }
    }
}

/// One stored cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Every integer type, LARGEINT included.
    Int(i128),
    /// FLOAT and DOUBLE.
    Float(f64),
    /// DECIMAL: the unscaled integer and the column's scale.
    Decimal {
        unscaled: i128,
        scale: u8,
    },
    Bool(bool),
    /// CHAR, VARCHAR, STRING.
    Str(String),
    /// DATE as `YYYY-MM-DD`.
    Date(chrono::NaiveDate),
    /// DATETIME, microsecond precision.
    DateTime(chrono::NaiveDateTime),
    /// JSON, kept as parsed.
    Json(serde_json::Value),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text form StarRocks prints for this value; `None` for NULL.
    pub fn render(&self) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Int(i) => i.to_string(),
            Value::Float(x) => render_float(*x),
            Value::Decimal { unscaled, scale } => render_decimal(*unscaled, *scale),
            Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Value::Str(s) => s.clone(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(dt) => {
                if dt.and_utc().timestamp_subsec_micros() == 0 {
                    dt.format("%Y-%m-%d %H:%M:%S").to_string()
                } else {
                    dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
                }
            }
            Value::Json(j) => j.to_string(),
        })
    }

    /// The value as a JSON scalar, for the HTTP SQL API.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Int(i) => match i64::try_from(*i) {
                Ok(v) => J::from(v),
                Err(_) => J::String(i.to_string()),
            },
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Bool(b) => J::Bool(*b),
            Value::Json(j) => J::String(j.to_string()),
            other => J::String(other.render().unwrap_or_default()),
        }
    }

    /// A total order used for primary keys, `ORDER BY` and comparisons in `WHERE`.
    /// NULL sorts first; values of different kinds order by kind.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Bool(_) => 1,
                Value::Int(_) | Value::Float(_) | Value::Decimal { .. } => 2,
                Value::Date(_) => 3,
                Value::DateTime(_) => 4,
                Value::Str(_) => 5,
                Value::Json(_) => 6,
            }
        }
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::DateTime(a), Value::DateTime(b)) => a.cmp(b),
            (Value::Json(a), Value::Json(b)) => a.to_string().cmp(&b.to_string()),
            (a, b) if rank(a) == 2 && rank(b) == 2 => a
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b.as_f64().unwrap_or(0.0)),
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }

    /// Numeric values as f64 (for cross-kind numeric comparison).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            Value::Decimal { unscaled, scale } => {
                Some(*unscaled as f64 / 10f64.powi(i32::from(*scale)))
            }
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
}

fn render_float(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Renders an unscaled decimal with exactly `scale` fractional digits.
pub fn render_decimal(unscaled: i128, scale: u8) -> String {
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let body = if scale == 0 {
        digits
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        format!("{int}.{frac}")
    } else {
        format!("0.{}{}", "0".repeat(scale - digits.len()), digits)
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ddl_type_names_with_arguments() {
        assert_eq!(ColumnType::parse("INT", &[11]).unwrap(), ColumnType::Int);
        assert_eq!(
            ColumnType::parse("varchar", &[65533]).unwrap(),
            ColumnType::Varchar(65533)
        );
        assert_eq!(
            ColumnType::parse("DECIMAL", &[10, 2]).unwrap(),
            ColumnType::Decimal {
                precision: 10,
                scale: 2
            }
        );
        assert!(ColumnType::parse("geometry", &[]).is_err());
        assert!(ColumnType::parse("decimal", &[5, 7]).is_err());
    }

    #[test]
    fn names_decimals_by_the_narrowest_v3_type_and_strings_as_varchar() {
        let dec = |precision| ColumnType::Decimal {
            precision,
            scale: 0,
        };
        assert_eq!(dec(9).primitive_name(), "DECIMAL32");
        assert_eq!(dec(10).primitive_name(), "DECIMAL64");
        assert_eq!(dec(18).primitive_name(), "DECIMAL64");
        assert_eq!(dec(19).primitive_name(), "DECIMAL128");
        assert_eq!(ColumnType::String.primitive_name(), "VARCHAR");
        assert_eq!(ColumnType::Char(3).primitive_name(), "CHAR");
    }

    #[test]
    fn renders_decimals_with_their_scale() {
        assert_eq!(render_decimal(12345, 2), "123.45");
        assert_eq!(render_decimal(-5, 3), "-0.005");
        assert_eq!(render_decimal(7, 0), "7");
    }

    #[test]
    fn orders_mixed_numbers_numerically_and_null_first() {
        let a = Value::Int(2);
        let b = Value::Decimal {
            unscaled: 150,
            scale: 2,
        };
        assert_eq!(a.total_cmp(&b), Ordering::Greater);
        assert_eq!(Value::Null.total_cmp(&b), Ordering::Less);
    }
}
