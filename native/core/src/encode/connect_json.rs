//! JsonConverter's `schema`/`payload` envelope, read as JsonConverter itself reads it: the schema
//! becomes a Connect [`Schema`] and the payload Connect data ([`Datum`]) under it. So a Debezium
//! event that arrives as JSON text with its schema gives the same rows as the Struct JsonConverter
//! would have made of it (dates as dates, decimals as decimals), whichever converter the sink
//! runs.
//!
//! The schema's form is JsonConverter's: `type` (`int8` … `int64`, `float`, `double`, `boolean`,
//! `string`, `bytes`, `array`, `map`, `struct`), `optional`, `name`, `parameters`, and `fields`
//! (each with its `field` name), `items`, `keys` and `values`. BYTES are base64 text; a map with
//! string keys is an object, any other map an array of `[key, value]` pairs.
//!
//! Invariant: a [`Datum`] built here matches its schema as the shim's decoder guarantees for
//! Connect data (a STRUCT value has one datum per field, in field order); what does not fit the
//! schema is an error naming the path to it.

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use serde_json::Value;

use crate::record::{Datum, Field, Schema, SchemaType};

/// At most this many levels of nesting, as for Connect data from the shim.
const MAX_DEPTH: u32 = 64;

/// Connect's logical Decimal.
const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// How many schemas [`SchemaCache`] keeps: one per table a busy task sees at once.
const CACHED_SCHEMAS: usize = 16;

/// The schemas last read from JsonConverter's JSON form, by their text. A topic repeats its
/// schema in every record, and reading it costs more than the payload's row: a record whose
/// schema text is one of these is read without it.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache(Mutex<Vec<(Box<str>, Arc<Schema>)>>);

impl SchemaCache {
    /// The schema of JSON text in JsonConverter's form.
    pub(super) fn schema(&self, text: &str) -> Result<Arc<Schema>, String> {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = cached.iter().position(|(t, _)| **t == *text) {
            // The most recent first: a topic of one table finds its schema at once.
            let hit = cached.remove(i);
            let schema = Arc::clone(&hit.1);
            cached.insert(0, hit);
            return Ok(schema);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let parsed = Arc::new(schema(&value)?);
        cached.insert(0, (text.into(), Arc::clone(&parsed)));
        cached.truncate(CACHED_SCHEMAS);
        Ok(parsed)
    }

    /// When `text` starts as JsonConverter writes its wrapper, `{"schema":` and then the text of
    /// a schema already read, that schema and the rest of `text` after its text. A schema's text
    /// is a whole JSON object, so where it ends in `text` is where the schema value ends.
    pub(super) fn known_prefix<'t>(&self, text: &'t str) -> Option<(Arc<Schema>, &'t str)> {
        let after = text.strip_prefix(r#"{"schema":"#)?;
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let i = cached.iter().position(|(t, _)| after.starts_with(&**t))?;
        let hit = cached.remove(i);
        let (len, schema) = (hit.0.len(), Arc::clone(&hit.1));
        cached.insert(0, hit);
        Some((schema, &after[len..]))
    }
}

/// A schema in JsonConverter's JSON form.
pub(super) fn schema(value: &Value) -> Result<Schema, String> {
    schema_at(value, 0)
}

fn schema_at(value: &Value, depth: u32) -> Result<Schema, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the schema nests deeper than {MAX_DEPTH} levels"));
    }
    let Some(object) = value.as_object() else {
        return Err(format!("a schema must be an object, got {value}"));
    };
    let ty = match object.get("type").and_then(Value::as_str) {
        Some("int8") => SchemaType::Int8,
        Some("int16") => SchemaType::Int16,
        Some("int32") => SchemaType::Int32,
        Some("int64") => SchemaType::Int64,
        Some("float") => SchemaType::Float32,
        Some("double") => SchemaType::Float64,
        Some("boolean") => SchemaType::Boolean,
        Some("string") => SchemaType::String,
        Some("bytes") => SchemaType::Bytes,
        Some("array") => SchemaType::Array,
        Some("map") => SchemaType::Map,
        Some("struct") => SchemaType::Struct,
        Some(other) => return Err(format!("unknown schema type '{other}'")),
        None => return Err("a schema without a 'type'".to_owned()),
    };
    let child = |key: &str| -> Result<Option<Box<Schema>>, String> {
        match object.get(key) {
            Some(s) => Ok(Some(Box::new(schema_at(s, depth + 1)?))),
            None => Err(format!("{} schema without '{key}'", type_word(ty))),
        }
    };
    let (key, value) = match ty {
        SchemaType::Array => (None, child("items")?),
        SchemaType::Map => (child("keys")?, child("values")?),
        _ => (None, None),
    };
    let fields = match (ty, object.get("fields")) {
        (SchemaType::Struct, Some(Value::Array(fields))) => fields
            .iter()
            .map(|f| {
                let name = f
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| "a struct field without a 'field' name".to_owned())?;
                Ok(Field::new(name, schema_at(f, depth + 1)?))
            })
            .collect::<Result<Vec<_>, String>>()?,
        (SchemaType::Struct, _) => return Err("a struct schema without 'fields'".to_owned()),
        _ => Vec::new(),
    };
    let params = match object.get("parameters") {
        Some(Value::Object(params)) => params
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Schema {
        ty,
        optional: object
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        name: object
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        params,
        fields,
        key,
        value,
    })
}

