package com.starrocks.connector.kafka.transforms;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class TimeMillisToStringTransformTest {
    private static final Schema OPTIONAL_TIME = Time.builder().optional().build();
    private static final Schema SCHEMA = SchemaBuilder.struct().name("row")
            .field("id", Schema.INT32_SCHEMA)
            .field("opened", Time.SCHEMA)
            .field("closed", OPTIONAL_TIME)
            .field("TMCTDR", Schema.INT32_SCHEMA)
            .build();

    private static TimeMillisToStringTransform<SinkRecord> smt(String fields, String format) {
        TimeMillisToStringTransform<SinkRecord> smt = new TimeMillisToStringTransform<>();
        Map<String, Object> config = new HashMap<>();
        if (fields != null) {
            config.put("fields", fields);
        }
        if (format != null) {
            config.put("format", format);
        }
        smt.configure(config);
        return smt;
    }

    private static SinkRecord record() {
        Struct value = new Struct(SCHEMA)
                .put("id", 1)
                .put("opened", new java.util.Date(64_957_000L))
                .put("closed", null)
                .put("TMCTDR", 3_723_004);
        return new SinkRecord("t", 0, null, null, SCHEMA, value, 0);
    }

    @Test
    void convertsEveryTimeFieldWhenNoneAreNamed() {
        SinkRecord out = smt(null, null).apply(record());

        Struct value = (Struct) out.value();
        assertEquals("18:02:37", value.get("opened"));
        assertNull(value.get("closed"));
        assertEquals(3_723_004, value.get("TMCTDR"), "not a Time field");
        assertEquals(Schema.STRING_SCHEMA, out.valueSchema().field("opened").schema());
        assertEquals(Schema.OPTIONAL_STRING_SCHEMA, out.valueSchema().field("closed").schema());
        assertEquals("row", out.valueSchema().name());
        value.validate();
    }

    @Test
    void keepsANullOfAFieldWithADefaultNull() {
        Schema schema = SchemaBuilder.struct().name("row")
                .field("opened", Time.SCHEMA)
                .field("status", SchemaBuilder.string().optional().defaultValue("new").build())
                .build();
        Struct value = new Struct(schema).put("opened", new java.util.Date(0L)).put("status", null);
        SinkRecord out = smt(null, null).apply(new SinkRecord("t", 0, null, null, schema, value, 0));

        assertNull(((Struct) out.value()).getWithoutDefault("status"), "the NULL the source wrote");
    }

    @Test
    void convertsOnlyTheNamedFieldsWithMillisWhenAsked() {
        SinkRecord out = smt("TMCTDR, closed", "HH:mm:ss.SSS").apply(record());

        Struct value = (Struct) out.value();
        assertEquals("01:02:03.004", value.get("TMCTDR"));
        assertEquals(new java.util.Date(64_957_000L), value.get("opened"), "not named");
        assertEquals(Schema.STRING_SCHEMA, out.valueSchema().field("TMCTDR").schema());
    }

    @Test
    void formatsAsTheUpstreamTransformDoes() {
        TimeMillisToStringTransform<SinkRecord> seconds = smt("", "");
        TimeMillisToStringTransform<SinkRecord> millis = smt("", "HH:mm:ss.SSS");
        assertEquals("00:00:00", seconds.format(0));
        assertEquals("23:59:59", seconds.format(86_399_999));
        assertEquals("23:59:59.999", millis.format(86_399_999));
        assertEquals("-00:00:01.500", millis.format(-1_500));
        assertEquals("25:00:00", seconds.format(90_000_000));
        assertEquals("00:00:00", smt("", "hh:mm").format(0), "an unknown format means HH:mm:ss");
    }

    @Test
    void leavesRecordsWithoutTimeFieldsOrSchemasUnchanged() {
        TimeMillisToStringTransform<SinkRecord> smt = smt("nope", null);
        SinkRecord record = record();
        SinkRecord schemaless = new SinkRecord("t", 0, null, null, null,
                Collections.singletonMap("opened", 1), 0);
        SinkRecord tombstone = new SinkRecord("t", 0, null, null, SCHEMA, null, 0);
        assertSame(record, smt.apply(record));
        assertSame(schemaless, smt(null, null).apply(schemaless));
        assertSame(tombstone, smt(null, null).apply(tombstone));
    }

    @Test
    void declaresTheUpstreamKeys() {
        TimeMillisToStringTransform<SinkRecord> smt = new TimeMillisToStringTransform<>();
        assertEquals(new java.util.TreeSet<>(java.util.Arrays.asList("fields", "format")),
                new java.util.TreeSet<>(smt.config().names()));
        assertEquals("HH:mm:ss", smt.config().defaultValues().get("format"));
    }
}
