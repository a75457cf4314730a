//! A writer of the batch format for tests and benchmarks, written from `docs/batch-format.md`
//! and sharing no code with the decoder: it encodes the data model the way the Java shim does
//! (the shim's `BatchEncoder` is the production writer), so decoding its output must give back
//! what went in. It panics on data that does not fit its schema: callers build that data.
//!
//! [`Session`] plays the shim's encoder: it gives topics and schemas dense ids on first use,
//! writes their definitions just before the first record that needs them, and remembers them
//! across batches until [`Session::restart`]. The free functions write single items, for tests
//! that build malformed batches by hand.

use std::sync::Arc;

use crate::record::{Datum, Payload, Record, Schema, SchemaType};

/// A topic as records hold it, for records built by hand: a reference into a table that lives
/// as long as the test. Each name is allocated once per thread and never freed.
pub fn topic(name: &str) -> &'static Arc<str> {
    thread_local! {
        static TOPICS: std::cell::RefCell<std::collections::HashMap<String, &'static Arc<str>>> =
            Default::default();
    }
    TOPICS.with(|topics| {
        let mut topics = topics.borrow_mut();
        if let Some(&topic) = topics.get(name) {
            return topic;
        }
        let topic: &'static Arc<str> = Box::leak(Box::new(Arc::from(name)));
        topics.insert(name.to_string(), topic);
        topic
    })
}

pub fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub fn string(out: &mut Vec<u8>, s: &str) {
    bytes(out, s.as_bytes());
}

pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The 12-byte header.
pub fn header(version: u8, flags: u8, count: u32) -> Vec<u8> {
    let mut out = b"SRKB".to_vec();
    out.push(version);
    out.push(flags);
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out
}

pub fn type_code(ty: SchemaType) -> u8 {
    match ty {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        SchemaType::Boolean => 6,
        SchemaType::String => 7,
        SchemaType::Bytes => 8,
        SchemaType::Array => 9,
        SchemaType::Map => 10,
        SchemaType::Struct => 11,
    }
}

/// A schema's body as SCHEMA_DEF carries it (after the id).
pub fn schema(out: &mut Vec<u8>, s: &Schema) {
    out.push(type_code(s.ty));
    out.push(u8::from(s.optional));
    string(out, s.name().unwrap_or(""));
    varint(out, s.params.len() as u64);
    for (k, v) in &s.params {
        string(out, k);
        string(out, v);
    }
    match s.ty {
        SchemaType::Array => schema(out, s.value.as_deref().expect("ARRAY has a value schema")),
        SchemaType::Map => {
            schema(out, s.key.as_deref().expect("MAP has a key schema"));
            schema(out, s.value.as_deref().expect("MAP has a value schema"));
        }
        SchemaType::Struct => {
            varint(out, s.fields.len() as u64);
            for f in &s.fields {
                string(out, f.name());
                schema(out, &f.schema);
            }
        }
        _ => {}
    }
}

