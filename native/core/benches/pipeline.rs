//! Decode + encode per record (100 B and 1 KB records: struct, map and raw paths, and Debezium
//! events as JSON text with their schema and as schemaless maps), and `Sink::put` as Connect drives it, with loads into
//! the in-process emulator. A report, not a test: it prints numbers.
//!
//! `cargo bench -p starrocks-kafka-core --bench pipeline`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use starrocks_kafka_core::batch_writer::{self, Session};
use starrocks_kafka_core::decode::Decoder;
use starrocks_kafka_core::encode::{RowEncoder, RowSink};
use starrocks_kafka_core::record::{Datum, Field, Payload, Record, Schema, SchemaType};
use starrocks_kafka_core::sink::Sink;
use starrocks_kafka_core::SinkConfig;

const RECORDS: usize = 1000;

struct Body(Vec<u8>, u64);

impl RowSink for Body {
    fn row(&mut self) -> &mut Vec<u8> {
        if self.1 > 0 {
            self.0.push(b'\n');
        }
        self.1 += 1;
        &mut self.0
    }
}

fn config() -> SinkConfig {
    config_with(&[])
}

fn config_with(extra: &[(&str, &str)]) -> SinkConfig {
    let props: HashMap<String, String> = [
        ("starrocks.http.url", "127.0.0.1:8030"),
        ("starrocks.database.name", "db"),
        ("starrocks.username", "root"),
        ("starrocks.password", ""),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    SinkConfig::from_map(&props).expect("a valid config")
}

/// A struct schema of `n` string fields.
fn schema(fields: usize) -> Arc<Schema> {
    let mut s = Schema::primitive(SchemaType::Struct, false);
    s.fields.push(Field::new(
        "id",
        Schema::primitive(SchemaType::Int64, false),
    ));
    for i in 0..fields {
        s.fields.push(Field::new(
            format!("field_{i}"),
            Schema::primitive(SchemaType::String, true),
        ));
    }
    Arc::new(s)
}

fn record<'a>(offset: i64, value: Payload<'a>) -> Record<'a> {
    let topic = batch_writer::topic("bench");
    Record {
        original_topic: topic,
        partition: 0,
        offset,
        topic,
        timestamp: Some(1_700_000_000_000),
        key: Payload::Null,
        value,
    }
}

/// Struct records of about `size` bytes of JSON, with 12-byte string fields.
fn struct_batch(size: usize) -> Vec<u8> {
    let fields = size / 26;
    let schema = schema(fields);
    let text = "abcdefghijkl";
    let records: Vec<Record> = (0..RECORDS as i64)
        .map(|i| {
            let mut values = vec![Datum::Int64(i)];
            values.extend((0..fields).map(|_| Datum::Str(text)));
            record(
                i,
                Payload::Data {
                    schema: Some(Arc::clone(&schema)),
                    datum: Datum::Struct(values),
                },
            )
        })
        .collect();
    Session::new().batch(&records)
}

fn raw_json(size: usize, i: usize) -> String {
    let mut s = format!("{{\"id\":{i},\"payload\":\"");
    while s.len() + 2 < size {
        s.push('x');
    }
    s.push_str("\"}");
    s
}

fn raw_batch(size: usize) -> Vec<u8> {
    let texts: Vec<String> = (0..RECORDS).map(|i| raw_json(size, i)).collect();
    let records: Vec<Record> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| record(i as i64, Payload::RawText(t)))
        .collect();
    Session::new().batch(&records)
}

/// Schemaless records as JsonConverter (`schemas.enable=false`) hands them over: a map per
/// record with `bench_row`'s columns, the integers as INT64 and the amount as FLOAT64.
fn map_batch(size: usize) -> Vec<u8> {
    let notes: Vec<String> = (0..RECORDS)
        .map(|i| {
            let mut note = String::new();
            while note.len() + 120 < size {
                note.push_str(["lorem ", "ipsum ", "dolor ", "amet "][(i + note.len()) % 4]);
            }
            note
        })
        .collect();
    let records: Vec<Record> = (0..RECORDS)
        .map(|i| {
            let r = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
            let mut entries = vec![
                (Datum::Str("id"), Datum::Int64(i as i64)),
                (Datum::Str("user_id"), Datum::Int64((r % 1_000_003) as i64)),
                (Datum::Str("event"), Datum::Str("click")),
                (
                    Datum::Str("amount"),
                    Datum::Float64((r % 10_000_000) as f64 / 100.0),
                ),
                (Datum::Str("ok"), Datum::Bool(r & 1 == 1)),
                (Datum::Str("ts"), Datum::Str("2024-05-17 12:34:56")),
            ];
            if size >= 500 {
                entries.push((Datum::Str("note"), Datum::Str(&notes[i])));
            }
            record(
                i as i64,
                Payload::Data {
                    schema: None,
                    datum: Datum::Map(entries),
                },
            )
        })
        .collect();
    Session::new().batch(&records)
}

