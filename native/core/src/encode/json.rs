//! Connect data (`Payload::Data`) to JSON rows, written by hand straight into the row buffer;
//! plain data (`Payload::PlainData`) is written from its batch bytes by [`plain_rows`], and
//! typed structs (`Payload::TypedData`) from theirs by [`JsonWriter::typed_rows`].
//!
//! A top-level struct or map is one row; a top-level array of them is one row per element.
//! Structs are objects with their fields in schema order, maps are objects (a key that is not a
//! string becomes its JSON text), arrays are arrays, BYTES are base64, decimals are exact
//! numbers, Debezium's JSON text is the object or array it holds, and temporal logical types
//! are rendered as [`TemporalRendering`] asks.
//!
//! Invariant: every byte written is valid UTF-8 JSON, and on success each row is one complete
//! JSON object. No intermediate tree is built: the happy path allocates nothing beyond the row
//! buffer's growth. A value that JSON cannot carry (NaN, a date StarRocks cannot hold, data that
//! contradicts its schema) is a [`Fault`] that names the path to it; the row being written is
//! then left incomplete, and the caller discards it.

use std::fmt::Write as _;

use base64::Engine as _;

use super::debezium::Op;
use crate::decode::{PlainVisitor, TypedReader};

use super::decimal::write_decimal;
use super::temporal::{Temporal, Unit};
use super::{datum_type_name, value_kind, RowSink};
use crate::config::TemporalRendering;
use crate::record::{Datum, Schema, SchemaType};
use crate::record::{PlainData, TypedData};

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";
/// Debezium's JSON text (PostgreSQL `json`/`jsonb`, MySQL `JSON`).
const DEBEZIUM_JSON: &str = "io.debezium.data.Json";

/// Why a value could not be written, and where it sits in the record value.
#[derive(Debug)]
pub(super) struct Fault {
    reason: String,
    /// Innermost step first: pushed while the error travels up.
    path: Vec<Step>,
}

#[derive(Debug)]
enum Step {
    Field(String),
    Index(usize),
}

type Written = Result<(), Box<Fault>>;

/// The logical types written otherwise than their base types.
enum Logical {
    Decimal,
    VariableScaleDecimal,
    EmbeddedJson,
    Temporal(Temporal),
}

impl Fault {
    fn new(reason: impl Into<String>) -> Box<Fault> {
        Box::new(Fault {
            reason: reason.into(),
            path: Vec::new(),
        })
    }

    fn at(mut self: Box<Self>, step: Step) -> Box<Fault> {
        self.path.push(step);
        self
    }

    /// The message of the record's error: the path (`after.price`, `[2].id`) and the reason.
    pub(super) fn describe(&self, position: &str) -> String {
        if self.path.is_empty() {
            return format!(
                "cannot encode the record value at {position}: {}",
                self.reason
            );
        }
        let mut path = String::new();
        for step in self.path.iter().rev() {
            match step {
                Step::Field(name) if path.is_empty() => path.push_str(name),
                Step::Field(name) => {
                    path.push('.');
                    path.push_str(name);
                }
                Step::Index(i) => {
                    let _ = write!(path, "[{i}]");
                }
            }
        }
        format!(
            "cannot encode '{path}' in the record value at {position}: {}",
            self.reason
        )
    }
}

/// Writes Connect data as JSON.
#[derive(Debug, Clone, Copy)]
pub(super) struct JsonWriter {
    pub(super) temporal: TemporalRendering,
}

impl JsonWriter {
    /// Writes the rows of a record value; returns how many.
    pub(super) fn rows(
        &self,
        schema: Option<&Schema>,
        datum: &Datum<'_>,
        sink: &mut impl RowSink,
    ) -> Result<u32, Box<Fault>> {
        match datum {
            Datum::Null => Ok(0),
            Datum::Array(items) => {
                let element = schema.and_then(|s| s.value.as_deref());
                for (i, item) in items.iter().enumerate() {
                    if !is_row(element, item) {
                        return Err(not_a_row(element, item).at(Step::Index(i)));
                    }
                    self.value(sink.row(), element, item)
                        .map_err(|f| f.at(Step::Index(i)))?;
                }
                u32::try_from(items.len()).map_err(|_| Fault::new("too many rows in one record"))
            }
            _ if is_row(schema, datum) => {
                self.value(sink.row(), schema, datum)?;
                Ok(1)
            }
            _ => Err(not_a_row(schema, datum)),
        }
    }