fn type_word(ty: SchemaType) -> &'static str {
    match ty {
        SchemaType::Array => "an array",
        SchemaType::Map => "a map",
        _ => "a struct",
    }
}

/// The BYTES values of a payload, decoded in the order [`datum`] meets them: the first of two
/// passes, so that the datum can borrow them.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    bytes: Vec<u8>,
    /// The length of each value in `bytes`, in order.
    lens: Vec<usize>,
}

/// Decodes the BYTES values of a payload (base64 text in JsonConverter's form).
pub(super) fn decode_bytes(schema: &Schema, value: &Value) -> Result<Decoded, String> {
    let mut out = Decoded::default();
    walk_bytes(schema, value, &mut out, 0)?;
    Ok(out)
}

fn walk_bytes(schema: &Schema, value: &Value, out: &mut Decoded, depth: u32) -> Result<(), String> {
    if depth > MAX_DEPTH || value.is_null() {
        return Ok(());
    }
    match (schema.ty, value) {
        (SchemaType::Bytes, Value::String(text)) => {
            let before = out.bytes.len();
            base64::engine::general_purpose::STANDARD
                .decode_vec(text, &mut out.bytes)
                .map_err(|e| format!("BYTES that are not base64 ({e})"))?;
            out.lens.push(out.bytes.len() - before);
            Ok(())
        }
        (SchemaType::Array, Value::Array(items)) => {
            let element = schema.value.as_deref().expect("an array schema has items");
            items
                .iter()
                .try_for_each(|item| walk_bytes(element, item, out, depth + 1))
        }
        (SchemaType::Map, _) => {
            let key = schema.key.as_deref().expect("a map schema has keys");
            let val = schema.value.as_deref().expect("a map schema has values");
            for (k, v) in map_entries(value)? {
                if let Some(k) = k {
                    walk_bytes(key, k, out, depth + 1)?;
                }
                walk_bytes(val, v, out, depth + 1)?;
            }
            Ok(())
        }
        (SchemaType::Struct, Value::Object(object)) => {
            schema
                .fields
                .iter()
                .try_for_each(|f| match object.get(f.name()) {
                    Some(v) => walk_bytes(&f.schema, v, out, depth + 1),
                    None => Ok(()),
                })
        }
        _ => Ok(()),
    }
}

/// A map payload's entries: an object's (its keys are strings: `None` here) or an array of
/// `[key, value]` pairs'.
fn map_entries(value: &Value) -> Result<Vec<(Option<&Value>, &Value)>, String> {
    match value {
        Value::Object(object) => Ok(object.values().map(|v| (None, v)).collect()),
        Value::Array(pairs) => pairs
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([k, v]) => Ok((Some(k), v)),
                _ => Err(format!(
                    "a map entry must be a [key, value] pair, got {pair}"
                )),
            })
            .collect(),
        other => Err(format!(
            "a MAP must be an object or an array of pairs, got {other}"
        )),
    }
}

/// The Connect data of a payload under its schema; `bytes` is what [`decode_bytes`] decoded
/// from the same payload.
pub(super) fn datum<'v>(
    schema: &Schema,
    value: &'v Value,
    bytes: &'v Decoded,
) -> Result<Datum<'v>, String> {
    read(schema, value, bytes, Vec::new())
}

/// [`datum`] of a value that is the field `within` of a larger one (named so in errors).
pub(super) fn datum_in<'v>(
    schema: &Schema,
    value: &'v Value,
    bytes: &'v Decoded,
    within: &str,
) -> Result<Datum<'v>, String> {
    read(schema, value, bytes, vec![within.to_owned()])
}

