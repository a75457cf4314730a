//! CSV bodies: rows split by `row_delimiter`, fields by `column_separator`, `\N` as NULL.
//!
//! Like the BE's plain CSV reader (no enclose/escape): empty records are skipped and not
//! counted, a trailing delimiter does not make an extra row, and a row whose field count
//! differs from the number of source fields is filtered with the BE's message. Invariant:
//! every non-empty record ends up either as one row op or as one [`Rejected`] carrying the
//! raw record text.

use super::columns::Plan;
use super::row::{build_row, Cell};
use super::{LoadParams, ParsedBatch, Rejected};
use crate::catalog::TableSchema;

/// Parses a CSV body into row ops for `schema`.
pub(crate) fn parse(
    schema: &TableSchema,
    params: &LoadParams,
    plan: &Plan,
    body: &[u8],
) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for record in split(body, &params.row_delimiter) {
        if record.is_empty() {
            continue;
        }
        let reject = |reason: String| Rejected {
            reason,
            row: String::from_utf8_lossy(record).into_owned(),
        };
        // A separator given in hex may cut a multi-byte character: then a field is invalid.
        let fields: Option<Vec<&str>> = split(record, &params.column_separator)
            .into_iter()
            .map(|f| std::str::from_utf8(f).ok())
            .collect();
        let Some(fields) = fields.filter(|_| std::str::from_utf8(record).is_ok()) else {
            batch.rejected.push(reject("Invalid UTF-8 row".to_string()));
            continue;
        };
        if fields.len() != plan.sources.len() {
            batch
                .rejected
                .push(reject(field_count_reason(params, plan, fields.len())));
            continue;
        }
        let cells: Vec<Cell<'_>> = fields
            .iter()
            .map(|f| {
                if *f == "\\N" {
                    Cell::Null
                } else {
                    Cell::Text(f)
                }
            })
            .collect();
        match build_row(schema, plan, params.strict_mode, &cells) {
            Ok(op) => batch.ops.push(op),
            Err(reason) => batch.rejected.push(reject(reason)),
        }
    }
    batch
}

/// Counts the rows of a body without converting them (`count_body`): a row with the wrong
/// number of fields, or not UTF-8, is filtered as by [`parse`].
pub(crate) fn count(params: &LoadParams, plan: &Plan, body: &[u8]) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for record in split(body, &params.row_delimiter) {
        if record.is_empty() {
            continue;
        }
        let fields = field_count(record, &params.column_separator);
        if std::str::from_utf8(record).is_err() {
            batch.rejected.push(Rejected {
                reason: "Invalid UTF-8 row".to_string(),
                row: String::from_utf8_lossy(record).into_owned(),
            });
        } else if fields != plan.sources.len() {
            batch.rejected.push(Rejected {
                reason: field_count_reason(params, plan, fields),
                row: String::from_utf8_lossy(record).into_owned(),
            });
        } else {
            batch.counted += 1;
        }
    }
    batch
}

/// The BE's reason for a row with `fields` fields where the load has another number of source
/// columns.
fn field_count_reason(params: &LoadParams, plan: &Plan, fields: usize) -> String {
    format!(
        "Target column count: {} doesn't match source value column count: {fields}. \
         Column separator: {}, Row delimiter: {}",
        plan.sources.len(),
        describe_delimiter(&params.column_separator),
        describe_delimiter(&params.row_delimiter)
    )
}

/// Splits `data` on every occurrence of `delim` (leftmost first, not overlapping); the piece
/// after a trailing delimiter is empty (and skipped by the caller).
fn split<'a>(data: &'a [u8], delim: &[u8]) -> Vec<&'a [u8]> {
    if delim.is_empty() {
        return vec![data];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(data, delim) {
        parts.push(&data[start..at]);
        start = at + delim.len();
    }
    parts.push(&data[start..]);
    parts
}

/// How many pieces [`split`] would cut `record` into.
fn field_count(record: &[u8], delim: &[u8]) -> usize {
    if delim.is_empty() {
        return 1;
    }
    memchr::memmem::find_iter(record, delim).count() + 1
}

/// The BE's `string_2_asc`: quoted, `\n` and `\t` escaped, other unprintables as `0x..`.
fn describe_delimiter(bytes: &[u8]) -> String {
    let mut out = String::from("'");
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("0x{b:x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_multi_byte_delimiters_and_keeps_empty_pieces() {
        assert_eq!(split(b"a\r\nb\r\n", b"\r\n"), vec![&b"a"[..], b"b", b""]);
        assert_eq!(split(b"a||b|c", b"||"), vec![&b"a"[..], b"b|c"]);
        assert_eq!(split(b"", b"\n"), vec![&b""[..]]);
        assert_eq!(split(b"x\x01\x01y", &[1]), vec![&b"x"[..], b"", b"y"]);
        assert_eq!(split(b"a|||b", b"||"), vec![&b"a"[..], b"|b"]);
        for (data, delim) in [
            (&b"a\r\nb\r\n"[..], &b"\r\n"[..]),
            (b"a||b|c", b"||"),
            (b"", b"\n"),
            (b"a|||b", b"||"),
            (b"abc", b""),
        ] {
            assert_eq!(field_count(data, delim), split(data, delim).len());
        }
    }

    #[test]
    fn describes_delimiters_like_the_be() {
        assert_eq!(describe_delimiter(b"\t"), "'\\t'");
        assert_eq!(describe_delimiter(b"\n"), "'\\n'");
        assert_eq!(describe_delimiter(&[1]), "'0x1'");
        assert_eq!(describe_delimiter(b"||"), "'||'");
    }
}