    /// Writes one image of a change event (`after` or `before`, named by `image` in a fault's
    /// path) as a row, with the `__op` load column (0 upsert, 1 delete) added as its last key.
    pub(super) fn image_row(
        &self,
        out: &mut Vec<u8>,
        image: &str,
        schema: Option<&Schema>,
        datum: &Datum<'_>,
        op: Op,
    ) -> Result<(), Box<Fault>> {
        let at = || Step::Field(image.to_owned());
        if !is_row(schema, datum) {
            return Err(not_a_row(schema, datum).at(at()));
        }
        self.value(out, schema, datum).map_err(|f| f.at(at()))?;
        op.append_to(out);
        Ok(())
    }

    fn value(&self, out: &mut Vec<u8>, schema: Option<&Schema>, datum: &Datum<'_>) -> Written {
        if let Some(schema) = schema.filter(|s| s.name.is_some()) {
            if let Some(written) = self.logical(out, schema, datum) {
                return written;
            }
        }
        match datum {
            Datum::Null => out.extend_from_slice(b"null"),
            Datum::Bool(true) => out.extend_from_slice(b"true"),
            Datum::Bool(false) => out.extend_from_slice(b"false"),
            Datum::Int8(v) => push_int(out, *v),
            Datum::Int16(v) => push_int(out, *v),
            Datum::Int32(v) => push_int(out, *v),
            Datum::Int64(v) => push_int(out, *v),
            Datum::Float32(v) => push_float(out, *v, f64::from(*v))?,
            Datum::Float64(v) => push_float(out, *v, *v)?,
            Datum::Str(s) => write_str(out, s.as_bytes()),
            Datum::Bytes(b) => push_base64(out, b),
            Datum::Array(items) => {
                let element = schema.and_then(|s| s.value.as_deref());
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(out, element, item)
                        .map_err(|f| f.at(Step::Index(i)))?;
                }
                out.push(b']');
            }
            Datum::Map(entries) => self.map(out, schema, entries)?,
            Datum::Struct(values) => match schema {
                Some(schema) if schema.ty == SchemaType::Struct => {
                    self.object(out, schema, values)?
                }
                _ => return Err(Fault::new("a struct value without a STRUCT schema")),
            },
            Datum::TypedStruct(schema, values) => self.object(out, schema, values)?,
            Datum::Decimal { unscaled, scale } => {
                write_decimal(out, unscaled, *scale).map_err(Fault::new)?
            }
            Datum::Timestamp(millis) => match self.temporal {
                TemporalRendering::String => {
                    self.temporal_text(out, Temporal::Timestamp(Unit::Millis), datum)?
                }
                TemporalRendering::Numeric => push_int(out, *millis),
            },
        }
        Ok(())
    }

    /// Writes a value of a named logical type, or returns `None` when the name asks for nothing
    /// special (or the value is null, written as `null` like any other).
    fn logical(&self, out: &mut Vec<u8>, schema: &Schema, datum: &Datum<'_>) -> Option<Written> {
        if matches!(datum, Datum::Null) {
            return None;
        }
        Some(match self.logical_type(schema.name()?)? {
            Logical::Decimal => write_typed_decimal(out, schema, datum),
            Logical::VariableScaleDecimal => write_variable_scale_decimal(out, schema, datum),
            Logical::EmbeddedJson => write_embedded_json(out, datum),
            Logical::Temporal(temporal) => self.temporal_text(out, temporal, datum),
        })
    }

    /// What a schema name asks of a value that is not null, if anything.
    fn logical_type(&self, name: &str) -> Option<Logical> {
        Some(match name {
            DECIMAL => Logical::Decimal,
            VARIABLE_SCALE_DECIMAL => Logical::VariableScaleDecimal,
            DEBEZIUM_JSON => Logical::EmbeddedJson,
            name => match self.temporal {
                TemporalRendering::Numeric => return None,
                TemporalRendering::String => Logical::Temporal(Temporal::from_schema_name(name)?),
            },
        })
    }

    /// Whether a value of `schema` is written as its type alone says, its name asking nothing.
    fn is_unnamed(&self, schema: &Schema) -> bool {
        schema
            .name()
            .is_none_or(|name| self.logical_type(name).is_none())
    }

    fn temporal_text(&self, out: &mut Vec<u8>, temporal: Temporal, datum: &Datum<'_>) -> Written {
        out.push(b'"');
        match (datum, as_i64(datum)) {
            (Datum::Str(text), _) => temporal.write_text(out, text),
            (Datum::Timestamp(millis), _) => temporal.write_number(out, *millis),
            (_, Some(number)) => temporal.write_number(out, number),
            _ => Err(format!(
                "a {} value cannot hold a temporal logical type",
                datum_type_name(datum)
            )),
        }
        .map_err(Fault::new)?;
        out.push(b'"');
        Ok(())
    }

    fn object(&self, out: &mut Vec<u8>, schema: &Schema, values: &[Datum<'_>]) -> Written {
        if schema.fields.len() != values.len() {
            return Err(Fault::new(format!(
                "a struct with {} values for its {} fields",
                values.len(),
                schema.fields.len()
            )));
        }
        out.push(b'{');
        for (i, (field, value)) in schema.fields.iter().zip(values).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(field.json_key());
            self.value(out, Some(&field.schema), value)
                .map_err(|f| f.at(Step::Field(field.name().to_owned())))?;
        }
        out.push(b'}');
        Ok(())
    }

    fn map(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        entries: &[(Datum<'_>, Datum<'_>)],
    ) -> Written {
        let key_schema = schema.and_then(|s| s.key.as_deref());
        let value_schema = schema.and_then(|s| s.value.as_deref());
        out.push(b'{');
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.map_key(out, key_schema, key)
                .and_then(|()| {
                    out.push(b':');
                    self.value(out, value_schema, value)
                })
                .map_err(|f| f.at(Step::Field(key_label(key))))?;
        }
        out.push(b'}');
        Ok(())
    }

    /// A map key as an object key: a JSON string stays as it is; any other JSON text becomes
    /// the string of that text (`1` → `"1"`, `{"a":1}` → `"{\"a\":1}"`).
    fn map_key(&self, out: &mut Vec<u8>, schema: Option<&Schema>, key: &Datum<'_>) -> Written {
        let start = out.len();
        self.value(out, schema, key)?;
        match out.get(start) {
            Some(b'"') => {}
            Some(b'{' | b'[') => {
                let text = out.split_off(start);
                write_str(out, &text);
            }
            // Numbers, booleans and null need no escaping: only quotes around them.
            _ => {
                out.insert(start, b'"');
                out.push(b'"');
            }
        }
        Ok(())
    }
}

