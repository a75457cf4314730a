//! JSON bodies: a stream of documents, each object one row (or, with `strip_outer_array`,
//! arrays whose elements are the rows), optionally under `json_root` and read by `jsonpaths`.
//!
//! Mirrors the BE's `JsonReader` / `json_parser.cpp`: without `strip_outer_array` the body is a
//! document stream (NDJSON or objects back to back) and a top-level array is filtered with
//! "JSON data is an array, strip_outer_array must be set true"; with `json_root` the outer
//! array (if any) is expanded automatically and `strip_outer_array` applies to the array under
//! the root. Malformed JSON filters one row with the parser's error and ends the body, as the
//! BE stops its parser: rows before the error are kept. Invariant: every row candidate ends up
//! as exactly one row op or one [`Rejected`].

use serde_json::value::RawValue;

use super::columns::Plan;
use super::jsontree::{parse_path, Json, PathStep};
use super::row::{build_row, Cell};
use super::{LoadParams, ParsedBatch, Rejected};
use crate::catalog::TableSchema;

/// The BE's `MAX_RAW_JSON_LEN`: how much of a value its messages quote.
const MAX_RAW_JSON_LEN: usize = 64;
/// How much of a rejected non-row value (a whole array, say) the error log keeps.
const MAX_REJECTED_ROW_LEN: usize = 1024;

/// Parses the `jsonpaths` header: a JSON array of JsonPath strings.
pub(crate) fn parse_jsonpaths(text: &str) -> Result<Vec<Vec<PathStep>>, String> {
    let paths: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("Invalid json path: {text}, error: {e}"))?;
    paths
        .iter()
        .map(|p| match p {
            serde_json::Value::String(s) => {
                parse_path(s).map_err(|e| format!("Invalid json path: {text}, error: {e}"))
            }
            _ => Err(format!("Invalid json path: {text}")),
        })
        .collect()
}

/// Parses a JSON body into row ops for `schema`.
pub(crate) fn parse(
    schema: &TableSchema,
    params: &LoadParams,
    plan: &Plan,
    body: &[u8],
) -> Result<ParsedBatch, String> {
    let paths = params
        .jsonpaths
        .as_deref()
        .map(parse_jsonpaths)
        .transpose()?;
    let root = params.json_root.as_deref().map(parse_path).transpose()?;
    let reader = Reader {
        schema,
        params,
        plan,
        paths,
        root,
    };
    let mut batch = ParsedBatch::default();
    reader.read(body, &mut batch);
    Ok(batch)
}

struct Reader<'a> {
    schema: &'a TableSchema,
    params: &'a LoadParams,
    plan: &'a Plan,
    paths: Option<Vec<Vec<PathStep>>>,
    root: Option<Vec<PathStep>>,
}

impl Reader<'_> {
    fn read(&self, body: &[u8], batch: &mut ParsedBatch) {
        read_documents(body, batch, |raw, batch| {
            self.document(Json::from_raw(raw)?, batch);
            Ok(())
        });
    }

    /// One top-level document of the body.
    fn document(&self, doc: Json, batch: &mut ParsedBatch) {
        if self.params.debezium {
            return self.debezium(doc, batch);
        }
        let strip = self.params.strip_outer_array;
        match (&self.root, doc) {
            (None, Json::Object(m)) if !strip => self.row(&Json::Object(m), batch),
            (None, Json::Array(items)) if strip => {
                for item in &items {
                    match item {
                        Json::Object(_) => self.row(item, batch),
                        other => reject(batch, NOT_AN_OBJECT_ELEMENT.into(), other),
                    }
                }
            }
            (None, doc) => reject(batch, not_rows(strip, &doc), &doc),
            // With a root the outer array is expanded automatically.
            (Some(root), Json::Array(items)) => {
                for item in &items {
                    self.rooted(root, item, batch);
                }
            }
            (Some(root), doc) => self.rooted(root, &doc, batch),
        }
    }

    /// A document (or outer-array element) under `json_root`.
    fn rooted(&self, root: &[PathStep], item: &Json, batch: &mut ParsedBatch) {
        let Some(value) = item.at(root) else {
            let root_text = self.params.json_root.as_deref().unwrap_or("$");
            return reject(
                batch,
                format!("JSON root {root_text} not found in the json object"),
                item,
            );
        };
        match (self.params.strip_outer_array, value) {
            (false, Json::Object(_)) => self.row(value, batch),
            (false, other) => reject(
                batch,
                format!(
                    "the value should be object type in json document stream with json root, value: {}",
                    excerpt(&other.render(), MAX_RAW_JSON_LEN)
                ),
                item,
            ),
            (true, Json::Array(elements)) => {
                for element in elements {
                    match element {
                        Json::Object(_) => self.row(element, batch),
                        other => reject(
                            batch,
                            format!(
                                "the value should be object type in expanded json document stream with json root, value: {}",
                                excerpt(&other.render(), MAX_RAW_JSON_LEN)
                            ),
                            other,
                        ),
                    }
                }
            }
            (true, other) => reject(
                batch,
                format!(
                    "the value under json root should be array type with strip_outer_array=true in json document stream with root, value: {}",
                    excerpt(&other.render(), MAX_RAW_JSON_LEN)
                ),
                item,
            ),
        }
    }

    /// One Debezium change event (`envelope: debezium`): its image is the row, its op the
    /// row's `__op`.
    fn debezium(&self, doc: Json, batch: &mut ParsedBatch) {
        match debezium_image(&doc) {
            Ok(None) => {}
            Ok(Some((image, delete))) => {
                let before = batch.ops.len();
                self.row(image, batch);
                if let Some(op) = batch.ops.get_mut(before) {
                    op.delete = delete;
                }
            }
            Err((reason, shown)) => reject(batch, reason, shown.unwrap_or(&doc)),
        }
    }

    /// One JSON object row.
    fn row(&self, object: &Json, batch: &mut ParsedBatch) {
        let cells: Vec<Cell<'_>> = match &self.paths {
            Some(paths) => (0..self.plan.sources.len())
                .map(|i| cell(paths.get(i).and_then(|p| object.at(p))))
                .collect(),
            None => self
                .plan
                .sources
                .iter()
                .map(|name| cell(object.get_ignore_case(name)))
                .collect(),
        };
        match build_row(self.schema, self.plan, self.params.strict_mode, &cells) {
            Ok(op) => batch.ops.push(op),
            Err(reason) => batch.rejected.push(Rejected {
                reason,
                row: object.render(),
            }),
        }
    }
}

