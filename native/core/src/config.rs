//! The connector's property map, parsed once into a validated [`SinkConfig`].
//!
//! The keys, defaults and ranges are those of StarRocks' Java connector (see [`keys`]), so an
//! existing configuration works unchanged. [`SinkConfig::validate`] reports every bad or missing
//! key at once (for Connect's `validate()`); [`SinkConfig::from_map`] returns the first of them
//! as an [`Error`] whose message names the key.
//!
//! Invariant: a `SinkConfig` that exists is valid — every URL has a scheme and a host, every
//! number is in range, every `sink.properties.*` header can be sent as an HTTP header — and its
//! `Debug` output never contains the password.
//!
//! Keys the core does not know are ignored, because Connect passes its own keys to the connector
//! too: `name`, `connector.class`, `tasks.max`, `topics`, `topics.regex`, `key.converter*`,
//! `value.converter*`, `header.converter`, `transforms*`, `predicates*`, `errors.*`,
//! `consumer.override.*`, `config.action.reload`, and whatever else a worker adds.
//!
//! Values of the keys Connect's `ConfigDef` declares are trimmed, as `ConfigDef` trims them (the
//! password too); `sink.properties.*` names match regardless of case, and their values are
//! trimmed except the CSV separators, where a space is a legitimate value.
//!
//! One key is ours, not upstream's: `starrocks.temporal.rendering` = `string` (default) writes
//! Connect's Date/Time/Timestamp logical types as StarRocks DATE/DATETIME text, which loads into
//! DATE and DATETIME columns; `numeric` keeps the upstream connector's rendering (days or
//! milliseconds since the epoch as numbers) for pipelines that rely on it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

mod declared;
mod values;

pub use declared::{declared, Declared, Valid};
use declared::{
    BOOLEANS, ENVELOPES, FORMATS, PARTIAL_UPDATE_MODES, SEMANTICS, TABLE_FAILURES,
    TEMPORAL_RENDERINGS,
};
use values::{
    check_name, decode_separator, default_query_addrs, parse_http_urls, parse_query_urls,
    parse_topic_to_table, separator_header,
};