/// The benchmark's Debezium create events as JSON text with JsonConverter's schema
/// (`tests/e2e/bench/gen-rows.py 100 N OUT debezium`): about 1.9 KB each, most of it the schema.
fn debezium_batch() -> Vec<u8> {
    let column = |ty: &str, optional: bool, field: &str| {
        format!(r#"{{"type":"{ty}","optional":{optional},"field":"{field}"}}"#)
    };
    let ts = r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"ts"}"#;
    let columns = [
        column("int64", false, "id"),
        column("int64", true, "user_id"),
        column("string", true, "event"),
        column("double", true, "amount"),
        column("boolean", true, "ok"),
        ts.to_owned(),
    ]
    .join(",");
    let image = |field: &str| {
        format!(
            r#"{{"type":"struct","optional":true,"name":"bench.public.rows.Value","fields":[{columns}],"field":"{field}"}}"#
        )
    };
    let source_fields = [
        column("string", false, "version"),
        column("string", false, "connector"),
        column("string", false, "name"),
        column("int64", false, "ts_ms"),
        column("string", false, "db"),
        column("string", false, "schema"),
        column("string", false, "table"),
        column("int64", true, "lsn"),
    ]
    .join(",");
    let schema = format!(
        r#"{{"type":"struct","optional":false,"name":"bench.public.rows.Envelope","version":1,"fields":[{},{},{{"type":"struct","optional":false,"name":"io.debezium.connector.postgresql.Source","fields":[{source_fields}],"field":"source"}},{},{}]}}"#,
        image("before"),
        image("after"),
        column("string", false, "op"),
        column("int64", true, "ts_ms"),
    );
    let texts: Vec<String> = (0..RECORDS)
        .map(|i| {
            let r = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
            format!(
                r#"{{"schema":{schema},"payload":{{"before":null,"after":{{"id":{i},"user_id":{},"event":"search","amount":{},"ok":{},"ts":1710560259000000}},"source":{{"version":"2.7.4.Final","connector":"postgresql","name":"bench","ts_ms":1714558830001,"db":"postgres","schema":"public","table":"rows","lsn":{}}},"op":"c","ts_ms":1714558830008}}}}"#,
                r % 1_000_003,
                (r % 10_000_000) as f64 / 100.0,
                r & 1 == 1,
                24_000_000 + i,
            )
        })
        .collect();
    let records: Vec<Record> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| record(i as i64, Payload::RawBytes(t.as_bytes())))
        .collect();
    Session::new().batch(&records)
}

/// The same events as JsonConverter hands them over with its schemas (Kafka's default), as
/// Structs, and as the shim then sends them: under the envelope's schema cut to `op`, `before`
/// and `after` (`RowEncoder::value_keys`), `source` and `ts_ms` left behind.
fn debezium_struct_batch() -> Vec<u8> {
    let column = |name: &str, ty: SchemaType, optional: bool| {
        Field::new(name, Schema::primitive(ty, optional))
    };
    let mut ts = Schema::primitive(SchemaType::Int64, true);
    ts.name = Some("io.debezium.time.MicroTimestamp".to_owned());
    let mut image = Schema::primitive(SchemaType::Struct, true);
    image.name = Some("bench.public.rows.Value".to_owned());
    image.fields = vec![
        column("id", SchemaType::Int64, false),
        column("user_id", SchemaType::Int64, true),
        column("event", SchemaType::String, true),
        column("amount", SchemaType::Float64, true),
        column("ok", SchemaType::Boolean, true),
        Field::new("ts", ts),
    ];
    let mut envelope = Schema::primitive(SchemaType::Struct, false);
    envelope.name = Some("bench.public.rows.Envelope".to_owned());
    envelope.fields = vec![
        Field::new("before", image.clone()),
        Field::new("after", image),
        column("op", SchemaType::String, false),
    ];
    let envelope = Arc::new(envelope);
    let records: Vec<Record> = (0..RECORDS)
        .map(|i| {
            let r = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
            let after = Datum::Struct(vec![
                Datum::Int64(i as i64),
                Datum::Int64((r % 1_000_003) as i64),
                Datum::Str("search"),
                Datum::Float64((r % 10_000_000) as f64 / 100.0),
                Datum::Bool(r & 1 == 1),
                Datum::Int64(1_710_560_259_000_000),
            ]);
            record(
                i as i64,
                Payload::Data {
                    schema: Some(Arc::clone(&envelope)),
                    datum: Datum::Struct(vec![Datum::Null, after, Datum::Str("c")]),
                },
            )
        })
        .collect();
    Session::new().batch(&records)
}

