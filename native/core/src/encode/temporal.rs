//! Temporal logical types, Connect's and Debezium's, written as the DATE / DATETIME / TIME text
//! StarRocks loads into temporal columns.
//!
//! The types are recognised by schema name ([`Temporal::from_schema_name`]); their values are the
//! numbers or strings Connect and Debezium declare (days, milli-, micro- or nanoseconds, ISO-8601
//! text). Timestamps are rendered in UTC.
//!
//! Invariant: what is written is always text StarRocks parses: a date is `YYYY-MM-DD` in the
//! years 0000–9999 (StarRocks' DATE and DATETIME range), a time is `HH:MM:SS`, and a fraction has
//! exactly 3 or 6 digits (StarRocks keeps microseconds; nanoseconds are truncated). A value
//! outside that range is refused with a reason, never wrapped or clipped. Nothing written needs
//! JSON escaping, so callers put the text between quotes as it is.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};

/// The unit of a time count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Millis,
    Micros,
    Nanos,
}

impl Unit {
    fn per_second(self) -> i64 {
        match self {
            Unit::Millis => 1_000,
            Unit::Micros => 1_000_000,
            Unit::Nanos => 1_000_000_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::Millis => "ms",
            Unit::Micros => "µs",
            Unit::Nanos => "ns",
        }
    }
}

/// A temporal logical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Temporal {
    /// Days since 1970-01-01.
    Date,
    /// Connect's `Time`: milliseconds since midnight, within one day.
    TimeOfDay,
    /// Debezium's `Time`, `MicroTime` and `NanoTime`: time since midnight, which for MySQL
    /// `TIME` columns may be negative or longer than a day (`-838:59:59` to `838:59:59`).
    Duration(Unit),
    /// Time since 1970-01-01T00:00:00Z.
    Timestamp(Unit),
    /// Debezium's `ZonedTimestamp`: ISO-8601 text with an offset.
    ZonedTimestamp,
}

impl Temporal {
    /// The temporal type a schema name declares, if any.
    pub(super) fn from_schema_name(name: &str) -> Option<Temporal> {
        Some(match name {
            "org.apache.kafka.connect.data.Date" | "io.debezium.time.Date" => Temporal::Date,
            "org.apache.kafka.connect.data.Time" => Temporal::TimeOfDay,
            "io.debezium.time.Time" => Temporal::Duration(Unit::Millis),
            "io.debezium.time.MicroTime" => Temporal::Duration(Unit::Micros),
            "io.debezium.time.NanoTime" => Temporal::Duration(Unit::Nanos),
            "org.apache.kafka.connect.data.Timestamp" | "io.debezium.time.Timestamp" => {
                Temporal::Timestamp(Unit::Millis)
            }
            "io.debezium.time.MicroTimestamp" => Temporal::Timestamp(Unit::Micros),
            "io.debezium.time.NanoTimestamp" => Temporal::Timestamp(Unit::Nanos),
            "io.debezium.time.ZonedTimestamp" => Temporal::ZonedTimestamp,
            _ => return None,
        })
    }

    /// Writes a numeric temporal value as text; `Err` gives the reason it cannot be.
    pub(super) fn write_number(self, out: &mut Vec<u8>, value: i64) -> Result<(), String> {
        match self {
            Temporal::Date => write_date(out, value),
            Temporal::TimeOfDay => write_time_of_day(out, value),
            Temporal::Duration(unit) => {
                write_duration(out, value, unit);
                Ok(())
            }
            Temporal::Timestamp(unit) => write_timestamp(out, value, unit),
            Temporal::ZonedTimestamp => Err(format!(
                "a ZonedTimestamp must be ISO-8601 text, got the number {value}"
            )),
        }
    }

    /// Writes a textual temporal value (only `ZonedTimestamp` has one).
    pub(super) fn write_text(self, out: &mut Vec<u8>, text: &str) -> Result<(), String> {
        match self {
            Temporal::ZonedTimestamp => write_zoned_timestamp(out, text),
            _ => Err(format!(
                "expected a number for this temporal type, got the text '{text}'"
            )),
        }
    }
}

