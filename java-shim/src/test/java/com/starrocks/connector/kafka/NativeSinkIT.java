package com.starrocks.connector.kafka;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.starrocks.connector.kafka.internal.NativeLoader;
import com.starrocks.connector.kafka.internal.NativeSink;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The task and connector over the real native library (extracted from the packaged jar),
 * against the StarRocks emulator: what a user of the seed observes.
 */
class NativeSinkIT {
    private static final TopicPartition TEST_0 = new TopicPartition("test", 0);
    private static EmulatorProcess emulator;

    @BeforeAll
    static void startEmulator() throws Exception {
        emulator = EmulatorProcess.start(EmulatorProcess.SEED_DDL);
    }

    @AfterAll
    static void stopEmulator() throws Exception {
        emulator.close();
    }

    /**
     * Under exactly-once: a partition's records are handed back (rewound, paused) until its
     * recovery is done, then load with their progress; Connect's offsets API (alterOffsets)
     * makes the core forget that progress; a StarRocks that cannot be reached fails the call,
     * so a reset is never silently half-done.
     */
    @Test
    void exactlyOnceRewindsUntilRecoveredAndAlterOffsetsForgetsTheProgress() throws Exception {
        try (EmulatorProcess own = EmulatorProcess.start(EmulatorProcess.SEED_DDL)) {
            Map<String, String> props = own.seedConfig("");
            props.put("name", "eo-it");
            props.put("sink.semantic", "exactly-once");
            props.put("starrocks.query.url", own.query());
            RecordingContext context = new RecordingContext(TEST_0);
            StarRocksSinkTask task = new StarRocksSinkTask();
            task.initialize(context);
            task.start(props);
            try {
                task.open(Collections.singleton(TEST_0));
                long deadline = System.currentTimeMillis() + 20_000;
                task.put(Seed.records());
                answers(task);
                while (!context.rewound.isEmpty()) {
                    assertEquals(Collections.singletonMap(TEST_0, 0L), context.rewound);
                    assertTrue(System.currentTimeMillis() < deadline, "never recovered");
                    context.rewound.clear();
                    while (context.paused.contains(TEST_0)) {
                        Thread.sleep(50);
                        task.put(Collections.emptyList());
                    }
                    task.put(Seed.records());
                    answers(task);
                }
                Map<TopicPartition, OffsetAndMetadata> three =
                        Collections.singletonMap(TEST_0, new OffsetAndMetadata(3));
                Seed.awaitCommit(task, three, three);
                assertEquals(Seed.ROWS, own.rows("test_tbl"));
                List<List<Object>> progress = own.rows("kafka_connect_progress", "`partition`");
                assertEquals(1, progress.size(), "one progress row: " + progress);
                assertEquals("[eo-it, test_tbl, test, 0, 3]",
                        progress.get(0).subList(0, 5).toString(), "records below 3 are loaded");
            } finally {
                task.stop();
            }
            StarRocksSinkConnector connector = new StarRocksSinkConnector();
            // A reset of another partition leaves partition 0's progress alone.
            assertTrue(connector.alterOffsets(props,
                    Collections.singletonMap(new TopicPartition("test", 1), null)));
            assertEquals(1, own.rows("kafka_connect_progress", "`partition`").size());
            // DELETE /connectors/eo-it/offsets when the group has no committed offsets (they
            // expired while the connector was stopped): Connect hands over no partition at all.
            assertTrue(connector.alterOffsets(props, Collections.emptyMap()));
            assertEquals(Collections.emptyList(), own.rows("kafka_connect_progress", "`partition`"));
            Map<TopicPartition, Long> reset = Collections.singletonMap(TEST_0, null);
            assertTrue(connector.alterOffsets(props, reset));
            props.put("starrocks.query.url", "127.0.0.1:1");
            assertThrows(ConnectException.class, () -> connector.alterOffsets(props, reset));
            props.put("sink.semantic", "at-least-once");
            assertTrue(connector.alterOffsets(props, reset), "nothing to forget, nothing asked");
        }
    }

