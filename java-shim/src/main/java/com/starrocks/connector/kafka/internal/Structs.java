package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/** Reading Connect Structs as they are. */
public final class Structs {
    private Structs() {
    }

    /**
     * The value {@code struct} holds for {@code field}, a field of the struct's own schema.
     * {@link Struct#get(Field)} answers a NULL of an optional field that has a default with the
     * default; this keeps the NULL (JsonConverter's {@code replace.null.with.default=false},
     * Avro's {@code ignore.default.for.nullables}), as the same value written as JSON text
     * loads. A required field's default stands, as {@code Struct.get} gives it.
     */
    public static Object stored(Struct struct, Field field) {
        Object value = struct.get(field);
        if (value != null && field.schema().isOptional() && field.schema().defaultValue() != null) {
            return struct.getWithoutDefault(field.name());
        }
        return value;
    }
}