/// Whether a value makes a row: a struct or a map, not a struct that stands for a number.
fn is_row(schema: Option<&Schema>, datum: &Datum<'_>) -> bool {
    match datum {
        Datum::Map(_) => true,
        Datum::Struct(_) => schema.and_then(Schema::name) != Some(VARIABLE_SCALE_DECIMAL),
        Datum::TypedStruct(schema, _) => schema.name() != Some(VARIABLE_SCALE_DECIMAL),
        _ => false,
    }
}

fn not_a_row(schema: Option<&Schema>, datum: &Datum<'_>) -> Box<Fault> {
    Fault::new(format!(
        "{} is not a row; the JSON format needs a struct or a map, or an array of them",
        value_kind(schema, datum)
    ))
}

/// Debezium's JSON text: a document that is an object or an array is written as itself (not as
/// a string of it), so that a StarRocks JSON column gets the document and a VARCHAR column its
/// text. A scalar document (`"abc"`, `1`, `null`) stays a string of its text, as before, so a
/// VARCHAR column keeps the text it always got.
fn write_embedded_json(out: &mut Vec<u8>, datum: &Datum<'_>) -> Written {
    let Datum::Str(text) = datum else {
        return Err(Fault::new(format!(
            "an io.debezium.data.Json value must be a STRING, got {}",
            datum_type_name(datum)
        )));
    };
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if !matches!(trimmed.as_bytes().first(), Some(b'{' | b'[')) {
        write_str(out, text.as_bytes());
        return Ok(());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(trimmed).map_err(|e| {
        Fault::new(format!(
            "an io.debezium.data.Json value that is not JSON: {e}"
        ))
    })?;
    out.extend_from_slice(trimmed.as_bytes());
    Ok(())
}

/// Connect's `Decimal`: BYTES of the unscaled value, the scale in the schema's parameters.
fn write_typed_decimal(out: &mut Vec<u8>, schema: &Schema, datum: &Datum<'_>) -> Written {
    let Datum::Bytes(unscaled) = datum else {
        return Err(Fault::new(format!(
            "a Decimal must be BYTES, got {}",
            datum_type_name(datum)
        )));
    };
    let scale = schema
        .param("scale")
        .and_then(|s| s.trim().parse::<i32>().ok())
        .ok_or_else(|| Fault::new("the Decimal schema has no whole-number 'scale' parameter"))?;
    write_decimal(out, unscaled, scale).map_err(Fault::new)
}

/// Debezium's `VariableScaleDecimal`: a STRUCT of `scale` (INT32) and `value` (BYTES).
fn write_variable_scale_decimal(out: &mut Vec<u8>, schema: &Schema, datum: &Datum<'_>) -> Written {
    let Datum::Struct(values) = datum else {
        return Err(Fault::new(format!(
            "a VariableScaleDecimal must be a STRUCT, got {}",
            datum_type_name(datum)
        )));
    };
    let field = |name: &str| {
        schema
            .fields
            .iter()
            .position(|f| f.name() == name)
            .and_then(|i| values.get(i))
    };
    match (field("scale").and_then(as_i64), field("value")) {
        (Some(scale), Some(Datum::Bytes(unscaled))) => {
            let scale = i32::try_from(scale)
                .map_err(|_| Fault::new(format!("the scale {scale} does not fit in an INT32")))?;
            write_decimal(out, unscaled, scale).map_err(Fault::new)
        }
        _ => Err(Fault::new(
            "a VariableScaleDecimal needs an INT32 'scale' and a BYTES 'value'",
        )),
    }
}

fn as_i64(datum: &Datum<'_>) -> Option<i64> {
    match *datum {
        Datum::Int8(v) => Some(v.into()),
        Datum::Int16(v) => Some(v.into()),
        Datum::Int32(v) => Some(v.into()),
        Datum::Int64(v) => Some(v),
        _ => None,
    }
}

/// A map key as a path step: its text for strings and numbers.
fn key_label(key: &Datum<'_>) -> String {
    match as_i64(key) {
        Some(n) => n.to_string(),
        None => match key {
            Datum::Str(s) => (*s).to_owned(),
            _ => "<key>".to_owned(),
        },
    }
}

impl JsonWriter {
    /// Writes the row of typed data (`Payload::TypedData`) from its bytes: the same text
    /// [`JsonWriter::rows`] writes for its tree (`encode/tests/typed.rs`). Structs and arrays
    /// whose schema names no logical type, and strings whose schema has no name, are read and
    /// written as they come; every other value is read as a tree of its own (a scalar's
    /// allocates nothing) and written by [`JsonWriter::value`], so its logical type and its
    /// faults are the tree's.
    pub(super) fn typed_rows(
        &self,
        data: &TypedData<'_>,
        sink: &mut impl RowSink,
    ) -> Result<u32, Box<Fault>> {
        let schema = data.schema();
        if !self.is_unnamed(schema) {
            let datum = data.datum().map_err(unreadable)?;
            return self.rows(Some(schema), &datum, sink);
        }
        let mut reader = data.reader();
        if !reader.present(schema).map_err(unreadable)? {
            return Ok(0);
        }
        self.typed_struct(sink.row(), &mut reader, schema, 0)?;
        Ok(1)
    }

    /// A value of `schema` at nesting level `depth`, its presence byte first.
    fn typed_value(
        &self,
        out: &mut Vec<u8>,
        reader: &mut TypedReader<'_>,
        schema: &Schema,
        depth: u32,
    ) -> Written {
        if !reader.present(schema).map_err(unreadable)? {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        match schema.ty {
            SchemaType::String if schema.name.is_none() => {
                write_str(out, reader.text().map_err(unreadable)?)
            }
            SchemaType::Struct if self.is_unnamed(schema) => {
                self.typed_struct(out, reader, schema, depth)?
            }
            SchemaType::Array if self.is_unnamed(schema) => {
                self.typed_array(out, reader, schema, depth)?
            }
            _ => {
                let datum = reader.present_value(schema, depth).map_err(unreadable)?;
                self.value(out, Some(schema), &datum)?;
            }
        }
        Ok(())
    }

    /// A STRUCT value that is present: an object of its fields, as [`JsonWriter::object`].
    fn typed_struct(
        &self,
        out: &mut Vec<u8>,
        reader: &mut TypedReader<'_>,
        schema: &Schema,
        depth: u32,
    ) -> Written {
        out.push(b'{');
        for (i, field) in schema.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(field.json_key());
            self.typed_value(out, reader, &field.schema, depth + 1)
                .map_err(|f| f.at(Step::Field(field.name().to_owned())))?;
        }
        out.push(b'}');
        Ok(())
    }

    /// An ARRAY value that is present, as [`JsonWriter::value`] writes one.
    fn typed_array(
        &self,
        out: &mut Vec<u8>,
        reader: &mut TypedReader<'_>,
        schema: &Schema,
        depth: u32,
    ) -> Written {
        let Some(element) = schema.value.as_deref() else {
            return Err(Fault::new("an ARRAY schema without an element schema"));
        };
        let n = reader.count().map_err(unreadable)?;
        out.push(b'[');
        for i in 0..n {
            if i > 0 {
                out.push(b',');
            }
            self.typed_value(out, reader, element, depth + 1)
                .map_err(|f| f.at(Step::Index(i)))?;
        }
        out.push(b']');
        Ok(())
    }
}

/// Typed data that cannot be read again (a bug, not bad input), as a fault of its row.
#[cold]
fn unreadable(error: crate::error::Error) -> Box<Fault> {
    Fault::new(error.to_string())
}

/// Writes the rows of plain data (`Payload::PlainData`) straight from its bytes: the same text
/// [`JsonWriter::rows`] writes for the tree of the same data (`encode/tests/plain.rs`). Plain
/// data has nothing a row could fail on (its floats are finite, its keys strings), and no
/// logical types, so the temporal rendering plays no part.
pub(super) fn plain_rows(
    plain: &PlainData<'_>,
    sink: &mut impl RowSink,
) -> crate::error::Result<u32> {
    plain.rows(|row| row.walk(&mut PlainJson(sink.row())))
}

/// Writes what it visits as JSON text.
pub(super) struct PlainJson<'o>(pub(super) &'o mut Vec<u8>);