/// A Debezium event's row: its image, and whether the row is deleted.
type Image<'a> = (&'a Json, bool);
/// Why a Debezium event is filtered, and the value to show when it is not the whole document.
type Filtered<'a> = (String, Option<&'a Json>);

/// The row of a Debezium change event, as the BE's `DebeziumJsonDocumentStreamParser` reads
/// it: the `after` image for `c`, `u` and `r`, the `before` image (deleted) for `d`. The event
/// may sit in a `payload` wrapper (whose `schema` is ignored); `None` for a null payload (a
/// tombstone, skipped). `Err` is the reason the event is filtered, and the value to show when
/// it is not the whole document.
fn debezium_image(doc: &Json) -> Result<Option<Image<'_>>, Filtered<'_>> {
    let event = match doc.get("payload") {
        Some(Json::Null) => return Ok(None),
        Some(payload) => payload,
        None => doc,
    };
    let fail = |reason: &str| Err((reason.to_owned(), None));
    let op = match event.get("op") {
        Some(Json::Str(op)) => op.as_str(),
        Some(_) => return fail("'op' field in Debezium JSON message is not a string"),
        None => return fail("Missing 'op' field in Debezium JSON message"),
    };
    let (image, delete) = match (op, event.get("before"), event.get("after")) {
        ("d", None, _) => return fail("Missing 'before' field in Debezium delete message"),
        ("d", Some(Json::Null), _) => return fail("'before' is null in Debezium delete message"),
        ("d", Some(before), _) => (before, true),
        ("c" | "u" | "r", _, None) => return fail("Missing 'after' field in Debezium message"),
        ("c" | "u" | "r", _, Some(Json::Null)) => {
            return fail("'after' is null in Debezium message")
        }
        ("c" | "u" | "r", _, Some(after)) => (after, false),
        (other, _, _) => return fail(&format!("Unknown Debezium op type: '{other}'")),
    };
    match image {
        Json::Object(_) => Ok(Some((image, delete))),
        other => Err((
            "The value should be object type in json document stream".into(),
            Some(other),
        )),
    }
}

/// The BE's reason for an outer-array element that is not an object.
const NOT_AN_OBJECT_ELEMENT: &str =
    "Failed to iterate json array as object. error: The JSON element does not have the requested type.";

/// The BE's reason for a top-level document that holds no rows as it stands (no `json_root`):
/// an array without `strip_outer_array`, a scalar, or a non-array with it.
fn not_rows(strip: bool, doc: &Json) -> String {
    match (strip, doc) {
        (false, Json::Array(_)) => {
            "JSON data is an array, strip_outer_array must be set true".into()
        }
        (false, _) => "The value should be object type in json document stream".into(),
        (true, _) => format!(
            "the value should be array type with strip_outer_array=true, value: {}",
            excerpt(&doc.render(), MAX_RAW_JSON_LEN)
        ),
    }
}