    /**
     * A row StarRocks rejects (a string in an INT column under strict_mode) reaches Connect's
     * errant record reporter as the very SinkRecord Connect delivered again after the core's
     * rewind, with StarRocks' reason; the other rows load once, and the offset commits past
     * the bad record only once it was reported.
     */
    @Test
    void aRowStarRocksRejectsReachesTheErrantRecordReporterWithItsReason() throws Exception {
        try (EmulatorProcess own = EmulatorProcess.start(EmulatorProcess.SEED_DDL)) {
            Map<String, String> props = own.seedConfig("");
            props.put("sink.properties.strict_mode", "true");
            RecordingContext context = new RecordingContext(TEST_0);
            StarRocksSinkTask task = tolerantTask(props, context);
            try {
                List<String> values = Arrays.asList(
                        "{\"id\":1,\"city\":\"New York\"}",
                        "{\"id\":\"two\",\"city\":\"Los Angeles\"}",
                        "{\"id\":3,\"city\":\"Chicago\"}");
                List<org.apache.kafka.connect.sink.SinkRecord> records =
                        Seed.records("test", 0, values);
                task.put(records);
                Map<TopicPartition, OffsetAndMetadata> consumed =
                        Collections.singletonMap(TEST_0, new OffsetAndMetadata(3));
                long deadline = System.currentTimeMillis() + 30_000;
                while (context.rewound.isEmpty()) {
                    assertTrue(System.currentTimeMillis() < deadline, "never rewound");
                    Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(consumed);
                    assertTrue(committed.isEmpty()
                            || committed.get(TEST_0).offset() <= 1, "past the bad record: "
                            + committed);
                    Thread.sleep(50);
                    task.put(Collections.emptyList());
                }
                assertEquals(Collections.singletonMap(TEST_0, 1L), context.rewound);
                assertTrue(context.reported.isEmpty());
                // Connect delivers the partition again from the rewind.
                task.put(records.subList(1, 3));
                assertTrue(context.reported.isEmpty(), "reported with the reply, a put later");
                java.util.concurrent.CompletableFuture<Void> made = completedIn(300);
                context.answer = () -> made;
                answers(task);
                assertEquals(1, context.reported.size(), "only the bad record");
                assertTrue(made.isDone(), "put returned before the reporter had the record");
                org.apache.kafka.connect.sink.SinkRecord bad = context.reported.get(0).getKey();
                assertEquals(1L, bad.kafkaOffset());
                assertTrue(bad == records.get(1), "the record Connect delivered");
                String reason = context.reported.get(0).getValue().getMessage();
                assertTrue(reason.contains("topic=test partition=0 offset=1"), reason);
                assertTrue(reason.contains("two"), "StarRocks' rejected row: " + reason);
                // Only Connect's next put says the report was made: until then (a report that
                // failed would have failed that put, and none would follow) no offset passes it.
                Map<TopicPartition, OffsetAndMetadata> before = task.preCommit(consumed);
                assertTrue(before.get(TEST_0) == null || before.get(TEST_0).offset() <= 1,
                        "past the bad record before the next put: " + before);
                task.put(Collections.emptyList());
                Seed.awaitCommit(task, consumed, consumed);
                assertEquals(Arrays.asList(Arrays.<Object>asList(1L, "New York"),
                        Arrays.<Object>asList(3L, "Chicago")), own.rows("test_tbl"));
            } finally {
                task.stop();
            }
        }
    }