impl PlainVisitor for PlainJson<'_> {
    fn null(&mut self) {
        self.0.extend_from_slice(b"null");
    }

    fn bool(&mut self, value: bool) {
        self.0
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn int(&mut self, value: i64) {
        push_int(self.0, value);
    }

    fn float32(&mut self, value: f32) {
        self.0
            .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    }

    fn float64(&mut self, value: f64) {
        self.0
            .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    }

    fn str(&mut self, text: &[u8]) {
        write_str(self.0, text);
    }

    fn array_start(&mut self) {
        self.0.push(b'[');
    }

    fn array_item(&mut self, index: usize) {
        if index > 0 {
            self.0.push(b',');
        }
    }

    fn array_end(&mut self) {
        self.0.push(b']');
    }

    fn map_start(&mut self) {
        self.0.push(b'{');
    }

    fn map_key(&mut self, index: usize, key: &[u8]) {
        if index > 0 {
            self.0.push(b',');
        }
        write_str(self.0, key);
        self.0.push(b':');
    }

    fn map_end(&mut self) {
        self.0.push(b'}');
    }
}

fn push_int(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// The shortest text that reads back as the same float (`value`, which `wide` equals); NaN and
/// the infinities have none in JSON.
fn push_float(out: &mut Vec<u8>, value: impl zmij::Float, wide: f64) -> Written {
    if !wide.is_finite() {
        let name = if wide.is_nan() {
            "NaN"
        } else if wide > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        return Err(Fault::new(format!("{name} is not a valid JSON number")));
    }
    out.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    Ok(())
}

/// BYTES as a base64 string (standard alphabet, padded), as Connect's JsonConverter writes them.
fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    out.push(b'"');
    let start = out.len();
    // Four output bytes per three input bytes, rounded up: padding is on.
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = engine
        .encode_slice(bytes, &mut out[start..])
        .expect("the buffer was sized to the padded base64 length");
    out.truncate(start + written);
    out.push(b'"');
}

