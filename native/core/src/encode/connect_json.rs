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
use serde::de;
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
    /// `text` is bytes, so that a caller may check only the rest of it to be UTF-8: the part
    /// before is a schema's text, which is.
    pub(super) fn known_prefix<'t>(&self, text: &'t [u8]) -> Option<(Arc<Schema>, &'t [u8])> {
        let after = text.strip_prefix(br#"{"schema":"#)?;
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let i = cached
            .iter()
            .position(|(t, _)| after.starts_with(t.as_bytes()))?;
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
    // As Connect's SchemaBuilder, which JsonConverter builds schemas with.
    if let Some(name) = duplicate_name(&fields) {
        return Err(format!("a struct schema with two fields named '{name}'"));
    }
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

/// The first field name that two fields share.
fn duplicate_name(fields: &[Field]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    fields
        .iter()
        .map(Field::name)
        .find(|name| !seen.insert(*name))
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

/// [`datum_in`] read straight from the JSON text of the payload, without a `Value` in between:
/// the same datum, built in one pass. A string without escapes borrows from `text`; a string
/// with escapes and a BYTES value are written into `arena`, which needs to be as long as `text`
/// (each takes no more room there than its own text). `None` for what this reader leaves to
/// [`datum_in`]: a MAP anywhere in the schema, a value that does not fit it, text nested deeper
/// than [`MAX_DEPTH`] or malformed; the caller then reads the text as a `Value`, which names
/// any fault. Field names are unique in a schema read by [`schema`], so a key names at most one
/// field; when a key repeats, its last value counts, as in a `Value`.
pub(super) fn datum_from_text<'t>(
    schema: &Schema,
    text: &'t str,
    arena: &'t mut [u8],
) -> Option<Datum<'t>> {
    let mut arena = Arena(arena);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        schema,
        arena: &mut arena,
        depth: 0,
    };
    let datum = de::DeserializeSeed::deserialize(seed, &mut de).ok()?;
    de.end().ok()?;
    Some(datum)
}

/// Room for the strings and bytes of [`datum_from_text`] that cannot borrow from the text.
struct Arena<'t>(&'t mut [u8]);

impl<'t> Arena<'t> {
    /// The next `n` bytes of room, `None` when there are not that many.
    fn take(&mut self, n: usize) -> Option<&'t mut [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, tail) = std::mem::take(&mut self.0).split_at_mut(n);
        self.0 = tail;
        Some(head)
    }

    fn str(&mut self, text: &str) -> Option<&'t str> {
        let room = self.take(text.len())?;
        room.copy_from_slice(text.as_bytes());
        std::str::from_utf8(room).ok()
    }

    /// Base64 text decoded as [`walk_bytes`] decodes it.
    fn bytes(&mut self, text: &str) -> Option<&'t [u8]> {
        let n = base64::engine::general_purpose::STANDARD
            .decode_slice(text, &mut *self.0)
            .ok()?;
        self.take(n).map(|room| &*room)
    }
}

/// Reads one value under `schema` (at nesting level `depth`, as [`to_datum`] counts it).
struct Seed<'s, 'a, 't> {
    schema: &'s Schema,
    arena: &'a mut Arena<'t>,
    depth: u32,
}

/// Why [`datum_from_text`] gives up; never shown, since the caller then reads the text again.
fn give_up<E: de::Error>() -> E {
    E::custom("left to the Value reader")
}

impl<'t> de::DeserializeSeed<'t> for Seed<'_, '_, 't> {
    type Value = Datum<'t>;

    fn deserialize<D: de::Deserializer<'t>>(self, d: D) -> Result<Datum<'t>, D::Error> {
        if self.depth > MAX_DEPTH || self.schema.ty == SchemaType::Map {
            return Err(give_up());
        }
        d.deserialize_any(self)
    }
}