/// The same events as JsonConverter hands them over with `schemas.enable=false`, the seed's
/// worker setting, over a topic written without schemas (a map per event, integers as INT64),
/// and as the shim then sends them: with the entries the core reads alone, `op`, `before` and
/// `after` (`RowEncoder::value_keys`; Debezium's `source`, `ts_ms` and `transaction` stay
/// behind).
fn debezium_map_batch() -> Vec<u8> {
    let s = Datum::Str;
    let records: Vec<Record> = (0..RECORDS)
        .map(|i| {
            let r = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
            let after = Datum::Map(vec![
                (s("id"), Datum::Int64(i as i64)),
                (s("user_id"), Datum::Int64((r % 1_000_003) as i64)),
                (s("event"), s("search")),
                (s("amount"), Datum::Float64((r % 10_000_000) as f64 / 100.0)),
                (s("ok"), Datum::Bool(r & 1 == 1)),
                (s("ts"), Datum::Int64(1_710_560_259_000_000)),
            ]);
            let event = Datum::Map(vec![
                (s("op"), s("c")),
                (s("before"), Datum::Null),
                (s("after"), after),
            ]);
            record(
                i as i64,
                Payload::Data {
                    schema: None,
                    datum: event,
                },
            )
        })
        .collect();
    Session::new().batch(&records)
}

