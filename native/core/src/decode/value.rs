//! Reads values: typed values, which follow a schema, and schemaless datums, which carry a tag
//! per node.
//!
//! Invariant: a typed value's [`Datum`] variant matches its schema's type (or is `Null` for an
//! optional schema); every count is checked against the bytes that remain before its `Vec` is
//! allocated; and ARRAY, MAP and STRUCT nest at most [`MAX_DEPTH`] levels, counting schemaless
//! and typed levels together.

use std::sync::Arc;

use super::cursor::{Cursor, Fault, Step};
use super::{schema_ref, MAX_DEPTH};
use crate::record::{Datum, Schema, SchemaType};

/// The tags of schemaless datums (`docs/batch-format.md`, "schemaless datum").
pub(super) mod tag {
    pub(in crate::decode) const NULL: u8 = 0x00;
    pub(in crate::decode) const FALSE: u8 = 0x01;
    pub(in crate::decode) const TRUE: u8 = 0x02;
    pub(in crate::decode) const INT8: u8 = 0x03;
    pub(in crate::decode) const INT16: u8 = 0x04;
    pub(in crate::decode) const INT32: u8 = 0x05;
    pub(in crate::decode) const INT64: u8 = 0x06;
    pub(in crate::decode) const FLOAT32: u8 = 0x07;
    pub(in crate::decode) const FLOAT64: u8 = 0x08;
    pub(in crate::decode) const STRING: u8 = 0x09;
    pub(in crate::decode) const BYTES: u8 = 0x0A;
    pub(in crate::decode) const ARRAY: u8 = 0x0B;
    pub(in crate::decode) const MAP: u8 = 0x0C;
    pub(in crate::decode) const DECIMAL: u8 = 0x0D;
    pub(in crate::decode) const TIMESTAMP: u8 = 0x0E;
    pub(in crate::decode) const STRUCT: u8 = 0x0F;
}

/// Reads a value of `schema` at nesting level `depth` (0 for a payload).
pub(super) fn typed<'a>(cur: &mut Cursor<'a>, schema: &Schema, depth: u32) -> Step<Datum<'a>> {
    if !present(cur, schema)? {
        return Ok(Datum::Null);
    }
    present_typed(cur, schema, depth)
}

/// Reads an optional schema's presence byte: whether a value follows. A required schema's
/// value always does.
#[inline]
pub(super) fn present(cur: &mut Cursor<'_>, schema: &Schema) -> Step<bool> {
    if schema.optional {
        cur.flag("presence byte")
    } else {
        Ok(true)
    }
}

/// Reads a value of `schema` whose presence byte, if it has one, said it is there.
pub(super) fn present_typed<'a>(
    cur: &mut Cursor<'a>,
    schema: &Schema,
    depth: u32,
) -> Step<Datum<'a>> {
    Ok(match schema.ty {
        SchemaType::Int8 => Datum::Int8(cur.i8("INT8 value")?),
        SchemaType::Int16 => Datum::Int16(cur.i16("INT16 value")?),
        SchemaType::Int32 => Datum::Int32(cur.i32("INT32 value")?),
        SchemaType::Int64 => Datum::Int64(cur.i64("INT64 value")?),
        SchemaType::Float32 => Datum::Float32(cur.f32("FLOAT32 value")?),
        SchemaType::Float64 => Datum::Float64(cur.f64("FLOAT64 value")?),
        SchemaType::Boolean => Datum::Bool(cur.flag("BOOLEAN value")?),
        SchemaType::String => Datum::Str(cur.str("STRING value")?),
        SchemaType::Bytes => Datum::Bytes(cur.bytes("BYTES value")?),
        SchemaType::Array => {
            let at = enter(cur, depth)?;
            let element = child(schema.value.as_deref(), at, "ARRAY element")?;
            let n = cur.count("ARRAY length", min_size(element))?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(typed(cur, element, depth + 1)?);
            }
            Datum::Array(items)
        }
        SchemaType::Map => {
            let at = enter(cur, depth)?;
            let key = child(schema.key.as_deref(), at, "MAP key")?;
            let value = child(schema.value.as_deref(), at, "MAP value")?;
            let n = cur.count("MAP size", min_size(key).saturating_add(min_size(value)))?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = typed(cur, key, depth + 1)?;
                let v = typed(cur, value, depth + 1)?;
                entries.push((k, v));
            }
            Datum::Map(entries)
        }
        SchemaType::Struct => {
            enter(cur, depth)?;
            let mut fields = Vec::with_capacity(schema.fields.len());
            for field in &schema.fields {
                fields.push(typed(cur, &field.schema, depth + 1)?);
            }
            Datum::Struct(fields)
        }
    })
}

