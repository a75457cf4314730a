//! Validating Stream Load headers into [`LoadParams`], and the table-dependent [`ApplyMode`].
//!
//! Messages are the BE's (`stream_load.cpp#_on_header/_process_put`) and FE's
//! (`Load.checkMergeCondition`) where the emulator implements the header. Invariant: a
//! `LoadParams` only exists for a request the emulator can execute faithfully — headers it
//! does not implement are refused here rather than silently ignored.

use super::columns::parse_columns;
use super::json::parse_jsonpaths;
use super::jsontree::parse_path;
use super::{Compression, Format, LoadParams, UNIMPLEMENTED_HEADERS};
use crate::catalog::{ApplyMode, KeyModel, TableSchema};
use crate::types::ColumnType;

/// Longest accepted `column_separator` / `row_delimiter`, in bytes.
const MAX_DELIMITER_BYTES: usize = 50;
const MAX_TIMEOUT_SECS: u64 = 259_200;
const DEFAULT_TIMEOUT_SECS: u64 = 600;

impl LoadParams {
    /// Validates a load's headers. `get(name)` returns a header's value; names are passed in
    /// lower case and the caller looks them up case-insensitively. Empty values count as
    /// absent, as in the BE.
    pub fn from_headers(get: &dyn Fn(&str) -> Option<String>) -> Result<LoadParams, String> {
        let header = |name: &str| get(name).filter(|v| !v.is_empty());

        for name in UNIMPLEMENTED_HEADERS {
            if let Some(value) = header(name) {
                if !is_no_op(name, &value) {
                    return Err(format!(
                        "starrocks-emulator does not implement the Stream Load header '{name}'"
                    ));
                }
            }
        }

        let (format, format_compression) = match header("format") {
            None => (Format::Csv, None),
            Some(f) => parse_format(&f)?,
        };

        let timeout_secs = match header("timeout") {
            None => DEFAULT_TIMEOUT_SECS,
            Some(t) => {
                let secs: u64 = t
                    .parse()
                    .ok()
                    .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| "Invalid timeout format".to_string())?;
                if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
                    return Err(format!(
                        "Invalid timeout: {t}. Timeout should be between 1 and {MAX_TIMEOUT_SECS} seconds"
                    ));
                }
                secs
            }
        };

        for (name, message, min) in [
            ("load_mem_limit", "Invalid load mem limit format", 0),
            ("exec_mem_limit", "Invalid mem limit format", 1),
            ("load_dop", "Invalid load_dop format", i64::MIN),
            (
                "log_rejected_record_num",
                "Invalid log_rejected_record_num format",
                -1,
            ),
        ] {
            if let Some(v) = header(name) {
                let n = leading_integer(&v).ok_or_else(|| message.to_string())?;
                if n < min {
                    return Err(match min {
                        0 => format!("{name} must be equal or greater than 0"),
                        1 => format!("{name} must be greater than 0"),
                        _ => format!("{name} must be equal or greater than {min}"),
                    });
                }
            }
        }

        let strict_mode = match header("strict_mode") {
            None => false,
            Some(v) => parse_bool(&v)
                .ok_or_else(|| "Invalid strict mode format. Must be bool type".to_string())?,
        };
        let partial_update = match header("partial_update") {
            None => false,
            Some(v) => parse_bool(&v).ok_or_else(|| {
                "Invalid partial update flag format. Must be bool type".to_string()
            })?,
        };
        let partial_update_mode = header("partial_update_mode")
            .filter(|m| matches!(m.as_str(), "row" | "auto" | "column"));

        let max_filter_ratio = match header("max_filter_ratio") {
            None => 0.0,
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    format!("Invalid max_filter_ratio: {v}. It must be a number between 0 and 1")
                })?,
        };

        let compression = match (header("content-encoding"), header("compression")) {
            (Some(_), Some(_)) => {
                return Err(
                    "Only one of http header content-encoding and compression can be set".into(),
                )
            }
            (Some(c), None) | (None, Some(c)) => Some(parse_compression(&c)?),
            (None, None) => None,
        };

        let columns = header("columns");
        if let Some(c) = &columns {
            parse_columns(c)?;
        }
        let jsonpaths = header("jsonpaths");
        if let Some(p) = &jsonpaths {
            parse_jsonpaths(p)?;
        }
        let json_root = header("json_root");
        if let Some(r) = &json_root {
            parse_path(r)?;
        }

        let debezium = match header("envelope") {
            None => false,
            Some(e) if e.eq_ignore_ascii_case("debezium") => true,
            Some(e) if e.eq_ignore_ascii_case("none") => false,
            Some(e) => return Err(format!("Unknown envelope type: {e}")),
        };
        let strip_outer_array =
            header("strip_outer_array").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if debezium && (format != Format::Json || strip_outer_array || json_root.is_some()) {
            // StarRocks documents the envelope for newline-delimited JSON only, without
            // strip_outer_array or json_root, but not what it answers otherwise.
            return Err(
                "starrocks-emulator does not implement envelope: debezium with a format \
                        other than newline-delimited JSON, strip_outer_array or json_root"
                    .into(),
            );
        }

        Ok(LoadParams {
            format,
            format_compression,
            column_separator: delimiter("column_separator", header("column_separator"), b"\t")?,
            row_delimiter: delimiter("row_delimiter", header("row_delimiter"), b"\n")?,
            columns,
            jsonpaths,
            json_root,
            strip_outer_array,
            max_filter_ratio,
            strict_mode,
            partial_update,
            partial_update_mode,
            merge_condition: header("merge_condition"),
            timeout_secs,
            compression,
            ignore_json_size: header("ignore_json_size")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            debezium,
        })
    }

    /// How this load applies to `schema`: partial update and the merge condition column, or
    /// the FE's refusal.
    pub fn apply_mode(&self, schema: &TableSchema) -> Result<ApplyMode, String> {
        let primary = schema.model == KeyModel::Primary;
        if self.partial_update && !primary {
            return Err("Only primary key table support partial update".into());
        }
        let merge_condition = match &self.merge_condition {
            None => None,
            Some(name) => {
                if !primary {
                    return Err(format!(
                        "Conditional update only support primary key table {}",
                        schema.name
                    ));
                }
                let idx = schema.column_index(name).ok_or_else(|| {
                    format!(
                        "Merge condition column {name} should be a column of the table {}",
                        schema.name
                    )
                })?;
                if schema.key.contains(&idx) {
                    return Err(format!(
                        "Merge condition column {name} should not be primary key!"
                    ));
                }
                if matches!(
                    schema.columns[idx].ty,
                    ColumnType::Char(_)
                        | ColumnType::Varchar(_)
                        | ColumnType::String
                        | ColumnType::Json
                ) {
                    return Err("Merge condition column has invalid type maybe bitmap/hll/percentile/json/varchar!".into());
                }
                Some(idx)
            }
        };
        Ok(ApplyMode {
            partial_update: self.partial_update,
            merge_condition,
            schema_version: schema.version,
        })
    }
}