const SECONDS_PER_DAY: i64 = 86_400;
/// 1970-01-01 counted as chrono's days from the Common Era (0001-01-01 is day 1).
const EPOCH_DAYS_FROM_CE: i64 = 719_163;
const RANGE: &str = "StarRocks' range 0000-01-01 to 9999-12-31";

/// `YYYY-MM-DD` of `days` since 1970-01-01.
fn write_date(out: &mut Vec<u8>, days: i64) -> Result<(), String> {
    if push_date(out, days) {
        Ok(())
    } else {
        Err(format!(
            "the date {days} days from 1970-01-01 is outside {RANGE}"
        ))
    }
}

/// `HH:MM:SS[.fff]` of Connect's `Time`.
fn write_time_of_day(out: &mut Vec<u8>, millis: i64) -> Result<(), String> {
    if !(0..SECONDS_PER_DAY * 1_000).contains(&millis) {
        return Err(format!(
            "the time of day {millis} ms is outside 00:00:00 to 23:59:59.999"
        ));
    }
    write_duration(out, millis, Unit::Millis);
    Ok(())
}

/// `[-]HH:MM:SS[.fff|.ffffff]`; hours go past 23 for long durations.
fn write_duration(out: &mut Vec<u8>, value: i64, unit: Unit) {
    if value < 0 {
        out.push(b'-');
    }
    let magnitude = value.unsigned_abs();
    let per_second = unit.per_second().unsigned_abs();
    let seconds = magnitude / per_second;
    let hours = seconds / 3_600;
    if hours < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(itoa::Buffer::new().format(hours).as_bytes());
    out.push(b':');
    push_padded(out, seconds / 60 % 60, 2);
    out.push(b':');
    push_padded(out, seconds % 60, 2);
    push_fraction(out, to_micros(magnitude % per_second, unit));
}

/// `YYYY-MM-DD HH:MM:SS[.fff|.ffffff]` in UTC of `value` units since the epoch.
fn write_timestamp(out: &mut Vec<u8>, value: i64, unit: Unit) -> Result<(), String> {
    let per_second = unit.per_second();
    let seconds = value.div_euclid(per_second);
    let sub_second = value.rem_euclid(per_second).unsigned_abs();
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY).unsigned_abs();
    if !push_date(out, seconds.div_euclid(SECONDS_PER_DAY)) {
        return Err(format!(
            "the timestamp {value} {} since 1970-01-01T00:00:00Z is outside {RANGE}",
            unit.name()
        ));
    }
    out.push(b' ');
    push_time(out, second_of_day, to_micros(sub_second, unit));
    Ok(())
}

/// Debezium's `ZonedTimestamp` (`2024-05-01T10:20:30.123456+02:00`) as UTC DATETIME text.
fn write_zoned_timestamp(out: &mut Vec<u8>, text: &str) -> Result<(), String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("'{text}' is not an ISO-8601 timestamp with an offset: {e}"))?;
    let utc = parsed.naive_utc();
    let days = i64::from(utc.date().num_days_from_ce()) - EPOCH_DAYS_FROM_CE;
    if !push_date(out, days) {
        return Err(format!("the timestamp '{text}' is outside {RANGE}"));
    }
    out.push(b' ');
    // chrono marks a leap second with nanoseconds past 1e9; StarRocks has no 60th second.
    let micros = u64::from(utc.nanosecond().min(999_999_999) / 1_000);
    push_time(out, u64::from(utc.num_seconds_from_midnight()), micros);
    Ok(())
}