/// A typed value of schema `s`.
pub fn typed(out: &mut Vec<u8>, s: &Schema, d: &Datum) {
    if s.optional {
        if *d == Datum::Null {
            out.push(0);
            return;
        }
        out.push(1);
    }
    match (s.ty, d) {
        (SchemaType::Int8, Datum::Int8(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Int16, Datum::Int16(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Int32, Datum::Int32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Int64, Datum::Int64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Float32, Datum::Float32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Float64, Datum::Float64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Boolean, Datum::Bool(v)) => out.push(u8::from(*v)),
        (SchemaType::String, Datum::Str(v)) => string(out, v),
        (SchemaType::Bytes, Datum::Bytes(v)) => bytes(out, v),
        (SchemaType::Array, Datum::Array(items)) => {
            let element = s.value.as_deref().expect("ARRAY has a value schema");
            varint(out, items.len() as u64);
            for item in items {
                typed(out, element, item);
            }
        }
        (SchemaType::Map, Datum::Map(entries)) => {
            let key = s.key.as_deref().expect("MAP has a key schema");
            let value = s.value.as_deref().expect("MAP has a value schema");
            varint(out, entries.len() as u64);
            for (k, v) in entries {
                typed(out, key, k);
                typed(out, value, v);
            }
        }
        (SchemaType::Struct, Datum::Struct(fields)) => {
            assert_eq!(fields.len(), s.fields.len(), "one datum per field");
            for (f, v) in s.fields.iter().zip(fields) {
                typed(out, &f.schema, v);
            }
        }
        (ty, d) => panic!("test data error: {d:?} does not fit a {ty:?} schema"),
    }
}

/// The shim's side of a session.
#[derive(Default)]
pub struct Session {
    topics: Vec<Arc<str>>,
    schemas: Vec<Arc<Schema>>,
    reset: bool,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Restarts numbering, as the shim does on `open()` after `close()`: the next batch has
    /// RESET set and defines its ids afresh.
    pub fn restart(&mut self) {
        self.topics.clear();
        self.schemas.clear();
        self.reset = true;
    }

    /// One batch holding `records`.
    pub fn batch(&mut self, records: &[Record<'_>]) -> Vec<u8> {
        let flags = u8::from(std::mem::take(&mut self.reset));
        let mut out = header(1, flags, records.len() as u32);
        for r in records {
            self.define_topic(&mut out, r.original_topic);
            self.define_topic(&mut out, r.topic);
            self.define_payload(&mut out, &r.key);
            self.define_payload(&mut out, &r.value);
            self.record(&mut out, r);
        }
        out
    }

    fn define_topic(&mut self, out: &mut Vec<u8>, topic: &Arc<str>) {
        if !self.topics.contains(topic) {
            out.push(0x01);
            varint(out, self.topics.len() as u64);
            string(out, topic);
            self.topics.push(Arc::clone(topic));
        }
    }

    fn define_schema(&mut self, out: &mut Vec<u8>, s: &Arc<Schema>) {
        if !self.schemas.contains(s) {
            out.push(0x02);
            varint(out, self.schemas.len() as u64);
            schema(out, s);
            self.schemas.push(Arc::clone(s));
        }
    }

    fn define_payload(&mut self, out: &mut Vec<u8>, p: &Payload<'_>) {
        match p {
            Payload::Data {
                schema: Some(s), ..
            } => self.define_schema(out, s),
            Payload::Data {
                schema: None,
                datum,
            } => self.define_datum(out, datum),
            Payload::TypedData(data) => self.define_schema(out, data.schema()),
            _ => {}
        }
    }

    /// Defines the schemas of structs met inside schemaless data.
    fn define_datum(&mut self, out: &mut Vec<u8>, d: &Datum<'_>) {
        match d {
            Datum::Array(items) => items.iter().for_each(|i| self.define_datum(out, i)),
            Datum::Map(entries) => entries.iter().for_each(|(k, v)| {
                self.define_datum(out, k);
                self.define_datum(out, v);
            }),
            Datum::TypedStruct(s, _) => self.define_schema(out, s),
            _ => {}
        }
    }

    fn topic_id(&self, topic: &Arc<str>) -> u64 {
        self.topics
            .iter()
            .position(|t| t == topic)
            .expect("topic defined before the record") as u64
    }

    fn schema_id(&self, s: &Arc<Schema>) -> u64 {
        self.schemas
            .iter()
            .position(|t| t == s)
            .expect("schema defined before the record") as u64
    }

    fn record(&self, out: &mut Vec<u8>, r: &Record<'_>) {
        out.push(0x03);
        varint(out, self.topic_id(r.original_topic));
        out.extend_from_slice(&r.partition.to_le_bytes());
        out.extend_from_slice(&r.offset.to_le_bytes());
        varint(out, self.topic_id(r.topic));
        match r.timestamp {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                out.extend_from_slice(&t.to_le_bytes());
            }
        }
        self.payload(out, &r.key);
        self.payload(out, &r.value);
    }

    fn payload(&self, out: &mut Vec<u8>, p: &Payload<'_>) {
        match p {
            Payload::Null => out.push(0),
            Payload::PlainData(plain) => {
                out.push(3);
                out.extend_from_slice(plain.0);
            }
            Payload::TypedData(data) => {
                out.push(4);
                varint(out, self.schema_id(data.schema()));
                out.extend_from_slice(data.bytes());
            }
            Payload::RawBytes(b) => {
                out.push(1);
                bytes(out, b);
            }
            Payload::RawText(s) => {
                out.push(2);
                string(out, s);
            }
            Payload::Data {
                schema: None,
                datum,
            } => {
                out.push(3);
                self.datum(out, datum);
            }
            Payload::Data {
                schema: Some(s),
                datum,
            } => {
                out.push(4);
                varint(out, self.schema_id(s));
                typed(out, s, datum);
            }
        }
    }

    fn datum(&self, out: &mut Vec<u8>, d: &Datum<'_>) {
        match d {
            Datum::Null => out.push(0x00),
            Datum::Bool(false) => out.push(0x01),
            Datum::Bool(true) => out.push(0x02),
            Datum::Int8(v) => {
                out.push(0x03);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Int16(v) => {
                out.push(0x04);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Int32(v) => {
                out.push(0x05);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Int64(v) => {
                out.push(0x06);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Float32(v) => {
                out.push(0x07);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Float64(v) => {
                out.push(0x08);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Datum::Str(s) => {
                out.push(0x09);
                string(out, s);
            }
            Datum::Bytes(b) => {
                out.push(0x0A);
                bytes(out, b);
            }
            Datum::Array(items) => {
                out.push(0x0B);
                varint(out, items.len() as u64);
                items.iter().for_each(|i| self.datum(out, i));
            }
            Datum::Map(entries) => {
                out.push(0x0C);
                varint(out, entries.len() as u64);
                for (k, v) in entries {
                    self.datum(out, k);
                    self.datum(out, v);
                }
            }
            Datum::Decimal { unscaled, scale } => {
                out.push(0x0D);
                let scale = i64::from(*scale);
                varint(out, ((scale << 1) ^ (scale >> 63)) as u64);
                bytes(out, unscaled);
            }
            Datum::Timestamp(t) => {
                out.push(0x0E);
                out.extend_from_slice(&t.to_le_bytes());
            }
            Datum::TypedStruct(s, fields) => {
                out.push(0x0F);
                varint(out, self.schema_id(s));
                typed(out, s, &Datum::Struct(fields.clone()));
            }
            Datum::Struct(_) => panic!("test data error: a schemaless Struct has no schema"),
        }
    }
}
