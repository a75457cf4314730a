package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Encodes a {@code put()}'s records into one batch of the format in
 * {@code docs/batch-format.md} (version 1), in one reusable array.
 *
 * <p>Topic names and {@code Schema} objects get session ids the first time they are met; their
 * TOPIC_DEF / SCHEMA_DEF entries are written once, just before the first record that uses them,
 * and later records and batches refer to the ids. {@link #reset()} starts the numbering again
 * and marks the next batch RESET; the encoder also resets itself when its tables pass
 * {@value #MAX_SESSION_ENTRIES} entries, and after any failure, so the core never sees an id
 * it was not sent.
 *
 * <p>Not thread-safe: a task's {@code put()} runs on one thread.
 */
public final class BatchEncoder {
    static final byte[] MAGIC = {'S', 'R', 'K', 'B'};
    static final int VERSION = 1;
    static final int FLAG_RESET = 1;
    static final int TAG_TOPIC_DEF = 0x01;
    static final int TAG_SCHEMA_DEF = 0x02;
    static final int TAG_RECORD = 0x03;
    static final int KIND_NULL = 0;
    static final int KIND_RAW_BYTES = 1;
    static final int KIND_RAW_TEXT = 2;
    static final int KIND_DATA = 3;
    static final int KIND_TYPED = 4;
    /** Offset of the header's {@code flags} byte and {@code count} field. */
    private static final int FLAGS_AT = 5;
    private static final int COUNT_AT = 8;
    /** Topics plus schemas the session tables may hold before the encoder resets them. */
    static final int MAX_SESSION_ENTRIES = 10_000;

    /** Whether {@code SinkRecord.originalTopic()} and friends exist (Kafka Connect 3.6+). */
    private static final boolean HAS_ORIGINALS = hasOriginals();

    /** Decides what happens to a record that cannot be encoded. */
    public interface RecordErrorHandler {
        /**
         * Called with a record that cannot be encoded; return to leave it out of the batch, or
         * throw to fail the whole {@code put()}.
         */
        void onError(SinkRecord record, DataException error);
    }

    private final BatchBuffer out;
    private final SessionIds<String> topics = new SessionIds<>(new HashMap<String, Integer>());
    private final SessionIds<Schema> schemas = new SessionIds<>(new IdentityHashMap<Schema, Integer>());
    private final ValueWriter values;
    private List<SinkRecord> encoded = new ArrayList<>();
    /** Ids below these have had their definitions sent. */
    private int definedTopics;
    private int definedSchemas;
    private boolean resetPending;

    /**
     * An encoder whose buffer starts at {@code initialCapacity} bytes. {@code valueKeys}: what
     * {@link NativeSink#valueKeys} returned (a record value, map or struct, that holds the
     * first of them is written with those entries or fields alone), or {@code null} to write
     * every value whole.
     */
    public BatchEncoder(int initialCapacity, String[] valueKeys) {
        out = new BatchBuffer(initialCapacity);
        values = new ValueWriter(out, schemas, valueKeys);
    }

    /** An encoder with a 64 KiB initial buffer; {@code valueKeys} as above. */
    public BatchEncoder(String[] valueKeys) {
        this(64 * 1024, valueKeys);
    }

    /** An encoder with a 64 KiB initial buffer that writes every value whole. */
    public BatchEncoder() {
        this(null);
    }

    /** Forgets every topic and schema id; the next batch carries the RESET flag. */
    public void reset() {
        topics.clear();
        schemas.clear();
        values.forgetProjections();
        definedTopics = 0;
        definedSchemas = 0;
        resetPending = true;
    }

    /**
     * Encodes the records into the encoder's array and returns the batch's length: the batch
     * is {@link #array()}'s bytes from 0 to that length. The array is reused by the next call.
     */
    public int encode(Collection<SinkRecord> records, RecordErrorHandler onError) {
        try {
            if (topics.size() + schemas.size() > MAX_SESSION_ENTRIES) {
                reset();
            }
            out.clear();
            encoded.clear();
            out.u8(MAGIC[0]);
            out.u8(MAGIC[1]);
            out.u8(MAGIC[2]);
            out.u8(MAGIC[3]);
            out.u8(VERSION);
            out.u8(resetPending ? FLAG_RESET : 0);
            out.i16((short) 0);
            out.i32(0);
            for (SinkRecord record : records) {
                add(record, onError);
            }
            out.i32At(COUNT_AT, encoded.size());
            resetPending = false;
            return out.position();
        } catch (RuntimeException | Error e) {
            reset();
            throw e;
        }
    }

    /** The array the last batch was encoded into (its length is what {@link #encode} returned). */
    public byte[] array() {
        return out.array();
    }

    /**
     * The RECORD entries of the last batch, in order (rejections refer to records by index),
     * handed to the caller: the encoder starts a new list for the next batch.
     */
    public List<SinkRecord> takeRecords() {
        List<SinkRecord> records = encoded;
        encoded = new ArrayList<>(records.size());
        return records;
    }

    /** The {@code index}-th RECORD of the last batch (rejections refer to records by index). */
    public SinkRecord record(int index) {
        return encoded.get(index);
    }

    /** How many RECORD entries the last batch holds. */
    public int recordCount() {
        return encoded.size();
    }

    /** Whether the last encoded batch carries the RESET flag (for tests and logs). */
    boolean lastBatchReset() {
        return (out.byteAt(FLAGS_AT) & FLAG_RESET) != 0;
    }

    private void add(SinkRecord record, RecordErrorHandler onError) {
        int start = out.position();
        try {
            writeRecord(record);
            if (topics.size() > definedTopics || schemas.size() > definedSchemas) {
                // New ids were met: their definitions must come first, so write them and the
                // record again (now every id is known, the second pass defines nothing).
                out.position(start);
                writeDefinitions();
                writeRecord(record);
            }
            encoded.add(record);
        } catch (DataException | ClassCastException e) {
            out.position(start);
            topics.rollback(definedTopics);
            schemas.rollback(definedSchemas);
            onError.onError(record, new DataException("Cannot encode the record at topic="
                    + record.topic() + " partition=" + record.kafkaPartition() + " offset="
                    + record.kafkaOffset() + ": " + e.getMessage(), e));
        }
    }

    private void writeDefinitions() {
        for (int id = definedTopics; id < topics.size(); id++) {
            out.u8(TAG_TOPIC_DEF);
            out.varint(id);
            out.string(topics.key(id));
        }
        definedTopics = topics.size();
        for (int id = definedSchemas; id < schemas.size(); id++) {
            out.u8(TAG_SCHEMA_DEF);
            out.varint(id);
            values.schema(schemas.key(id));
        }
        definedSchemas = schemas.size();
    }

    private void writeRecord(SinkRecord record) {
        out.u8(TAG_RECORD);
        if (HAS_ORIGINALS) {
            out.varint(topics.idOf(record.originalTopic()));
            out.i32(partition(record.originalKafkaPartition()));
            out.i64(record.originalKafkaOffset());
        } else {
            out.varint(topics.idOf(record.topic()));
            out.i32(partition(record.kafkaPartition()));
            out.i64(record.kafkaOffset());
        }
        out.varint(topics.idOf(record.topic()));
        Long timestamp = record.timestamp();
        if (timestamp == null) {
            out.u8(0);
        } else {
            out.u8(1);
            out.i64(timestamp);
        }
        payload(record.keySchema(), record.key(), "key", false);
        payload(record.valueSchema(), record.value(), "value", true);
    }

    private void payload(Schema schema, Object value, String what, boolean isValue) {
        try {
            if (value == null) {
                out.u8(KIND_NULL);
            } else if (value instanceof byte[]) {
                out.u8(KIND_RAW_BYTES);
                out.bytes((byte[]) value);
            } else if (value instanceof ByteBuffer) {
                out.u8(KIND_RAW_BYTES);
                out.bytes((ByteBuffer) value);
            } else if (value instanceof String) {
                out.u8(KIND_RAW_TEXT);
                out.string((String) value);
            } else if (schema == null) {
                out.u8(KIND_DATA);
                if (isValue) {
                    values.value(value);
                } else {
                    values.datum(value);
                }
            } else {
                Schema written = isValue ? values.valueSchema(schema) : schema;
                out.u8(KIND_TYPED);
                out.varint(schemas.idOf(written));
                values.typed(written, value);
            }
        } catch (DataException e) {
            throw new DataException(what + ": " + e.getMessage(), e);
        }
    }

    private static int partition(Integer partition) {
        return partition == null ? -1 : partition;
    }

    /** Whether this Connect runtime tells a sink a record's original topic (3.6+). */
    public static boolean hasOriginalTopics() {
        return HAS_ORIGINALS;
    }

    private static boolean hasOriginals() {
        try {
            SinkRecord.class.getMethod("originalTopic");
            SinkRecord.class.getMethod("originalKafkaPartition");
            SinkRecord.class.getMethod("originalKafkaOffset");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