/// Reads a schemaless datum at nesting level `depth` (0 for a payload). `schemas` is the
/// session's schema table, for structs met inside schemaless data.
pub(super) fn datum<'a>(
    cur: &mut Cursor<'a>,
    schemas: &[Arc<Schema>],
    depth: u32,
) -> Step<Datum<'a>> {
    let at = cur.pos();
    Ok(match cur.u8("datum tag")? {
        tag::NULL => Datum::Null,
        tag::FALSE => Datum::Bool(false),
        tag::TRUE => Datum::Bool(true),
        tag::INT8 => Datum::Int8(cur.i8("int8 datum")?),
        tag::INT16 => Datum::Int16(cur.i16("int16 datum")?),
        tag::INT32 => Datum::Int32(cur.i32("int32 datum")?),
        tag::INT64 => Datum::Int64(cur.i64("int64 datum")?),
        tag::FLOAT32 => Datum::Float32(cur.f32("float32 datum")?),
        tag::FLOAT64 => Datum::Float64(cur.f64("float64 datum")?),
        tag::STRING => Datum::Str(cur.str("string datum")?),
        tag::BYTES => Datum::Bytes(cur.bytes("bytes datum")?),
        tag::ARRAY => {
            check_depth(at, depth)?;
            let n = cur.count("array datum length", 1)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(datum(cur, schemas, depth + 1)?);
            }
            Datum::Array(items)
        }
        tag::MAP => {
            check_depth(at, depth)?;
            let n = cur.count("map datum size", 2)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = datum(cur, schemas, depth + 1)?;
                let v = datum(cur, schemas, depth + 1)?;
                entries.push((k, v));
            }
            Datum::Map(entries)
        }
        tag::DECIMAL => {
            let scale_at = cur.pos();
            let scale = cur.zigzag("decimal datum scale")?;
            let Ok(scale) = i32::try_from(scale) else {
                return Err(Fault::new(
                    scale_at,
                    format!("decimal datum scale {scale} does not fit in 32 bits"),
                ));
            };
            let unscaled = cur.bytes("decimal datum unscaled value")?;
            Datum::Decimal { unscaled, scale }
        }
        tag::TIMESTAMP => Datum::Timestamp(cur.i64("timestamp datum")?),
        tag::STRUCT => {
            let id_at = cur.pos();
            let schema = schema_ref(cur, schemas)?;
            if schema.ty != SchemaType::Struct {
                return Err(Fault::new(
                    id_at,
                    format!(
                        "struct datum refers to a {} schema, expected STRUCT",
                        schema.ty.name()
                    ),
                ));
            }
            // The struct is this node, so it sits at this node's depth.
            match typed(cur, &schema, depth)? {
                Datum::Struct(fields) => Datum::TypedStruct(schema, fields),
                // An optional struct schema's presence byte said null.
                other => other,
            }
        }
        unknown => {
            return Err(Fault::new(
                at,
                format!("unknown datum tag 0x{unknown:02x} (0x00 to 0x0F are defined)"),
            ))
        }
    })
}

/// Checks that a container may open at `depth`; returns where it starts.
#[inline]
fn enter(cur: &Cursor<'_>, depth: u32) -> Step<usize> {
    let at = cur.pos();
    check_depth(at, depth)?;
    Ok(at)
}

#[inline]
fn check_depth(at: usize, depth: u32) -> Step<()> {
    if depth >= MAX_DEPTH {
        return Err(Fault::new(
            at,
            format!("value nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(())
}

/// A child schema the parser guarantees; a fault rather than a panic if it is missing.
#[inline]
fn child<'s>(schema: Option<&'s Schema>, at: usize, what: &str) -> Step<&'s Schema> {
    schema.ok_or_else(|| Fault::new(at, format!("schema has no {what} schema")))
}

/// The fewest bytes a typed value of `schema` can take, for bounding counts.
pub(super) fn min_size(schema: &Schema) -> usize {
    if schema.optional {
        return 1;
    }
    match schema.ty {
        SchemaType::Int8 | SchemaType::Boolean => 1,
        SchemaType::Int16 => 2,
        SchemaType::Int32 | SchemaType::Float32 => 4,
        SchemaType::Int64 | SchemaType::Float64 => 8,
        SchemaType::String | SchemaType::Bytes | SchemaType::Array | SchemaType::Map => 1,
        SchemaType::Struct => schema
            .fields
            .iter()
            .fold(0, |sum, f| sum.saturating_add(min_size(&f.schema))),
    }
}
