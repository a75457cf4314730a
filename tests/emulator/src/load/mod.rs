//! From a Stream Load request's headers and body to row operations.
//!
//! `LoadParams::from_headers` validates the headers the way the BE does (same messages);
//! `decompress` undoes `compression` / `Content-Encoding`; `parse_body` turns the body into
//! [`RowOp`]s for one table plus the rows it filtered, each with StarRocks' reason. Nothing
//! here touches the catalog: the caller decides, with `max_filter_ratio`, whether the load
//! commits.
//!
//! Layout: `params` (headers), `compress`, `columns` (the `columns` header and `__op`), `csv`
//! and `json` (bodies, with `jsontree` for exact JSON numbers and JsonPath), `row` (one source
//! row to one [`RowOp`]), `convert` (one field to one column type).
//!
//! Whole-load failures (bad headers, a `columns` header naming what does not exist, a NOT
//! NULL column without default left out) are `Err` with the message StarRocks returns in the
//! load's `Message`. Data-quality problems are [`Rejected`] rows: the error log line is
//! `Error: {reason}. Row: {row}`, as the BE writes it.

mod columns;
mod compress;
mod convert;
mod csv;
mod json;
mod jsontree;
mod params;
mod row;

pub use compress::decompress;

use crate::catalog::{RowOp, TableSchema};

/// Data format of a load body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// Transport compression of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Lz4Frame,
}

/// Validated load parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadParams {
    pub format: Format,
    /// The compression a compressed CSV `format` implies (`gzip`, `lz4`); `compression`
    /// wins when both are given.
    pub format_compression: Option<Compression>,
    pub column_separator: Vec<u8>,
    pub row_delimiter: Vec<u8>,
    /// The `columns` header, as written (syntax-checked; resolved by `parse_body`).
    pub columns: Option<String>,
    /// The `jsonpaths` header, as written (validated).
    pub jsonpaths: Option<String>,
    pub json_root: Option<String>,
    pub strip_outer_array: bool,
    pub max_filter_ratio: f64,
    pub strict_mode: bool,
    pub partial_update: bool,
    /// `row`, `auto` or `column` (other values are ignored, as by the BE). No effect here:
    /// the emulator always updates row by row.
    pub partial_update_mode: Option<String>,
    pub merge_condition: Option<String>,
    /// Seconds; default 600.
    pub timeout_secs: u64,
    pub compression: Option<Compression>,
    pub ignore_json_size: bool,
    /// `envelope: debezium`: each JSON document is a Debezium change event, unwrapped by the
    /// BE (`DebeziumJsonDocumentStreamParser`).
    pub debezium: bool,
}

/// One filtered row: StarRocks' reason and a rendering of the row.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub reason: String,
    pub row: String,
}

/// The outcome of parsing a body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedBatch {
    pub ops: Vec<RowOp>,
    pub rejected: Vec<Rejected>,
    pub unselected: u64,
    /// Rows counted but not built (see [`count_body`]): they load as a number only.
    pub counted: u64,
}

impl ParsedBatch {
    pub fn total(&self) -> u64 {
        self.loaded() + self.rejected.len() as u64 + self.unselected
    }

    /// The rows that load: those built and those only counted.
    pub fn loaded(&self) -> u64 {
        self.ops.len() as u64 + self.counted
    }
}

/// Headers the emulator deliberately does not implement; `from_headers` refuses a load that
/// carries one with a value that would change anything ("starrocks-emulator does not
/// implement the Stream Load header 'X'"). Values that change nothing are accepted:
/// `skip_header: 0`, `trim_space: false`, `enable_merge_commit: false`, and any `negative`
/// other than `true` (the BE only reacts to that exact value).
pub const UNIMPLEMENTED_HEADERS: &[&str] = &[
    "where",
    "partitions",
    "temporary_partitions",
    "skip_header",
    "trim_space",
    "enclose",
    "escape",
    "negative",
    "enable_merge_commit",
    "merge_commit_async",
    "merge_commit_interval_ms",
    "merge_commit_parallel",
];