/// `0` for a byte that stands for itself in a JSON string, else the letter of its escape
/// (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes UTF-8 text as a JSON string (RFC 8259): quotes, backslashes and control characters
/// escaped, everything else (all of Unicode) as it is.
pub(super) fn write_str(out: &mut Vec<u8>, text: &[u8]) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    // Most text has nothing to escape: one check of it, then one copy.
    if !crate::words::any(text, escape_bits) {
        out.extend_from_slice(text);
    } else {
        write_escaped(out, text);
    }
    out.push(b'"');
}

/// Writes the body of a string that has something to escape.
#[cold]
fn write_escaped(out: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(word) = text[i..].first_chunk::<8>() {
            if escape_bits(u64::from_le_bytes(*word)) == 0 {
                i += 8;
                continue;
            }
        }
        let byte = text[i];
        let escape = ESCAPE[usize::from(byte)];
        i += 1;
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&text[start..i - 1]);
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = i;
    }
    out.extend_from_slice(&text[start..]);
}

/// Nonzero when any of the eight bytes in `word` is one [`ESCAPE`] names: below 0x20, a quote
/// or a backslash. (The classic "has a byte less than n" and "has a zero byte" tests: exact
/// about whether one exists, which is all that is asked.)
#[inline(always)]
fn escape_bits(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (below_space | zero(quote) | zero(backslash)) & HIGH
}
