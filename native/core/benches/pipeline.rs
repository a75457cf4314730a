//! Decode + encode per record (100 B and 1 KB records, struct and raw paths) and a full flush
//! through the sink into the in-process emulator. A report, not a test: it prints numbers.
//!
//! `cargo bench -p starrocks-kafka-core --bench pipeline`

use std::collections::HashMap;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use starrocks_kafka_core::batch_writer::Session;
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
    let props: HashMap<String, String> = [
        ("starrocks.http.url", "127.0.0.1:8030"),
        ("starrocks.database.name", "db"),
        ("starrocks.username", "root"),
        ("starrocks.password", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    SinkConfig::from_map(&props).expect("a valid config")
}

/// A struct schema of `n` string fields.
fn schema(fields: usize) -> Arc<Schema> {
    let mut s = Schema::primitive(SchemaType::Struct, false);
    s.fields.push(Field {
        name: "id".into(),
        schema: Schema::primitive(SchemaType::Int64, false),
    });
    for i in 0..fields {
        s.fields.push(Field {
            name: format!("field_{i}"),
            schema: Schema::primitive(SchemaType::String, true),
        });
    }
    Arc::new(s)
}

fn record<'a>(offset: i64, value: Payload<'a>) -> Record<'a> {
    let topic: Arc<str> = Arc::from("bench");
    Record {
        original_topic: Arc::clone(&topic),
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

fn decode_encode(c: &mut Criterion) {
    let encoder = RowEncoder::new(&config());
    let mut group = c.benchmark_group("decode+encode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (name, batch) in [
        ("struct-100B", struct_batch(100)),
        ("struct-1KB", struct_batch(1024)),
        ("raw-100B", raw_batch(100)),
        ("raw-1KB", raw_batch(1024)),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (Decoder::new(), Body(Vec::with_capacity(batch.len() * 2), 0)),
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

fn full_flush(c: &mut Criterion) {
    let emu = starrocks_emulator::start(starrocks_emulator::Config::ephemeral()).expect("emulator");
    emu.run_script("CREATE DATABASE db; USE db; CREATE TABLE bench (id BIGINT, payload STRING);")
        .expect("DDL");
    let props: HashMap<String, String> = [
        ("starrocks.http.url", emu.fe_http().to_string()),
        ("starrocks.database.name", "db".into()),
        ("starrocks.username", "root".into()),
        ("starrocks.password", String::new()),
        ("sink.properties.strip_outer_array", "true".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut group = c.benchmark_group("flush");
    group.sample_size(10);
    for size in [100usize, 1024] {
        let texts: Vec<String> = (0..10 * RECORDS).map(|i| raw_json(size, i)).collect();
        group.throughput(Throughput::Elements(texts.len() as u64));
        group.bench_function(format!("put+preCommit-10k-raw-{size}B"), |b| {
            b.iter_batched(
                || {
                    let sink = Sink::start(&props, "bench", "0").expect("sink");
                    let records: Vec<Record> = texts
                        .iter()
                        .enumerate()
                        .map(|(i, t)| record(i as i64, Payload::RawText(t)))
                        .collect();
                    (sink, Session::new().batch(&records))
                },
                |(sink, batch)| {
                    sink.put(&batch).expect("put");
                    let offsets = sink.pre_commit(&[]).expect("pre_commit");
                    assert_eq!(offsets[0].1, 10 * RECORDS as i64);
                    emu.execute_sql("TRUNCATE TABLE db.bench")
                        .expect("truncate");
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, decode_encode, full_flush);
criterion_main!(benches);