    /** A future completed {@code millis} ms from now, as a reporter's that waits for Kafka. */
    private static java.util.concurrent.CompletableFuture<Void> completedIn(long millis) {
        java.util.concurrent.CompletableFuture<Void> future =
                new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            future.complete(null);
        });
        return future;
    }

    /** A task of {@code props} under errors.tolerance=all in {@code context}, test-0 opened. */
    private static StarRocksSinkTask tolerantTask(Map<String, String> props,
            RecordingContext context) {
        props.put("errors.tolerance", "all");
        StarRocksSinkTask task = new StarRocksSinkTask();
        task.initialize(context);
        task.start(props);
        task.open(Collections.singleton(TEST_0));
        return task;
    }

    /**
     * Makes the task act on the answers to every batch it was given: a put's batch is taken in
     * behind it, and a later put hands its answer over; preCommit waits until the core has
     * taken every batch in.
     */
    private static void answers(StarRocksSinkTask task) {
        task.preCommit(Collections.<TopicPartition, OffsetAndMetadata>emptyMap());
        task.put(Collections.<org.apache.kafka.connect.sink.SinkRecord>emptyList());
    }

    /** A Connect task context that records pauses, resumes, rewinds and reported records. */
    private static final class RecordingContext implements org.apache.kafka.connect.sink.SinkTaskContext {
        final Map<TopicPartition, Long> rewound = new HashMap<>();
        final java.util.Set<TopicPartition> paused = new java.util.HashSet<>();
        final List<Map.Entry<org.apache.kafka.connect.sink.SinkRecord, Throwable>> reported =
                new ArrayList<>();
        /** What the errant record reporter answers each report with. */
        java.util.function.Supplier<java.util.concurrent.Future<Void>> answer =
                () -> java.util.concurrent.CompletableFuture.completedFuture(null);
        private final java.util.Set<TopicPartition> assignment;

        RecordingContext(TopicPartition... assigned) {
            assignment = new java.util.HashSet<>(Arrays.asList(assigned));
        }

        @Override
        public Map<String, String> configs() {
            return Collections.emptyMap();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
            rewound.putAll(offsets);
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
            rewound.put(tp, offset);
        }

        @Override
        public void timeout(long timeoutMs) {
        }

        @Override
        public java.util.Set<TopicPartition> assignment() {
            return assignment;
        }

        @Override
        public void pause(TopicPartition... partitions) {
            paused.addAll(Arrays.asList(partitions));
        }

        @Override
        public void resume(TopicPartition... partitions) {
            paused.removeAll(Arrays.asList(partitions));
        }

        @Override
        public void requestCommit() {
        }

        @Override
        public org.apache.kafka.connect.sink.ErrantRecordReporter errantRecordReporter() {
            return (record, error) -> {
                reported.add(new java.util.AbstractMap.SimpleEntry<>(record, error));
                return answer.get();
            };
        }
    }

    /**
     * A put returns only once Connect's errant record reporter has every report it made (the
     * core takes the next call as the sign that they are made), and a report that fails fails
     * the put.
     */
    @Test
    void putReturnsOnlyOnceTheErrantRecordReporterHasItsReports() throws Exception {
        RecordingContext context = new RecordingContext(TEST_0);
        StarRocksSinkTask task = tolerantTask(emulator.seedConfig(""), context);
        try {
            // A value the shim cannot encode: schemaless data holding an Object.
            java.util.function.LongFunction<org.apache.kafka.connect.sink.SinkRecord> bad =
                    offset -> new org.apache.kafka.connect.sink.SinkRecord("test", 0, null, null,
                            null, Collections.singletonMap("id", new Object()), offset);
            java.util.concurrent.CompletableFuture<Void> slow = completedIn(300);
            context.answer = () -> slow;
            task.put(Collections.singletonList(bad.apply(0)));
            assertEquals(1, context.reported.size());
            assertTrue(slow.isDone(), "put returned before the report was made");

            java.util.concurrent.CompletableFuture<Void> failed =
                    new java.util.concurrent.CompletableFuture<>();
            failed.completeExceptionally(new IllegalStateException("the DLQ topic is gone"));
            context.answer = () -> failed;
            org.apache.kafka.connect.errors.ConnectException e = org.junit.jupiter.api.Assertions
                    .assertThrows(org.apache.kafka.connect.errors.ConnectException.class,
                            () -> task.put(Collections.singletonList(bad.apply(1))));
            assertTrue(e.getMessage().contains("the DLQ topic is gone"), e.getMessage());
        } finally {
            task.stop();
        }
    }

    @Test
    void theSeedRecordsLandInTheSeedTableAndOffsetThreeCommits() throws Exception {
        StarRocksSinkTask task = new StarRocksSinkTask();
        task.start(emulator.seedConfig(""));
        try {
            task.open(Collections.singleton(TEST_0));
            task.put(Seed.records());
            Map<TopicPartition, OffsetAndMetadata> three =
                    Collections.singletonMap(TEST_0, new OffsetAndMetadata(3));
            Seed.awaitCommit(task, three, three);

            assertEquals(Seed.ROWS, emulator.rows("test_tbl"));
        } finally {
            task.stop();
        }
    }

    /**
     * Under {@code starrocks.envelope=debezium} the core reads an event's op, before and after
     * alone, and says so; the task's encoder then leaves the rest out: an event whose
     * {@code source} holds what Connect data cannot (so the encoder would refuse it if it
     * walked it) still loads.
     */
    @Test
    void aSchemalessDebeziumEventLoadsFromItsOpBeforeAndAfterAlone() throws Exception {
        String ddl = EmulatorProcess.SEED_DDL + "CREATE TABLE cdc_tbl (id INT, city STRING) "
                + "PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;\n";
        try (EmulatorProcess own = EmulatorProcess.start(ddl)) {
            Map<String, String> props = own.seedConfig("");
            props.put("starrocks.topic2table.map", "test:cdc_tbl");
            props.put("starrocks.envelope", "debezium");
            NativeLoader.load();
            String[][] kv = StarRocksSinkTask.keysAndValues(props);
            long handle = NativeSink.start(kv[0], kv[1], "keys", "0");
            try {
                assertArrayEquals(new String[] {"op", "before", "after"},
                        NativeSink.valueKeys(handle));
            } finally {
                NativeSink.stop(handle);
            }
            String[][] seed = StarRocksSinkTask.keysAndValues(own.seedConfig(""));
            long plain = NativeSink.start(seed[0], seed[1], "keys", "1");
            try {
                assertNull(NativeSink.valueKeys(plain), "without an envelope any key may be read");
            } finally {
                NativeSink.stop(plain);
            }

            StarRocksSinkTask task = new StarRocksSinkTask();
            task.start(props);
            try {
                task.open(Collections.singleton(TEST_0));
                List<SinkRecord> events = new ArrayList<>();
                String[][] changes = {{"c", "1", "New York"}, {"c", "2", "Chicago"},
                    {"u", "1", "Boston"}};
                for (int offset = 0; offset < changes.length; offset++) {
                    Map<String, Object> after = new HashMap<>();
                    after.put("id", Long.parseLong(changes[offset][1]));
                    after.put("city", changes[offset][2]);
                    Map<String, Object> source = new HashMap<>();
                    source.put("connector", "mysql");
                    source.put("not connect data", new Object());
                    Map<String, Object> event = new HashMap<>();
                    event.put("op", changes[offset][0]);
                    event.put("before", null);
                    event.put("after", after);
                    event.put("source", source);
                    event.put("ts_ms", 1_700_000_000_000L + offset);
                    events.add(new SinkRecord("test", 0, null, null, null, event, offset));
                }
                task.put(events);
                Map<TopicPartition, OffsetAndMetadata> three =
                        Collections.singletonMap(TEST_0, new OffsetAndMetadata(3));
                Seed.awaitCommit(task, three, three);

                assertEquals(Arrays.asList(Arrays.<Object>asList(1L, "Boston"),
                        Arrays.<Object>asList(2L, "Chicago")), own.rows("cdc_tbl"));
            } finally {
                task.stop();
            }
        }
    }

    @Test
    void validationNamesEachBadKey() {
        Map<String, String> props = emulator.seedConfig("");
        props.put("bufferflush.maxbytes", "12");
        props.put("starrocks.http.url", "127.0.0.1:notaport");
        props.remove("starrocks.password");

        Map<String, ConfigValue> values = new HashMap<>();
        for (ConfigValue v : new StarRocksSinkConnector().validate(props).configValues()) {
            values.put(v.name(), v);
        }

        for (String key : Arrays.asList("bufferflush.maxbytes", "starrocks.http.url",
                "starrocks.password")) {
            assertFalse(values.get(key).errorMessages().isEmpty(), key + " has its problem");
        }
        assertTrue(values.get("starrocks.http.url").errorMessages().get(0).contains("notaport"),
                "the core's reason: " + values.get("starrocks.http.url").errorMessages());
        ConfigValue connectorClass = values.get(StarRocksSinkConnector.CONNECTOR_CLASS);
        assertTrue(connectorClass == null || connectorClass.errorMessages().isEmpty(),
                "the native core was available: " + connectorClass);
        // The core itself reports each key, not only the ConfigDef.
        List<String> nativeKeys = new ArrayList<>();
        String[][] kv = StarRocksSinkTask.keysAndValues(props);
        String[] problems = NativeSink.validate(kv[0], kv[1], true);
        for (int i = 0; i < problems.length; i += 2) {
            nativeKeys.add(problems[i]);
        }
        assertTrue(nativeKeys.containsAll(Arrays.asList("bufferflush.maxbytes",
                "starrocks.http.url", "starrocks.password")), nativeKeys.toString());
    }

    /** Defaults and ranges exist once per side; this keeps the two sides equal. */
    @Test
    void theCoreAndTheConfigDefDeclareTheSameDefaultsAndValidValues() {
        NativeLoader.load();
        org.apache.kafka.common.config.ConfigDef def = StarRocksSinkConfig.configDef();
        String[] declared = NativeSink.configKeys();
        assertTrue(declared.length >= 30, Arrays.toString(declared));
        for (int i = 0; i < declared.length; i += 3) {
            String key = declared[i];
            org.apache.kafka.common.config.ConfigDef.ConfigKey ours = def.configKeys().get(key);
            assertTrue(ours != null, "the ConfigDef declares " + key);
            assertEquals(declared[i + 1], String.valueOf(ours.defaultValue), key + " default");
            String valid = declared[i + 2];
            if (valid.startsWith("range:")) {
                String[] bounds = valid.substring("range:".length()).split(":");
                String max = Long.parseLong(bounds[1]) == Long.MAX_VALUE ? "" : "," + bounds[1];
                String expected = max.isEmpty() ? "[" + bounds[0] + ",...]"
                        : "[" + bounds[0] + ",..." + max + "]";
                assertEquals(expected, String.valueOf(ours.validator), key + " range");
            } else if (valid.equals("non-empty")) {
                assertTrue(ours.validator instanceof
                        org.apache.kafka.common.config.ConfigDef.NonEmptyString, key);
            } else if (ours.type == org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN) {
                assertEquals("one-of:true,false", valid, key);
            } else {
                String text = String.valueOf(ours.validator).toLowerCase(java.util.Locale.ROOT);
                String list = text.substring(text.indexOf('[') + 1, text.indexOf(']'));
                assertEquals(new java.util.TreeSet<>(Arrays.asList(
                                valid.substring("one-of:".length()).split(","))),
                        new java.util.TreeSet<>(Arrays.asList(list.split(", "))),
                        key + ": " + ours.validator + " vs " + valid);
            }
        }
    }

    @Test
    void aBadConfigAtStartIsAConfigExceptionNamingTheKey() {
        Map<String, String> props = emulator.seedConfig("");
        props.put("bufferflush.intervalms", "10");
        StarRocksSinkTask task = new StarRocksSinkTask();

        ConfigException e = assertThrows(ConfigException.class, () -> task.start(props));

        assertTrue(e.getMessage().contains("bufferflush.intervalms"), e.getMessage());
    }

    @Test
    void theValidConfigOfTheSeedHasNoProblems() {
        String[][] kv = StarRocksSinkTask.keysAndValues(emulator.seedConfig(""));
        NativeLoader.load();
        assertArrayEquals(new String[0], NativeSink.validate(kv[0], kv[1], true));
    }

    /** What only StarRocks knows comes back on its own key, without the password. */
    @Test
    void validationAsksStarRocksAndNamesTheKeyOfEachProblem() {
        Map<String, String> wrongPassword = emulator.seedConfig("n0t-the-pw");
        ConfigValue password = problemsOf(wrongPassword).get("starrocks.password");
        assertTrue(password.errorMessages().get(0).contains("'root'"), password.toString());
        assertFalse(password.toString().contains("n0t-the-pw"), password.toString());

        Map<String, String> missingTable = emulator.seedConfig("");
        missingTable.put("starrocks.topic2table.map", "test:no_such_tbl");
        ConfigValue map = problemsOf(missingTable).get("starrocks.topic2table.map");
        assertTrue(map.errorMessages().get(0).contains("example_db.no_such_tbl"), map.toString());

        Map<String, String> unreachable = emulator.seedConfig("");
        unreachable.put("starrocks.http.url", "127.0.0.1:1");
        assertEquals(Collections.emptyMap(), problemsOf(unreachable), "a warning, not a refusal");
    }

    /** Without SinkRecord.originalTopic() (Connect before 3.6) a topic router is refused. */
    @Test
    void aTopicRenamingTransformIsRefusedOnlyWithoutOriginalTopics() {
        Map<String, String> props = emulator.seedConfig("");
        props.put("transforms", "rename");
        props.put("transforms.rename.type", "org.apache.kafka.connect.transforms.RegexRouter");
        String[][] kv = StarRocksSinkTask.keysAndValues(props);
        NativeLoader.load();
        String[] old = NativeSink.validate(kv[0], kv[1], false);
        assertEquals("transforms", old[0], Arrays.toString(old));
        assertTrue(old[1].contains("originalTopic") && old[1].contains("3.6"), old[1]);
        assertArrayEquals(new String[0], NativeSink.validate(kv[0], kv[1], true));
    }

    /** The keys that carry errors after the connector's validate(), with their values. */
    private static Map<String, ConfigValue> problemsOf(Map<String, String> props) {
        Map<String, ConfigValue> problems = new HashMap<>();
        for (ConfigValue v : new StarRocksSinkConnector().validate(props).configValues()) {
            if (!v.errorMessages().isEmpty()) {
                problems.put(v.name(), v);
            }
        }
        return problems;
    }

    @Test
    void thePasswordNeverReachesTheLog() throws Exception {
        String password = "s3cr3t-pw";
        String basic = Base64.getEncoder().encodeToString(
                ("root:" + password).getBytes(StandardCharsets.UTF_8));
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("com.starrocks");
        Level previous = ours.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        ours.setLevel(Level.TRACE);
        ConnectException failure;
        try {
            // The emulator's root has no password: the load fails authentication, and under
            // sink.table.failure=fail the task fails.
            Map<String, String> props = emulator.seedConfig(password);
            props.put("sink.table.failure", "fail");
            StarRocksSinkTask task = new StarRocksSinkTask();
            task.start(props);
            try {
                task.open(Collections.singleton(TEST_0));
                task.put(Seed.records());
                failure = preCommitUntilItFails(task);
            } finally {
                task.stop();
            }
        } finally {
            ours.setLevel(previous);
            root.detachAppender(captured);
        }

        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : captured.list) {
            StringBuilder line = new StringBuilder(event.getFormattedMessage());
            line.append(' ').append(event.getMDCPropertyMap());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                line.append(' ').append(t.getMessage());
            }
            lines.add(line.toString());
        }
        for (String line : lines) {
            assertFalse(line.contains(password) || line.contains(basic),
                    "a log line holds the password: " + line);
        }
        assertFalse(failure.getMessage().contains(password), failure.getMessage());
        assertTrue(failure.getMessage().contains("authentication"), failure.getMessage());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("StarRocks sink started.")
                        && l.contains("[starrocks-kafka-connector|task-0] ")),
                "the core's start is logged with its connector and task: " + lines);
        assertTrue(captured.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR
                        && e.getFormattedMessage().startsWith("Stream Load given up")),
                "the failed load is logged: " + lines);
    }

    private static ConnectException preCommitUntilItFails(StarRocksSinkTask task)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                task.preCommit(Collections.<TopicPartition, OffsetAndMetadata>emptyMap());
            } catch (ConnectException e) {
                return e;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the task never failed");
    }

    @Test
    void theCoreLogLinesReachTheWorkerLogWhileConnectMakesNoCall() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        // An FE address where nothing listens: every attempt fails, and is retried, in the
        // core's own threads.
        Map<String, String> props = emulator.seedConfig("");
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            props.put("starrocks.http.url", "127.0.0.1:" + free.getLocalPort());
        }
        StarRocksSinkTask task = new StarRocksSinkTask();
        task.start(props);
        try {
            task.open(Collections.singleton(TEST_0));
            task.put(Seed.records());
            task.preCommit(Collections.<TopicPartition, OffsetAndMetadata>emptyMap());
            int afterLastCall = captured.list.size();
            long deadline = System.currentTimeMillis() + 10_000;
            boolean seen = false;
            while (!seen && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                synchronized (captured) {
                    for (ILoggingEvent e : captured.list.subList(afterLastCall, captured.list.size())) {
                        seen |= e.getLevel() == Level.WARN
                                && e.getFormattedMessage().startsWith("Stream Load failed; retrying");
                    }
                }
            }
            assertTrue(seen, "a retry logged after the last call reached the log");
        } finally {
            task.stop();
            root.detachAppender(captured);
        }
    }

    @Test
    void aPanicInNativeCodeIsAConnectExceptionAndTheJvmCarriesOn() {
        NativeLoader.load();

        ConnectException e = assertThrows(ConnectException.class,
                () -> NativeSink.panicForTest("deliberate panic 42"));

        assertEquals(ConnectException.class, e.getClass());
        assertTrue(e.getMessage().contains("deliberate panic 42"), e.getMessage());
        assertTrue(e.getMessage().contains("native_sink.rs"), "names where: " + e.getMessage());
        String[] problems = NativeSink.validate(new String[0], new String[0], true);
        assertTrue(Arrays.asList(problems).contains("starrocks.http.url"),
                "the next call works: " + Arrays.toString(problems));
    }

    @Test
    void aStoppedHandleIsACleanExceptionAndStoppingTwiceIsANoOp() {
        NativeLoader.load();
        String[][] kv = StarRocksSinkTask.keysAndValues(emulator.seedConfig(""));
        long handle = NativeSink.start(kv[0], kv[1], "stale", "0");
        NativeSink.stop(handle);
        NativeSink.stop(handle);

        ConnectException e = assertThrows(ConnectException.class,
                () -> NativeSink.preCommit(handle, new String[0], new int[0], new long[0]));

        assertTrue(e.getMessage().contains("does not name a running sink"), e.getMessage());
    }

    @Test
    void aPutOfANullBatchOrALengthPastItsArrayIsACleanExceptionAndTheSinkCarriesOn() throws Exception {
        NativeLoader.load();
        String[][] kv = StarRocksSinkTask.keysAndValues(emulator.seedConfig(""));
        long handle = NativeSink.start(kv[0], kv[1], "bad-put", "0");
        try {
            ConnectException nothing = assertThrows(ConnectException.class,
                    () -> NativeSink.put(handle, null, 0));
            assertTrue(nothing.getMessage().contains("The batch is null"), nothing.getMessage());
            ConnectException past = assertThrows(ConnectException.class,
                    () -> NativeSink.put(handle, new byte[4], 5));
            assertTrue(past.getMessage().contains("outside the array's 4 bytes"), past.getMessage());
            ConnectException negative = assertThrows(ConnectException.class,
                    () -> NativeSink.put(handle, new byte[4], -1));
            assertTrue(negative.getMessage().contains("outside"), negative.getMessage());
            // Nothing reached the sink: its offsets are still there to ask for.
            NativeSink.preCommit(handle, new String[0], new int[0], new long[0]);
        } finally {
            NativeSink.stop(handle);
        }
    }
}