/// Walks the body's top-level documents, handing each to `document`. Malformed JSON (in the
/// stream, or found by `document`) filters one row with the parser's error and ends the body,
/// as the BE stops its parser.
fn read_documents(
    body: &[u8],
    batch: &mut ParsedBatch,
    mut document: impl FnMut(&RawValue, &mut ParsedBatch) -> Result<(), serde_json::Error>,
) {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(_) => {
            batch.rejected.push(Rejected {
                reason: "Failed to iterate document stream as object. error: The input is not valid UTF-8".into(),
                row: String::new(),
            });
            return;
        }
    };
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    match trimmed.chars().next() {
        None => return,
        Some('{') | Some('[') => {}
        Some(c) => {
            batch.rejected.push(Rejected {
                reason: format!("illegal json started with {c}"),
                row: excerpt(trimmed, MAX_RAW_JSON_LEN),
            });
            return;
        }
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        let offset = stream.byte_offset();
        let done = match stream.next() {
            None => break,
            Some(Ok(raw)) => document(raw, batch),
            Some(Err(e)) => Err(e),
        };
        if let Err(e) = done {
            let rest = text[offset..].trim_start();
            batch.rejected.push(Rejected {
                reason: format!("Failed to iterate document stream as object. error: {e}"),
                row: format!(
                    "parser current location: {}",
                    excerpt(rest, MAX_RAW_JSON_LEN)
                ),
            });
            break;
        }
    }
}

/// Counts the rows of a body without building them (`count_body`, no `json_root` or
/// `jsonpaths`): the documents and outer arrays are checked as by [`parse`], with the same
/// reasons, and every object row counts.
pub(crate) fn count(params: &LoadParams, body: &[u8]) -> ParsedBatch {
    let strip = params.strip_outer_array;
    let mut batch = ParsedBatch::default();
    if strip && !params.debezium {
        if let Some(rows) = count_objects(body) {
            batch.counted = rows;
            return batch;
        }
    }
    read_documents(body, &mut batch, |raw, batch| {
        let text = raw.get().trim_start();
        if params.debezium {
            let doc = Json::from_raw(raw)?;
            match debezium_image(&doc) {
                Ok(None) => {}
                Ok(Some(_)) => batch.counted += 1,
                Err((reason, shown)) => reject(batch, reason, shown.unwrap_or(&doc)),
            }
            return Ok(());
        }
        match (strip, text.as_bytes().first()) {
            (false, Some(b'{')) => batch.counted += 1,
            (true, Some(b'[')) => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                for item in items {
                    if item.get().trim_start().starts_with('{') {
                        batch.counted += 1;
                    } else {
                        reject(batch, NOT_AN_OBJECT_ELEMENT.into(), &Json::from_raw(item)?);
                    }
                }
            }
            _ => {
                let doc = Json::from_raw(raw)?;
                reject(batch, not_rows(strip, &doc), &doc);
            }
        }
        Ok(())
    });
    batch
}

/// The rows of a body that is one well-formed array of objects and nothing else, read in one
/// pass; `None` for any other body, which the general path then reads (and rejects from) as
/// it always does. Only a speed-up of the common case: what it counts, the general path
/// would count too.
fn count_objects(body: &[u8]) -> Option<u64> {
    struct Objects;
    impl<'de> serde::de::Visitor<'de> for Objects {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of objects")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut rows = 0;
            while let Some(item) = seq.next_element::<&RawValue>()? {
                if !item.get().trim_start().starts_with('{') {
                    return Err(serde::de::Error::custom("an element is not an object"));
                }
                rows += 1;
            }
            Ok(rows)
        }
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let rows = serde::Deserializer::deserialize_seq(&mut de, Objects).ok()?;
    de.end().ok()?;
    Some(rows)
}

/// The cell for a looked-up JSON value.
fn cell(found: Option<&Json>) -> Cell<'_> {
    match found {
        None => Cell::Absent,
        Some(Json::Null) => Cell::Null,
        Some(value) => Cell::Json(value),
    }
}

fn reject(batch: &mut ParsedBatch, reason: String, value: &Json) {
    batch.rejected.push(Rejected {
        reason,
        row: excerpt(&value.render(), MAX_REJECTED_ROW_LEN),
    });
}

/// At most `max` bytes of `text` (cut on a character boundary), with `...` when cut.
fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonpaths_must_be_an_array_of_json_path_strings() {
        assert_eq!(parse_jsonpaths(r#"["$.a", "$.b[0]"]"#).unwrap().len(), 2);
        let cases = [
            (r#"not json"#, "Invalid json path: not json, error: "),
            (r#"{"a": 1}"#, "Invalid json path: {\"a\": 1}, error: "),
            (r#"[1]"#, "Invalid json path: [1]"),
            (
                r#"["a.b"]"#,
                "Invalid json path: [\"a.b\"], error: Invalid json path: a.b",
            ),
        ];
        for (text, prefix) in cases {
            let err = parse_jsonpaths(text).unwrap_err();
            assert!(err.starts_with(prefix), "{text}: {err}");
        }
    }

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdef", 3), "abc...");
        assert_eq!(excerpt("ééé", 3), "é...");
    }
}