impl<'t> Seed<'_, '_, 't> {
    /// A number, as [`to_datum`] reads a `Value`'s: `int` is its `as_i64`, `float` its `as_f64`.
    fn number<E: de::Error>(self, int: Option<i64>, float: f64) -> Result<Datum<'t>, E> {
        let int = |min: i64, max: i64| {
            int.or_else(|| (float.fract() == 0.0 && float.abs() < 9.2e18).then_some(float as i64))
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(give_up)
        };
        Ok(match self.schema.ty {
            SchemaType::Int8 => Datum::Int8(int(i8::MIN.into(), i8::MAX.into())? as i8),
            SchemaType::Int16 => Datum::Int16(int(i16::MIN.into(), i16::MAX.into())? as i16),
            SchemaType::Int32 => Datum::Int32(int(i32::MIN.into(), i32::MAX.into())? as i32),
            SchemaType::Int64 => Datum::Int64(int(i64::MIN, i64::MAX)?),
            SchemaType::Float32 => Datum::Float32(float as f32),
            SchemaType::Float64 => Datum::Float64(float),
            _ => return Err(give_up()),
        })
    }

    /// A string: `borrowed` when it is the text's own (no escapes).
    fn string<E: de::Error>(self, text: &str, borrowed: Option<&'t str>) -> Result<Datum<'t>, E> {
        match self.schema.ty {
            SchemaType::String => borrowed.or_else(|| self.arena.str(text)).map(Datum::Str),
            SchemaType::Bytes => self.arena.bytes(text).map(Datum::Bytes),
            _ => None,
        }
        .ok_or_else(give_up)
    }
}