/// The configuration keys the core reads.
pub mod keys {
    /// FE HTTP addresses, `host:port[,host:port...]`; required.
    pub const HTTP_URL: &str = "starrocks.http.url";
    /// The target database; required.
    pub const DATABASE: &str = "starrocks.database.name";
    /// The StarRocks user; required.
    pub const USERNAME: &str = "starrocks.username";
    /// The StarRocks password; required, may be empty.
    pub const PASSWORD: &str = "starrocks.password";
    /// `topic:table[,topic:table...]`; a topic not listed loads into the table of its own name.
    pub const TOPIC_TO_TABLE: &str = "starrocks.topic2table.map";
    /// Buffered bytes across all tables that trigger a flush.
    pub const BUFFER_MAX_BYTES: &str = "bufferflush.maxbytes";
    /// Milliseconds after which buffered data is flushed.
    pub const BUFFER_INTERVAL_MS: &str = "bufferflush.intervalms";
    /// Milliseconds to wait for a connection to StarRocks.
    pub const CONNECT_TIMEOUT_MS: &str = "connect.timeoutms";
    /// Retries of a load before a transient failure makes its table failing; -1: never.
    pub const MAX_RETRIES: &str = "sink.maxretries";
    /// Milliseconds a load must have been failing before a transient failure makes its table
    /// failing (together with `sink.maxretries`).
    pub const RETRY_TIMEOUT_MS: &str = "sink.retry.timeoutms";
    /// What a failing table does: `retry` (its partitions pause, it retries) or `fail` (the
    /// task fails).
    pub const TABLE_FAILURE: &str = "sink.table.failure";
    /// How many loads of one table may be on their way at once (sent in parallel, committed in
    /// order).
    pub const LOADS_IN_FLIGHT: &str = "sink.table.loads.in.flight";
    /// Prefix of the Stream Load properties, sent as headers.
    pub const SINK_PROPERTIES_PREFIX: &str = "sink.properties.";
    /// `json` (default) or `csv`.
    pub const FORMAT: &str = "sink.properties.format";
    /// `true` when the body is one JSON array of rows.
    pub const STRIP_OUTER_ARRAY: &str = "sink.properties.strip_outer_array";
    /// CSV column separator, default `\t`; `\xHH...` hex form accepted.
    pub const COLUMN_SEPARATOR: &str = "sink.properties.column_separator";
    /// CSV row delimiter, default `\n`; `\xHH...` hex form accepted.
    pub const ROW_DELIMITER: &str = "sink.properties.row_delimiter";
    /// Transport compression of the body; only `lz4_frame`.
    pub const COMPRESSION: &str = "sink.properties.compression";
    /// `true` to update only the columns present in the load.
    pub const PARTIAL_UPDATE: &str = "sink.properties.partial_update";
    /// `row` or `column` (StarRocks also accepts `auto`).
    pub const PARTIAL_UPDATE_MODE: &str = "sink.properties.partial_update_mode";
    /// Refused: labels are derived by the connector.
    pub const LABEL: &str = "sink.properties.label";
    /// Our extension: `string` (default) or `numeric` rendering of temporal logical types.
    pub const TEMPORAL_RENDERING: &str = "starrocks.temporal.rendering";
    /// Our extension: `none` (default) or `debezium`, what a record value is (the key name of
    /// StarRocks' Java connector's pull request #61).
    pub const ENVELOPE: &str = "starrocks.envelope";
    /// `at-least-once` (default) or `exactly-once` (the key of StarRocks' Flink connector).
    pub const SEMANTIC: &str = "sink.semantic";
    /// Under `exactly-once`: the table, in the target database, that keeps the sink's progress.
    pub const PROGRESS_TABLE: &str = "sink.progress.table";
    /// The FEs' MySQL-protocol addresses, `host:port[,host:port...]`; by default the hosts of
    /// `starrocks.http.url` on port 9030. Used under `exactly-once` and to create or evolve tables.
    pub const QUERY_URL: &str = "starrocks.query.url";
    /// `true` to create a missing table from the first record's schema (over `QUERY_URL`).
    pub const TABLE_CREATE: &str = "starrocks.table.create";
    /// `true` to add a column to the table when the record schema gains a field.
    pub const TABLE_EVOLVE: &str = "starrocks.table.evolve";
    /// `key=value[,key=value...]`: the `PROPERTIES` of the tables the sink creates.
    pub const TABLE_CREATE_PROPERTIES: &str = "starrocks.table.create.properties";
}

/// Default of `sink.progress.table`.
pub const DEFAULT_PROGRESS_TABLE: &str = "kafka_connect_progress";
/// StarRocks' default FE `query_port`, for `starrocks.query.url`'s default.
pub const DEFAULT_QUERY_PORT: u16 = 9030;

/// Default of `bufferflush.maxbytes` (90 MiB).
pub const DEFAULT_BUFFER_MAX_BYTES: i64 = 94_371_840;
/// Range of `bufferflush.maxbytes`: 64 MiB to 10 GiB.
pub const BUFFER_MAX_BYTES_RANGE: (i64, i64) = (67_108_864, 10_737_418_240);
/// Default of `bufferflush.intervalms`.
pub const DEFAULT_BUFFER_INTERVAL_MS: i64 = 1_000;
/// Range of `bufferflush.intervalms`: one second to one hour.
pub const BUFFER_INTERVAL_MS_RANGE: (i64, i64) = (1_000, 3_600_000);
/// Default of `connect.timeoutms`.
pub const DEFAULT_CONNECT_TIMEOUT_MS: i64 = 1_000;
/// Range of `connect.timeoutms`.
pub const CONNECT_TIMEOUT_MS_RANGE: (i64, i64) = (100, 60_000);
/// Default of `sink.maxretries`.
pub const DEFAULT_MAX_RETRIES: i64 = 3;
/// Range of `sink.maxretries`: -1 (a transient failure never counts) and up.
pub const MAX_RETRIES_RANGE: (i64, i64) = (-1, i64::MAX);
/// Default of `sink.retry.timeoutms`: 15 minutes, longer than an FE restart or a leader
/// election, so a StarRocks outage of 10 minutes never counts as a failing table.
pub const DEFAULT_RETRY_TIMEOUT_MS: i64 = 900_000;
/// Range of `sink.retry.timeoutms`: zero to seven days.
pub const RETRY_TIMEOUT_MS_RANGE: (i64, i64) = (0, 604_800_000);

