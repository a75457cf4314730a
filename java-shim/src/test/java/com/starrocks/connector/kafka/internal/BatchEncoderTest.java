package com.starrocks.connector.kafka.internal;

import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchEncoderTest {
    private static final BatchEncoder.RecordErrorHandler FAIL = (record, error) -> {
        throw error;
    };
    private static final long T0 = 1_700_000_000_000L;

    private static byte[] encode(BatchEncoder encoder, SinkRecord... records) {
        return Bytes.written(encoder, encoder.encode(Arrays.asList(records), FAIL));
    }

    private static SinkRecord record(String topic, int partition, long offset, Schema schema,
                                     Object value) {
        return new SinkRecord(topic, partition, null, null, schema, value, offset, T0 + offset,
                TimestampType.CREATE_TIME);
    }

    // ---- the seed fixture shared with the Rust core ---------------------------------------------

    @Test
    void encodesTheSeedRecordsExactlyAsTheSharedFixture() throws IOException {
        JsonConverter json = new JsonConverter();
        json.configure(Collections.singletonMap("schemas.enable", "false"), false);
        JsonConverter keyJson = new JsonConverter();
        keyJson.configure(Collections.singletonMap("schemas.enable", "false"), true);
        String[] rows = {
            "{\"id\":1,\"city\":\"New York\"}",
            "{\"id\":2,\"city\":\"Los Angeles\"}",
            "{\"id\":3,\"city\":\"Chicago\"}",
        };
        List<SinkRecord> records = new ArrayList<>();
        for (int offset = 0; offset < rows.length; offset++) {
            SchemaAndValue value = json.toConnectData("test", rows[offset].getBytes(StandardCharsets.UTF_8));
            records.add(new SinkRecord("test", 0, null, null, value.schema(), value.value(), offset,
                    T0 + offset, TimestampType.CREATE_TIME));
        }
        SchemaAndValue key = keyJson.toConnectData("test", "{\"id\":3}".getBytes(StandardCharsets.UTF_8));
        records.add(new SinkRecord("test", 0, key.schema(), key.value(), null, null, 3, null,
                TimestampType.NO_TIMESTAMP_TYPE));

        BatchEncoder encoder = new BatchEncoder();
        byte[] batch = Bytes.written(encoder, encoder.encode(records, FAIL));

        assertEquals(fixture("batch-v1-seed.hex"), Bytes.hex(batch));
    }

    @Test
    void writesTheSeedLayoutThatTheDocumentDescribes() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", 1L);
        row.put("city", "New York");

        byte[] batch = encode(new BatchEncoder(), record("test", 0, 0, null, row));

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("test")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0)
                .u8(0) // key NULL
                .u8(3).u8(0x0C).varint(2) // value DATA, map of 2
                .u8(0x09).string("id").u8(0x06).i64(1)
                .u8(0x09).string("city").u8(0x09).string("New York");
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    private static String fixture(String name) throws IOException {
        Path dir = Paths.get(System.getProperty("fixtures.dir", "../native/core/tests/fixtures"));
        Path file = dir.resolve(name);
        assertTrue(Files.exists(file), "the shared fixture " + file + " exists");
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        return text.replaceAll("\\s", "").toLowerCase();
    }

    // ---- typed values ---------------------------------------------------------------------------

    @Test
    void writesLogicalTypesAsTheirConnectBaseTypes() {
        Schema schema = SchemaBuilder.struct().name("order")
                .field("price", Decimal.schema(2))
                .field("day", Date.SCHEMA)
                .field("at", Time.SCHEMA)
                .field("ts", Timestamp.SCHEMA)
                .field("note", Schema.OPTIONAL_STRING_SCHEMA)
                .build();
        Struct value = new Struct(schema)
                .put("price", new BigDecimal("12.34"))
                .put("day", new java.util.Date(19_000L * 86_400_000L))
                .put("at", new java.util.Date(3_723_004L))
                .put("ts", new java.util.Date(T0 + 123))
                .put("note", null);

        byte[] batch = encode(new BatchEncoder(), record("orders", 3, 7, schema, value));

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("orders")
                .u8(0x02).varint(0)
                .u8(11, 0).string("order").varint(0).varint(5)
                .string("price").u8(8, 0).string(Decimal.LOGICAL_NAME).varint(1).string("scale").string("2")
                .string("day").u8(2, 0).string(Date.LOGICAL_NAME).varint(0)
                .string("at").u8(2, 0).string(Time.LOGICAL_NAME).varint(0)
                .string("ts").u8(3, 0).string(Timestamp.LOGICAL_NAME).varint(0)
                .string("note").u8(7, 1).string("").varint(0)
                .u8(0x03).varint(0).i32(3).i64(7).varint(0).u8(1).i64(T0 + 7)
                .u8(0) // key NULL
                .u8(4).varint(0) // value TYPED, schema 0
                .bytes(new byte[] {0x04, (byte) 0xD2}) // 1234 unscaled
                .i32(19_000)
                .i32(3_723_004)
                .i64(T0 + 123)
                .u8(0); // note: optional, absent
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesContainersAndOptionalValuesPerTheSchema() {
        Schema schema = SchemaBuilder.struct()
                .field("tags", SchemaBuilder.array(Schema.INT16_SCHEMA).optional().build())
                .field("attrs", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_BOOLEAN_SCHEMA).build())
                .field("blob", Schema.BYTES_SCHEMA)
                .field("ratio", Schema.FLOAT64_SCHEMA)
                .build();
        Map<String, Boolean> attrs = new LinkedHashMap<>();
        attrs.put("a", true);
        attrs.put("b", null);
        Struct value = new Struct(schema)
                .put("tags", Arrays.asList((short) 1, (short) -2))
                .put("attrs", attrs)
                .put("blob", ByteBuffer.wrap(new byte[] {9, 8, 7}))
                .put("ratio", 0.5);

        byte[] batch = encode(new BatchEncoder(), record("t", 0, 0, schema, value));

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("t")
                .u8(0x02).varint(0)
                .u8(11, 0).string("").varint(0).varint(4)
                .string("tags").u8(9, 1).string("").varint(0).u8(1, 0).string("").varint(0)
                .string("attrs").u8(10, 0).string("").varint(0)
                .u8(7, 0).string("").varint(0).u8(6, 1).string("").varint(0)
                .string("blob").u8(8, 0).string("").varint(0)
                .string("ratio").u8(5, 0).string("").varint(0)
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(4).varint(0)
                .u8(1).varint(2).i16(1).i16(-2) // tags: present, 2 elements
                .varint(2).string("a").u8(1, 1).string("b").u8(0) // attrs
                .bytes(new byte[] {9, 8, 7})
                .i64(Double.doubleToLongBits(0.5));
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesANullOfAnOptionalFieldWithADefaultAsNullNotAsTheDefault() {
        Schema withDefault = SchemaBuilder.struct()
                .field("id", Schema.INT32_SCHEMA)
                .field("status", SchemaBuilder.string().optional().defaultValue("new").build())
                .build();
        Schema without = SchemaBuilder.struct()
                .field("id", Schema.INT32_SCHEMA)
                .field("status", Schema.OPTIONAL_STRING_SCHEMA)
                .build();
        Struct nulled = new Struct(withDefault).put("id", 7).put("status", null);
        assertEquals("new", nulled.get("status"), "what Struct.get answers");

        byte[] batch = encode(new BatchEncoder(), record("t", 0, 0, withDefault, nulled));

        Struct plain = new Struct(without).put("id", 7).put("status", null);
        assertEquals(Bytes.hex(encode(new BatchEncoder(), record("t", 0, 0, without, plain))),
                Bytes.hex(batch));
        Struct set = new Struct(withDefault).put("id", 7).put("status", "shipped");
        Struct setPlain = new Struct(without).put("id", 7).put("status", "shipped");
        assertEquals(Bytes.hex(encode(new BatchEncoder(), record("t", 0, 0, without, setPlain))),
                Bytes.hex(encode(new BatchEncoder(), record("t", 0, 0, withDefault, set))));
    }

    @Test
    void refusesANullWhereTheSchemaIsNotOptional() {
        Schema schema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        Struct value = new Struct(schema); // "id" never set

        DataException e = assertThrows(DataException.class,
                () -> encode(new BatchEncoder(), record("orders", 2, 41, schema, value)));

        assertTrue(e.getMessage().contains("topic=orders partition=2 offset=41"), e.getMessage());
        assertTrue(e.getMessage().contains("field 'id'"), e.getMessage());
        assertTrue(e.getMessage().contains("not optional"), e.getMessage());
    }

    // ---- payload kinds and schemaless data ------------------------------------------------------

    @Test
    void passesBytesAndStringsThroughRaw() {
        byte[] batch = encode(new BatchEncoder(),
                record("t", 0, 0, null, new byte[] {1, 2}),
                record("t", 0, 1, Schema.STRING_SCHEMA, "h\u00e9llo \ud83d\ude80"));

        Bytes expected = new Bytes().header(false, 2)
                .u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(1).bytes(new byte[] {1, 2})
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(2).string("h\u00e9llo \ud83d\ude80");
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesEverySchemalessKindWithItsTag() {
        Schema point = SchemaBuilder.struct().name("point").field("x", Schema.INT32_SCHEMA).build();
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("n", null);
        tree.put("f", false);
        tree.put("t", true);
        tree.put("b", (byte) -8);
        tree.put("s", (short) 300);
        tree.put("i", -32);
        tree.put("l", Long.MAX_VALUE);
        tree.put("fl", -0.5f);
        tree.put("d", 6.02e23);
        tree.put("bytes", new byte[] {1});
        tree.put("list", Arrays.asList("two", null));
        tree.put("dec", new BigDecimal("-50.0")); // unscaled -500, scale 1
        tree.put("when", new java.util.Date(-86_400_000L));
        tree.put("p", new Struct(point).put("x", 1));

        byte[] batch = encode(new BatchEncoder(), record("t", 0, 0, null, tree));

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("t")
                .u8(0x02).varint(0).u8(11, 0).string("point").varint(0).varint(1)
                .string("x").u8(2, 0).string("").varint(0)
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x0C).varint(14)
                .u8(9).string("n").u8(0x00)
                .u8(9).string("f").u8(0x01)
                .u8(9).string("t").u8(0x02)
                .u8(9).string("b").u8(0x03, 0xF8)
                .u8(9).string("s").u8(0x04).i16(300)
                .u8(9).string("i").u8(0x05).i32(-32)
                .u8(9).string("l").u8(0x06).i64(Long.MAX_VALUE)
                .u8(9).string("fl").u8(0x07).i32(Float.floatToIntBits(-0.5f))
                .u8(9).string("d").u8(0x08).i64(Double.doubleToLongBits(6.02e23))
                .u8(9).string("bytes").u8(0x0A).bytes(new byte[] {1})
                .u8(9).string("list").u8(0x0B).varint(2).u8(9).string("two").u8(0)
                .u8(9).string("dec").u8(0x0D).varint(2).bytes(new byte[] {(byte) 0xFE, 0x0C})
                .u8(9).string("when").u8(0x0E).i64(-86_400_000L)
                .u8(9).string("p").u8(0x0F).varint(0).i32(1);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesMapKeysTheSameWhetherTheirEncodingIsKeptOrNot() {
        // "Aa" and "BB" share a hash, so they take turns in one slot; the 46-char key is the
        // longest kept (48 bytes with its tag and length), the 47-char one is never kept.
        String[] names = {"id", "Aa", "BB", "Z\u00fcrich", "a\ud800b", "", repeat("k", 46),
            repeat("k", 47), "nested"};
        List<Object> keys = new ArrayList<>(Arrays.<Object>asList(names));
        keys.add(7);
        keys.add(null);
        List<SinkRecord> records = new ArrayList<>();
        List<SinkRecord> skipped = new ArrayList<>();
        Bytes expected = new Bytes().header(false, 80).u8(0x01).varint(0).string("t");
        for (int i = 0; i < 80; i++) {
            // Key instances reused from record to record, as JsonConverter's are, and new
            // instances of the same keys, whose encoding is never reused.
            Map<Object, Object> value = keyedMap(keys, i, i % 2 == 1);
            records.add(record("t", 0, i, null, value));
            expected.u8(0x03).varint(0).i32(0).i64(i).varint(0).u8(1).i64(T0 + i).u8(0).u8(3);
            datum(expected, value);
            if (i % 10 == 5) {
                // A record refused halfway, after some of its keys were kept: it is left out,
                // and the keys it wrote are still written right by the records after it.
                Map<Object, Object> bad = keyedMap(keys, i + 2, false);
                bad.put("bad", new Object());
                bad.put("after", 1);
                records.add(record("t", 0, 1000 + i, null, bad));
            }
        }
        BatchEncoder encoder = new BatchEncoder();
        byte[] batch = Bytes.written(encoder, encoder.encode(records,
                (record, error) -> skipped.add(record)));
        assertEquals(8, skipped.size());
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesAValueMapHoldingTheFirstValueKeyWithTheValueKeysAlone() {
        // As under starrocks.envelope=debezium: the core reads an event's op, before and after.
        BatchEncoder encoder = new BatchEncoder(new String[] {"op", "before", "after"});
        Map<String, Object> source = new HashMap<>();
        source.put("db", "shop");
        source.put("unencodable", new Object()); // never walked, so never refused
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("id", 1L);
        after.put("op", "not the event's"); // a nested map is written whole
        Map<String, Object> create = new HashMap<>();
        create.put("source", source);
        create.put("after", after);
        create.put("before", null); // present and null: written
        create.put("ts_ms", 7L);
        create.put("op", "c");
        Map<String, Object> noBefore = new HashMap<>(create);
        noBefore.remove("before"); // absent: left out
        Map<String, Object> nullOp = new HashMap<>(); // op null: cut all the same
        nullOp.put("op", null);
        nullOp.put("ts_ms", 7L);
        Map<String, Object> noOp = new LinkedHashMap<>(); // no op: written whole
        noOp.put("after", after);
        noOp.put("ts_ms", 7L);
        Map<String, Object> key = new LinkedHashMap<>(); // keys are always written whole
        key.put("op", "c");
        key.put("id", 1L);
        SinkRecord keyed = new SinkRecord("t", 0, null, key, null, noBefore, 3, T0 + 3,
                TimestampType.CREATE_TIME);

        byte[] batch = encode(encoder, record("t", 0, 0, null, create),
                record("t", 0, 1, null, noOp), record("t", 0, 2, null, "op"), keyed,
                record("t", 0, 4, null, nullOp));

        Bytes afterMap = new Bytes().u8(0x0C).varint(2)
                .u8(9).string("id").u8(0x06).i64(1)
                .u8(9).string("op").u8(9).string("not the event's");
        Bytes expected = new Bytes().header(false, 5).u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x0C).varint(3)
                .u8(9).string("op").u8(9).string("c")
                .u8(9).string("before").u8(0x00)
                .u8(9).string("after").raw(afterMap)
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("after").raw(afterMap)
                .u8(9).string("ts_ms").u8(0x06).i64(7)
                .u8(0x03).varint(0).i32(0).i64(2).varint(0).u8(1).i64(T0 + 2).u8(0)
                .u8(2).string("op")
                .u8(0x03).varint(0).i32(0).i64(3).varint(0).u8(1).i64(T0 + 3)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("op").u8(9).string("c")
                .u8(9).string("id").u8(0x06).i64(1)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("op").u8(9).string("c")
                .u8(9).string("after").raw(afterMap)
                .u8(0x03).varint(0).i32(0).i64(4).varint(0).u8(1).i64(T0 + 4).u8(0)
                .u8(3).u8(0x0C).varint(1)
                .u8(9).string("op").u8(0x00);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void refusesAnEventWhoseImageCannotBeWrittenAndWritesTheNextAsItIs() {
        BatchEncoder encoder = new BatchEncoder(new String[] {"op", "before", "after"});
        Map<String, Object> badAfter = new HashMap<>();
        badAfter.put("id", new Object());
        Map<String, Object> bad = new HashMap<>();
        bad.put("op", "c");
        bad.put("after", badAfter);
        Map<String, Object> good = new HashMap<>();
        good.put("op", "d");
        good.put("before", Collections.singletonMap("id", 2L));
        List<SinkRecord> skipped = new ArrayList<>();

        byte[] batch = Bytes.written(encoder, encoder.encode(Arrays.asList(
                record("t", 0, 0, null, bad), record("t", 0, 1, null, good)),
                (record, error) -> skipped.add(record)));

        assertEquals(1, skipped.size());
        assertEquals(0L, skipped.get(0).kafkaOffset());
        Bytes expected = new Bytes().header(false, 1).u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("op").u8(9).string("d")
                .u8(9).string("before").u8(0x0C).varint(1).u8(9).string("id").u8(0x06).i64(2);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesAValueMapOfAnotherClassThanConnectsConvertersBuildWhole() {
        // A case-insensitive TreeMap would answer get("op") with its "OP" entry; a sorted map
        // of integers throws ClassCastException when asked for "op".
        BatchEncoder encoder = new BatchEncoder(new String[] {"op", "before", "after"});
        Map<String, Object> insensitive = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        insensitive.put("OP", "c");
        insensitive.put("ts_ms", 7L);
        Map<Object, Object> sorted = new java.util.TreeMap<>();
        sorted.put(2, "b");
        sorted.put(1, "a");

        byte[] batch = encode(encoder, record("t", 0, 0, null, insensitive),
                record("t", 0, 1, null, sorted));

        Bytes expected = new Bytes().header(false, 2).u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("OP").u8(9).string("c")
                .u8(9).string("ts_ms").u8(0x06).i64(7)
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(3).u8(0x0C).varint(2)
                .u8(0x05).i32(1).u8(9).string("a")
                .u8(0x05).i32(2).u8(9).string("b");
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesAValueStructWhoseSchemaHasTheFirstValueKeyUnderItsValueKeyFieldsAlone() {
        BatchEncoder encoder = new BatchEncoder(new String[] {"op", "before", "after"});
        Schema row = SchemaBuilder.struct().name("row").optional()
                .field("id", Schema.INT64_SCHEMA).build();
        Schema source = SchemaBuilder.struct().name("source").field("db", Schema.STRING_SCHEMA)
                .build();
        Schema envelope = SchemaBuilder.struct().name("shop.public.t.Envelope")
                .field("before", row).field("after", row).field("source", source)
                .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
                .build();
        Schema keySchema = SchemaBuilder.struct().name("key").field("op", Schema.STRING_SCHEMA)
                .field("id", Schema.INT64_SCHEMA).build();
        List<SinkRecord> records = new ArrayList<>();
        for (long id = 1; id <= 2; id++) {
            Struct value = new Struct(envelope).put("after", new Struct(row).put("id", id))
                    .put("source", new Struct(source).put("db", "shop")).put("op", "c")
                    .put("ts_ms", 7L);
            Struct key = new Struct(keySchema).put("op", "k").put("id", id);
            records.add(new SinkRecord("t", 0, keySchema, key, envelope, value, id - 1,
                    T0, TimestampType.CREATE_TIME));
        }

        byte[] batch = Bytes.written(encoder, encoder.encode(records, FAIL));

        Bytes rowDef = new Bytes().u8(11, 1).string("row").varint(0).varint(1)
                .string("id").u8(3, 0).string("").varint(0);
        Bytes expected = new Bytes().header(false, 2).u8(0x01).varint(0).string("t")
                // the key's schema as it is
                .u8(0x02).varint(0).u8(11, 0).string("key").varint(0).varint(2)
                .string("op").u8(7, 0).string("").varint(0)
                .string("id").u8(3, 0).string("").varint(0)
                // the value's, cut to before, after and op, in its order
                .u8(0x02).varint(1).u8(11, 0).string("shop.public.t.Envelope").varint(0)
                .varint(3)
                .string("before").raw(rowDef)
                .string("after").raw(rowDef)
                .string("op").u8(7, 0).string("").varint(0);
        for (long id = 1; id <= 2; id++) {
            expected.u8(0x03).varint(0).i32(0).i64(id - 1).varint(0).u8(1).i64(T0)
                    .u8(4).varint(0).string("k").i64(id)
                    .u8(4).varint(1).u8(0).u8(1).i64(id).string("c");
        }
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesAValueStructWhoseSchemaCannotOrNeedNotBeCutUnderItsOwnSchema() {
        BatchEncoder encoder = new BatchEncoder(new String[] {"op", "before", "after"});
        // No op: not an event, nothing to cut.
        Schema row = SchemaBuilder.struct().name("row").field("after", Schema.STRING_SCHEMA)
                .field("id", Schema.INT64_SCHEMA).build();
        // Two fields named op (SchemaBuilder refuses that, ConnectSchema does not): a cut
        // schema could not be built.
        Schema twice = new org.apache.kafka.connect.data.ConnectSchema(Schema.Type.STRUCT, false,
                null, "twice", null, null, null, Arrays.asList(
                        new org.apache.kafka.connect.data.Field("op", 0, Schema.STRING_SCHEMA),
                        new org.apache.kafka.connect.data.Field("op", 1, Schema.STRING_SCHEMA),
                        new org.apache.kafka.connect.data.Field("ts", 2, Schema.INT64_SCHEMA)),
                null, null);
        Struct twiceValue = new Struct(twice);
        for (org.apache.kafka.connect.data.Field field : twice.fields()) {
            twiceValue.put(field, field.index() == 2 ? (Object) 7L : "c");
        }

        byte[] batch = encode(encoder,
                record("t", 0, 0, row, new Struct(row).put("after", "a").put("id", 1L)),
                record("t", 0, 1, twice, twiceValue));

        Bytes expected = new Bytes().header(false, 2).u8(0x01).varint(0).string("t")
                .u8(0x02).varint(0).u8(11, 0).string("row").varint(0).varint(2)
                .string("after").u8(7, 0).string("").varint(0)
                .string("id").u8(3, 0).string("").varint(0)
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(4).varint(0).string("a").i64(1)
                .u8(0x02).varint(1).u8(11, 0).string("twice").varint(0).varint(3)
                .string("op").u8(7, 0).string("").varint(0)
                .string("op").u8(7, 0).string("").varint(0)
                .string("ts").u8(3, 0).string("").varint(0)
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(4).varint(1).string("c").string("c").i64(7);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesEveryValueWholeWithoutValueKeys() {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("op", "c");
        event.put("ts_ms", 7L);

        byte[] batch = encode(new BatchEncoder(), record("t", 0, 0, null, event));

        Bytes expected = new Bytes().header(false, 1).u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x0C).varint(2)
                .u8(9).string("op").u8(9).string("c")
                .u8(9).string("ts_ms").u8(0x06).i64(7);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void keepsAKeyWrittenWhileTheBufferGrew() {
        // The first key is written across the end of the buffer's 1,024 bytes, so the buffer
        // grows meanwhile; what is kept must be the bytes as they ended up, which the second
        // map copies.
        String key = "a key that crosses the end";
        BatchBuffer buffer = new BatchBuffer(1024);
        buffer.put(new byte[1010], 1010);
        ValueWriter writer = new ValueWriter(buffer,
                new SessionIds<Schema>(new java.util.IdentityHashMap<Schema, Integer>()), null);
        Map<String, Object> value = Collections.<String, Object>singletonMap(key, 1);
        writer.datum(value);
        writer.datum(value);
        assertTrue(buffer.array().length > 1024);
        Bytes map = new Bytes().u8(0x0C).varint(1).u8(0x09).string(key).u8(0x05).i32(1);
        byte[] written = Bytes.written(buffer);
        assertEquals(map.hex() + map.hex(),
                Bytes.hex(Arrays.copyOfRange(written, 1010, written.length)));
    }

    /** A map of some of {@code keys} (which ones turns with {@code i}), one holding a map. */
    private static Map<Object, Object> keyedMap(List<Object> keys, int i, boolean newInstances) {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int k = 0; k < keys.size(); k++) {
            if ((i + k) % 3 == 0) {
                continue;
            }
            Object key = keys.get(k);
            if (newInstances && key instanceof String) {
                key = new String((String) key);
            }
            Object value = "nested".equals(key) ? keyedMap(keys, i + 1, newInstances) : i * 31 + k;
            map.put(key, value);
        }
        return map;
    }

    /** The schemaless datum of a map, string, int or null, written by hand. */
    private static void datum(Bytes out, Object value) {
        if (value == null) {
            out.u8(0x00);
        } else if (value instanceof String) {
            out.u8(0x09).string((String) value);
        } else if (value instanceof Integer) {
            out.u8(0x05).i32((Integer) value);
        } else {
            Map<?, ?> map = (Map<?, ?>) value;
            out.u8(0x0C).varint(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                datum(out, e.getKey());
                datum(out, e.getValue());
            }
        }
    }

    @Test
    void refusesAJavaTypeThatConnectDataCannotHoldNamingTheRecord() {
        Map<String, Object> value = Collections.<String, Object>singletonMap("x", new Object());

        DataException e = assertThrows(DataException.class,
                () -> encode(new BatchEncoder(), record("orders", 1, 9, null, value)));

        assertTrue(e.getMessage().contains("topic=orders partition=1 offset=9"), e.getMessage());
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
    }

    @Test
    void leavesOutARecordItsHandlerSkipsWithoutLeakingItsDefinitions() {
        BatchEncoder encoder = new BatchEncoder();
        List<SinkRecord> skipped = new ArrayList<>();
        SinkRecord bad = record("bad", 0, 0, null, Collections.singletonList(new Object()));
        SinkRecord good = record("good", 0, 1, null, 5L);

        byte[] batch = Bytes.written(encoder, encoder.encode(Arrays.asList(bad, good),
                (record, error) -> skipped.add(record)));

        assertEquals(Collections.singletonList(bad), skipped);
        assertEquals(1, encoder.recordCount());
        assertSame(good, encoder.record(0));
        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("good")
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(3).u8(0x06).i64(5);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void takesOffsetsFromTheOriginalTopicAndRoutesByTheCurrentOne() {
        SinkRecord original = record("test", 4, 10, null, 1L);
        SinkRecord renamed = original.newRecord("renamed", 0, null, null, null, 1L, T0);

        byte[] batch = encode(new BatchEncoder(), renamed);

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("test")
                .u8(0x01).varint(1).string("renamed")
                .u8(0x03).varint(0).i32(4).i64(10).varint(1).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x06).i64(1);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    // ---- the session: ids across batches, RESET ---------------------------------------------------

    @Test
    void definesEachTopicAndSchemaOnceAcrossBatches() {
        Schema schema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
        BatchEncoder encoder = new BatchEncoder();

        byte[] first = encode(encoder, record("t", 0, 0, schema, new Struct(schema).put("id", 1L)),
                record("t", 0, 1, schema, new Struct(schema).put("id", 2L)));
        byte[] second = encode(encoder, record("t", 0, 2, schema, new Struct(schema).put("id", 3L)));

        Bytes expectedFirst = new Bytes().header(false, 2)
                .u8(0x01).varint(0).string("t")
                .u8(0x02).varint(0).u8(11, 0).string("").varint(0).varint(1)
                .string("id").u8(3, 0).string("").varint(0)
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(4).varint(0).i64(1)
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(4).varint(0).i64(2);
        assertEquals(expectedFirst.hex(), Bytes.hex(first));
        Bytes expectedSecond = new Bytes().header(false, 1)
                .u8(0x03).varint(0).i32(0).i64(2).varint(0).u8(1).i64(T0 + 2).u8(0)
                .u8(4).varint(0).i64(3);
        assertEquals(expectedSecond.hex(), Bytes.hex(second));
    }

    @Test
    void marksTheFirstBatchAfterResetAndDefinesEverythingAgain() {
        BatchEncoder encoder = new BatchEncoder();
        encode(encoder, record("t", 0, 0, null, 1L));

        encoder.reset();
        byte[] afterReset = encode(encoder, record("t", 0, 1, null, 2L));
        byte[] next = encode(encoder, record("t", 0, 2, null, 3L));

        Bytes expected = new Bytes().header(true, 1)
                .u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(1).varint(0).u8(1).i64(T0 + 1).u8(0)
                .u8(3).u8(0x06).i64(2);
        assertEquals(expected.hex(), Bytes.hex(afterReset));
        assertEquals(0, next[5], "only the first batch after reset() carries RESET");
    }

    @Test
    void resetsItselfWhenItsTablesPassTheLimit() {
        BatchEncoder encoder = new BatchEncoder();
        List<SinkRecord> many = new ArrayList<>();
        for (int i = 0; i <= BatchEncoder.MAX_SESSION_ENTRIES; i++) {
            // A schema object per record, as a converter without a schema cache produces.
            Schema schema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
            many.add(record("t", 0, i, schema, new Struct(schema).put("id", i)));
        }
        encoder.encode(many, FAIL);
        assertFalse(encoder.lastBatchReset());

        byte[] next = encode(encoder, record("t", 0, 0, null, 1L));

        assertEquals(1, next[5], "RESET set");
        assertEquals(0x01, next[12] & 0xFF, "the topic is defined again");
    }

    @Test
    void resetsAfterAFailedBatchSoTheCoreNeverSeesAnUndefinedId() {
        BatchEncoder encoder = new BatchEncoder();
        assertThrows(DataException.class, () -> encode(encoder,
                record("t", 0, 0, null, 1L), record("t", 0, 1, null, new Object())));

        byte[] next = encode(encoder, record("t", 0, 2, null, 1L));

        assertEquals(1, next[5], "RESET set");
        assertEquals(0x01, next[12] & 0xFF, "the topic is defined again");
    }

    @Test
    void growsItsBufferForLargeBatches() {
        BatchEncoder encoder = new BatchEncoder(16, null);
        char[] chars = new char[100_000];
        Arrays.fill(chars, 'x');
        String big = new String(chars);
        Map<String, Object> value = new HashMap<>();
        value.put("big", big);

        byte[] batch = encode(encoder, record("t", 0, 0, null, value));

        Bytes expected = new Bytes().header(false, 1)
                .u8(0x01).varint(0).string("t")
                .u8(0x03).varint(0).i32(0).i64(0).varint(0).u8(1).i64(T0).u8(0)
                .u8(3).u8(0x0C).varint(1).u8(9).string("big").u8(9).string(big);
        assertEquals(expected.hex(), Bytes.hex(batch));
    }

    @Test
    void writesUtf8AsJavaDoesIncludingUnpairedSurrogates() {
        StringBuilder longest = new StringBuilder();
        StringBuilder longer = new StringBuilder();
        while (longest.length() < BatchBuffer.SCRATCH_CHARS) {
            longest.append("\u6771\ud83d\ude80\ud800a");
        }
        longest.setLength(BatchBuffer.SCRATCH_CHARS);
        longer.append(longest).append("\u00fc\udc00");
        String bulkAscii = repeat("x", BatchBuffer.BULK_CHARS);
        String bulkMixed = repeat("a\u00fc\u6771\ud83d\ude80\ud800", BatchBuffer.BULK_CHARS / 6 + 1);
        // Short ones through the scratch array, from BULK_CHARS to SCRATCH_CHARS by getBytes,
        // longer ones straight into the buffer.
        String[] samples = {"", "ascii", "Z\u00fcrich", "\u6771\u4eac", "\ud83d\ude80", "a\ud800b", "\udc00",
            repeat("y", BatchBuffer.BULK_CHARS - 1), bulkAscii, bulkMixed, bulkMixed + "\udc00",
            longest.toString(), longer.toString()};
        for (String s : samples) {
            BatchBuffer buffer = new BatchBuffer(4);
            buffer.string(s);
            assertEquals(new Bytes().string(s).hex(), Bytes.hex(Bytes.written(buffer)), s);
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, BatchBuffer.utf8Length(s), s);
        }
    }

    /** {@code String.repeat}, which the Java 8 this module compiles for lacks. */
    private static String repeat(String s, int times) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < times; i++) {
            out.append(s);
        }
        return out.toString();
    }

    @Test
    void writesVarintsAsUnsignedLeb128() {
        long[] samples = {0, 1, 127, 128, 300, 16_384, Integer.MAX_VALUE, -1L};
        for (long v : samples) {
            BatchBuffer buffer = new BatchBuffer(1);
            buffer.varint(v);
            assertEquals(new Bytes().varint(v).hex(), Bytes.hex(Bytes.written(buffer)));
        }
        assertEquals("ffffffffffffffffff01", Bytes.hex(written(-1L)));
        assertEquals("ac02", Bytes.hex(written(300)));
        assertEquals(3, ValueWriter.zigzag(-2));
        assertEquals(4, ValueWriter.zigzag(2));
    }

    private static byte[] written(long varint) {
        BatchBuffer buffer = new BatchBuffer(1);
        buffer.varint(varint);
        return Bytes.written(buffer);
    }
}
