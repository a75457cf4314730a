package com.starrocks.connector.kafka.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.List;

/**
 * Forwards the core's log events to the worker's log through slf4j.
 *
 * <p>The core never calls into Java from its own threads; it queues events, and the shim drains
 * the queue after each native call. The queue is shared by every task of this library copy, so
 * each event is logged under Connect's own {@code connector.context} MDC key set to the
 * connector and task that produced it ({@code [name|task-0] }), as Connect's log pattern shows.
 */
public final class NativeLogs {
    /** Connect's MDC key for the connector and task of a log line. */
    static final String CONTEXT_KEY = "connector.context";
    private static final Logger LOG = LoggerFactory.getLogger("com.starrocks.connector.kafka.core");
    /** How often the drain thread empties the core's queue. */
    static final long DRAIN_INTERVAL_MILLIS = 500;

    private static final Object LOCK = new Object();
    /** Tasks running; the drain thread runs while this is above zero. */
    private static int users;
    private static Thread drainer;

    private NativeLogs() {
    }

    /** A task started: makes sure the drain thread runs. */
    public static void startDraining() {
        synchronized (LOCK) {
            users++;
            if (drainer == null) {
                Thread t = new Thread(NativeLogs::drainUntilStopped, "starrocks-sink-log-drain");
                t.setDaemon(true);
                drainer = t;
                t.start();
            }
        }
    }

    /** A task stopped: drains what is left; the last one stops the drain thread. */
    public static void stopDraining() {
        Thread stopped = null;
        synchronized (LOCK) {
            if (users > 0) {
                users--;
            }
            if (users == 0 && drainer != null) {
                stopped = drainer;
                drainer = null;
            }
        }
        if (stopped != null) {
            stopped.interrupt();
            try {
                stopped.join(DRAIN_INTERVAL_MILLIS * 4);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        drain();
    }

    /** Whether the drain thread runs (for tests). */
    static boolean isDraining() {
        synchronized (LOCK) {
            return drainer != null;
        }
    }

    private static void drainUntilStopped() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(DRAIN_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            drain();
        }
    }

    /** Drains and logs the core's pending events; never throws. */
    public static void drain() {
        byte[] reply;
        try {
            reply = NativeSink.drainLogs();
        } catch (UnsatisfiedLinkError e) {
            return; // the library is not loaded: there is nothing to drain
        } catch (RuntimeException e) {
            LOG.warn("Could not drain the native core's log events", e);
            return;
        }
        log(NativeReplies.logEvents(reply));
    }

    static void log(List<NativeReplies.LogEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        String previous = MDC.get(CONTEXT_KEY);
        try {
            for (NativeReplies.LogEvent event : events) {
                String context = context(event.connector, event.task);
                if (context == null) {
                    restore(previous);
                } else {
                    MDC.put(CONTEXT_KEY, context);
                }
                log(event.level, event.message);
            }
        } finally {
            restore(previous);
        }
    }

    /** Connect's context string: {@code [name|task-N] }, {@code [name] }, or null. */
    static String context(String connector, String task) {
        if (connector == null || connector.isEmpty()) {
            return null;
        }
        if (task == null || task.isEmpty()) {
            return "[" + connector + "] ";
        }
        return "[" + connector + "|task-" + task + "] ";
    }

    private static void log(int level, String message) {
        switch (level) {
            case 1:
                LOG.error("{}", message);
                break;
            case 2:
                LOG.warn("{}", message);
                break;
            case 4:
                LOG.debug("{}", message);
                break;
            case 5:
                LOG.trace("{}", message);
                break;
            default:
                LOG.info("{}", message);
                break;
        }
    }

    private static void restore(String previous) {
        if (previous == null) {
            MDC.remove(CONTEXT_KEY);
        } else {
            MDC.put(CONTEXT_KEY, previous);
        }
    }
}
