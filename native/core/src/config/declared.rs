//! The keys the core reads with a default, their defaults and valid values: declared once here
//! (the parser reads the same tables) and compared with the connector's `ConfigDef` by a test of
//! the shim, so the two sides cannot drift apart.

use super::Format;
use super::{
    keys, Envelope, PartialUpdateMode, Semantic, TableFailure, TemporalRendering,
    BUFFER_INTERVAL_MS_RANGE, BUFFER_MAX_BYTES_RANGE, CONNECT_TIMEOUT_MS_RANGE,
    DEFAULT_BUFFER_INTERVAL_MS, DEFAULT_BUFFER_MAX_BYTES, DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_LOADS_IN_FLIGHT, DEFAULT_MAX_RETRIES, DEFAULT_PROGRESS_TABLE, DEFAULT_RETRY_TIMEOUT_MS,
    LOADS_IN_FLIGHT_RANGE, MAX_RETRIES_RANGE, RETRY_TIMEOUT_MS_RANGE,
};

/// `sink.table.failure` values.
pub(super) const TABLE_FAILURES: [(&str, TableFailure); 2] =
    [("retry", TableFailure::Retry), ("fail", TableFailure::Fail)];
/// `sink.properties.format` values.
pub(super) const FORMATS: [(&str, Format); 2] = [("json", Format::Json), ("csv", Format::Csv)];
/// `sink.properties.partial_update_mode` values.
pub(super) const PARTIAL_UPDATE_MODES: [(&str, PartialUpdateMode); 3] = [
    ("row", PartialUpdateMode::Row),
    ("column", PartialUpdateMode::Column),
    ("auto", PartialUpdateMode::Auto),
];
/// `starrocks.temporal.rendering` values.
pub(super) const TEMPORAL_RENDERINGS: [(&str, TemporalRendering); 2] = [
    ("string", TemporalRendering::String),
    ("numeric", TemporalRendering::Numeric),
];
/// `starrocks.envelope` values.
pub(super) const ENVELOPES: [(&str, Envelope); 2] =
    [("none", Envelope::None), ("debezium", Envelope::Debezium)];
/// `sink.semantic` values.
pub(super) const SEMANTICS: [(&str, Semantic); 2] = [
    ("at-least-once", Semantic::AtLeastOnce),
    ("exactly-once", Semantic::ExactlyOnce),
];
pub(super) const BOOLEANS: [(&str, bool); 2] = [("true", true), ("false", false)];

/// What values a declared key takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Valid {
    /// A whole number in `[min, max]`.
    Range(i64, i64),
    /// One of these words, in any case.
    OneOf(Vec<&'static str>),
    /// Any non-empty text (a name).
    NonEmpty,
}

/// A key the core reads with a default, as the connector's `ConfigDef` must declare it too
/// (a test of the shim compares the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub key: &'static str,
    /// The value the core assumes when the key is absent, as text.
    pub default: String,
    pub valid: Valid,
}

/// Every key the core reads with a default: its default and its valid values.
pub fn declared() -> Vec<Declared> {
    fn range(key: &'static str, default: i64, (min, max): (i64, i64)) -> Declared {
        Declared {
            key,
            default: default.to_string(),
            valid: Valid::Range(min, max),
        }
    }
    fn one_of<T>(key: &'static str, default: &str, options: &[(&'static str, T)]) -> Declared {
        Declared {
            key,
            default: default.to_owned(),
            valid: Valid::OneOf(options.iter().map(|(name, _)| *name).collect()),
        }
    }
    vec![
        range(
            keys::BUFFER_MAX_BYTES,
            DEFAULT_BUFFER_MAX_BYTES,
            BUFFER_MAX_BYTES_RANGE,
        ),
        range(
            keys::BUFFER_INTERVAL_MS,
            DEFAULT_BUFFER_INTERVAL_MS,
            BUFFER_INTERVAL_MS_RANGE,
        ),
        range(
            keys::CONNECT_TIMEOUT_MS,
            DEFAULT_CONNECT_TIMEOUT_MS,
            CONNECT_TIMEOUT_MS_RANGE,
        ),
        range(keys::MAX_RETRIES, DEFAULT_MAX_RETRIES, MAX_RETRIES_RANGE),
        range(
            keys::RETRY_TIMEOUT_MS,
            DEFAULT_RETRY_TIMEOUT_MS,
            RETRY_TIMEOUT_MS_RANGE,
        ),
        one_of(keys::TABLE_FAILURE, "retry", &TABLE_FAILURES),
        range(
            keys::LOADS_IN_FLIGHT,
            DEFAULT_LOADS_IN_FLIGHT,
            LOADS_IN_FLIGHT_RANGE,
        ),
        one_of(keys::FORMAT, "json", &FORMATS),
        one_of(keys::STRIP_OUTER_ARRAY, "false", &BOOLEANS),
        one_of(keys::PARTIAL_UPDATE, "false", &BOOLEANS),
        // Absent, no header is sent and StarRocks applies its own default, `row`.
        one_of(keys::PARTIAL_UPDATE_MODE, "row", &PARTIAL_UPDATE_MODES),
        one_of(keys::TEMPORAL_RENDERING, "string", &TEMPORAL_RENDERINGS),
        one_of(keys::ENVELOPE, "none", &ENVELOPES),
        one_of(keys::SEMANTIC, "at-least-once", &SEMANTICS),
        one_of(keys::TABLE_CREATE, "false", &BOOLEANS),
        one_of(keys::TABLE_EVOLVE, "false", &BOOLEANS),
        Declared {
            key: keys::PROGRESS_TABLE,
            default: DEFAULT_PROGRESS_TABLE.to_owned(),
            valid: Valid::NonEmpty,
        },
    ]
}