/// Default of `sink.table.loads.in.flight`: one load sending while the one before it commits.
pub const DEFAULT_LOADS_IN_FLIGHT: i64 = 2;
/// Range of `sink.table.loads.in.flight`.
pub const LOADS_IN_FLIGHT_RANGE: (i64, i64) = (1, 16);

/// A secret whose `Debug` and `Display` print `[hidden]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Password {
        Password(secret.into())
    }

    /// The secret itself, for building the `Authorization` header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

/// The data format of Stream Load bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// Transport compression of Stream Load bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Lz4Frame,
}

/// `sink.properties.partial_update_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialUpdateMode {
    Row,
    Column,
    Auto,
}

/// How Connect's Date, Time and Timestamp logical types are written into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalRendering {
    /// DATE / DATETIME / TIME text that StarRocks loads into temporal columns (the default).
    String,
    /// The upstream connector's rendering: days or milliseconds since the epoch, as numbers.
    Numeric,
}

/// `starrocks.envelope`: what a record value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The value is the row (or an array of rows), as it is (the default).
    None,
    /// The value is a Debezium change event: its `after` image is upserted, its `before` image
    /// (or the record key) deleted, as its `op` says.
    Debezium,
}

/// `sink.semantic`: what the sink promises about each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantic {
    /// Never lost; loaded again after a crash (the default).
    AtLeastOnce,
    /// Never lost, never loaded twice: progress kept in StarRocks, in the loads' transactions.
    ExactlyOnce,
}

/// `sink.table.failure`: what a table whose loads are failing does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFailure {
    /// Its partitions pause and its load is retried with backoff until it succeeds; the other
    /// tables go on (the default).
    Retry,
    /// The task fails, naming the table.
    Fail,
}

/// How many retries a failing load gets before its table counts as failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryLimit {
    /// `sink.maxretries=-1`.
    Forever,
    /// At most this many retries after the first attempt.
    AtMost(u64),
}

impl RetryLimit {
    /// Whether another retry is allowed after `retries_done` retries.
    pub fn allows_retry(self, retries_done: u64) -> bool {
        match self {
            RetryLimit::Forever => true,
            RetryLimit::AtMost(limit) => retries_done < limit,
        }
    }
}

/// The validated configuration of one connector (shared by its tasks).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkConfig {
    /// FE base URLs with scheme and without a trailing slash, e.g. `http://fe1:8030`.
    pub http_urls: Vec<String>,
    pub database: String,
    pub username: String,
    /// May be empty (StarRocks' `root` often has no password).
    pub password: Password,
    /// Explicit topic -> table routes; other topics load into the table of their own name.
    pub topic_to_table: BTreeMap<String, String>,
    /// `bufferflush.maxbytes`.
    pub buffer_max_bytes: u64,
    /// `bufferflush.intervalms`.
    pub flush_interval: Duration,
    /// `connect.timeoutms`.
    pub connect_timeout: Duration,
    /// `sink.maxretries`.
    pub max_retries: RetryLimit,
    /// `sink.retry.timeoutms`.
    pub retry_timeout: Duration,
    /// `sink.table.failure`.
    pub table_failure: TableFailure,
    /// `sink.table.loads.in.flight`.
    pub loads_in_flight: usize,
    pub format: Format,
    /// `sink.properties.strip_outer_array` (default false).
    pub strip_outer_array: bool,
    /// Decoded CSV column separator (default `\t`).
    pub column_separator: Vec<u8>,
    /// Decoded CSV row delimiter (default `\n`).
    pub row_delimiter: Vec<u8>,
    pub compression: Option<Compression>,
    /// `sink.properties.partial_update` (default false).
    pub partial_update: bool,
    pub partial_update_mode: Option<PartialUpdateMode>,
    pub temporal_rendering: TemporalRendering,
    /// `starrocks.envelope`.
    pub envelope: Envelope,
    /// `sink.semantic`.
    pub semantic: Semantic,
    /// `sink.progress.table`.
    pub progress_table: String,
    /// `starrocks.query.url` as `host:port` entries (by default the FEs' hosts on 9030).
    pub query_addrs: Vec<String>,
    /// `starrocks.table.create`.
    pub table_create: bool,
    /// `starrocks.table.evolve`.
    pub table_evolve: bool,
    /// `starrocks.table.create.properties`, in order.
    pub table_properties: Vec<(String, String)>,
    /// Every `sink.properties.*` key, suffix lower-cased, as the Stream Load header to send.
    /// `format` is always present (lower-case); `compression` is lower-cased; a separator or
    /// delimiter that is not plain visible ASCII is rewritten in the `\xHH` form StarRocks
    /// decodes, so it survives HTTP header whitespace rules.
    pub load_headers: BTreeMap<String, String>,
}

