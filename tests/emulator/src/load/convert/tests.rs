use super::*;

fn col(ty: ColumnType) -> Column {
    Column {
        name: "c".into(),
        ty,
        nullable: true,
        default: None,
        comment: String::new(),
    }
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dec(unscaled: i128, scale: u8) -> Value {
    Value::Decimal { unscaled, scale }
}

fn text(ty: ColumnType, s: &str) -> Result<Value, Failure> {
    convert(
        Datum::Field {
            text: s,
            name: "c",
            pos: 0,
        },
        &col(ty),
    )
}

fn json(ty: ColumnType, s: &str) -> Result<Value, Failure> {
    let value = Json::parse(s).unwrap();
    convert(
        Datum::Json {
            value: &value,
            name: "c",
        },
        &col(ty),
    )
}

fn d(precision: u8, scale: u8) -> ColumnType {
    ColumnType::Decimal { precision, scale }
}

#[test]
fn converts_csv_text_to_every_column_type() {
    use ColumnType as T;
    let j = |s: &str| Value::Json(serde_json::from_str(s).unwrap());
    let cases: Vec<(ColumnType, &str, Value)> = vec![
        (T::TinyInt, "-128", Value::Int(-128)),
        (T::TinyInt, " 127 ", Value::Int(127)),
        (T::SmallInt, "32767", Value::Int(32767)),
        (T::Int, "-2147483648", Value::Int(-2147483648)),
        (
            T::BigInt,
            "9223372036854775807",
            Value::Int(i64::MAX.into()),
        ),
        (
            T::LargeInt,
            "170141183460469231731687303715884105727",
            Value::Int(i128::MAX),
        ),
        (T::Float, "1.5", Value::Float(1.5)),
        (T::Double, "-2.5e3", Value::Float(-2500.0)),
        (d(10, 2), "123.456", dec(12346, 2)),
        (d(10, 2), "-0.005", dec(-1, 2)),
        (d(5, 0), "99999", dec(99999, 0)),
        (
            d(20, 2),
            "12345678901234567.89",
            dec(1234567890123456789, 2),
        ),
        (T::Boolean, "true", Value::Bool(true)),
        (T::Boolean, "FALSE", Value::Bool(false)),
        (T::Boolean, "1", Value::Bool(true)),
        (T::Boolean, "0", Value::Bool(false)),
        (T::Char(3), "abc", Value::Str("abc".into())),
        (T::Varchar(5), "héé", Value::Str("héé".into())),
        (T::String, "anything", Value::Str("anything".into())),
        (T::Date, "2024-02-29", Value::Date(date("2024-02-29"))),
        (T::Date, "20240229", Value::Date(date("2024-02-29"))),
        (
            T::Date,
            "2024-02-29 13:14:15",
            Value::Date(date("2024-02-29")),
        ),
        (T::Date, "2024/2/9", Value::Date(date("2024-02-09"))),
        (
            T::DateTime,
            "2024-02-29 13:14:15",
            Value::DateTime(dt("2024-02-29 13:14:15")),
        ),
        (
            T::DateTime,
            "2024-02-29T13:14:15.123456",
            Value::DateTime(dt("2024-02-29 13:14:15.123456")),
        ),
        (
            T::DateTime,
            "2024-02-29 13:14:15.5",
            Value::DateTime(dt("2024-02-29 13:14:15.5")),
        ),
        (
            T::DateTime,
            "2024-02-29",
            Value::DateTime(dt("2024-02-29 00:00:00")),
        ),
        (
            T::DateTime,
            "20240229131415",
            Value::DateTime(dt("2024-02-29 13:14:15")),
        ),
        (T::Json, r#"{"a": [1, 2]}"#, j(r#"{"a":[1,2]}"#)),
        (T::Json, "3", j("3")),
    ];
    for (ty, input, expected) in cases {
        assert_eq!(text(ty.clone(), input), Ok(expected), "{ty} <- {input:?}");
    }
}

#[test]
fn unreadable_or_out_of_range_csv_text_is_invalid_with_the_field_message() {
    use ColumnType as T;
    let cases: Vec<(ColumnType, &str)> = vec![
        (T::TinyInt, "128"),
        (T::TinyInt, "-129"),
        (T::SmallInt, "40000"),
        (T::Int, "2147483648"),
        (T::BigInt, "9223372036854775808"),
        (T::LargeInt, "170141183460469231731687303715884105728"),
        (T::Int, "1.5"),
        (T::Int, "abc"),
        (T::Float, "1e39"),
        (T::Double, "NaN"),
        (d(5, 2), "1000"),
        (d(5, 2), "999.995"),
        (d(10, 2), "1.2.3"),
        (T::Boolean, "maybe"),
        (T::Date, "2023-02-29"),
        (T::Date, "1753389251"),
        (T::DateTime, "2024-01-01 25:00:00"),
        (T::DateTime, "yesterday"),
        (T::Json, "{not json"),
    ];
    for (ty, input) in cases {
        let expected = format!(
            "The field (name = c, pos = 0) is out of range. Type: {}, Value length: {}, Value: {input}",
            type_debug(&ty),
            input.len()
        );
        assert_eq!(
            text(ty.clone(), input),
            Err(Failure::Invalid(expected)),
            "{ty} <- {input:?}"
        );
    }
}

#[test]
fn strings_longer_than_their_column_are_rejected_in_every_mode() {
    assert_eq!(
        text(ColumnType::Varchar(3), "abcd"),
        Err(Failure::Reject(
            "String 'abcd'(length=4) is too long. The max length of 'c' is 3".into()
        ))
    );
    // The limit is in bytes, like StarRocks.
    assert!(matches!(
        text(ColumnType::Char(2), "é€"),
        Err(Failure::Reject(_))
    ));
    let long = "x".repeat(150);
    let Err(Failure::Reject(reason)) = text(ColumnType::Varchar(10), &long) else {
        panic!("expected a rejection");
    };
    assert!(
        reason.starts_with(&format!("String '{}...'(length=150)", "x".repeat(100))),
        "{reason}"
    );
}

#[test]
fn converts_json_values_to_every_column_type() {
    use ColumnType as T;
    let j = |s: &str| Value::Json(serde_json::from_str(s).unwrap());
    let cases: Vec<(ColumnType, &str, Value)> = vec![
        (T::TinyInt, "127", Value::Int(127)),
        (T::Int, "\"42\"", Value::Int(42)),
        (T::Int, "3.9", Value::Int(3)),
        (
            T::BigInt,
            "-9223372036854775808",
            Value::Int(i64::MIN.into()),
        ),
        (
            T::LargeInt,
            "170141183460469231731687303715884105727",
            Value::Int(i128::MAX),
        ),
        (T::LargeInt, "\"-5\"", Value::Int(-5)),
        (T::Double, "0.1", Value::Float(0.1)),
        (T::Float, "\"2.5\"", Value::Float(2.5)),
        (
            d(20, 2),
            "12345678901234567.89",
            dec(1234567890123456789, 2),
        ),
        (
            d(20, 2),
            "\"12345678901234567.89\"",
            dec(1234567890123456789, 2),
        ),
        (d(38, 10), "1.5e-3", dec(15_000_000, 10)),
        (d(10, 0), "12", dec(12, 0)),
        (T::Boolean, "true", Value::Bool(true)),
        (T::Boolean, "0", Value::Bool(false)),
        (T::Boolean, "\"TRUE\"", Value::Bool(true)),
        (T::String, "12.50", Value::Str("12.50".into())),
        (T::String, "true", Value::Str("1".into())),
        (
            T::Varchar(20),
            r#"{"a": [1, 2]}"#,
            Value::Str(r#"{"a":[1,2]}"#.into()),
        ),
        (T::String, "\"plain\"", Value::Str("plain".into())),
        (T::Date, "\"2024-05-06\"", Value::Date(date("2024-05-06"))),
        (T::Date, "20240506", Value::Date(date("2024-05-06"))),
        (
            T::DateTime,
            "\"2024-05-06 07:08:09\"",
            Value::DateTime(dt("2024-05-06 07:08:09")),
        ),
        (T::Json, r#"{"k": [true, null]}"#, j(r#"{"k":[true,null]}"#)),
        (T::Json, "\"text\"", j("\"text\"")),
        (T::Json, "7", j("7")),
    ];
    for (ty, input, expected) in cases {
        assert_eq!(json(ty.clone(), input), Ok(expected), "{ty} <- {input}");
    }
}

#[test]
fn json_failures_carry_the_reason_of_the_be_code_path() {
    use ColumnType as T;
    let cases: Vec<(ColumnType, &str, &str)> = vec![
        (T::TinyInt, "300", "Value is overflow. column=c, value=300"),
        (
            T::Int,
            "\"3000000000\"",
            "Value is overflow. column=c, value=3000000000",
        ),
        (
            T::Int,
            "\"abc\"",
            "Unable to cast string value to BIGINT. value=abc, column=c",
        ),
        (
            T::BigInt,
            "true",
            "Unsupported value type. Numeric type is required. column=c",
        ),
        (
            T::Double,
            "[1]",
            "Unsupported value type. Numeric type is required. column=c",
        ),
        (
            T::Boolean,
            "\"maybe\"",
            "Failed to parse string value as boolean. column=c, value=maybe",
        ),
        (
            T::Boolean,
            "{}",
            "Unsupported value type to boolean. column=c, type=object",
        ),
        (
            T::DateTime,
            "1753389251",
            "Value ''1753389251'' is out of range. The type of 'c' is DATETIME",
        ),
        (
            d(5, 2),
            "1000.5",
            "Value ''1000.5'' is out of range. The type of 'c' is DECIMAL32(5, 2)",
        ),
        (
            d(20, 2),
            "\"x\"",
            "Value ''x'' is out of range. The type of 'c' is DECIMAL128(20, 2)",
        ),
        (
            T::LargeInt,
            "1.5",
            "Value ''1.5'' is out of range. The type of 'c' is LARGEINT",
        ),
    ];
    for (ty, input, reason) in cases {
        assert_eq!(
            json(ty.clone(), input),
            Err(Failure::Invalid(reason.into())),
            "{ty} <- {input}"
        );
    }
}

#[test]
fn constants_fail_with_the_cast_message() {
    assert_eq!(
        convert(Datum::Const("x"), &col(ColumnType::Int)),
        Err(Failure::Invalid(
            "Value ''x'' is out of range. The type of 'c' is INT".into()
        ))
    );
    assert_eq!(
        convert(Datum::Const("7"), &col(ColumnType::Int)),
        Ok(Value::Int(7))
    );
}

#[test]
fn decimals_are_exact_and_round_half_away_from_zero() {
    let cases: &[(&str, u8, u8, Option<i128>)] = &[
        (
            "12345678901234567.89",
            20,
            2,
            Some(1_234_567_890_123_456_789),
        ),
        (
            "99999999999999999999999999999999999999",
            38,
            0,
            Some(10i128.pow(38) - 1),
        ),
        ("100000000000000000000000000000000000000", 38, 0, None),
        ("0.125", 5, 2, Some(13)),
        ("-0.125", 5, 2, Some(-13)),
        ("0.124", 5, 2, Some(12)),
        ("5e-1", 3, 0, Some(1)),
        ("5e-3", 3, 0, Some(0)),
        ("1.5E2", 5, 1, Some(1500)),
        ("+.5", 3, 1, Some(5)),
        ("7.", 3, 1, Some(70)),
        (".", 3, 1, None),
        ("", 3, 1, None),
        ("1e", 3, 1, None),
        ("--1", 3, 1, None),
    ];
    for (text, p, s, expected) in cases {
        assert_eq!(
            parse_decimal(text, *p, *s),
            *expected,
            "{text} as DECIMAL({p},{s})"
        );
    }
}

#[test]
fn type_names_follow_the_be_debug_strings() {
    use ColumnType as T;
    let cases = [
        (T::TinyInt, "TINYINT"),
        (T::LargeInt, "LARGEINT"),
        (d(9, 2), "DECIMAL32(9, 2)"),
        (d(18, 0), "DECIMAL64(18, 0)"),
        (d(38, 10), "DECIMAL128(38, 10)"),
        (T::Char(5), "CHAR(5)"),
        (T::Varchar(64), "VARCHAR(64)"),
        (T::String, "VARCHAR(65533)"),
        (T::DateTime, "DATETIME"),
        (T::Json, "JSON"),
    ];
    for (ty, name) in cases {
        assert_eq!(type_debug(&ty), name);
    }
}