fn decode_encode(c: &mut Criterion) {
    let encoder = RowEncoder::new(&config());
    let mut group = c.benchmark_group("decode+encode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    // As the sink decodes (plain values kept as bytes for JSON, typed structs for JSON without
    // an envelope), and the schemaless maps once more through their trees, to show what the
    // plain path saves.
    let plain = RowEncoder::writes_plain_data(&config());
    let dbz_config = config_with(&[("starrocks.envelope", "debezium")]);
    let dbz_plain = RowEncoder::writes_plain_data(&dbz_config);
    let dbz_typed = RowEncoder::writes_typed_data(&dbz_config);
    let debezium = RowEncoder::new(&dbz_config);
    for (name, batch, plain) in [
        ("struct-100B", struct_batch(100), plain),
        ("struct-1KB", struct_batch(1024), plain),
        ("map-100B", map_batch(100), plain),
        ("map-1KB", map_batch(1024), plain),
        ("map-100B-tree", map_batch(100), false),
        ("map-1KB-tree", map_batch(1024), false),
        ("raw-100B", raw_batch(100), plain),
        ("raw-1KB", raw_batch(1024), plain),
        ("debezium-bytes-100B", debezium_batch(), false),
        ("debezium-map-100B", debezium_map_batch(), dbz_plain),
        ("debezium-struct-100B", debezium_struct_batch(), dbz_plain),
    ] {
        let (encoder, typed) = if name.starts_with("debezium") {
            (&debezium, dbz_typed)
        } else {
            (&encoder, plain)
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    (
                        Decoder::new()
                            .with_plain_values(plain)
                            .with_typed_data(typed),
                        Body(Vec::with_capacity(batch.len() * 2), 0),
                    )
                },
                |(mut decoder, mut body)| {
                    for r in decoder.decode(&batch).expect("decodes") {
                        encoder.encode(&r, &mut body).expect("encodes");
                    }
                    body.0.len()
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// A row like the benchmark's (`tests/e2e/bench/gen-rows.py`): ~100 B, or ~1 KB with a long
/// text field; numbers, booleans and strings, so validation sees the usual mix.
fn bench_row(size: usize, i: u64) -> String {
    let r = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
    let head = format!(
        "{{\"id\":{i},\"user_id\":{},\"event\":\"click\",\"amount\":{}.{:02},\"ok\":{},\"ts\":\"2024-05-{:02} 12:34:56\"",
        r % 1_000_003,
        r % 100_000,
        r % 100,
        r & 1 == 1,
        1 + r % 28
    );
    if size < 500 {
        return head + "}";
    }
    let mut note = String::new();
    while head.len() + note.len() + 12 < size {
        note.push_str(["lorem ", "ipsum ", "dolor ", "amet "][(r as usize + note.len()) % 4]);
    }
    format!("{head},\"note\":\"{}\"}}", note.trim_end())
}

/// `Sink::put` alone, as Connect drives it: batches of 500 records (its default
/// `max.poll.records`) into one table. What is timed is the task thread's share: decode, route,
/// validate, buffer, track offsets, and the flush decisions. Each iteration brings just over a
/// table's share of `bufferflush.maxbytes`, so its last `put` seals the body; the load then
/// runs untimed into the emulator in count-only mode, and its body comes back for the next
/// iteration to fill, as in a long-running task. (Loads running beside the timed `put`s made
/// the figures swing by a third on two cores.)
fn put_stream(c: &mut Criterion) {
    const PER_PUT: usize = 500;
    // The smallest `bufferflush.maxbytes`; two loads in flight make the share a third of it.
    const MAX_BYTES: usize = 64 << 20;
    const SHARE: usize = MAX_BYTES / 3;
    let emu = starrocks_emulator::start(starrocks_emulator::Config::ephemeral().with_count_only())
        .expect("emulator");
    emu.run_script("CREATE DATABASE db; USE db; CREATE TABLE bench (id BIGINT, payload STRING);")
        .expect("DDL");
    let props: HashMap<String, String> = [
        ("starrocks.http.url", emu.fe_http().to_string()),
        ("starrocks.database.name", "db".into()),
        ("starrocks.username", "root".into()),
        ("starrocks.password", String::new()),
        ("starrocks.topic2table.map", "bench:bench".into()),
        ("bufferflush.maxbytes", MAX_BYTES.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut group = c.benchmark_group("put");
    group.sample_size(20);
    for size in [100usize, 1024] {
        let texts = rows_over_the_share(size, PER_PUT, SHARE);
        // One sink and one session for every iteration, as a task keeps them: bodies are
        // reused and topic ids stay defined; offsets go on rising.
        let sink = Sink::start(&props, "bench", "0").expect("sink");
        let mut session = Session::new();
        let mut next = 0i64;
        group.throughput(Throughput::Elements(texts.len() as u64));
        group.bench_function(format!("raw-{size}B-500-per-put"), |b| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                for _ in 0..iterations {
                    let records: Vec<Record> = texts
                        .iter()
                        .enumerate()
                        .map(|(i, t)| record(next + i as i64, Payload::RawBytes(t.as_bytes())))
                        .collect();
                    next += records.len() as i64;
                    let batches: Vec<Vec<u8>> =
                        records.chunks(PER_PUT).map(|c| session.batch(c)).collect();
                    let started = Instant::now();
                    for batch in &batches {
                        sink.put(batch).expect("put");
                    }
                    timed += started.elapsed();
                    // Untimed: the sealed body loads, and its offsets become committable.
                    while sink
                        .pre_commit(&[])
                        .expect("pre_commit")
                        .first()
                        .map(|c| c.1)
                        != Some(next)
                    {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    // The load's worker hands its body back just after the offsets commit.
                    std::thread::sleep(Duration::from_millis(20));
                }
                timed
            })
        });
    }
    group.finish();
}

/// Rows of `size` whose body (a row and its newline each) crosses `share` inside the last put
/// of `per_put` records, at least a row clear of either end, so the last put alone seals it.
fn rows_over_the_share(size: usize, per_put: usize, share: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut body = 0;
    let mut skipped = 0u64;
    loop {
        let row = bench_row(size, rows.len() as u64 + skipped);
        body += row.len() + 1;
        rows.push(row);
        if rows.len() % per_put != 0 {
            continue;
        }
        let last_put: usize = rows[rows.len() - per_put..]
            .iter()
            .map(|r| r.len() + 1)
            .sum();
        let before = body - last_put;
        if body >= share + 2 * size && before + 2 * size < share {
            return rows;
        }
        if body >= share {
            // Crossed too close to a put's edge: start one row later and count again.
            skipped += 1;
            rows.clear();
            body = 0;
        }
    }
}

criterion_group!(benches, decode_encode, put_stream);
criterion_main!(benches);
