package com.starrocks.connector.kafka.transforms;

import com.starrocks.connector.kafka.internal.PluginVersion;
import com.starrocks.connector.kafka.internal.Structs;
import org.apache.kafka.common.cache.Cache;
import org.apache.kafka.common.cache.LRUCache;
import org.apache.kafka.common.cache.SynchronizedCache;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.components.Versioned;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.transforms.Transformation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adds StarRocks' {@code __op} column to a Debezium change event, so that loading into a
 * primary-key table applies deletes: for {@code op} {@code c}, {@code u} or {@code r} the
 * {@code after} row gets {@code __op = 0} (upsert); for {@code d} the {@code before} row gets
 * {@code __op = 1} (delete). Meant to run before Debezium's {@code ExtractNewRecordState} with
 * {@code delete.handling.mode=rewrite}, which then yields the row with its {@code __op}:
 *
 * <pre>
 * transforms=addfield,unwrap
 * transforms.addfield.type=com.starrocks.connector.kafka.transforms.AddOpFieldForDebeziumRecord
 * transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState
 * transforms.unwrap.drop.tombstones=true
 * transforms.unwrap.delete.handling.mode=rewrite
 * </pre>
 *
 * <p>Works on envelopes with a schema (a Struct with fields {@code op}, {@code before} and
 * {@code after}; the derived schemas are cached) and on schemaless ones (a Map with those
 * keys). Tombstones, other operations ({@code t}, {@code m}) and records that are not envelopes
 * pass unchanged. {@code __op} is an INT32.
 *
 * @param <R> the record type
 */
public class AddOpFieldForDebeziumRecord<R extends ConnectRecord<R>> implements Transformation<R>, Versioned {
    /** The column StarRocks reads as the operation of a row in a primary-key table. */
    public static final String OP_FIELD = "__op";
    static final int UPSERT = 0;
    static final int DELETE = 1;
    private static final String OP = "op";
    private static final String BEFORE = "before";
    private static final String AFTER = "after";

    /** Envelope schema -> the same schema with {@code __op} in {@code after} / {@code before}. */
    private Cache<Schema, Schema> afterSchemas;
    private Cache<Schema, Schema> beforeSchemas;

    @Override
    public void configure(Map<String, ?> configs) {
        afterSchemas = new SynchronizedCache<>(new LRUCache<Schema, Schema>(16));
        beforeSchemas = new SynchronizedCache<>(new LRUCache<Schema, Schema>(16));
    }

    @Override
    public R apply(R record) {
        Object value = record.value();
        if (value instanceof Struct && record.valueSchema() != null) {
            return withSchema(record, (Struct) value);
        }
        if (value instanceof Map) {
            return schemaless(record, (Map<?, ?>) value);
        }
        return record;
    }

    /** {@code after} for c/u/r, {@code before} for d, null for anything else. */
    private static String rowFieldOf(Object op) {
        if ("c".equals(op) || "u".equals(op) || "r".equals(op)) {
            return AFTER;
        }
        if ("d".equals(op)) {
            return BEFORE;
        }
        return null;
    }

    private R withSchema(R record, Struct envelope) {
        Schema schema = envelope.schema();
        if (!isEnvelope(schema)) {
            return record;
        }
        String rowField = rowFieldOf(envelope.get(OP));
        if (rowField == null || !(envelope.get(rowField) instanceof Struct)) {
            return record;
        }
        Struct row = (Struct) envelope.get(rowField);
        if (row.schema().field(OP_FIELD) != null) {
            return record; // already has an __op
        }
        Schema newSchema = envelopeSchema(schema, rowField);
        Schema newRowSchema = newSchema.field(rowField).schema();
        Struct newRow = new Struct(newRowSchema);
        for (Field field : row.schema().fields()) {
            newRow.put(field.name(), Structs.stored(row, field));
        }
        newRow.put(OP_FIELD, AFTER.equals(rowField) ? UPSERT : DELETE);
        Struct newEnvelope = new Struct(newSchema);
        for (Field field : schema.fields()) {
            Object fieldValue = field.name().equals(rowField) ? newRow
                    : Structs.stored(envelope, field);
            if (fieldValue != null) {
                newEnvelope.put(field.name(), fieldValue);
            }
        }
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(),
                record.key(), newSchema, newEnvelope, record.timestamp());
    }

    private Schema envelopeSchema(Schema envelope, String rowField) {
        Cache<Schema, Schema> cache = AFTER.equals(rowField) ? afterSchemas : beforeSchemas;
        Schema cached = cache.get(envelope);
        if (cached != null) {
            return cached;
        }
        SchemaBuilder builder = StructSchemas.like(envelope);
        for (Field field : envelope.fields()) {
            builder.field(field.name(), field.name().equals(rowField)
                    ? withOpField(field.schema()) : field.schema());
        }
        Schema built = builder.build();
        cache.put(envelope, built);
        return built;
    }

    private static Schema withOpField(Schema row) {
        SchemaBuilder builder = StructSchemas.like(row);
        for (Field field : row.fields()) {
            builder.field(field.name(), field.schema());
        }
        return builder.field(OP_FIELD, Schema.INT32_SCHEMA).build();
    }

    /** A struct schema with a STRING {@code op} and STRUCT {@code before} and {@code after}. */
    static boolean isEnvelope(Schema schema) {
        if (schema.type() != Schema.Type.STRUCT) {
            return false;
        }
        Field op = schema.field(OP);
        Field before = schema.field(BEFORE);
        Field after = schema.field(AFTER);
        return op != null && op.schema().type() == Schema.Type.STRING
                && before != null && before.schema().type() == Schema.Type.STRUCT
                && after != null && after.schema().type() == Schema.Type.STRUCT;
    }

    private R schemaless(R record, Map<?, ?> envelope) {
        if (!envelope.containsKey(BEFORE) || !envelope.containsKey(AFTER)) {
            return record;
        }
        String rowField = rowFieldOf(envelope.get(OP));
        if (rowField == null || !(envelope.get(rowField) instanceof Map)) {
            return record;
        }
        Map<?, ?> row = (Map<?, ?>) envelope.get(rowField);
        if (row.containsKey(OP_FIELD)) {
            return record;
        }
        Map<Object, Object> newRow = new LinkedHashMap<Object, Object>(row);
        newRow.put(OP_FIELD, AFTER.equals(rowField) ? UPSERT : DELETE);
        Map<Object, Object> newEnvelope = new LinkedHashMap<Object, Object>(envelope);
        newEnvelope.put(rowField, newRow);
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(),
                record.key(), record.valueSchema(), newEnvelope, record.timestamp());
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public String version() {
        return PluginVersion.get();
    }

    @Override
    public void close() {
    }
}
