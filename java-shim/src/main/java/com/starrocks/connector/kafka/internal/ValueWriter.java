package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Connect schemas, typed values and schemaless data in the batch format
 * ({@code docs/batch-format.md}, sections "schema", "typed value" and "schemaless datum").
 *
 * <p>Logical types travel as their Connect base type, converted with Connect's own
 * {@code fromLogical} functions. Data that does not match its schema is refused with a
 * {@link DataException} naming the expected and actual types; the caller adds the record's
 * coordinates.
 */
final class ValueWriter {
    // Schema type codes.
    static final int INT8 = 0;
    static final int INT16 = 1;
    static final int INT32 = 2;
    static final int INT64 = 3;
    static final int FLOAT32 = 4;
    static final int FLOAT64 = 5;
    static final int BOOLEAN = 6;
    static final int STRING = 7;
    static final int BYTES = 8;
    static final int ARRAY = 9;
    static final int MAP = 10;
    static final int STRUCT = 11;

    // Schemaless datum tags.
    static final int D_NULL = 0x00;
    static final int D_FALSE = 0x01;
    static final int D_TRUE = 0x02;
    static final int D_INT8 = 0x03;
    static final int D_INT16 = 0x04;
    static final int D_INT32 = 0x05;
    static final int D_INT64 = 0x06;
    static final int D_FLOAT32 = 0x07;
    static final int D_FLOAT64 = 0x08;
    static final int D_STRING = 0x09;
    static final int D_BYTES = 0x0A;
    static final int D_ARRAY = 0x0B;
    static final int D_MAP = 0x0C;
    static final int D_DECIMAL = 0x0D;
    static final int D_TIMESTAMP = 0x0E;
    static final int D_STRUCT = 0x0F;

    /** Map keys whose encoding is kept: a power of two. */
    static final int KEY_SLOTS = 128;
    /** The longest encoded map key kept (tag, length and UTF-8 bytes). */
    static final int KEY_BYTES = 48;

    private final BatchBuffer out;
    private final SessionIds<Schema> schemaIds;
    /**
     * The last map key encoded in each slot (by {@code String.hashCode}), with its encoding.
     * JsonConverter's maps share their key instances from record to record (Jackson
     * canonicalises field names), so a key is encoded once and then copied; a key is matched by
     * identity, so one that is equal but another instance is encoded again, which is still
     * correct.
     */
    private final String[] keys = new String[KEY_SLOTS];
    private final byte[][] keyBytes = new byte[KEY_SLOTS][];
    private final int[] keyLengths = new int[KEY_SLOTS];
    /** Writes one map entry; {@code Map.forEach} walks a HashMap's table without an iterator. */
    private final java.util.function.BiConsumer<Object, Object> entry = (k, v) -> {
        key(k);
        datum(v);
    };

    /**
     * What {@link #valueSchema} made of each value schema, by identity. Each entry's schema gets
     * a session id, so the session's own bound ({@link BatchEncoder#MAX_SESSION_ENTRIES}) bounds
     * it too; {@link #forgetProjections} empties it when the session starts again.
     */
    private final IdentityHashMap<Schema, Schema> projections = new IdentityHashMap<>();
    /** {@link NativeSink#valueKeys}, or {@code null}: see {@link #value}. */
    private final String[] valueKeys;
    /** The values of {@link #valueKeys} in the map being written, {@link #ABSENT} for none. */
    private final Object[] valueSlots;
    private static final Object ABSENT = new Object();

    ValueWriter(BatchBuffer out, SessionIds<Schema> schemaIds, String[] valueKeys) {
        this.out = out;
        this.schemaIds = schemaIds;
        this.valueKeys = valueKeys == null || valueKeys.length == 0 ? null : interned(valueKeys);
        this.valueSlots = this.valueKeys == null ? null : new Object[this.valueKeys.length];
    }

