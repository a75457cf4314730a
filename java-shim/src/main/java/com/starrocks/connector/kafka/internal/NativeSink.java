package com.starrocks.connector.kafka.internal;


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

    /**
     * Validates a connector config, asking StarRocks too (within {@code connect.timeoutms});
     * returns pairs {@code [key0, message0, key1, message1, ...]}. {@code originalTopics}: this
     * Connect runtime has {@code SinkRecord.originalTopic()} (3.6+).
     */
    public static native String[] validate(String[] keys, String[] values, boolean originalTopics);

    /**
     * Every key the core reads with a default, as triples {@code [key, default, valid, ...]};
     * {@code valid} is {@code range:<min>:<max>} or {@code one-of:<a>,<b>,...}.
     */
    public static native String[] configKeys();

    /**
     * Forgets the exactly-once progress of {@code connector} for the given partitions (all of
     * them when none is given), so that records Connect hands over again are loaded again;
     * nothing under at-least-once.
     */
    public static native void resetProgress(String[] keys, String[] values, String connector,
            String[] topics, int[] partitions);

    /** Builds a sink from a task config; returns its handle. */
    public static native long start(String[] keys, String[] values, String connector, String task);

    /** Partitions assigned (original topic-partitions); returns those to resume. */
    public static native byte[] open(long handle, String[] topics, int[] partitions);

    /**
     * Hands one batch ({@code docs/batch-format.md}) of {@code length} bytes from the start of
     * {@code batch} to the core, which copies it and decodes and buffers it on its own thread;
     * never waits for StarRocks. Returns the answers to the <em>earlier</em> batches taken in
     * since the last call ({@code null} when there is nothing to say): how many they are, their
     * records rejected under {@code errors.tolerance=all}, the partitions to pause and resume,
     * and how soon to call again ({@link NativeReplies#put}).
     */
    public static native byte[] put(long handle, byte[] batch, int length);

    /**
     * Flushes and waits a little for loads in flight; returns the durable offsets. The arrays are Connect's current
     * offsets per original partition: where everything the core was given is durable, the core
     * may return those (records dropped before {@code put}, e.g. by an SMT, then count too).
     */
    public static native byte[] preCommit(
            long handle, String[] topics, int[] partitions, long[] offsets);

    /** Partitions revoked: their rows are dropped and their loads cancelled before commit. */
    public static native void close(long handle, String[] topics, int[] partitions);

    /** Stops the sink and frees the handle; a second call is a no-op. */
    public static native void stop(long handle);

    /**
     * The only keys (map entries, struct fields) the core reads of a record value that holds
     * the first of them, or {@code null} when it may read any: the encoder may leave the others
     * out ({@code docs/batch-format.md}, "Record values the core reads in part").
     */
    public static native String[] valueKeys(long handle);

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
