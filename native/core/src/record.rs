//! Kafka Connect records as the core sees them, borrowed from the shim's batch buffer.
//!
//! `decode` produces these from the batch format (`docs/batch-format.md`); `encode` turns
//! them into Stream Load rows. A record's data borrows from the batch bytes, so decoding
//! copies no strings; schemas live in the session's [`SchemaTable`] and are shared by every
//! record that uses them.

use std::sync::Arc;

/// Connect's `Schema.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// The type's name as Connect spells it (`INT8`, `STRUCT`, …).
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "INT8",
            SchemaType::Int16 => "INT16",
            SchemaType::Int32 => "INT32",
            SchemaType::Int64 => "INT64",
            SchemaType::Float32 => "FLOAT32",
            SchemaType::Float64 => "FLOAT64",
            SchemaType::Boolean => "BOOLEAN",
            SchemaType::String => "STRING",
            SchemaType::Bytes => "BYTES",
            SchemaType::Array => "ARRAY",
            SchemaType::Map => "MAP",
            SchemaType::Struct => "STRUCT",
        }
    }
}

/// A Connect schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub ty: SchemaType,
    pub optional: bool,
    /// The schema name (`org.apache.kafka.connect.data.Decimal`, `io.debezium.time.Date`, …).
    pub name: Option<String>,
    pub params: Vec<(String, String)>,
    /// STRUCT fields, in order.
    pub fields: Vec<Field>,
    /// MAP key schema.
    pub key: Option<Box<Schema>>,
    /// ARRAY element schema, MAP value schema.
    pub value: Option<Box<Schema>>,
}

impl Schema {
    /// A schema of a primitive type, without name or parameters.
    pub fn primitive(ty: SchemaType, optional: bool) -> Schema {
        Schema {
            ty,
            optional,
            name: None,
            params: Vec::new(),
            fields: Vec::new(),
            key: None,
            value: None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A STRUCT field: its name and schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    name: String,
    pub schema: Schema,
    /// The name as a JSON object key, quoted and escaped, with its colon: rendered once per
    /// schema rather than once per record that the JSON encoder writes.
    json_key: Box<[u8]>,
}

impl Field {
    pub fn new(name: impl Into<String>, schema: Schema) -> Field {
        let name = name.into();
        let json_key = crate::encode::json_key(&name);
        Field {
            name,
            schema,
            json_key,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `"name":`, as the JSON encoder writes it before the field's value.
    pub(crate) fn json_key(&self) -> &[u8] {
        &self.json_key
    }
}

/// A Connect value. Under a schema its variant matches the schema's type (STRUCT values are
/// `Struct` with one datum per field); schemaless data uses the variants' natural types.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum<'a> {
    Null,
    Bool(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Str(&'a str),
    Bytes(&'a [u8]),
    Array(Vec<Datum<'a>>),
    Map(Vec<(Datum<'a>, Datum<'a>)>),
    /// Field values in the order of the struct schema's fields.
    Struct(Vec<Datum<'a>>),
    /// A schemaless `BigDecimal`: unscaled big-endian two's complement and scale.
    Decimal {
        unscaled: &'a [u8],
        scale: i32,
    },
    /// A schemaless `java.util.Date`: epoch millis.
    Timestamp(i64),
    /// A `Struct` met inside schemaless data, with its own schema.
    TypedStruct(Arc<Schema>, Vec<Datum<'a>>),
}

/// A record's key or value.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload<'a> {
    /// Java null: for a value, a tombstone.
    Null,
    /// A `byte[]` (ByteArrayConverter).
    RawBytes(&'a [u8]),
    /// A `String` (StringConverter).
    RawText(&'a str),
    /// Connect data, with its schema when it has one.
    Data {
        schema: Option<Arc<Schema>>,
        datum: Datum<'a>,
    },
    /// Schemaless Connect data of JSON's own kinds, as its batch bytes: what a decoder asked
    /// for plain values makes of a value without bytes, decimals, dates or structs in it
    /// (`decode::plain`). `PlainData::datum` builds its tree.
    PlainData(PlainData<'a>),
    /// A STRUCT value as its batch bytes, with its schema: what a decoder asked for plain
    /// values makes of a typed record value that is a struct (`decode::typed_data`).
    /// `TypedData::datum` builds its tree.
    TypedData(TypedData<'a>),
}

/// A schemaless datum's bytes in the batch format, scanned by the decoder: a map, or an array
/// of maps, of strings, numbers, booleans and nulls (see `decode::plain`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlainData<'a>(pub(crate) &'a [u8]);

/// A typed value's bytes in the batch format, scanned by the decoder, and its STRUCT schema
/// (see `decode::typed_data`). Two are equal, and print, by their schema and the value's own
/// bytes: not by the rest of the batch.
#[derive(Clone)]
pub struct TypedData<'a> {
    pub(crate) schema: Arc<Schema>,
    /// The batch from the value's first byte to its end: the value, then whatever follows it.
    /// Reading the value checks each count against these bytes, as the decoder did.
    pub(crate) rest: &'a [u8],
    /// How many of those bytes the value takes.
    pub(crate) len: usize,
}

impl PartialEq for TypedData<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.schema == other.schema && self.bytes() == other.bytes()
    }
}

impl std::fmt::Debug for TypedData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedData")
            .field("schema", &self.schema)
            .field("bytes", &self.bytes())
            .finish()
    }
}

/// One sink record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// The original topic (before renaming SMTs): offsets belong to it. Borrowed from the
    /// session's topic table, so a record costs no reference count.
    pub original_topic: &'a Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// The current topic (after SMTs): it routes the record to a table.
    pub topic: &'a Arc<str>,
    pub timestamp: Option<i64>,
    pub key: Payload<'a>,
    pub value: Payload<'a>,
}

impl Record<'_> {
    /// `topic-partition@offset` of the original record, for error messages.
    pub fn position(&self) -> String {
        format!(
            "topic '{}' partition {} offset {}",
            self.original_topic, self.partition, self.offset
        )
    }
}

/// Topic and schema definitions of a task session (ids assigned by the shim).
#[derive(Debug, Default)]
pub struct SchemaTable {
    pub topics: Vec<Arc<str>>,
    pub schemas: Vec<Arc<Schema>>,
}

impl SchemaTable {
    pub fn reset(&mut self) {
        self.topics.clear();
        self.schemas.clear();
    }
}