impl SinkConfig {
    /// Parses and validates the whole property map; the error is the first problem found and
    /// names its key.
    pub fn from_map(props: &HashMap<String, String>) -> Result<SinkConfig> {
        parse(props).map_err(|errors| {
            let (key, reason) = errors
                .into_iter()
                .next()
                .expect("parse fails only after recording a problem");
            Error::config(&key, reason)
        })
    }

    /// Every bad or missing key with its reason, in a stable order; empty when `from_map`
    /// would succeed.
    pub fn validate(props: &HashMap<String, String>) -> Vec<(String, String)> {
        parse(props).err().unwrap_or_default()
    }

    /// The configuration, or every bad or missing key with its reason (what `validate`
    /// returns), from one parse.
    pub fn parse_all(
        props: &HashMap<String, String>,
    ) -> std::result::Result<SinkConfig, Vec<(String, String)>> {
        parse(props)
    }

    /// The table a record of `topic` loads into.
    pub fn table_for_topic<'a>(&'a self, topic: &'a str) -> &'a str {
        self.topic_to_table
            .get(topic)
            .map(String::as_str)
            .unwrap_or(topic)
    }
}

/// Collects every problem instead of stopping at the first.
struct Parser<'a> {
    props: &'a HashMap<String, String>,
    /// `sink.properties.*` by lower-cased suffix: (the key as written, its value).
    sink: BTreeMap<String, (&'a str, &'a str)>,
    errors: Vec<(String, String)>,
}

impl<'a> Parser<'a> {
    fn new(props: &'a HashMap<String, String>) -> Parser<'a> {
        let mut p = Parser {
            props,
            sink: BTreeMap::new(),
            errors: Vec::new(),
        };
        let mut sink_keys: Vec<&'a String> = props
            .keys()
            .filter(|k| k.starts_with(keys::SINK_PROPERTIES_PREFIX))
            .collect();
        sink_keys.sort();
        for key in sink_keys {
            let name = key[keys::SINK_PROPERTIES_PREFIX.len()..].to_ascii_lowercase();
            if p.sink.contains_key(&name) {
                p.fail(
                    key,
                    format!("'{name}' is given more than once (property names ignore case)"),
                );
                continue;
            }
            p.sink.insert(name, (key.as_str(), props[key].as_str()));
        }
        p
    }

    fn fail(&mut self, key: &str, reason: impl Into<String>) {
        self.errors.push((key.to_owned(), reason.into()));
    }

    /// A present key's raw value; `sink.properties.*` suffixes match regardless of case.
    fn raw(&self, key: &str) -> Option<&'a str> {
        match key.strip_prefix(keys::SINK_PROPERTIES_PREFIX) {
            Some(name) => self.sink.get(name).map(|(_, value)| *value),
            None => self.props.get(key).map(String::as_str),
        }
    }

