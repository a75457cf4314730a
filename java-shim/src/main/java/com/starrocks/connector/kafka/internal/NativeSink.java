package com.starrocks.connector.kafka.internal;

import java.nio.ByteBuffer;

/**
 * The native methods of the Rust core, exactly as {@code docs/jni.md} lists them (Rust side:
 * {@code native/jni/src/native_sink.rs}).
 *
 * <p>Every method may throw {@link org.apache.kafka.common.config.ConfigException},
 * {@link org.apache.kafka.connect.errors.RetriableException} or
 * {@link org.apache.kafka.connect.errors.ConnectException}. Call {@link NativeLoader#load()}
 * before the first call; this class does not load the library itself, so that merely
 * referring to it (as Connect's plugin scanning does) never touches native code.
 */
public final class NativeSink {
    private NativeSink() {
    }

    /** Validates a connector config; returns pairs {@code [key0, message0, key1, message1, ...]}. */
    public static native String[] validate(String[] keys, String[] values);

    /** Builds a sink from a task config; returns its handle. */
    public static native long start(String[] keys, String[] values, String connector, String task);

    /** Partitions assigned (original topic-partitions). */
    public static native void open(long handle, String[] topics, int[] partitions);

    /**
     * Decodes and buffers one batch ({@code docs/batch-format.md}) of {@code length} bytes from
     * the start of {@code batch}; returns {@code null} or the records rejected under
     * {@code errors.tolerance=all}.
     */
    public static native byte[] put(long handle, ByteBuffer batch, int length);

    /**
     * Flushes and waits; returns the durable offsets. The arrays are Connect's current
     * offsets per original partition: where everything the core was given is durable, the core
     * may return those (records dropped before {@code put}, e.g. by an SMT, then count too).
     */
    public static native byte[] preCommit(
            long handle, String[] topics, int[] partitions, long[] offsets);

    /** Partitions revoked: their buffered rows are dropped. */
    public static native void close(long handle, String[] topics, int[] partitions);

    /** Stops the sink and frees the handle; a second call is a no-op. */
    public static native void stop(long handle);

    /** Counters, one per line: {@code <table>\t<counter>\t<value>}. */
    public static native String metrics(long handle);

    /** The core's log events since the last call. */
    public static native byte[] drainLogs();

    /**
     * Test hook: panics in native code with {@code message}, which must surface as a
     * {@link org.apache.kafka.connect.errors.ConnectException} naming it, the JVM unharmed.
     */
    public static native void panicForTest(String message);
}
