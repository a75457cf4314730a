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

/// Reads a value of `schema` at nesting level `depth` (0 for a payload).
pub(super) fn typed<'a>(cur: &mut Cursor<'a>, schema: &Schema, depth: u32) -> Step<Datum<'a>> {
    if schema.optional && !cur.flag("presence byte")? {
        return Ok(Datum::Null);
    }
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
        0x00 => Datum::Null,
        0x01 => Datum::Bool(false),
        0x02 => Datum::Bool(true),
        0x03 => Datum::Int8(cur.i8("int8 datum")?),
        0x04 => Datum::Int16(cur.i16("int16 datum")?),
        0x05 => Datum::Int32(cur.i32("int32 datum")?),
        0x06 => Datum::Int64(cur.i64("int64 datum")?),
        0x07 => Datum::Float32(cur.f32("float32 datum")?),
        0x08 => Datum::Float64(cur.f64("float64 datum")?),
        0x09 => Datum::Str(cur.str("string datum")?),
        0x0A => Datum::Bytes(cur.bytes("bytes datum")?),
        0x0B => {
            check_depth(at, depth)?;
            let n = cur.count("array datum length", 1)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(datum(cur, schemas, depth + 1)?);
            }
            Datum::Array(items)
        }
        0x0C => {
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
        0x0D => {
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
        0x0E => Datum::Timestamp(cur.i64("timestamp datum")?),
        0x0F => {
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
        tag => {
            return Err(Fault::new(
                at,
                format!("unknown datum tag 0x{tag:02x} (0x00 to 0x0F are defined)"),
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
fn min_size(schema: &Schema) -> usize {
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