/// `outer`: the path to the value, outermost first.
fn read<'v>(
    schema: &Schema,
    value: &'v Value,
    bytes: &'v Decoded,
    outer: Vec<String>,
) -> Result<Datum<'v>, String> {
    let mut at = Cursor::default();
    let mut path = Vec::new();
    to_datum(schema, value, bytes, &mut at, &mut path, 0).map_err(|reason| {
        // `path` is innermost first.
        path.extend(outer.into_iter().rev());
        if path.is_empty() {
            reason
        } else {
            format!(
                "'{}': {reason}",
                path.into_iter().rev().collect::<Vec<_>>().join(".")
            )
        }
    })
}

/// Where the next decoded BYTES value starts: its index and its offset.
#[derive(Default)]
struct Cursor {
    index: usize,
    offset: usize,
}

fn to_datum<'v>(
    schema: &Schema,
    value: &'v Value,
    bytes: &'v Decoded,
    at: &mut Cursor,
    path: &mut Vec<String>,
    depth: u32,
) -> Result<Datum<'v>, String> {
    if value.is_null() {
        return Ok(Datum::Null);
    }
    if depth > MAX_DEPTH {
        return Err(format!("the payload nests deeper than {MAX_DEPTH} levels"));
    }
    let mismatch = || {
        if schema.name() == Some(DECIMAL) && value.is_number() {
            // JsonConverter's decimal.format=NUMERIC: the number may already have lost digits
            // to a double, so it is not read at all.
            return format!(
                "{value} is a Decimal written as a number (JsonConverter's \
                 decimal.format=NUMERIC); the sink reads Decimals in the default BASE64 format"
            );
        }
        format!("{value} does not fit its schema's type {:?}", schema.ty)
    };
    // As JsonConverter's `longValue()`: a number with no fraction, in range.
    let int = |min: i64, max: i64| {
        value
            .as_i64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            })
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(mismatch)
    };
    Ok(match schema.ty {
        SchemaType::Int8 => Datum::Int8(int(i8::MIN.into(), i8::MAX.into())? as i8),
        SchemaType::Int16 => Datum::Int16(int(i16::MIN.into(), i16::MAX.into())? as i16),
        SchemaType::Int32 => Datum::Int32(int(i32::MIN.into(), i32::MAX.into())? as i32),
        SchemaType::Int64 => Datum::Int64(int(i64::MIN, i64::MAX)?),
        SchemaType::Float32 => Datum::Float32(value.as_f64().ok_or_else(mismatch)? as f32),
        SchemaType::Float64 => Datum::Float64(value.as_f64().ok_or_else(mismatch)?),
        SchemaType::Boolean => Datum::Bool(value.as_bool().ok_or_else(mismatch)?),
        SchemaType::String => Datum::Str(value.as_str().ok_or_else(mismatch)?),
        SchemaType::Bytes => {
            value.as_str().ok_or_else(mismatch)?;
            // The first pass decoded this value next.
            let len = bytes.lens[at.index];
            let slice = &bytes.bytes[at.offset..at.offset + len];
            at.index += 1;
            at.offset += len;
            Datum::Bytes(slice)
        }
        SchemaType::Array => {
            let element = schema.value.as_deref().expect("an array schema has items");
            let items = value.as_array().ok_or_else(mismatch)?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(
                    to_datum(element, item, bytes, at, path, depth + 1)
                        .inspect_err(|_| path.push(format!("[{i}]")))?,
                );
            }
            Datum::Array(out)
        }
        SchemaType::Map => {
            let key = schema.key.as_deref().expect("a map schema has keys");
            let val = schema.value.as_deref().expect("a map schema has values");
            let mut out = Vec::new();
            let entries: Vec<(Option<&'v Value>, Option<&'v str>, &'v Value)> = match value {
                // JsonConverter writes a map as an object only when its keys are strings.
                Value::Object(_) if key.ty != SchemaType::String => {
                    return Err(format!(
                        "a map whose keys are {:?} must be an array of [key, value] pairs",
                        key.ty
                    ))
                }
                Value::Object(object) => object
                    .iter()
                    .map(|(k, v)| (None, Some(k.as_str()), v))
                    .collect(),
                _ => map_entries(value)?
                    .into_iter()
                    .map(|(k, v)| (k, None, v))
                    .collect(),
            };
            for (k, name, v) in entries {
                let k = match (k, name) {
                    (Some(k), _) => to_datum(key, k, bytes, at, path, depth + 1)?,
                    (None, Some(name)) => Datum::Str(name),
                    (None, None) => unreachable!("an entry has a key"),
                };
                let v = to_datum(val, v, bytes, at, path, depth + 1)?;
                out.push((k, v));
            }
            Datum::Map(out)
        }
        SchemaType::Struct => {
            let object = value.as_object().ok_or_else(mismatch)?;
            let mut out = Vec::with_capacity(schema.fields.len());
            for f in &schema.fields {
                out.push(match object.get(f.name()) {
                    Some(v) => to_datum(&f.schema, v, bytes, at, path, depth + 1)
                        .inspect_err(|_| path.push(f.name().to_owned()))?,
                    None => Datum::Null,
                });
            }
            Datum::Struct(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(schema_text: &str, payload_text: &str, check: impl FnOnce(&Datum<'_>)) {
        let schema = schema(&serde_json::from_str(schema_text).unwrap()).unwrap();
        let payload: Value = serde_json::from_str(payload_text).unwrap();
        let bytes = decode_bytes(&schema, &payload).unwrap();
        check(&datum(&schema, &payload, &bytes).unwrap());
    }

    #[test]
    fn maps_are_objects_or_arrays_of_pairs_and_bytes_keep_their_order() {
        read(
            r#"{"type":"map","keys":{"type":"string"},"values":{"type":"bytes"}}"#,
            r#"{"a":"AQ==","b":null,"c":"AgM="}"#,
            |d| {
                assert_eq!(
                    d,
                    &Datum::Map(vec![
                        (Datum::Str("a"), Datum::Bytes(&[1])),
                        (Datum::Str("b"), Datum::Null),
                        (Datum::Str("c"), Datum::Bytes(&[2, 3])),
                    ])
                )
            },
        );
        read(
            r#"{"type":"map","keys":{"type":"bytes"},"values":{"type":"array","items":{"type":"int16"}}}"#,
            r#"[["AQ==",[1,-2]],["Ag==",[]]]"#,
            |d| {
                assert_eq!(
                    d,
                    &Datum::Map(vec![
                        (
                            Datum::Bytes(&[1]),
                            Datum::Array(vec![Datum::Int16(1), Datum::Int16(-2)])
                        ),
                        (Datum::Bytes(&[2]), Datum::Array(vec![])),
                    ])
                )
            },
        );
    }

    #[test]
    fn schemas_keep_names_parameters_and_optional_flags() {
        let s = schema(
            &serde_json::from_str(
                r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",
                    "parameters":{"scale":"2"}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(s.ty, SchemaType::Bytes);
        assert!(s.optional);
        assert_eq!(s.name(), Some("org.apache.kafka.connect.data.Decimal"));
        assert_eq!(s.param("scale"), Some("2"));
        for (text, reason) in [
            (r#"{"type":"array"}"#, "an array schema without 'items'"),
            (r#"{"type":"struct"}"#, "a struct schema without 'fields'"),
            (r#"{"optional":true}"#, "a schema without a 'type'"),
            (r#"[1]"#, "a schema must be an object"),
        ] {
            let e = schema(&serde_json::from_str(text).unwrap()).unwrap_err();
            assert!(e.contains(reason), "{e}");
        }
    }

    #[test]
    fn numbers_read_as_json_converter_reads_them() {
        let schema_text = r#"{"type":"struct","fields":[{"field":"d","type":"double"},
            {"field":"n","type":"int64"}]}"#;
        // 17 significant digits, which a parser that is not correctly rounded gets wrong.
        read(schema_text, r#"{"d":989.9951327998887,"n":1.0}"#, |d| {
            assert_eq!(
                d,
                &Datum::Struct(vec![Datum::Float64(989.995_132_799_888_7), Datum::Int64(1)])
            )
        });
        let refused = |schema_text: &str, payload: &str| {
            let schema = schema(&serde_json::from_str(schema_text).unwrap()).unwrap();
            let payload: Value = serde_json::from_str(payload).unwrap();
            let bytes = decode_bytes(&schema, &payload).unwrap();
            datum(&schema, &payload, &bytes).unwrap_err()
        };
        let e = refused(schema_text, r#"{"d":1,"n":1.5}"#);
        assert!(e.contains("'n': 1.5 does not fit"), "{e}");
        let decimal = r#"{"type":"struct","fields":[{"field":"p","type":"bytes",
            "name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]}"#;
        let e = refused(decimal, r#"{"p":12.34}"#);
        assert!(e.contains("decimal.format=NUMERIC"), "{e}");
        let int_keys = r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}}"#;
        let e = refused(int_keys, r#"{"1":"a"}"#);
        assert!(e.contains("must be an array of [key, value] pairs"), "{e}");
    }
}