/// Values of unimplemented headers that change nothing, so accepting them is faithful.
fn is_no_op(name: &str, value: &str) -> bool {
    match name {
        "skip_header" => value.trim() == "0",
        "trim_space" | "enable_merge_commit" => value.eq_ignore_ascii_case("false"),
        // The BE only turns `negative` on for the exact value "true".
        "negative" => value != "true",
        _ => false,
    }
}

fn parse_format(value: &str) -> Result<(Format, Option<Compression>), String> {
    match value.to_ascii_lowercase().as_str() {
        "csv" => Ok((Format::Csv, None)),
        "json" => Ok((Format::Json, None)),
        "gzip" => Ok((Format::Csv, Some(Compression::Gzip))),
        "lz4" => Ok((Format::Csv, Some(Compression::Lz4Frame))),
        "bzip2" | "deflate" | "zstd" => Err(format!(
            "starrocks-emulator does not implement the Stream Load format '{value}' (compressed CSV)"
        )),
        _ => Err(format!("unknown data format, format={value}")),
    }
}

fn parse_compression(value: &str) -> Result<Compression, String> {
    match value.to_ascii_lowercase().as_str() {
        "gzip" => Ok(Compression::Gzip),
        "lz4_frame" => Ok(Compression::Lz4Frame),
        "bzip2" | "zstd" | "deflate" | "lz4" => Err(format!(
            "starrocks-emulator does not implement the Stream Load compression '{value}'"
        )),
        _ => Err(format!("Unsupported compression type: {value}")),
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `std::stoll`: optional whitespace and sign, then at least one digit; the rest is ignored.
fn leading_integer(value: &str) -> Option<i64> {
    let t = value.trim_start();
    let sign_len = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    t[..sign_len + digits].parse().ok()
}

/// A separator header: literal bytes, or hex after `\x` / `\\x` (FE `Delimiter.convertDelimiter`).
fn delimiter(name: &str, value: Option<String>, default: &[u8]) -> Result<Vec<u8>, String> {
    let Some(value) = value else {
        return Ok(default.to_vec());
    };
    let upper = value.to_ascii_uppercase();
    let hex = if upper.starts_with("\\\\X") {
        Some(&value[3..])
    } else if upper.starts_with("\\X") {
        Some(&value[2..])
    } else {
        None
    };
    let bytes = match hex {
        None => value.as_bytes().to_vec(),
        Some("") => return Err(format!("Invalid delimiter '{value}': empty hex string")),
        Some(h) if h.len() % 2 != 0 => {
            return Err(format!(
                "Invalid delimiter '{value}': hex length must be a even number"
            ))
        }
        Some(h) => (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(h.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| format!("Invalid delimiter '{value}': invalid hex format"))?,
    };
    if bytes.len() > MAX_DELIMITER_BYTES {
        return Err(format!(
            "The valid bytes length for '{name}' is [1, {MAX_DELIMITER_BYTES}]"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
