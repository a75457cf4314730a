package com.starrocks.connector.kafka.transforms;

import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class AddOpFieldForDebeziumRecordTest {
    /** The seed's Debezium example, trimmed to what matters. */
    private static final Schema ROW = SchemaBuilder.struct().name("test.public.customers.Value")
            .optional()
            .field("id", Schema.INT32_SCHEMA)
            .field("email", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("db", Schema.STRING_SCHEMA)
            .build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("test.public.customers.Envelope")
            .version(1)
            .field("before", ROW)
            .field("after", ROW)
            .field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .build();

    private final AddOpFieldForDebeziumRecord<SinkRecord> smt = new AddOpFieldForDebeziumRecord<>();

    @BeforeEach
    void configure() {
        smt.configure(Collections.<String, Object>emptyMap());
    }

    @AfterEach
    void close() {
        smt.close();
    }

    private static Struct row(int id, String email) {
        return new Struct(ROW).put("id", id).put("email", email);
    }

    private static SinkRecord event(String op, Struct before, Struct after) {
        Struct value = new Struct(ENVELOPE)
                .put("before", before)
                .put("after", after)
                .put("source", new Struct(SOURCE).put("db", "postgres"))
                .put("op", op)
                .put("ts_ms", 1714283798790L);
        return new SinkRecord("test.public.customers", 0, Schema.STRING_SCHEMA, "k", ENVELOPE, value,
                42, 1714283798790L, TimestampType.CREATE_TIME);
    }

    @Test
    void marksCreatesUpdatesAndSnapshotReadsAsUpserts() {
        for (String op : new String[] {"c", "u", "r"}) {
            SinkRecord out = smt.apply(event(op, "u".equals(op) ? row(1, "a@a.com") : null, row(1, "c@c.com")));

            Struct value = (Struct) out.value();
            Struct after = value.getStruct("after");
            assertEquals(0, after.get("__op"), op);
            assertEquals(Schema.INT32_SCHEMA, after.schema().field("__op").schema(), op);
            assertEquals(1, after.get("id"));
            assertEquals("c@c.com", after.get("email"));
            assertEquals("test.public.customers.Value", after.schema().name());
            assertNull(value.schema().field("before").schema().field("__op"), "before is untouched");
            assertEquals(op, value.getString("op"));
            assertEquals("postgres", value.getStruct("source").getString("db"));
            assertEquals("test.public.customers.Envelope", value.schema().name());
            assertEquals(Integer.valueOf(1), value.schema().version());
            value.validate();
            assertEquals("k", out.key());
            assertEquals(1714283798790L, (long) out.timestamp());
            assertEquals(42, out.kafkaOffset());
        }
    }

    @Test
    void keepsANullOfAFieldWithADefaultNull() {
        Schema row = SchemaBuilder.struct().name("test.public.orders.Value").optional()
                .field("id", Schema.INT32_SCHEMA)
                .field("status", SchemaBuilder.string().optional().defaultValue("new").build())
                .build();
        Schema envelope = SchemaBuilder.struct().name("test.public.orders.Envelope")
                .field("before", row).field("after", row).field("op", Schema.STRING_SCHEMA).build();
        Struct after = new Struct(row).put("id", 7).put("status", null);
        Struct value = new Struct(envelope).put("after", after).put("op", "c");
        SinkRecord out = smt.apply(new SinkRecord("test.public.orders", 0, null, null, envelope,
                value, 1));

        Struct written = ((Struct) out.value()).getStruct("after");
        assertNull(written.getWithoutDefault("status"), "the NULL the source wrote");
        assertEquals(0, written.get("__op"));
    }

    @Test
    void marksDeletesOnTheBeforeRow() {
        SinkRecord out = smt.apply(event("d", row(1, "a@a.com"), null));

        Struct value = (Struct) out.value();
        assertEquals(1, value.getStruct("before").get("__op"));
        assertEquals(1, value.getStruct("before").get("id"));
        assertNull(value.get("after"));
        value.validate();
    }

    @Test
    void reusesTheDerivedSchemaForEventsOfTheSameTable() {
        Schema first = smt.apply(event("c", null, row(1, "x"))).valueSchema();
        Schema second = smt.apply(event("u", row(1, "x"), row(1, "y"))).valueSchema();
        assertSame(first, second);
    }

    @Test
    void passesTombstonesOtherOperationsAndNonEnvelopesUnchanged() {
        SinkRecord tombstone = new SinkRecord("t", 0, Schema.STRING_SCHEMA, "k", null, null, 1);
        SinkRecord truncate = event("t", null, null);
        Schema plain = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        SinkRecord notEnvelope = new SinkRecord("t", 0, null, null, plain, new Struct(plain).put("id", 1), 2);
        SinkRecord text = new SinkRecord("t", 0, null, null, Schema.STRING_SCHEMA, "op=c", 3);

        assertSame(tombstone, smt.apply(tombstone));
        assertSame(truncate, smt.apply(truncate));
        assertSame(notEnvelope, smt.apply(notEnvelope));
        assertSame(text, smt.apply(text));
    }

    @Test
    void handlesSchemalessEnvelopes() {
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("id", 1L);
        after.put("email", "a@a.com");
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("before", null);
        envelope.put("after", after);
        envelope.put("op", "c");
        SinkRecord create = new SinkRecord("t", 0, null, null, null, envelope, 5);

        Map<?, ?> created = (Map<?, ?>) smt.apply(create).value();

        assertEquals(0, ((Map<?, ?>) created.get("after")).get("__op"));
        assertEquals(1L, ((Map<?, ?>) created.get("after")).get("id"));
        assertNull(after.get("__op"), "the input is not modified");

        envelope.put("before", after);
        envelope.put("after", null);
        envelope.put("op", "d");
        Map<?, ?> deleted = (Map<?, ?>) smt.apply(new SinkRecord("t", 0, null, null, null, envelope, 6)).value();
        assertEquals(1, ((Map<?, ?>) deleted.get("before")).get("__op"));

        Map<String, Object> notEnvelope = Collections.<String, Object>singletonMap("op", "c");
        SinkRecord plain = new SinkRecord("t", 0, null, null, null, notEnvelope, 7);
        assertSame(plain, smt.apply(plain));
    }
}
