package com.starrocks.connector.kafka;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thousand task lifecycles leave no threads and no memory behind: Connect restarts tasks on
 * every rebalance, for as long as the worker lives. The JVM runs with a pre-touched fixed heap
 * (see the failsafe argLine), so resident memory grows only with native and JVM-internal use;
 * direct buffers, whose native memory only a GC frees, are collected every {@value #GC_EVERY}
 * cycles.
 */
class StartStopCyclesIT {
    private static final int WARM_UP = 100;
    /** {@code -Dstartstop.cycles=N} runs longer, to tell a leak from noise. */
    private static final int CYCLES = Integer.getInteger("startstop.cycles", 1000);
    /** A GC every this many cycles, as a worker's own allocations would cause. */
    private static final int GC_EVERY = 100;
    /** Every this many cycles, the task also loads a record and commits. */
    private static final int LOAD_EVERY = 100;
    /**
     * A clean run grows 1-3 MB (JIT, malloc); a sink that is never freed costs about 34 kB, so
     * 1000 of them (+33 MB) must fail this.
     */
    private static final long RSS_SLACK_KB = 16 * 1024;
    private static final int JAVA_THREAD_SLACK = 2;
    /** The JVM's own compiler and GC threads come and go. */
    private static final int OS_THREAD_SLACK = 8;

    @Test
    void aThousandStartStopCyclesLeakNoThreadsAndNoMemory() throws Exception {
        try (EmulatorProcess emulator = EmulatorProcess.start(EmulatorProcess.SEED_DDL)) {
            Map<String, String> props = emulator.seedConfig("");
            long offset = 0;
            for (int i = 0; i < WARM_UP; i++) {
                offset = cycle(props, i, offset);
            }
            settle();
            int javaThreads = ManagementFactory.getThreadMXBean().getThreadCount();
            long osThreads = status("Threads:");
            long rss = status("VmRSS:");
            long started = System.nanoTime();

            for (int i = 0; i < CYCLES; i++) {
                offset = cycle(props, i, offset);
                if (i % GC_EVERY == GC_EVERY - 1) {
                    // Each task's encoder has a 64 KiB direct buffer whose native memory is
                    // freed when it is collected; with this test's idle heap no GC would come
                    // on its own, and the buffers would pass for a native leak.
                    System.gc();
                }
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            settle();
            int javaThreadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
            long osThreadsAfter = status("Threads:");
            long rssAfter = status("VmRSS:");

            System.out.printf("%d start/stop cycles in %d ms (%d loads): Java threads %d -> %d, "
                            + "OS threads %d -> %d, VmRSS %d kB -> %d kB (%+d kB)%n", CYCLES,
                    millis, CYCLES / LOAD_EVERY, javaThreads, javaThreadsAfter, osThreads,
                    osThreadsAfter, rss, rssAfter, rssAfter - rss);
            assertTrue(javaThreadsAfter <= javaThreads + JAVA_THREAD_SLACK,
                    "Java threads " + javaThreads + " -> " + javaThreadsAfter);
            assertTrue(osThreadsAfter <= osThreads + OS_THREAD_SLACK,
                    "OS threads " + osThreads + " -> " + osThreadsAfter);
            assertTrue(rssAfter - rss < RSS_SLACK_KB,
                    "VmRSS " + rss + " kB -> " + rssAfter + " kB");
            assertEquals(offset, emulator.rows("test_tbl").size(), "every load landed");
        }
    }

    /** One task lifecycle; returns the next offset of topic test partition 0. */
    private static long cycle(Map<String, String> props, int i, long offset)
            throws InterruptedException {
        TopicPartition tp = new TopicPartition("test", 0);
        StarRocksSinkTask task = new StarRocksSinkTask();
        task.start(props);
        try {
            task.open(Collections.singleton(tp));
            if (i % LOAD_EVERY == 0) {
                String value = "{\"id\":" + (offset + 1) + ",\"city\":\"c" + i + "\"}";
                task.put(Seed.records("test", offset, Collections.singletonList(value)));
                Seed.awaitCommit(task, Collections.<TopicPartition, OffsetAndMetadata>emptyMap(),
                        Collections.singletonMap(tp, new OffsetAndMetadata(offset + 1)));
                return offset + 1;
            }
            return offset;
        } finally {
            task.close(Collections.singleton(tp));
            task.stop();
        }
    }

    /** Lets short-lived threads end and garbage go before a measurement. */
    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
    }

    /** A value in kB or a count from /proc/self/status, e.g. {@code VmRSS:}. */
    private static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"),
                StandardCharsets.UTF_8)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(field + " is not in /proc/self/status");
    }
}