    /** A schema definition body: type, optional, name, params, then the nested schemas. */
    void schema(Schema schema) {
        out.u8(typeCode(schema.type()));
        out.u8(schema.isOptional() ? 1 : 0);
        out.string(schema.name() == null ? "" : schema.name());
        Map<String, String> params = schema.parameters();
        if (params == null) {
            out.varint(0);
        } else {
            out.varint(params.size());
            for (Map.Entry<String, String> p : params.entrySet()) {
                out.string(p.getKey());
                out.string(p.getValue() == null ? "" : p.getValue());
            }
        }
        switch (schema.type()) {
            case ARRAY:
                schema(schema.valueSchema());
                break;
            case MAP:
                schema(schema.keySchema());
                schema(schema.valueSchema());
                break;
            case STRUCT:
                List<Field> fields = schema.fields();
                out.varint(fields.size());
                for (Field field : fields) {
                    out.string(field.name());
                    schema(field.schema());
                }
                break;
            default:
                break;
        }
    }

    static int typeCode(Schema.Type type) {
        switch (type) {
            case INT8: return INT8;
            case INT16: return INT16;
            case INT32: return INT32;
            case INT64: return INT64;
            case FLOAT32: return FLOAT32;
            case FLOAT64: return FLOAT64;
            case BOOLEAN: return BOOLEAN;
            case STRING: return STRING;
            case BYTES: return BYTES;
            case ARRAY: return ARRAY;
            case MAP: return MAP;
            case STRUCT: return STRUCT;
            default: throw new DataException("Unsupported schema type " + type);
        }
    }

    /** A value written according to its schema. */
    void typed(Schema schema, Object value) {
        if (value == null) {
            if (!schema.isOptional()) {
                throw new DataException("null where the schema (" + describe(schema)
                        + ") is not optional");
            }
            out.u8(0);
            return;
        }
        if (schema.isOptional()) {
            out.u8(1);
        }
        switch (schema.type()) {
            case INT8:
                out.u8(as(Byte.class, schema, value));
                break;
            case INT16:
                out.i16(as(Short.class, schema, value));
                break;
            case INT32:
                out.i32(int32(schema, value));
                break;
            case INT64:
                out.i64(int64(schema, value));
                break;
            case FLOAT32:
                out.f32(as(Float.class, schema, value));
                break;
            case FLOAT64:
                out.f64(as(Double.class, schema, value));
                break;
            case BOOLEAN:
                out.u8(as(Boolean.class, schema, value) ? 1 : 0);
                break;
            case STRING:
                out.string(as(String.class, schema, value));
                break;
            case BYTES:
                bytes(schema, value);
                break;
            case ARRAY:
                List<?> list = as(List.class, schema, value);
                out.varint(list.size());
                for (Object element : list) {
                    typed(schema.valueSchema(), element);
                }
                break;
            case MAP:
                Map<?, ?> map = as(Map.class, schema, value);
                out.varint(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    typed(schema.keySchema(), e.getKey());
                    typed(schema.valueSchema(), e.getValue());
                }
                break;
            case STRUCT:
                struct(schema, as(Struct.class, schema, value));
                break;
            default:
                throw new DataException("Unsupported schema type " + schema.type());
        }
    }

    private void struct(Schema schema, Struct struct) {
        boolean sameSchema = struct.schema() == schema;
        for (Field field : schema.fields()) {
            Field own = sameSchema ? field : struct.schema().field(field.name());
            // (A field the struct lacks fails in Struct.get, naming it.)
            Object fieldValue = own == null ? struct.get(field.name()) : Structs.stored(struct, own);
            try {
                typed(field.schema(), fieldValue);
            } catch (DataException e) {
                throw new DataException("field '" + field.name() + "': " + e.getMessage(), e);
            }
        }
    }

    private int int32(Schema schema, Object value) {
        if (value instanceof java.util.Date) {
            if (org.apache.kafka.connect.data.Date.LOGICAL_NAME.equals(schema.name())) {
                return org.apache.kafka.connect.data.Date.fromLogical(schema, (java.util.Date) value);
            }
            if (Time.LOGICAL_NAME.equals(schema.name())) {
                return Time.fromLogical(schema, (java.util.Date) value);
            }
        }
        return as(Integer.class, schema, value);
    }

    private long int64(Schema schema, Object value) {
        if (value instanceof java.util.Date && Timestamp.LOGICAL_NAME.equals(schema.name())) {
            return Timestamp.fromLogical(schema, (java.util.Date) value);
        }
        return as(Long.class, schema, value);
    }