    /// A present key's value, trimmed as Connect's `ConfigDef` trims declared keys.
    fn trimmed(&self, key: &str) -> Option<&'a str> {
        self.raw(key).map(str::trim)
    }

    fn required(&mut self, key: &str, allow_empty: bool) -> Option<&'a str> {
        match self.trimmed(key) {
            None => {
                self.fail(key, "a value is required and there is no default");
                None
            }
            Some("") if !allow_empty => {
                self.fail(key, "the value must not be empty");
                None
            }
            Some(v) => Some(v),
        }
    }

    /// A required name that goes into Stream Load URLs and headers.
    fn required_name(&mut self, key: &str) -> Option<String> {
        let value = self.required(key, false)?;
        match check_name(value) {
            Ok(()) => Some(value.to_owned()),
            Err(reason) => {
                self.fail(key, reason);
                None
            }
        }
    }

    /// An optional name that goes into SQL and Stream Load headers; `None` when absent or empty.
    fn optional_name(&mut self, key: &str) -> Option<String> {
        let value = self.trimmed(key).filter(|v| !v.is_empty())?;
        match check_name(value) {
            Ok(()) => Some(value.to_owned()),
            Err(reason) => {
                self.fail(key, reason);
                None
            }
        }
    }

    fn long(&mut self, key: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(raw) = self.trimmed(key) else {
            return default;
        };
        match raw.parse::<i64>() {
            Ok(n) if n < min || n > max => {
                let reason = if max == i64::MAX {
                    format!("must be at least {min}, got {n}")
                } else {
                    format!("must be between {min} and {max}, got {n}")
                };
                self.fail(key, reason);
                default
            }
            Ok(n) => n,
            Err(_) => {
                self.fail(key, format!("must be a whole number, got '{raw}'"));
                default
            }
        }
    }

    /// A case-insensitive choice among `options`, or `None` when the key is absent.
    fn choice<T: Copy>(&mut self, key: &str, options: &[(&str, T)]) -> Option<T> {
        let raw = self.trimmed(key)?;
        let found = options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(raw))
            .map(|(_, value)| *value);
        if found.is_none() {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            self.fail(
                key,
                format!("must be one of {}, got '{raw}'", names.join(", ")),
            );
        }
        found
    }

    fn boolean(&mut self, key: &str) -> bool {
        self.choice(key, &BOOLEANS).unwrap_or(false)
    }

    fn separator(&mut self, key: &str, default: &[u8]) -> Vec<u8> {
        // Not trimmed: a space is a legitimate separator.
        match self.raw(key) {
            None | Some("") => default.to_vec(),
            Some(raw) => decode_separator(raw).unwrap_or_else(|reason| {
                self.fail(key, reason);
                default.to_vec()
            }),
        }
    }
}

