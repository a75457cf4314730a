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
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.transforms.Transformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Converts time-of-day fields held as milliseconds since midnight into text, e.g.
 * {@code 64957000} into {@code "18:02:37"}, with the configuration keys of StarRocks' own
 * transform of the same name:
 *
 * <ul>
 *   <li>{@code fields}: comma-separated names of the top-level fields to convert; when empty,
 *   every field with Connect's {@code Time} logical type is converted.</li>
 *   <li>{@code format}: {@code HH:mm:ss} (default) or {@code HH:mm:ss.SSS}; any other value
 *   means {@code HH:mm:ss}.</li>
 * </ul>
 *
 * <p>Only values that are Structs with a schema are changed. A converted field becomes a
 * STRING, optional when it was. Values may be Integers, Longs or {@code java.util.Date}s
 * (taken modulo one day); negative values get a leading {@code -}; other values of a named
 * field become their {@code toString()}.
 *
 * @param <R> the record type
 */
public class TimeMillisToStringTransform<R extends ConnectRecord<R>> implements Transformation<R>, Versioned {
    public static final String FIELDS_CONFIG = "fields";
    public static final String FORMAT_CONFIG = "format";
    public static final String FORMAT_SECONDS = "HH:mm:ss";
    public static final String FORMAT_MILLIS = "HH:mm:ss.SSS";
    private static final long MILLIS_PER_DAY = 24L * 60 * 60 * 1000;
    private static final Logger LOG = LoggerFactory.getLogger(TimeMillisToStringTransform.class);

    /** The definition of the transform's keys. */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(FIELDS_CONFIG, ConfigDef.Type.STRING, "", ConfigDef.Importance.MEDIUM,
                    "Comma-separated names of the fields to convert. If empty, every field with "
                            + "the time-millis logical type (org.apache.kafka.connect.data.Time) "
                            + "is converted.")
            .define(FORMAT_CONFIG, ConfigDef.Type.STRING, FORMAT_SECONDS, ConfigDef.Importance.LOW,
                    "The output format: HH:mm:ss (default) or HH:mm:ss.SSS.");

    private Set<String> fields = Collections.emptySet();
    private boolean withMillis;
    private Cache<Schema, Schema> schemas;

    @Override
    public void configure(Map<String, ?> configs) {
        Object fieldsValue = configs.get(FIELDS_CONFIG);
        Set<String> names = new HashSet<>();
        if (fieldsValue != null) {
            for (String name : fieldsValue.toString().split(",")) {
                if (!name.trim().isEmpty()) {
                    names.add(name.trim());
                }
            }
        }
        fields = Collections.unmodifiableSet(names);
        Object formatValue = configs.get(FORMAT_CONFIG);
        String format = formatValue == null ? FORMAT_SECONDS : formatValue.toString().trim();
        withMillis = FORMAT_MILLIS.equals(format);
        if (!format.isEmpty() && !withMillis && !FORMAT_SECONDS.equals(format)) {
            LOG.warn("Unknown format '{}' for TimeMillisToStringTransform; using {}", format,
                    FORMAT_SECONDS);
        }
        schemas = new SynchronizedCache<>(new LRUCache<Schema, Schema>(16));
    }

    @Override
    public R apply(R record) {
        if (record.valueSchema() == null || !(record.value() instanceof Struct)) {
            return record;
        }
        Struct value = (Struct) record.value();
        Schema schema = value.schema();
        if (!hasFieldToConvert(schema)) {
            return record;
        }
        Schema newSchema = convertedSchema(schema);
        Struct newValue = new Struct(newSchema);
        for (Field field : schema.fields()) {
            Object fieldValue = Structs.stored(value, field);
            newValue.put(field.name(), converts(field) && fieldValue != null
                    ? text(field, fieldValue) : fieldValue);
        }
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(),
                record.key(), newSchema, newValue, record.timestamp());
    }

    private boolean converts(Field field) {
        if (!fields.isEmpty()) {
            return fields.contains(field.name());
        }
        Schema.Type type = field.schema().type();
        return type != Schema.Type.STRUCT && type != Schema.Type.ARRAY && type != Schema.Type.MAP
                && Time.LOGICAL_NAME.equals(field.schema().name());
    }

    private boolean hasFieldToConvert(Schema schema) {
        for (Field field : schema.fields()) {
            if (converts(field)) {
                return true;
            }
        }
        return false;
    }

    private Schema convertedSchema(Schema schema) {
        Schema cached = schemas.get(schema);
        if (cached != null) {
            return cached;
        }
        SchemaBuilder builder = StructSchemas.like(schema);
        for (Field field : schema.fields()) {
            if (converts(field)) {
                builder.field(field.name(), field.schema().isOptional()
                        ? Schema.OPTIONAL_STRING_SCHEMA : Schema.STRING_SCHEMA);
            } else {
                builder.field(field.name(), field.schema());
            }
        }
        Schema built = builder.build();
        schemas.put(schema, built);
        return built;
    }

    private String text(Field field, Object value) {
        if (value instanceof Integer) {
            return format((Integer) value);
        }
        if (value instanceof Long) {
            return format(((Long) value).intValue());
        }
        if (value instanceof java.util.Date) {
            return format((int) (((java.util.Date) value).getTime() % MILLIS_PER_DAY));
        }
        LOG.warn("Field '{}' holds a {}, not milliseconds; writing it as text", field.name(),
                value.getClass().getName());
        return value.toString();
    }

    /** Milliseconds since midnight as {@code HH:mm:ss[.SSS]}; hours may exceed 23. */
    String format(int millisOfDay) {
        long millis = Math.abs((long) millisOfDay);
        StringBuilder s = new StringBuilder(13);
        if (millisOfDay < 0) {
            s.append('-');
        }
        pad(s, millis / 3_600_000L, 2).append(':');
        pad(s, millis / 60_000L % 60, 2).append(':');
        pad(s, millis / 1_000L % 60, 2);
        if (withMillis) {
            pad(s.append('.'), millis % 1_000L, 3);
        }
        return s.toString();
    }

    private static StringBuilder pad(StringBuilder s, long n, int width) {
        String digits = Long.toString(n);
        for (int i = digits.length(); i < width; i++) {
            s.append('0');
        }
        return s.append(digits);
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }

    @Override
    public String version() {
        return PluginVersion.get();
    }

    @Override
    public void close() {
    }
}