    private void bytes(Schema schema, Object value) {
        if (value instanceof byte[]) {
            out.bytes((byte[]) value);
        } else if (value instanceof ByteBuffer) {
            out.bytes((ByteBuffer) value);
        } else if (value instanceof BigDecimal && Decimal.LOGICAL_NAME.equals(schema.name())) {
            out.bytes(Decimal.fromLogical(schema, (BigDecimal) value));
        } else {
            throw mismatch(schema, value);
        }
    }

    /**
     * A schemaless datum: a tag, then its body. The final classes JsonConverter hands over most
     * are tested first: a class test is one compare, while each interface test ({@code Map},
     * {@code List}) scans the value's class's interfaces.
     */
    void datum(Object value) {
        if (value == null) {
            out.u8(D_NULL);
        } else if (value instanceof String) {
            out.u8(D_STRING);
            out.string((String) value);
        } else if (value instanceof Long) {
            out.u8(D_INT64);
            out.i64((Long) value);
        } else if (value instanceof Double) {
            out.u8(D_FLOAT64);
            out.f64((Double) value);
        } else if (value instanceof Boolean) {
            out.u8((Boolean) value ? D_TRUE : D_FALSE);
        } else if (value instanceof Integer) {
            out.u8(D_INT32);
            out.i32((Integer) value);
        } else if (value instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) value;
            out.u8(D_MAP);
            out.varint(map.size());
            map.forEach(entry);
        } else if (value instanceof List) {
            List<?> list = (List<?>) value;
            out.u8(D_ARRAY);
            out.varint(list.size());
            for (Object element : list) {
                datum(element);
            }
        } else if (value instanceof Float) {
            out.u8(D_FLOAT32);
            out.f32((Float) value);
        } else if (value instanceof Short) {
            out.u8(D_INT16);
            out.i16((Short) value);
        } else if (value instanceof Byte) {
            out.u8(D_INT8);
            out.u8((Byte) value);
        } else if (value instanceof byte[]) {
            out.u8(D_BYTES);
            out.bytes((byte[]) value);
        } else if (value instanceof ByteBuffer) {
            out.u8(D_BYTES);
            out.bytes((ByteBuffer) value);
        } else if (value instanceof BigDecimal) {
            BigDecimal decimal = (BigDecimal) value;
            out.u8(D_DECIMAL);
            out.varint(zigzag(decimal.scale()));
            out.bytes(decimal.unscaledValue().toByteArray());
        } else if (value instanceof java.util.Date) {
            out.u8(D_TIMESTAMP);
            out.i64(((java.util.Date) value).getTime());
        } else if (value instanceof Struct) {
            Struct struct = (Struct) value;
            out.u8(D_STRUCT);
            out.varint(schemaIds.idOf(struct.schema()));
            typed(struct.schema(), struct);
        } else {
            throw new DataException("schemaless data holds a " + value.getClass().getName()
                    + ", which Connect data cannot contain");
        }
    }

    /**
     * A record value's schemaless datum, as {@link #datum}; but a map that holds the first of
     * the value keys is written with the entries of those keys alone, in their order (the core
     * reads no others: {@code docs/batch-format.md}, "Record values the core reads in part"). A
     * Debezium event's {@code source} is then neither walked nor sent.
     */
    void value(Object value) {
        // Only the maps Connect's converters build: another Map's get may disagree with its
        // entries (a case-insensitive TreeMap, a map that makes entries on demand).
        if (valueKeys == null || value == null
                || (value.getClass() != HashMap.class && value.getClass() != LinkedHashMap.class)) {
            datum(value);
            return;
        }
        Map<?, ?> map = (Map<?, ?>) value;
        try {
            int present = lookUp(map);
            if (present < 0) {
                datum(map);
                return;
            }
            out.u8(D_MAP);
            out.varint(present);
            for (int i = 0; i < valueKeys.length; i++) {
                if (valueSlots[i] != ABSENT) {
                    key(valueKeys[i]);
                    datum(valueSlots[i]);
                }
            }
        } finally {
            java.util.Arrays.fill(valueSlots, null);
        }
    }

    /**
     * The schema a record value under {@code schema} is written under, as {@link #value} cuts
     * a map: a STRUCT schema with a field named as the first value key is cut to its fields
     * named as value keys, in its own order (the same name, parameters and optional flag);
     * {@link #typed} then reads them from the value's struct by name. Any other schema, and
     * one that cannot be cut (two fields of one name), is kept. Converters keep one schema
     * instance per distinct schema, so each is cut once per session.
     */
    Schema valueSchema(Schema schema) {
        if (valueKeys == null || schema.type() != Schema.Type.STRUCT) {
            return schema;
        }
        Schema projected = projections.get(schema);
        if (projected == null) {
            if (projections.size() >= BatchEncoder.MAX_SESSION_ENTRIES) {
                projections.clear();
            }
            projected = project(schema);
            projections.put(schema, projected);
        }
        return projected;
    }

    /** Forgets every cut schema: their session ids are gone. */
    void forgetProjections() {
        projections.clear();
    }

    private Schema project(Schema schema) {
        try {
            if (schema.field(valueKeys[0]) == null) {
                return schema;
            }
            SchemaBuilder builder = SchemaBuilder.struct().name(schema.name())
                    .version(schema.version()).doc(schema.doc());
            if (schema.parameters() != null) {
                builder.parameters(schema.parameters());
            }
            if (schema.isOptional()) {
                builder.optional();
            }
            for (Field field : schema.fields()) {
                for (String key : valueKeys) {
                    if (key.equals(field.name())) {
                        builder.field(field.name(), field.schema());
                        break;
                    }
                }
            }
            return builder.build();
        } catch (DataException e) {
            // SchemaBuilder refuses a name given twice; the whole schema is written as before.
            return schema;
        }
    }

    /**
     * Puts the map's value of each value key into {@link #valueSlots} ({@link #ABSENT} where it
     * has none) and returns how many it has; -1 when it does not hold the first.
     */
    private int lookUp(Map<?, ?> map) {
        int present = 0;
        for (int i = 0; i < valueKeys.length; i++) {
            Object v = map.get(valueKeys[i]);
            if (v == null && !map.containsKey(valueKeys[i])) {
                if (i == 0) {
                    return -1;
                }
                v = ABSENT;
            } else {
                present++;
            }
            valueSlots[i] = v;
        }
        return present;
    }

    /**
     * The keys as the JVM's canonical instances, which Jackson's field names are too, so that
     * {@link #key} finds their kept encodings whichever map they come from.
     */
    private static String[] interned(String[] keys) {
        String[] interned = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            interned[i] = keys[i].intern();
        }
        return interned;
    }

    /** A map's key, as {@link #datum}; a string key's encoding is copied when it is kept. */
    private void key(Object key) {
        if (!(key instanceof String)) {
            datum(key);
            return;
        }
        String s = (String) key;
        int slot = s.hashCode() & (KEY_SLOTS - 1);
        if (keys[slot] == s) {
            out.put(keyBytes[slot], keyLengths[slot]);
            return;
        }
        int start = out.position();
        datum(s);
        int n = out.position() - start;
        if (n <= KEY_BYTES) {
            byte[] kept = keyBytes[slot];
            if (kept == null) {
                kept = new byte[KEY_BYTES];
                keyBytes[slot] = kept;
            }
            System.arraycopy(out.array(), start, kept, 0, n);
            keyLengths[slot] = n;
            keys[slot] = s;
        }
    }

    /** Zigzag encoding of a 32-bit integer, as an unsigned value. */
    static long zigzag(int n) {
        return ((n << 1) ^ (n >> 31)) & 0xFFFFFFFFL;
    }

    private static <T> T as(Class<T> type, Schema schema, Object value) {
        if (!type.isInstance(value)) {
            throw mismatch(schema, value);
        }
        return type.cast(value);
    }

    private static DataException mismatch(Schema schema, Object value) {
        return new DataException("a " + value.getClass().getName() + " where the schema ("
                + describe(schema) + ") expects another Java type");
    }

    private static String describe(Schema schema) {
        return schema.name() == null ? schema.type().toString()
                : schema.type() + " " + schema.name();
    }
}