fn parse(
    props: &HashMap<String, String>,
) -> std::result::Result<SinkConfig, Vec<(String, String)>> {
    let mut p = Parser::new(props);

    let http_urls = p.required(keys::HTTP_URL, false).and_then(|raw| {
        parse_http_urls(raw)
            .map_err(|reason| p.fail(keys::HTTP_URL, reason))
            .ok()
    });
    let database = p.required_name(keys::DATABASE);
    let username = p.required(keys::USERNAME, false).map(str::to_owned);
    let password = p.required(keys::PASSWORD, true).map(Password::new);
    let topic_to_table = match p.trimmed(keys::TOPIC_TO_TABLE) {
        None => BTreeMap::new(),
        Some(raw) => parse_topic_to_table(raw).unwrap_or_else(|reason| {
            p.fail(keys::TOPIC_TO_TABLE, reason);
            BTreeMap::new()
        }),
    };

    let (lo, hi) = BUFFER_MAX_BYTES_RANGE;
    let buffer_max_bytes = p.long(keys::BUFFER_MAX_BYTES, DEFAULT_BUFFER_MAX_BYTES, lo, hi);
    let (lo, hi) = BUFFER_INTERVAL_MS_RANGE;
    let flush_interval_ms = p.long(keys::BUFFER_INTERVAL_MS, DEFAULT_BUFFER_INTERVAL_MS, lo, hi);
    let (lo, hi) = CONNECT_TIMEOUT_MS_RANGE;
    let connect_timeout_ms = p.long(keys::CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, lo, hi);
    let (lo, hi) = MAX_RETRIES_RANGE;
    let max_retries = match p.long(keys::MAX_RETRIES, DEFAULT_MAX_RETRIES, lo, hi) {
        -1 => RetryLimit::Forever,
        n => RetryLimit::AtMost(n as u64),
    };
    let (lo, hi) = RETRY_TIMEOUT_MS_RANGE;
    let retry_timeout_ms = p.long(keys::RETRY_TIMEOUT_MS, DEFAULT_RETRY_TIMEOUT_MS, lo, hi);
    let table_failure = p
        .choice(keys::TABLE_FAILURE, &TABLE_FAILURES)
        .unwrap_or(TableFailure::Retry);
    let (lo, hi) = LOADS_IN_FLIGHT_RANGE;
    let loads_in_flight = p.long(keys::LOADS_IN_FLIGHT, DEFAULT_LOADS_IN_FLIGHT, lo, hi);

    let format = p.choice(keys::FORMAT, &FORMATS).unwrap_or(Format::Json);
    let strip_outer_array = p.boolean(keys::STRIP_OUTER_ARRAY);
    let column_separator = p.separator(keys::COLUMN_SEPARATOR, b"\t");
    let row_delimiter = p.separator(keys::ROW_DELIMITER, b"\n");
    let compression = p.choice(keys::COMPRESSION, &[("lz4_frame", Compression::Lz4Frame)]);
    let partial_update = p.boolean(keys::PARTIAL_UPDATE);
    let partial_update_mode = p.choice(keys::PARTIAL_UPDATE_MODE, &PARTIAL_UPDATE_MODES);
    let temporal_rendering = p
        .choice(keys::TEMPORAL_RENDERING, &TEMPORAL_RENDERINGS)
        .unwrap_or(TemporalRendering::String);
    let envelope = p
        .choice(keys::ENVELOPE, &ENVELOPES)
        .unwrap_or(Envelope::None);
    if envelope == Envelope::Debezium && format == Format::Csv {
        p.fail(
            keys::ENVELOPE,
            "debezium needs sink.properties.format=json: change events become JSON rows",
        );
    }
    let load_headers = load_headers(&mut p, format);
    if envelope == Envelope::Debezium {
        // StarRocks picks a JSON row's `__op` up by itself only when no column list is given:
        // a list without it would load every delete as an upsert.
        for (name, names_op) in [
            ("columns", names_op_column as fn(&str) -> bool),
            ("jsonpaths", names_op_path),
        ] {
            if load_headers.get(name).is_some_and(|v| !names_op(v)) {
                let key = p.sink.get(name).map_or(name, |(key, _)| *key);
                p.fail(
                    key,
                    "under starrocks.envelope=debezium it must load __op (a column `__op`, a \
                     path `$.__op`), or StarRocks loads every delete as an upsert",
                );
            }
        }
    }
    let semantic = p
        .choice(keys::SEMANTIC, &SEMANTICS)
        .unwrap_or(Semantic::AtLeastOnce);
    let progress_table = p
        .optional_name(keys::PROGRESS_TABLE)
        .unwrap_or_else(|| DEFAULT_PROGRESS_TABLE.to_owned());
    let table_create = p.boolean(keys::TABLE_CREATE);
    let table_evolve = p.boolean(keys::TABLE_EVOLVE);
    for key in [keys::TABLE_CREATE, keys::TABLE_EVOLVE] {
        if p.boolean(key) && format == Format::Csv {
            p.fail(
                key,
                "needs sink.properties.format=json: CSV rows carry no column names",
            );
        }
    }
    let table_properties = match p.trimmed(keys::TABLE_CREATE_PROPERTIES) {
        None => Vec::new(),
        Some(raw) => parse_table_properties(raw)
            .map_err(|reason| p.fail(keys::TABLE_CREATE_PROPERTIES, reason))
            .unwrap_or_default(),
    };
    let query_addrs = match p.trimmed(keys::QUERY_URL) {
        None | Some("") => None,
        Some(raw) => parse_query_urls(raw)
            .map_err(|reason| p.fail(keys::QUERY_URL, reason))
            .ok(),
    };

    match (http_urls, database, username, password) {
        (Some(http_urls), Some(database), Some(username), Some(password))
            if p.errors.is_empty() =>
        {
            Ok(SinkConfig {
                database,
                username,
                password,
                topic_to_table,
                // The ranges above make these conversions lossless.
                buffer_max_bytes: buffer_max_bytes as u64,
                flush_interval: Duration::from_millis(flush_interval_ms as u64),
                connect_timeout: Duration::from_millis(connect_timeout_ms as u64),
                max_retries,
                retry_timeout: Duration::from_millis(retry_timeout_ms as u64),
                table_failure,
                loads_in_flight: loads_in_flight as usize,
                format,
                strip_outer_array,
                column_separator,
                row_delimiter,
                compression,
                partial_update,
                partial_update_mode,
                temporal_rendering,
                envelope,
                semantic,
                progress_table,
                query_addrs: query_addrs.unwrap_or_else(|| default_query_addrs(&http_urls)),
                table_create,
                table_evolve,
                table_properties,
                http_urls,
                load_headers,
            })
        }
        _ => Err(p.errors),
    }
}

