//! Ids across batches: definitions persist for the session, RESET drops them, and a failed
//! batch changes nothing.

use super::*;
use crate::batch_writer::{self as encoder, Session};

#[test]
fn ids_defined_in_one_batch_serve_later_batches() {
    let schema = point_schema();
    let value = Datum::Struct(vec![Datum::Int32(1), Datum::Str("a")]);
    let mut session = Session::new();
    let first = session.batch(&[record(0, Payload::Null, typed(&schema, value.clone()))]);
    let second = session.batch(&[record(1, Payload::Null, typed(&schema, value.clone()))]);
    assert_eq!(second[12], TAG_RECORD, "the second batch defines nothing");

    let mut decoder = Decoder::new();
    decode_ok(&mut decoder, &first);
    let records = decode_ok(&mut decoder, &second);
    assert_eq!(records, [record(1, Payload::Null, typed(&schema, value))]);

    let fresh = Decoder::new()
        .decode(&second)
        .expect_err("ids are not defined");
    assert!(
        fresh
            .to_string()
            .contains("topic id 0 is not defined (0 topic ids are)"),
        "{fresh}"
    );
}

#[test]
fn reset_forgets_the_ids_defined_before_it() {
    let mut session = Session::new();
    let mut decoder = Decoder::new();
    let old = Arc::new(prim(SchemaType::Int32));
    decode_ok(
        &mut decoder,
        &session.batch(&[record(0, Payload::Null, typed(&old, Datum::Int32(1)))]),
    );

    session.restart();
    let new = Arc::new(prim(SchemaType::String));
    let mut moved = record(1, Payload::Null, typed(&new, Datum::Str("s")));
    moved.original_topic = topic("payments");
    moved.topic = topic("payments");
    let bytes = session.batch(std::slice::from_ref(&moved));
    assert_eq!(bytes[5], FLAG_RESET);
    assert_eq!(decode_ok(&mut decoder, &bytes), [moved.clone()]);

    // With RESET set, even the ids just defined are gone.
    let mut again = session.batch(&[Record {
        offset: 2,
        ..moved.clone()
    }]);
    assert_eq!(again[12], TAG_RECORD, "the session still knows its ids");
    again[5] = FLAG_RESET;
    let e = decoder.decode(&again).expect_err("RESET dropped the ids");
    assert!(e.to_string().contains("topic id 0 is not defined"), "{e}");
}

#[test]
fn a_failed_batch_leaves_the_session_tables_as_they_were() {
    let mut session = Session::new();
    let mut decoder = Decoder::new();
    let a = Arc::new(prim(SchemaType::Int32));
    decode_ok(
        &mut decoder,
        &session.batch(&[record(0, Payload::Null, typed(&a, Datum::Int32(1)))]),
    );

    // A batch that defines topic 1 and schema 1, then breaks in its record's value.
    let b = Arc::new(prim(SchemaType::Int64));
    let mut other = record(1, Payload::Null, typed(&b, Datum::Int64(2)));
    other.topic = topic("elsewhere");
    let good = session.batch(std::slice::from_ref(&other));
    let broken = &good[..good.len() - 1];
    assert!(decoder.decode(broken).is_err());
    assert_eq!(
        (decoder.table.topics.len(), decoder.table.schemas.len()),
        (1, 1)
    );
    assert_eq!(decode_ok(&mut decoder, &good), [other]);

    // A failed RESET batch restores the tables it replaced.
    let mut reset = encoder::header(1, FLAG_RESET, 0);
    reset.push(0x07); // a trailing byte, found after the tables were reset
    assert!(decoder.decode(&reset).is_err());
    assert_eq!(
        (decoder.table.topics.len(), decoder.table.schemas.len()),
        (2, 2)
    );
}
