//! Reads a SCHEMA_DEF's schema: type, optional flag, name, parameters, then its children.
//!
//! Besides the layout, it checks Connect's own logical types, because the encoder relies on
//! them: a `Decimal` is BYTES with an integer `scale` parameter, `Date` and `Time` are INT32,
//! `Timestamp` is INT64 (Connect's `fromLogical` rejects anything else, so the shim cannot
//! produce it legitimately).
//!
//! Invariant: a schema this returns has the children its type needs — an element schema for
//! ARRAY, key and value schemas for MAP — and nests at most [`MAX_DEPTH`] levels.

use super::cursor::{Cursor, Fault, Step};
use super::MAX_DEPTH;
use crate::record::{Field, Schema, SchemaType};

/// Connect's logical type names.
const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const DATE: &str = "org.apache.kafka.connect.data.Date";
const TIME: &str = "org.apache.kafka.connect.data.Time";
const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// The smallest schema: type, optional flag, empty name, no parameters.
const MIN_SCHEMA_LEN: usize = 4;
/// The smallest STRUCT field: an empty name and the smallest schema.
const MIN_FIELD_LEN: usize = 1 + MIN_SCHEMA_LEN;

/// Reads a schema nested `depth` levels deep (0 for a SCHEMA_DEF's own).
pub(super) fn schema(cur: &mut Cursor<'_>, depth: u32) -> Step<Schema> {
    let at = cur.pos();
    let ty = schema_type(cur)?;
    let optional = cur.flag("optional flag")?;
    let name = cur.str("schema name")?;
    let name = (!name.is_empty()).then(|| name.to_owned());
    let n = cur.count("schema parameter count", 2)?;
    let mut params = Vec::with_capacity(n);
    for _ in 0..n {
        let key = cur.str("schema parameter key")?.to_owned();
        let value = cur.str("schema parameter value")?.to_owned();
        params.push((key, value));
    }
    let mut schema = Schema {
        ty,
        optional,
        name,
        params,
        fields: Vec::new(),
        key: None,
        value: None,
    };
    if matches!(ty, SchemaType::Array | SchemaType::Map | SchemaType::Struct) && depth >= MAX_DEPTH
    {
        return Err(Fault::new(
            at,
            format!("schema nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    match ty {
        SchemaType::Array => schema.value = Some(Box::new(self::schema(cur, depth + 1)?)),
        SchemaType::Map => {
            schema.key = Some(Box::new(self::schema(cur, depth + 1)?));
            schema.value = Some(Box::new(self::schema(cur, depth + 1)?));
        }
        SchemaType::Struct => {
            let n = cur.count("struct field count", MIN_FIELD_LEN)?;
            schema.fields.reserve_exact(n);
            for _ in 0..n {
                let name = cur.str("struct field name")?;
                let field = self::schema(cur, depth + 1)?;
                schema.fields.push(Field::new(name, field));
            }
        }
        _ => {}
    }
    check_logical(&schema, at)?;
    Ok(schema)
}

fn schema_type(cur: &mut Cursor<'_>) -> Step<SchemaType> {
    let at = cur.pos();
    Ok(match cur.u8("schema type")? {
        0 => SchemaType::Int8,
        1 => SchemaType::Int16,
        2 => SchemaType::Int32,
        3 => SchemaType::Int64,
        4 => SchemaType::Float32,
        5 => SchemaType::Float64,
        6 => SchemaType::Boolean,
        7 => SchemaType::String,
        8 => SchemaType::Bytes,
        9 => SchemaType::Array,
        10 => SchemaType::Map,
        11 => SchemaType::Struct,
        t => {
            return Err(Fault::new(
                at,
                format!("unknown schema type {t} (0 INT8 to 11 STRUCT are defined)"),
            ))
        }
    })
}

/// Connect's logical types must have the base type Connect gives them.
fn check_logical(schema: &Schema, at: usize) -> Step<()> {
    let Some(name) = schema.name() else {
        return Ok(());
    };
    let base = match name {
        DECIMAL => SchemaType::Bytes,
        DATE | TIME => SchemaType::Int32,
        TIMESTAMP => SchemaType::Int64,
        _ => return Ok(()),
    };
    if schema.ty != base {
        return Err(Fault::new(
            at,
            format!(
                "a {name} schema must be {}, not {}",
                base.name(),
                schema.ty.name()
            ),
        ));
    }
    if name == DECIMAL
        && schema
            .param("scale")
            .and_then(|s| s.parse::<i32>().ok())
            .is_none()
    {
        return Err(Fault::new(
            at,
            format!(
                "a {name} schema needs an integer 'scale' parameter, got {:?}",
                schema.param("scale")
            ),
        ));
    }
    Ok(())
}