/// `key=value[,key=value...]` (blank entries ignored) as the pairs of a `PROPERTIES` clause:
/// names of letters, digits, `_` and `.`, values without quotes or backslashes.
fn parse_table_properties(raw: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, value)) = entry.split_once('=') else {
            return Err(format!("'{entry}' is not key=value"));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(format!(
                "'{name}' is not a table property name (letters, digits, '_' and '.')"
            ));
        }
        if value
            .chars()
            .any(|c| matches!(c, '"' | '\\' | '\'') || c.is_control())
        {
            return Err(format!(
                "the value of '{name}' may not hold quotes, backslashes or control characters"
            ));
        }
        pairs.push((name.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

/// Every `sink.properties.*` key as a header; reports names and values that cannot be sent.
/// Whether a Stream Load `columns` list (names and `name = expression` items) has an `__op`
/// column.
fn names_op_column(columns: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut item = String::new();
    let mut items = Vec::new();
    for c in columns.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    items.push(item);
    items.iter().any(|item| {
        let name = item
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('`');
        name.eq_ignore_ascii_case("__op")
    })
}

/// Whether a Stream Load `jsonpaths` list picks `__op` out of the rows.
fn names_op_path(jsonpaths: &str) -> bool {
    serde_json::from_str::<Vec<String>>(jsonpaths).is_ok_and(|paths| {
        paths
            .iter()
            .any(|path| matches!(path.trim(), "$.__op" | "$['__op']" | "$[\"__op\"]"))
    })
}

fn load_headers(p: &mut Parser<'_>, format: Format) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    let sink: Vec<(String, &str, &str)> = p
        .sink
        .iter()
        .map(|(name, (key, raw))| (name.clone(), *key, *raw))
        .collect();
    for (name, key, raw) in sink {
        if name.is_empty() {
            p.fail(
                key,
                "a Stream Load property name must follow 'sink.properties.'",
            );
            continue;
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            p.fail(
                key,
                format!("'{name}' is not a valid Stream Load property name"),
            );
            continue;
        }
        let value = match name.as_str() {
            "label" => {
                p.fail(
                    key,
                    "labels are derived by the connector from each batch's content; remove this property",
                );
                continue;
            }
            // Validated with the typed fields; sent in canonical spelling.
            "format" => continue,
            "compression" => raw.trim().to_ascii_lowercase(),
            "column_separator" | "row_delimiter" => separator_header(raw),
            _ => {
                let value = raw.trim();
                if value.chars().any(|c| c.is_control() && c != '\t') {
                    p.fail(
                        key,
                        "contains a control character, which cannot be sent as an HTTP header",
                    );
                    continue;
                }
                value.to_owned()
            }
        };
        headers.insert(name, value);
    }
    let format = match format {
        Format::Json => "json",
        Format::Csv => "csv",
    };
    headers.insert("format".to_owned(), format.to_owned());
    headers
}

#[cfg(test)]
pub(crate) mod tests;