/// Headers accepted with no effect in the emulator (numeric ones are still validated with
/// the BE's messages): time zones (DATETIME text is stored as written), memory limits,
/// rejected-record logging, parallelism, warehouse, inter-node compression, and
/// `partial_update_mode` (partial updates always work row by row here).
pub const IGNORED_HEADERS: &[&str] = &[
    "timezone",
    "time_zone",
    "load_mem_limit",
    "exec_mem_limit",
    "log_rejected_record_num",
    "load_dop",
    "warehouse",
    "transmission_compression_type",
    "partial_update_mode",
    // Read by the FE and the BE's transaction manager (multi-table transactions, see
    // `http::multi`); the BE's load paths never look at it.
    "transaction_type",
];

/// The BE's `streaming_load_max_batch_size_mb` (100 MB): the largest JSON body accepted with a
/// `Content-Length` unless `ignore_json_size: true`.
pub const MAX_JSON_BODY_BYTES: u64 = 100 * 1024 * 1024;

/// The BE's JSON size check, made from headers before the body is read: a JSON load whose
/// `Content-Length` exceeds `limit` (the BE's 100 MB, [`MAX_JSON_BODY_BYTES`], unless
/// configured) fails unless `ignore_json_size` is set. Chunked bodies (`content_length` =
/// `None`) are not checked.
pub fn check_json_size(
    params: &LoadParams,
    content_length: Option<u64>,
    limit: u64,
) -> Result<(), String> {
    match content_length {
        Some(n) if params.format == Format::Json && !params.ignore_json_size && n > limit => {
            Err(format!(
                "The size of this batch exceed the max size [{limit}]  of json type data  data [ {n} ]. \
                 Set ignore_json_size to skip the check, although it may lead huge memory consuming."
            ))
        }
        _ => Ok(()),
    }
}

/// Parses a (decompressed) body into row operations for `schema`.
///
/// `Err` is a whole-load failure (the `columns` header does not fit the table, a NOT NULL
/// column without default is left out, ...). Rows that cannot be loaded are returned in
/// `rejected`; the caller compares their share with `max_filter_ratio`.
pub fn parse_body(
    schema: &TableSchema,
    params: &LoadParams,
    body: &[u8],
) -> Result<ParsedBatch, String> {
    let plan = plan(schema, params)?;
    match params.format {
        Format::Csv => Ok(csv::parse(schema, params, &plan, body)),
        Format::Json => json::parse(schema, params, &plan, body),
    }
}

/// How the load's source fields map to the table's columns (the `columns` header).
fn plan(schema: &TableSchema, params: &LoadParams) -> Result<columns::Plan, String> {
    columns::plan(
        schema,
        params.columns.as_deref(),
        params.format,
        params.partial_update,
    )
}

/// The emulator's count-only mode (`--count-only`, for benchmarks): checks a body's framing
/// as [`parse_body`] does and counts its rows, without converting any value. A JSON body must
/// be well-formed, its rows objects (elements of the outer array with `strip_outer_array`); a
/// CSV row must have as many fields as the load has source columns. What fails those checks is
/// filtered with the same reasons as by [`parse_body`]; what passes is counted, never checked
/// against the column types. `json_root` and `jsonpaths` loads are parsed in full.
pub fn count_body(
    schema: &TableSchema,
    params: &LoadParams,
    body: &[u8],
) -> Result<ParsedBatch, String> {
    if params.json_root.is_some() || params.jsonpaths.is_some() {
        return parse_body(schema, params, body);
    }
    let plan = plan(schema, params)?;
    Ok(match params.format {
        Format::Csv => csv::count(params, &plan, body),
        Format::Json => json::count(params, body),
    })
}

#[cfg(test)]
pub(crate) mod tests;
