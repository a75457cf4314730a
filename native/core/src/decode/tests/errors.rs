//! Malformed batches: each is a data error naming what is wrong, the byte offset and the
//! record, and no input — truncated, mutated or hostile — panics or allocates absurdly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::*;
use crate::batch_writer::{self as encoder, header, varint, Session};

/// TOPIC_DEF 0 "t": bytes 12..16 of a batch that starts with it.
const TOPIC_T: &[u8] = &[0x01, 0x00, 0x01, b't'];

/// A RECORD of topic 0, partition 0, offset 7, no timestamp. In a batch that starts with
/// [`TOPIC_T`] its tag is at byte 16, the original topic id at 17, the topic id at 30, the
/// timestamp flag at 31 and the key at 32; after a 6-byte SCHEMA_DEF of a primitive as well,
/// everything moves 6 bytes on (the value's kind at 39, its schema id at 40, the value at 41).
fn rec(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x03, 0x00];
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&7i64.to_le_bytes());
    out.extend_from_slice(&[0x00, 0x00]);
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    out
}

fn batch(count: u32, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = header(1, 0, count);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// SCHEMA_DEF 0 of `schema`.
fn schema_def(schema: &Schema) -> Vec<u8> {
    let mut out = vec![0x02, 0x00];
    encoder::schema(&mut out, schema);
    out
}

fn varint_bytes(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, n);
    out
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// One malformed batch: its name, bytes, the offset the error must name, and a part of the
/// message. Offsets follow the layout documented at [`TOPIC_T`] and [`rec`].
type Case = (&'static str, Vec<u8>, usize, &'static str);

#[rustfmt::skip]
fn malformed_cases() -> Vec<Case> {
    let ok = rec(&[0x00], &[0x00]);
    let with = |i: usize, b: u8| { let mut r = ok.clone(); r[i] = b; r };
    let int64 = schema_def(&prim(SchemaType::Int64));
    let boolean = schema_def(&prim(SchemaType::Boolean));
    let opt_int8 = schema_def(&opt(SchemaType::Int8));
    let text20 = concat(&[&[0x02, 20], &[b'x'; 20]]);
    let decimal = "org.apache.kafka.connect.data.Decimal";
    vec![
        ("bad magic", concat(&[b"SRKX", &header(1, 0, 0)[4..]]), 0, "not a batch: magic is"),
        ("too short for magic", b"SR".to_vec(), 0, "truncated: magic needs 4 bytes but 2 remain"),
        ("version 2", header(2, 0, 0), 4, "unsupported batch format version 2; this core supports version 1 only"),
        ("version 0", header(0, 0, 0), 4, "supports version 1 only"),
        ("unknown flag", header(1, 0x02, 0), 5, "unknown flags 0x02"),
        ("reserved set", concat(&[&header(1, 0, 0)[..6], &[0, 1], &[0; 4]]), 6, "reserved header field is 0x0100"),
        ("no count", header(1, 0, 0)[..10].to_vec(), 8, "truncated: record count needs 4 bytes but 2 remain"),
        ("count beyond the bytes", batch(1000, &[TOPIC_T, &ok]), 8, "record count 1000 cannot fit in the 22 bytes"),
        ("fewer records than counted", batch(2, &[TOPIC_T, &rec(&text20, &[0x00])]), 55, "entry before record index 1: truncated: entry tag needs 1 byte but 0 remain"),
        ("more records than counted", batch(1, &[TOPIC_T, &ok, &ok]), 34, "18 trailing bytes after the last of the 1 records"),
        ("a trailing byte", batch(1, &[TOPIC_T, &ok, &[0x00]]), 34, "1 trailing bytes"),
        ("a trailing definition", batch(1, &[TOPIC_T, &ok, TOPIC_T]), 34, "4 trailing bytes"),
        ("definitions without records", batch(0, &[TOPIC_T]), 12, "4 trailing bytes after the last of the 0 records"),
        ("unknown entry tag", batch(1, &[&[0x04], &ok]), 12, "entry before record index 0: unknown entry tag 0x04"),
        ("undefined original topic", batch(1, &[&ok]), 13, "record index 0: topic id 0 is not defined (0 topic ids are)"),
        ("undefined topic", batch(1, &[TOPIC_T, &with(14, 5)]), 30, "(topic 't' partition 0 offset 7): topic id 5 is not defined (1 topic ids are)"),
        ("undefined schema", batch(1, &[TOPIC_T, &rec(&[0x00], &[0x04, 0x03])]), 34, "offset 7), value: schema id 3 is not defined (0 schema ids are)"),
        ("topic id not dense", batch(1, &[&[0x01, 0x01, 0x01, b't'], &ok]), 13, "TOPIC_DEF before record index 0: TOPIC_DEF defines topic id 1 but the next topic id is 0"),
        ("topic id redefined", batch(1, &[TOPIC_T, TOPIC_T, &ok]), 17, "defines topic id 0 but the next topic id is 1"),
        ("schema id not dense", batch(1, &[&[0x02, 0x05, 2, 0, 0, 0], &ok]), 13, "SCHEMA_DEF defines schema id 5 but the next schema id is 0"),
        ("bad UTF-8 in a topic name", batch(1, &[&[0x01, 0x00, 0x02, 0xc3, 0x28], &ok]), 15, "topic name is not valid UTF-8"),
        ("bad UTF-8 in a schema name", batch(1, &[&[0x02, 0x00, 2, 0, 2, b'a', 0xff, 0], &ok]), 18, "schema name is not valid UTF-8"),
        ("bad UTF-8 in a RAW_TEXT value", batch(1, &[TOPIC_T, &rec(&[0x00], &[0x02, 0x03, b'a', 0xff, b'b'])]), 36, "RAW_TEXT payload is not valid UTF-8 (string starts at byte 35, 3 bytes long)"),
        ("bad UTF-8 in a string datum", batch(1, &[TOPIC_T, &rec(&[0x03, 0x09, 0x01, 0x80], &[0x00])]), 35, "key: string datum is not valid UTF-8"),
        ("a string longer than the batch", batch(1, &[TOPIC_T, &rec(&[0x00], &[0x02, 0x7f, b'a'])]), 34, "RAW_TEXT payload has length 127 but only 1 bytes remain"),
        ("unknown payload kind", batch(1, &[TOPIC_T, &rec(&[0x00], &[0x05])]), 33, "value: unknown payload kind 5"),
        ("unknown datum tag", batch(1, &[TOPIC_T, &rec(&[0x03, 0x10], &[0x00])]), 33, "key: unknown datum tag 0x10"),
        ("unknown schema type", batch(1, &[&[0x02, 0x00, 12, 0, 0, 0], &ok]), 14, "unknown schema type 12"),
        ("optional flag not 0 or 1", batch(1, &[&[0x02, 0x00, 2, 2, 0, 0], &ok]), 15, "optional flag is 2, expected 0 or 1"),
        ("timestamp flag not 0 or 1", batch(1, &[TOPIC_T, &with(15, 2)]), 31, "timestamp flag is 2, expected 0 (none) or 1 (present)"),
        ("boolean not 0 or 1", batch(1, &[TOPIC_T, &boolean, &rec(&[0x00], &[0x04, 0x00, 0x02])]), 41, "BOOLEAN value is 2, expected 0 or 1"),
        ("presence byte not 0 or 1", batch(1, &[TOPIC_T, &opt_int8, &rec(&[0x00], &[0x04, 0x00, 0x07, 0x01])]), 41, "presence byte is 7"),
        ("truncated typed value", batch(1, &[TOPIC_T, &int64, &rec(&[0x00], &[0x04, 0x00, 1, 2, 3])]), 41, "truncated: INT64 value needs 8 bytes but 3 remain"),
        ("varint of eleven bytes", batch(1, &[TOPIC_T, &concat(&[&[0x03], &[0xff; 10], &[0x01]]), &[0; 20]]), 17, "original topic id (a varint) overflows 64 bits"),
        ("varint past 64 bits", batch(1, &[TOPIC_T, &concat(&[&[0x03], &[0xff; 9], &[0x02]]), &[0; 20]]), 17, "overflows 64 bits"),
        ("largest varint is only undefined", batch(1, &[TOPIC_T, &concat(&[&[0x03], &[0xff; 9], &[0x01]]), &[0; 20]]), 17, "topic id 18446744073709551615 is not defined"),
        ("varint cut off", batch(1, &[&[0x01, 0x80]]), 8, "record count 1 cannot fit"),
        ("varint cut off at the end", concat(&[&batch(1, &[TOPIC_T, &ok])[..33], &[0x04, 0x80]]), 34, "truncated: schema id (a varint) runs past the end of the batch"),
        ("decimal without scale", schema_def_batch(&named(SchemaType::Bytes, decimal, &[])), 18, "needs an integer 'scale' parameter, got None"),
        ("decimal with a bad scale", schema_def_batch(&named(SchemaType::Bytes, decimal, &[("scale", "two")])), 18, "got Some(\"two\")"),
        ("decimal on INT32", schema_def_batch(&named(SchemaType::Int32, decimal, &[("scale", "2")])), 18, "Decimal schema must be BYTES, not INT32"),
        ("date on INT64", schema_def_batch(&named(SchemaType::Int64, "org.apache.kafka.connect.data.Date", &[])), 18, "Date schema must be INT32, not INT64"),
        ("time on INT64", schema_def_batch(&named(SchemaType::Int64, "org.apache.kafka.connect.data.Time", &[])), 18, "Time schema must be INT32, not INT64"),
        ("timestamp on INT32", schema_def_batch(&named(SchemaType::Int32, "org.apache.kafka.connect.data.Timestamp", &[])), 18, "Timestamp schema must be INT64"),
        ("struct datum of a non-struct schema", batch(1, &[TOPIC_T, &int64, &rec(&[0x03, 0x0F, 0x00], &[0x00])]), 40, "struct datum refers to a INT64 schema, expected STRUCT"),
        ("decimal scale beyond 32 bits", batch(1, &[TOPIC_T, &rec(&concat(&[&[0x03, 0x0D], &varint_bytes(1 << 33), &[1, 0]]), &[0x00])]), 34, "decimal datum scale 4294967296 does not fit in 32 bits"),
        ("absurd array length", batch(1, &[TOPIC_T, &rec(&[0x00], &concat(&[&[0x03, 0x0B], &varint_bytes(1 << 40)]))]), 35, "array datum length 1099511627776 cannot fit in the 0 bytes that remain"),
        ("absurd map size", batch(1, &[TOPIC_T, &rec(&[0x00], &[0x03, 0x0C, 0x02, 0x00, 0x00, 0x00])]), 35, "map datum size 2 cannot fit in the 3 bytes that remain"),
        ("typed array longer than its elements allow", batch(1, &[TOPIC_T, &schema_def(&array(prim(SchemaType::Int64))), &rec(&[0x00], &concat(&[&[0x04, 0x00, 0x02], &[0; 15]]))]), 45, "ARRAY length 2 cannot fit in the 15 bytes that remain"),
        ("absurd parameter count", batch(1, &[&[0x02, 0x00, 2, 0, 0, 0x7f], &ok]), 17, "schema parameter count 127 cannot fit"),
        ("absurd field count", batch(1, &[&[0x02, 0x00, 11, 0, 0, 0, 0x20, 0, 2, 0, 0, 0], &ok]), 18, "struct field count 32 cannot fit in the 23 bytes"),
    ]
}

#[test]
fn malformed_batches_are_data_errors_naming_the_problem_and_its_offset() {
    for (name, bytes, at, needle) in malformed_cases() {
        let e = match Decoder::new().decode(&bytes) {
            Ok(records) => panic!("{name}: decoded {records:?}"),
            Err(e) => e,
        };
        let text = e.to_string();
        assert!(e.is_data(), "{name}: not a data error: {text}");
        assert!(
            text.starts_with(&format!("malformed batch at byte {at}")),
            "{name}: {text}"
        );
        assert!(text.contains(needle), "{name}: {text}");
    }
}

/// A batch defining `schema` before its one record, which does not use it; the schema's type
/// byte is at 18.
fn schema_def_batch(schema: &Schema) -> Vec<u8> {
    batch(1, &[TOPIC_T, &schema_def(schema), &rec(&[0x00], &[0x00])])
}

#[test]
fn an_error_in_a_record_names_its_index_position_and_part() {
    let good = |offset| record(offset, Payload::Null, Payload::RawText("ok"));
    let mut bytes = Session::new().batch(&[good(0), good(1), good(2)]);
    let last = bytes.len() - 1;
    bytes[last] = 0xff; // the last byte of the last value's text
    let e = Decoder::new().decode(&bytes).expect_err("bad UTF-8");
    let position = good(2).position();
    assert_eq!(
        e.to_string(),
        format!(
            "malformed batch at byte {last}, record index 2 ({position}), value: RAW_TEXT payload \
             is not valid UTF-8 (string starts at byte {}, 2 bytes long)",
            last - 1
        )
    );
}

#[test]
fn an_unsupported_version_names_the_supported_one() {
    let e = Decoder::new()
        .decode(&header(2, 0, 0))
        .expect_err("version 2");
    assert_eq!(
        e.to_string(),
        "malformed batch at byte 4: unsupported batch format version 2; this core supports \
         version 1 only"
    );
}

/// Nested arrays `levels` deep, around a null.
fn nested_arrays(levels: usize) -> Vec<u8> {
    let mut value = vec![0x03];
    value.extend(std::iter::repeat_n([0x0B, 0x01], levels).flatten());
    value.push(0x00);
    batch(1, &[TOPIC_T, &rec(&[0x00], &value)])
}

fn nested_array_schema(levels: usize) -> Schema {
    (0..levels).fold(prim(SchemaType::Int8), |inner, _| array(inner))
}

#[test]
fn nesting_stops_at_64_levels() {
    assert!(Decoder::new()
        .decode(&nested_arrays(MAX_DEPTH as usize))
        .is_ok());
    let e = Decoder::new()
        .decode(&nested_arrays(MAX_DEPTH as usize + 1))
        .expect_err("65 levels");
    assert!(
        e.to_string().contains("value nests deeper than 64 levels"),
        "{e}"
    );

    if let Err(e) = Decoder::new().decode(&schema_def_batch(&nested_array_schema(64))) {
        panic!("64 levels: {e}");
    }
    let e = Decoder::new()
        .decode(&schema_def_batch(&nested_array_schema(65)))
        .expect_err("65 levels");
    assert!(
        e.to_string().contains("schema nests deeper than 64 levels"),
        "{e}"
    );

    // Typed levels inside schemaless ones count together: 60 arrays around a struct of 5.
    let deep = structure(vec![("a", nested_array_schema(4))]);
    let mut value = vec![0x03];
    value.extend(std::iter::repeat_n([0x0B, 0x01], 60).flatten());
    value.extend([0x0F, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00]);
    let bytes = batch(1, &[TOPIC_T, &schema_def(&deep), &rec(&[0x00], &value)]);
    let e = Decoder::new().decode(&bytes).expect_err("65 levels");
    assert!(
        e.to_string().contains("value nests deeper than 64 levels"),
        "{e}"
    );
}

#[test]
fn a_hundred_thousand_levels_of_nesting_are_an_error_not_a_stack_overflow() {
    let e = Decoder::new()
        .decode(&nested_arrays(100_000))
        .expect_err("too deep");
    assert!(e.to_string().contains("nests deeper"), "{e}");
}

/// A batch using every feature, and a session decoder that has not seen it.
fn rich_batch() -> Vec<u8> {
    let (every, value) = every_type();
    let every = Arc::new(every);
    let point = point_schema();
    let decimal = Arc::new(named(
        SchemaType::Bytes,
        "org.apache.kafka.connect.data.Decimal",
        &[("scale", "2")],
    ));
    let mut renamed = record(4, Payload::RawText("k"), Payload::RawBytes(b"\x00\x01"));
    renamed.topic = topic("renamed");
    renamed.timestamp = None;
    Session::new().batch(&[
        record(0, Payload::Null, typed(&every, value)),
        record(
            1,
            schemaless(Datum::Int64(1)),
            schemaless(every_tag(&point)),
        ),
        record(2, typed(&decimal, Datum::Bytes(&[0x01])), Payload::Null),
        record(
            3,
            Payload::Null,
            typed(&point, Datum::Struct(vec![Datum::Int32(3), Datum::Null])),
        ),
        renamed,
    ])
}

#[test]
fn every_truncation_of_a_valid_batch_is_an_error() {
    let bytes = rich_batch();
    assert_eq!(decode_ok(&mut Decoder::new(), &bytes).len(), 5);
    for len in 0..bytes.len() {
        match Decoder::new().decode(&bytes[..len]) {
            Ok(records) => panic!("a batch cut to {len} bytes decoded to {records:?}"),
            Err(e) => assert!(e.to_string().starts_with("malformed batch at byte "), "{e}"),
        }
    }
}

/// xorshift64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn twenty_thousand_mutated_batches_never_panic() {
    let base = rich_batch();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut decoded = 0;
    for round in 0..20_000 {
        let mut bytes = base.clone();
        for _ in 0..=rng.below(4) {
            let i = rng.below(bytes.len());
            match rng.below(6) {
                0 => bytes[i] = rng.next() as u8,
                1 => bytes[i] ^= 1 << rng.below(8),
                2 => bytes[i] = [0x00, 0x01, 0x7f, 0x80, 0xff][rng.below(5)],
                3 => bytes.insert(i, rng.next() as u8),
                4 => {
                    bytes.remove(i);
                }
                _ => bytes.truncate(i.max(12)),
            }
        }
        // Keep most mutants past the header, so the fuzzing reaches entries and values.
        if round % 4 != 0 && bytes.len() >= 12 {
            bytes[..12].copy_from_slice(&base[..12]);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| Decoder::new().decode(&bytes).is_ok()));
        match outcome {
            Ok(ok) => decoded += usize::from(ok),
            Err(_) => panic!("round {round} panicked on {bytes:02x?}"),
        }
    }
    // Some mutants only change values, so some decode; most must be caught.
    assert!(
        (1..10_000).contains(&decoded),
        "{decoded} of 20000 mutants decoded"
    );
}
