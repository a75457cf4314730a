package com.starrocks.connector.kafka.internal;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoders of the byte replies of {@link NativeSink} ({@code docs/jni.md}): durable offsets,
 * put replies (rejected records, partitions to pause and resume), partitions, and log events.
 * All little-endian.
 */
public final class NativeReplies {
    private NativeReplies() {
    }

    /**
     * A record rejected under {@code errors.tolerance=all}: the core could not encode it, or
     * StarRocks rejected its rows (the message carries StarRocks' reason).
     */
    public static final class Rejection {
        /** The record's position among the batch's RECORD entries. */
        public final int index;
        public final String message;

        Rejection(int index, String message) {
            this.index = index;
            this.message = message;
        }
    }

    /** What {@code put} returns: rejections and what to do with the consumer. */
    public static final class PutReply {
        public static final PutReply EMPTY = new PutReply(Collections.<Rejection>emptyList(),
                Collections.<TopicPartition>emptyList(), Collections.<TopicPartition>emptyList(), 0,
                Collections.<TopicPartition, Long>emptyMap(), false, 0);

        public final List<Rejection> rejections;
        /** Partitions to pause ({@code SinkTaskContext.pause}). */
        public final List<TopicPartition> pause;
        /** Partitions to resume. */
        public final List<TopicPartition> resume;
        /** Call {@code put} again within this many milliseconds; 0: no need. */
        public final long callAgainMillis;
        /** Partitions to consume again from these offsets ({@code SinkTaskContext.offset}). */
        public final Map<TopicPartition, Long> rewind;
        /** Rows became durable: ask Connect to commit now ({@code requestCommit}). */
        public final boolean commit;
        /**
         * How many batches the reply answers: the oldest not yet answered. Rejection indexes
         * count the records of these batches together, in order.
         */
        public final int batches;

        PutReply(List<Rejection> rejections, List<TopicPartition> pause,
                List<TopicPartition> resume, long callAgainMillis,
                Map<TopicPartition, Long> rewind, boolean commit, int batches) {
            this.rejections = rejections;
            this.pause = pause;
            this.resume = resume;
            this.callAgainMillis = callAgainMillis;
            this.rewind = rewind;
            this.commit = commit;
            this.batches = batches;
        }
    }

    /** One log event of the core. */
    public static final class LogEvent {
        /** 1 ERROR, 2 WARN, 3 INFO, 4 DEBUG, 5 TRACE. */
        public final int level;
        public final String connector;
        public final String task;
        public final String message;

        LogEvent(int level, String connector, String task, String message) {
            this.level = level;
            this.connector = connector;
            this.task = task;
            this.message = message;
        }
    }

    /**
     * {@code count u32, count x {topic (u16 length + UTF-8), partition i32, offset i64}}: the
     * next offset to consume of each original topic-partition.
     */
    public static Map<TopicPartition, OffsetAndMetadata> offsets(byte[] reply) {
        if (reply == null || reply.length == 0) {
            return Collections.emptyMap();
        }
        ByteBuffer in = wrap(reply);
        try {
            int count = count(in);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(count * 2);
            for (int i = 0; i < count; i++) {
                String topic = string(in, in.getShort() & 0xFFFF);
                int partition = in.getInt();
                long offset = in.getLong();
                offsets.put(new TopicPartition(topic, partition), new OffsetAndMetadata(offset));
            }
            end(in, "offsets");
            return offsets;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw malformed("offsets", e);
        }
    }

    /**
     * The rejected records {@code (count u32, count x {index u32, message (u32 length +
     * UTF-8)})}, the partitions to pause and those to resume (each as in {@link #partitions}),
     * then {@code call_again_ms u32}, then the partitions to consume again from an offset (as in
     * {@link #offsets}), then {@code commit u8} (1: ask Connect to commit now), then
     * {@code batches u32} (how many of the oldest batches not yet answered it answers);
     * {@code null} means nothing.
     */
    public static PutReply put(byte[] reply) {
        if (reply == null || reply.length == 0) {
            return PutReply.EMPTY;
        }
        ByteBuffer in = wrap(reply);
        try {
            int count = count(in);
            List<Rejection> rejections = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int index = in.getInt();
                rejections.add(new Rejection(index, string(in, in.getInt())));
            }
            List<TopicPartition> pause = partitionList(in);
            List<TopicPartition> resume = partitionList(in);
            long callAgainMillis = in.getInt() & 0xFFFFFFFFL;
            int rewinds = count(in);
            Map<TopicPartition, Long> rewind = new HashMap<>(rewinds * 2);
            for (int i = 0; i < rewinds; i++) {
                String topic = string(in, in.getShort() & 0xFFFF);
                int partition = in.getInt();
                rewind.put(new TopicPartition(topic, partition), in.getLong());
            }
            boolean commit = in.get() != 0;
            int batches = in.getInt();
            if (batches < 0) {
                throw new IllegalArgumentException("batch count " + Integer.toUnsignedString(batches));
            }
            end(in, "put reply");
            return new PutReply(rejections, pause, resume, callAgainMillis, rewind, commit,
                    batches);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw malformed("put reply", e);
        }
    }

    /** {@code count u32, count x {topic (u16 length + UTF-8), partition i32}}. */
    public static List<TopicPartition> partitions(byte[] reply) {
        if (reply == null || reply.length == 0) {
            return Collections.emptyList();
        }
        ByteBuffer in = wrap(reply);
        try {
            List<TopicPartition> partitions = partitionList(in);
            end(in, "partitions");
            return partitions;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw malformed("partitions", e);
        }
    }

    private static List<TopicPartition> partitionList(ByteBuffer in) {
        int count = count(in);
        List<TopicPartition> partitions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String topic = string(in, in.getShort() & 0xFFFF);
            partitions.add(new TopicPartition(topic, in.getInt()));
        }
        return partitions;
    }

    /** {@code count u32, count x {level u8, connector, task, message}} (u32-length strings). */
    public static List<LogEvent> logEvents(byte[] reply) {
        if (reply == null || reply.length == 0) {
            return Collections.emptyList();
        }
        ByteBuffer in = wrap(reply);
        try {
            int count = count(in);
            List<LogEvent> events = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int level = in.get() & 0xFF;
                String connector = string(in, in.getInt());
                String task = string(in, in.getInt());
                String message = string(in, in.getInt());
                events.add(new LogEvent(level, connector, task, message));
            }
            end(in, "log events");
            return events;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw malformed("log events", e);
        }
    }

    private static ByteBuffer wrap(byte[] reply) {
        return ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        // Every entry takes at least one byte: a larger count cannot be right.
        if (count < 0 || count > in.remaining()) {
            throw new IllegalArgumentException("count " + Integer.toUnsignedString(count)
                    + " exceeds the " + in.remaining() + " bytes that follow");
        }
        return count;
    }

    private static String string(ByteBuffer in, int length) {
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("string length " + Integer.toUnsignedString(length)
                    + " exceeds the " + in.remaining() + " bytes that follow");
        }
        String s = new String(in.array(), in.arrayOffset() + in.position(), length,
                StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }

    private static void end(ByteBuffer in, String what) {
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " bytes follow the " + what);
        }
    }

    private static ConnectException malformed(String what, RuntimeException e) {
        return new ConnectException("The native core returned malformed " + what + ": "
                + e.getMessage(), e);
    }
}
