//! The seed fixture, `tests/fixtures/batch-v1-seed.hex`, shared with the Java side's
//! `BatchEncoderTest`, which must produce the same bytes from the same records.

use super::*;
use crate::batch_writer::Session;

/// The records of `tests/fixtures/batch-v1-seed.hex`: the seed's three JSON rows on topic
/// `test` partition 0 as JsonConverter (`schemas.enable=false`) hands them over, and a
/// tombstone.
///
/// How the fixture was built, byte for byte (225 bytes): header `SRKB`, version 1, flags 0 (a
/// fresh encoder's first batch), reserved 0, count 4; TOPIC_DEF `01 00 04 "test"`; then four
/// RECORDs `03`, original topic 0, partition 0 (i32 LE), offset 0..3 (i64 LE), topic 0,
/// timestamp. Offsets 0..2 have timestamp `01` + 1700000000000+offset (i64 LE), key NULL (`00`)
/// and value DATA (`03`): a map (`0c 02`) of `09 "city"` → `09 <city>` and `09 "id"` → `06`
/// int64 LE. The entries are in HashMap order — city before id — because JsonConverter builds
/// schemaless objects as `java.util.HashMap`, where "city" falls in bucket 5 and "id" in bucket
/// 11. Offset 3 has no timestamp (`00`), key DATA `{"id": 3}` (`03 0c 01 09 "id" 06 ...`) and
/// value NULL (`00`). Hex is lowercase, 32 bytes a line, no comments. The bytes were computed
/// from the spec outside this crate (a throwaway script), and
/// `the_test_encoder_writes_the_seed_fixture_exactly` checks that the test encoder agrees.
fn seed_records() -> Vec<Record<'static>> {
    let row = |offset: i64, id: i64, city: &'static str| Record {
        original_topic: topic("test"),
        partition: 0,
        offset,
        topic: topic("test"),
        timestamp: Some(1_700_000_000_000 + offset),
        key: Payload::Null,
        value: schemaless(Datum::Map(vec![
            (Datum::Str("city"), Datum::Str(city)),
            (Datum::Str("id"), Datum::Int64(id)),
        ])),
    };
    let tombstone = Record {
        timestamp: None,
        key: schemaless(Datum::Map(vec![(Datum::Str("id"), Datum::Int64(3))])),
        value: Payload::Null,
        ..row(3, 3, "")
    };
    vec![
        row(0, 1, "New York"),
        row(1, 2, "Los Angeles"),
        row(2, 3, "Chicago"),
        tombstone,
    ]
}

fn seed_fixture() -> Vec<u8> {
    let hex: String = include_str!("../../../tests/fixtures/batch-v1-seed.hex")
        .split_whitespace()
        .collect();
    assert!(hex.len() % 2 == 0, "whole bytes");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("the fixture is hex"))
        .collect()
}

#[test]
fn the_seed_fixture_decodes_to_the_seed_records() {
    let bytes = seed_fixture();
    let mut decoder = Decoder::new();
    let records = decode_ok(&mut decoder, &bytes);
    assert_eq!(records, seed_records());
    assert_eq!(records[3].position(), "topic 'test' partition 0 offset 3");
    assert_eq!(
        records[3].value,
        Payload::Null,
        "the last record is a tombstone"
    );
}

#[test]
fn the_test_encoder_writes_the_seed_fixture_exactly() {
    let bytes = Session::new().batch(&seed_records());
    assert_eq!(bytes, seed_fixture());
}