impl<'t> de::Visitor<'t> for Seed<'_, '_, 't> {
    type Value = Datum<'t>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a value of schema type {:?}", self.schema.ty)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Datum<'t>, E> {
        Ok(Datum::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Datum<'t>, E> {
        match self.schema.ty {
            SchemaType::Boolean => Ok(Datum::Bool(v)),
            _ => Err(give_up()),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Datum<'t>, E> {
        self.number(i64::try_from(v).ok(), v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Datum<'t>, E> {
        self.number(Some(v), v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Datum<'t>, E> {
        self.number(None, v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'t str) -> Result<Datum<'t>, E> {
        self.string(v, Some(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Datum<'t>, E> {
        self.string(v, None)
    }

    fn visit_seq<A: de::SeqAccess<'t>>(self, mut seq: A) -> Result<Datum<'t>, A::Error> {
        let Some(element) = self
            .schema
            .value
            .as_deref()
            .filter(|_| self.schema.ty == SchemaType::Array)
        else {
            return Err(give_up());
        };
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed {
            schema: element,
            arena: &mut *self.arena,
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Datum::Array(items))
    }

    fn visit_map<A: de::MapAccess<'t>>(self, mut map: A) -> Result<Datum<'t>, A::Error> {
        if self.schema.ty != SchemaType::Struct {
            return Err(give_up());
        }
        let fields = &self.schema.fields;
        let mut values = vec![Datum::Null; fields.len()];
        let mut next = 0;
        while let Some(found) = map.next_key_seed(FieldOf { fields, next })? {
            let Some(i) = found else {
                map.next_value::<Checked>()?;
                continue;
            };
            values[i] = map.next_value_seed(Seed {
                schema: &fields[i].schema,
                arena: &mut *self.arena,
                depth: self.depth + 1,
            })?;
            next = i + 1;
        }
        Ok(Datum::Struct(values))
    }
}

/// Any JSON value, read and dropped as a `Value` would be read: numbers in range, strings
/// without lone surrogates, nesting within serde_json's limit. (`IgnoredAny` checks only the
/// syntax, so text a `Value` refuses would pass.)
struct Checked;

impl<'t> de::Deserialize<'t> for Checked {
    fn deserialize<D: de::Deserializer<'t>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'t> de::Visitor<'t> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: de::SeqAccess<'t>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: de::MapAccess<'t>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// Reads a key of a struct's object as the index of the field it names, if any; `next` is the
/// field tried first, since keys come in the schema's order as JsonConverter writes them.
struct FieldOf<'s> {
    fields: &'s [Field],
    next: usize,
}

impl<'t> de::DeserializeSeed<'t> for FieldOf<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'t>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'t> de::Visitor<'t> for FieldOf<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        if self.fields.get(self.next).is_some_and(|f| f.name() == key) {
            return Ok(Some(self.next));
        }
        Ok(self.fields.iter().position(|f| f.name() == key))
    }
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

    /// Equivalence of [`datum_from_text`] and the `Value` path: JSON text, some of it fitting
    /// its schema and some not, with escaped strings, BYTES, numbers written as floats, keys out
    /// of order, unknown, missing and repeated.
    mod from_text {
        use proptest::prelude::*;

        use super::*;

        /// JSON as written, where an object may repeat a key.
        #[derive(Debug, Clone)]
        enum J {
            Null,
            Bool(bool),
            Int(i64),
            Big(u64),
            Float(f64),
            Str(String),
            Arr(Vec<J>),
            Obj(Vec<(String, J)>),
            /// Text as it is: JSON that only the syntax allows (a `Value` refuses it).
            Raw(String),
        }

        fn render(j: &J, out: &mut String) {
            match j {
                J::Null => out.push_str("null"),
                J::Bool(b) => out.push_str(&b.to_string()),
                J::Int(n) => out.push_str(&n.to_string()),
                J::Big(n) => out.push_str(&n.to_string()),
                J::Float(f) => out.push_str(&format!("{f:?}")),
                J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
                J::Raw(text) => out.push_str(text),
                J::Arr(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        render(item, out);
                    }
                    out.push(']');
                }
                J::Obj(entries) => {
                    out.push('{');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&serde_json::to_string(k).unwrap());
                        out.push(':');
                        render(v, out);
                    }
                    out.push('}');
                }
            }
        }

        fn leaf_type() -> impl Strategy<Value = SchemaType> {
            prop_oneof![
                Just(SchemaType::Int8),
                Just(SchemaType::Int16),
                Just(SchemaType::Int32),
                Just(SchemaType::Int64),
                Just(SchemaType::Float32),
                Just(SchemaType::Float64),
                Just(SchemaType::Boolean),
                Just(SchemaType::String),
                Just(SchemaType::Bytes),
            ]
        }

        fn schemas() -> impl Strategy<Value = Schema> {
            let leaf = (leaf_type(), any::<bool>())
                .prop_map(|(ty, optional)| Schema::primitive(ty, optional));
            leaf.prop_recursive(4, 24, 5, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|element| Schema {
                        value: Some(Box::new(element)),
                        ..Schema::primitive(SchemaType::Array, true)
                    }),
                    // A map: left to the `Value` reader.
                    inner.clone().prop_map(|values| Schema {
                        key: Some(Box::new(Schema::primitive(SchemaType::String, false))),
                        value: Some(Box::new(values)),
                        ..Schema::primitive(SchemaType::Map, true)
                    }),
                    prop::collection::vec(inner, 0..5).prop_map(|schemas| Schema {
                        fields: schemas
                            .into_iter()
                            .enumerate()
                            .map(|(i, s)| Field::new(["id", "é", "a\"b", "x y", "n"][i], s))
                            .collect(),
                        ..Schema::primitive(SchemaType::Struct, true)
                    }),
                ]
            })
        }

        fn text() -> impl Strategy<Value = String> {
            "[a-z\"\\\\\n\u{e9}\u{1F600}/ ]{0,8}"
        }

        fn any_json() -> impl Strategy<Value = J> {
            let leaf = prop_oneof![
                Just(J::Null),
                any::<bool>().prop_map(J::Bool),
                any::<i64>().prop_map(J::Int),
                any::<u64>().prop_map(J::Big),
                (-1e20f64..1e20).prop_map(J::Float),
                text().prop_map(J::Str),
                prop::sample::select(vec![
                    "1e400",
                    "-1e400",
                    r#""\ud800""#,
                    r#""a\udc00b""#,
                    // Deeper than serde_json's recursion limit of 128.
                    "[[[",
                ])
                .prop_map(|text| {
                    let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
                    J::Raw(text.replace("[[[", &deep))
                }),
            ];
            leaf.prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(J::Arr),
                    prop::collection::vec((text(), inner), 0..3).prop_map(J::Obj),
                ]
            })
        }

        /// A value for `schema`, and whether it certainly fits it (then the fast reader must
        /// read it, unless the schema has a map).
        fn value_for(schema: &Schema) -> BoxedStrategy<(J, bool)> {
            let fitting = fitting(schema);
            prop_oneof![
                8 => fitting,
                1 => Just((J::Null, true)),
                1 => any_json().prop_map(|j| (j, false)),
            ]
            .boxed()
        }

        fn fitting(schema: &Schema) -> BoxedStrategy<(J, bool)> {
            let int = |min: i64, max: i64| {
                prop_oneof![
                    (min..=max).prop_map(|n| (J::Int(n), true)),
                    // As JsonConverter reads it: a float without a fraction is an integer.
                    (min / 2..=max / 2).prop_map(|n| (J::Float(n as f64), true)),
                    Just((J::Float(0.5), false)),
                    Just((J::Big(u64::MAX), false)),
                ]
                .boxed()
            };
            match schema.ty {
                SchemaType::Int8 => int(i8::MIN.into(), i8::MAX.into()),
                SchemaType::Int16 => int(i16::MIN.into(), i16::MAX.into()),
                SchemaType::Int32 => int(i32::MIN.into(), i32::MAX.into()),
                SchemaType::Int64 => int(i64::MIN, i64::MAX),
                SchemaType::Float32 | SchemaType::Float64 => prop_oneof![
                    any::<i64>().prop_map(J::Int),
                    any::<u64>().prop_map(J::Big),
                    (-1e30f64..1e30).prop_map(J::Float),
                ]
                .prop_map(|j| (j, true))
                .boxed(),
                SchemaType::Boolean => any::<bool>().prop_map(|b| (J::Bool(b), true)).boxed(),
                SchemaType::String => text().prop_map(|s| (J::Str(s), true)).boxed(),
                SchemaType::Bytes => prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..12).prop_map(|b| {
                        let text = base64::engine::general_purpose::STANDARD.encode(b);
                        (J::Str(text), true)
                    }),
                    Just((J::Str("not base64!".to_owned()), false)),
                ]
                .boxed(),
                SchemaType::Array => {
                    let element = schema.value.as_deref().unwrap();
                    prop::collection::vec(value_for(element), 0..4)
                        .prop_map(|items| {
                            let fits = items.iter().all(|(_, fits)| *fits);
                            (J::Arr(items.into_iter().map(|(j, _)| j).collect()), fits)
                        })
                        .boxed()
                }
                SchemaType::Map => {
                    let values = schema.value.as_deref().unwrap();
                    prop::collection::vec((text(), value_for(values)), 0..3)
                        .prop_map(|entries| {
                            let entries = entries.into_iter().map(|(k, (v, _))| (k, v));
                            (J::Obj(entries.collect()), false)
                        })
                        .boxed()
                }
                SchemaType::Struct => {
                    let fields: Vec<BoxedStrategy<(String, (J, bool))>> = schema
                        .fields
                        .iter()
                        .map(|f| {
                            let name = f.name().to_owned();
                            value_for(&f.schema)
                                .prop_map(move |v| (name.clone(), v))
                                .boxed()
                        })
                        .collect();
                    // Shuffled, with an unknown key, a field left out, or one repeated (the
                    // last value counts, so a repeat written first may not fit).
                    (fields, any::<prop::sample::Index>(), 0..5u8, any_json())
                        .prop_map(|(entries, at, change, extra)| {
                            let mut fits = entries.iter().all(|(_, (_, fits))| *fits);
                            let mut entries: Vec<(String, J)> =
                                entries.into_iter().map(|(k, (v, _))| (k, v)).collect();
                            if !entries.is_empty() {
                                let i = at.index(entries.len());
                                match change {
                                    1 => entries.rotate_left(i),
                                    2 => {
                                        entries.remove(i);
                                    }
                                    3 => {
                                        let (k, _) = entries[i].clone();
                                        entries.insert(0, (k, extra.clone()));
                                        fits = false;
                                    }
                                    _ => {}
                                }
                            }
                            if change == 4 {
                                // Read and dropped, but refused when a `Value` would be.
                                fits &= !has_raw(&extra);
                                entries.insert(0, ("unknown".to_owned(), extra));
                            }
                            (J::Obj(entries), fits)
                        })
                        .boxed()
                }
            }
        }

        fn has_raw(json: &J) -> bool {
            match json {
                J::Raw(_) => true,
                J::Arr(items) => items.iter().any(has_raw),
                J::Obj(entries) => entries.iter().any(|(_, v)| has_raw(v)),
                _ => false,
            }
        }

        fn has_map(schema: &Schema) -> bool {
            schema.ty == SchemaType::Map
                || schema.value.as_deref().is_some_and(has_map)
                || schema.fields.iter().any(|f| has_map(&f.schema))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn text_reads_as_its_value_does(
                (schema, (json, fits)) in schemas().prop_flat_map(|s| {
                    let v = value_for(&s);
                    (Just(s), v)
                })
            ) {
                let mut text = String::new();
                render(&json, &mut text);
                let mut arena = vec![0; text.len()];
                let fast = datum_from_text(&schema, &text, &mut arena);
                let slow = serde_json::from_str::<Value>(&text)
                    .map_err(|e| e.to_string())
                    .and_then(|value| {
                        let bytes = decode_bytes(&schema, &value)?;
                        datum_in(&schema, &value, &bytes, "after").map(|d| format!("{d:?}"))
                    });
                if let Some(fast) = &fast {
                    prop_assert_eq!(Ok(format!("{fast:?}")), slow, "{}", text);
                }
                if fits && !has_map(&schema) {
                    prop_assert!(fast.is_some(), "{} fits {:?}", text, schema);
                }
            }
        }

        #[test]
        fn a_schema_may_not_name_two_fields_alike() {
            let text = r#"{"type":"struct","fields":[{"field":"a","type":"int32"},
                {"field":"b","type":"string"},{"field":"a","type":"string"}]}"#;
            let e = schema(&serde_json::from_str(text).unwrap()).unwrap_err();
            assert_eq!(e, "a struct schema with two fields named 'a'");
        }

        #[test]
        fn text_that_does_not_end_or_nests_too_deep_is_left_to_the_value_reader() {
            let int = Schema::primitive(SchemaType::Int32, true);
            let mut arena = [0; 64];
            assert_eq!(
                datum_from_text(&int, "1", &mut arena),
                Some(Datum::Int32(1))
            );
            assert_eq!(datum_from_text(&int, "1 2", &mut arena), None);
            assert_eq!(datum_from_text(&int, "[1", &mut arena), None);
            let mut deep = int;
            for _ in 0..=MAX_DEPTH {
                deep = Schema {
                    value: Some(Box::new(deep)),
                    ..Schema::primitive(SchemaType::Array, true)
                };
            }
            let text = format!("{}1{}", "[".repeat(65), "]".repeat(65));
            let mut arena = vec![0; text.len()];
            assert_eq!(datum_from_text(&deep, &text, &mut arena), None);
            let value: Value = serde_json::from_str(&text).unwrap();
            let bytes = decode_bytes(&deep, &value).unwrap();
            assert!(datum(&deep, &value, &bytes)
                .unwrap_err()
                .contains("deeper than 64"));
        }
    }
}