/// Pushes `YYYY-MM-DD`, or nothing and `false` when the day is outside years 0000–9999.
fn push_date(out: &mut Vec<u8>, days: i64) -> bool {
    let date = days
        .checked_add(EPOCH_DAYS_FROM_CE)
        .and_then(|ce| i32::try_from(ce).ok())
        .and_then(NaiveDate::from_num_days_from_ce_opt);
    let Some(date) = date else {
        return false;
    };
    let Ok(year) = u64::try_from(date.year()) else {
        return false;
    };
    if year > 9_999 {
        return false;
    }
    push_padded(out, year, 4);
    out.push(b'-');
    push_padded(out, u64::from(date.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(date.day()), 2);
    true
}

/// `HH:MM:SS` of a second of the day, then the fraction.
fn push_time(out: &mut Vec<u8>, second_of_day: u64, micros: u64) {
    push_padded(out, second_of_day / 3_600, 2);
    out.push(b':');
    push_padded(out, second_of_day / 60 % 60, 2);
    out.push(b':');
    push_padded(out, second_of_day % 60, 2);
    push_fraction(out, micros);
}

/// Nothing for a whole second, `.fff` for whole milliseconds, `.ffffff` otherwise.
fn push_fraction(out: &mut Vec<u8>, micros: u64) {
    if micros == 0 {
        return;
    }
    out.push(b'.');
    if micros % 1_000 == 0 {
        push_padded(out, micros / 1_000, 3);
    } else {
        push_padded(out, micros, 6);
    }
}

/// A sub-second count in `unit` as whole microseconds (nanoseconds truncated).
fn to_micros(sub_second: u64, unit: Unit) -> u64 {
    match unit {
        Unit::Millis => sub_second * 1_000,
        Unit::Micros => sub_second,
        Unit::Nanos => sub_second / 1_000,
    }
}

/// `value` in decimal, zero-padded on the left to `width` digits (`value` fits in `width`).
fn push_padded(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        // `value % 10` is a single digit.
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(t: Temporal, value: i64) -> Result<String, String> {
        let mut out = Vec::new();
        t.write_number(&mut out, value)?;
        Ok(String::from_utf8(out).expect("temporal text is ASCII"))
    }

    fn text(t: Temporal, value: &str) -> Result<String, String> {
        let mut out = Vec::new();
        t.write_text(&mut out, value)?;
        Ok(String::from_utf8(out).expect("temporal text is ASCII"))
    }

    #[test]
    fn numeric_temporal_values_render_as_starrocks_text() {
        use Temporal::*;
        use Unit::*;
        let cases = [
            (Date, 0, "1970-01-01"),
            (Date, 19_844, "2024-05-01"),
            (Date, -1, "1969-12-31"),
            (Date, -719_528, "0000-01-01"),
            (Date, 2_932_896, "9999-12-31"),
            (TimeOfDay, 0, "00:00:00"),
            (TimeOfDay, 37_230_000, "10:20:30"),
            (TimeOfDay, 37_230_123, "10:20:30.123"),
            (TimeOfDay, 86_399_999, "23:59:59.999"),
            (Duration(Millis), 37_230_120, "10:20:30.120"),
            (Duration(Micros), 37_230_123_456, "10:20:30.123456"),
            (Duration(Micros), 37_230_123_000, "10:20:30.123"),
            (Duration(Nanos), 37_230_123_456_789, "10:20:30.123456"),
            (Duration(Micros), -3_020_399_000_000, "-838:59:59"),
            (Duration(Micros), 90_000_000_000, "25:00:00"),
            (Timestamp(Millis), 0, "1970-01-01 00:00:00"),
            (
                Timestamp(Millis),
                1_714_558_830_123,
                "2024-05-01 10:20:30.123",
            ),
            (Timestamp(Millis), -1, "1969-12-31 23:59:59.999"),
            (Timestamp(Millis), -86_400_000, "1969-12-31 00:00:00"),
            (
                Timestamp(Micros),
                1_714_558_830_123_456,
                "2024-05-01 10:20:30.123456",
            ),
            (Timestamp(Micros), -1, "1969-12-31 23:59:59.999999"),
            (
                Timestamp(Nanos),
                1_714_558_830_123_456_789,
                "2024-05-01 10:20:30.123456",
            ),
            (Timestamp(Nanos), -1_000, "1969-12-31 23:59:59.999999"),
            (
                Timestamp(Millis),
                253_402_300_799_999,
                "9999-12-31 23:59:59.999",
            ),
            (
                Timestamp(Millis),
                -62_167_219_200_000,
                "0000-01-01 00:00:00",
            ),
            (Timestamp(Nanos), i64::MAX, "2262-04-11 23:47:16.854775"),
            (Timestamp(Nanos), i64::MIN, "1677-09-21 00:12:43.145224"),
            (Duration(Nanos), i64::MIN, "-2562047:47:16.854775"),
        ];
        for (t, value, expected) in cases {
            assert_eq!(number(t, value).as_deref(), Ok(expected), "{t:?} {value}");
        }
    }

    #[test]
    fn values_outside_starrocks_range_are_refused_with_a_reason() {
        use Temporal::*;
        use Unit::*;
        let cases = [
            (
                Date,
                -719_529,
                "the date -719529 days from 1970-01-01 is outside",
            ),
            (Date, 2_932_897, "is outside StarRocks' range"),
            (Date, i64::from(i32::MAX), "is outside"),
            (Date, i64::MIN, "is outside"),
            (TimeOfDay, -1, "the time of day -1 ms is outside"),
            (
                TimeOfDay,
                86_400_000,
                "the time of day 86400000 ms is outside",
            ),
            (
                Timestamp(Millis),
                253_402_300_800_000,
                "the timestamp 253402300800000 ms",
            ),
            (Timestamp(Millis), -62_167_219_200_001, "is outside"),
            (Timestamp(Millis), i64::MIN, "is outside"),
        ];
        for (t, value, reason) in cases {
            match number(t, value) {
                Err(e) => assert!(e.contains(reason), "{t:?} {value}: {e}"),
                Ok(text) => panic!("{t:?} {value} rendered as {text}"),
            }
        }
    }

    #[test]
    fn zoned_timestamps_are_converted_to_utc() {
        let cases = [
            ("2024-05-01T10:20:30.123456Z", "2024-05-01 10:20:30.123456"),
            ("2024-05-01T10:20:30Z", "2024-05-01 10:20:30"),
            ("2024-05-01T10:20:30.5Z", "2024-05-01 10:20:30.500"),
            ("2024-05-01T01:20:30+02:00", "2024-04-30 23:20:30"),
            ("2024-05-01T23:20:30.123-05:30", "2024-05-02 04:50:30.123"),
            (
                "1969-12-31T23:59:59.999999999Z",
                "1969-12-31 23:59:59.999999",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                text(Temporal::ZonedTimestamp, input).as_deref(),
                Ok(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn malformed_zoned_timestamps_are_refused_naming_the_text() {
        for input in ["2024-05-01 10:20:30", "infinity", "2024-05-01T10:20Z", ""] {
            let e = text(Temporal::ZonedTimestamp, input).expect_err(input);
            assert!(e.contains(&format!("'{input}'")), "{e}");
        }
    }

    #[test]
    fn schema_names_select_their_temporal_type() {
        let cases = [
            ("org.apache.kafka.connect.data.Date", Some(Temporal::Date)),
            (
                "org.apache.kafka.connect.data.Time",
                Some(Temporal::TimeOfDay),
            ),
            (
                "org.apache.kafka.connect.data.Timestamp",
                Some(Temporal::Timestamp(Unit::Millis)),
            ),
            ("io.debezium.time.Date", Some(Temporal::Date)),
            (
                "io.debezium.time.Time",
                Some(Temporal::Duration(Unit::Millis)),
            ),
            (
                "io.debezium.time.MicroTime",
                Some(Temporal::Duration(Unit::Micros)),
            ),
            (
                "io.debezium.time.NanoTime",
                Some(Temporal::Duration(Unit::Nanos)),
            ),
            (
                "io.debezium.time.Timestamp",
                Some(Temporal::Timestamp(Unit::Millis)),
            ),
            (
                "io.debezium.time.MicroTimestamp",
                Some(Temporal::Timestamp(Unit::Micros)),
            ),
            (
                "io.debezium.time.NanoTimestamp",
                Some(Temporal::Timestamp(Unit::Nanos)),
            ),
            (
                "io.debezium.time.ZonedTimestamp",
                Some(Temporal::ZonedTimestamp),
            ),
            ("io.debezium.time.ZonedTime", None),
            ("io.debezium.time.Year", None),
            ("org.apache.kafka.connect.data.Decimal", None),
        ];
        for (name, expected) in cases {
            assert_eq!(Temporal::from_schema_name(name), expected, "{name}");
        }
    }
}
