package com.starrocks.connector.kafka;

import com.starrocks.connector.kafka.internal.BatchEncoder;
import com.starrocks.connector.kafka.internal.NativeLoader;
import com.starrocks.connector.kafka.internal.NativeLogs;
import com.starrocks.connector.kafka.internal.NativeReplies;
import com.starrocks.connector.kafka.internal.NativeSink;
import com.starrocks.connector.kafka.internal.PluginVersion;
import com.starrocks.connector.kafka.internal.SinkMetrics;
import com.starrocks.connector.kafka.internal.TaskHandle;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The sink task: adapts Connect's calls to the native core, one JNI call each.
 *
 * <p>{@link #put} encodes the whole batch into one reusable array
 * ({@code docs/batch-format.md}) and hands it over in one call; the core takes it in on its
 * own thread while Connect polls the next batch, routes, buffers, flushes and retries, and
 * never waits for StarRocks. Each {@code put} gets the answers to the batches taken in since
 * the last one: which of their records were rejected, and which partitions to pause (a table
 * that cannot take more rows) and resume, which this task passes to Connect's
 * {@link org.apache.kafka.connect.sink.SinkTaskContext}. {@link #preCommit} returns only the
 * offsets the core reports durable, for the records' original topic-partitions. The core's
 * log events reach the worker's log through {@link NativeLogs}, within about a second.
 *
 * <p>Records that cannot be encoded, and those the core rejects under
 * {@code errors.tolerance=all}, go to Connect's errant record reporter when one is configured;
 * without one they are skipped with a warning under {@code errors.tolerance=all} and fail the
 * task otherwise.
 */
public class StarRocksSinkTask extends SinkTask {
    private static final Logger LOG = LoggerFactory.getLogger(StarRocksSinkTask.class);
    /** The least time between two metric refreshes after {@code put}. */
    private static final long METRICS_INTERVAL_MILLIS = 1_000;

    private final TaskHandle handle = new TaskHandle();
    private final BatchEncoder.RecordErrorHandler onBadRecord = this::onBadRecord;
    private BatchEncoder encoder;
    /**
     * The records of the batches handed to the core and not yet answered, oldest first: a
     * later {@code put}'s reply answers them, naming rejected records by index.
     */
    private final ArrayDeque<List<SinkRecord>> submitted = new ArrayDeque<>();
    private SinkMetrics metrics;
    private ErrantRecordReporter reporter;
    /** Reports made to {@link #reporter} that it has not yet acknowledged. */
    private final List<Future<Void>> reports = new ArrayList<>();
    private boolean tolerateAll;
    private boolean closedSinceOpen;
    /** Whether this task keeps the log drain thread running. */
    private boolean draining;
    private long lastMetricsRefresh;
    private String connectorName = "";
    private String taskId = "0";

    @Override
    public String version() {
        return PluginVersion.get();
    }

    @Override
    public void start(Map<String, String> props) {
        connectorName = props.containsKey("name") ? props.get("name") : "";
        taskId = taskIdOf(MDC.get("connector.context"));
        NativeLoader.load();
        NativeLogs.startDraining();
        draining = true;
        String[][] config = keysAndValues(props);
        long h;
        try {
            h = NativeSink.start(config[0], config[1], connectorName, taskId);
        } catch (RuntimeException e) {
            draining = false;
            NativeLogs.stopDraining();
            throw e;
        }
        NativeLogs.drain();
        handle.set(h);
        encoder = new BatchEncoder(NativeSink.valueKeys(h));
        reporter = errantRecordReporter();
        tolerateAll = "all".equalsIgnoreCase(String.valueOf(props.get("errors.tolerance")).trim());
        metrics = new SinkMetrics(connectorName, taskId);
        LOG.info("Started StarRocks sink task {} of connector {} (version {})", taskId,
                connectorName, version());
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        if (closedSinceOpen && encoder != null) {
            encoder.reset();
        }
        closedSinceOpen = false;
        long h = handle.acquire();
        try {
            if (h != 0) {
                resume(NativeReplies.partitions(
                        NativeSink.open(h, topics(partitions), partitionNumbers(partitions))));
            }
        } finally {
            handle.release();
            NativeLogs.drain();
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        long h = handle.acquire();
        try {
            if (h == 0) {
                throw new ConnectException("The StarRocks sink task " + taskId + " of connector "
                        + connectorName + " is not running");
            }
            NativeReplies.PutReply reply;
            try {
                int length = encoder.encode(records, onBadRecord);
                awaitReports();
                reply = NativeReplies.put(NativeSink.put(h, encoder.array(), length));
                submitted.addLast(encoder.takeRecords());
            } catch (RuntimeException e) {
                // The core may not have read the batch's definitions: start the ids afresh.
                encoder.reset();
                throw e;
            }
            takeAnswers(reply);
            awaitReports();
            pause(reply.pause);
            resume(reply.resume);
            if (!reply.rewind.isEmpty() && context != null) {
                context.offset(reply.rewind);
            }
            if (reply.callAgainMillis > 0 && context != null) {
                context.timeout(reply.callAgainMillis);
            }
            if (reply.commit && context != null) {
                context.requestCommit();
            }
            refreshMetrics(h, false);
        } finally {
            handle.release();
            NativeLogs.drain();
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(
            Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        long h = handle.acquire();
        try {
            if (h == 0) {
                return Collections.emptyMap();
            }
            int n = currentOffsets.size();
            String[] topics = new String[n];
            int[] partitions = new int[n];
            long[] offsets = new long[n];
            int i = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : currentOffsets.entrySet()) {
                topics[i] = e.getKey().topic();
                partitions[i] = e.getKey().partition();
                offsets[i] = e.getValue().offset();
                i++;
            }
            Map<TopicPartition, OffsetAndMetadata> durable =
                    NativeReplies.offsets(NativeSink.preCommit(h, topics, partitions, offsets));
            refreshMetrics(h, true);
            return durable;
        } finally {
            handle.release();
            NativeLogs.drain();
        }
    }

    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        // Not used: preCommit flushes and returns what is durable.
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        closedSinceOpen = true;
        long h = handle.acquire();
        try {
            if (h != 0) {
                NativeSink.close(h, topics(partitions), partitionNumbers(partitions));
            }
        } finally {
            handle.release();
            NativeLogs.drain();
        }
    }

    /** Stops the core's sink once calls in flight are done; idempotent. */
    @Override
    public void stop() {
        try {
            handle.stop(NativeSink::stop);
        } catch (RuntimeException e) {
            LOG.error("Stopping StarRocks sink task {} of connector {} failed", taskId,
                    connectorName, e);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
            if (draining) {
                draining = false;
                NativeLogs.stopDraining();
            } else if (NativeLoader.isLoaded()) {
                NativeLogs.drain();
            }
        }
        LOG.info("Stopped StarRocks sink task {} of connector {}", taskId, connectorName);
    }

    /**
     * Forgets the records of the oldest batches the reply answers, handing each rejected one
     * to Connect's errant record reporter (or failing) first.
     */
    private void takeAnswers(NativeReplies.PutReply reply) {
        int batches = reply.batches;
        if (batches > submitted.size()) {
            throw new ConnectException("The native core answered " + batches
                    + " batches, but only " + submitted.size() + " await an answer");
        }
        if (reply.rejections.isEmpty()) {
            for (int i = 0; i < batches; i++) {
                submitted.removeFirst();
            }
            return;
        }
        List<SinkRecord> answered = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            answered.addAll(submitted.removeFirst());
        }
        for (NativeReplies.Rejection r : reply.rejections) {
            if (r.index < 0 || r.index >= answered.size()) {
                throw new ConnectException("The native core rejected record " + r.index
                        + " of " + answered.size() + " answered: " + r.message);
            }
            onBadRecord(answered.get(r.index), new DataException(r.message));
        }
    }

    /**
     * Waits until Connect's errant record reporter has every report made (its dead-letter
     * queue holds them), before {@code put} returns: the core takes the next {@code put} as the
     * sign that the records it handed over are reported, and under exactly-once only then lets
     * a load commit progress past them. A report that fails fails the task, as it would at
     * Connect's next offset commit.
     */
    private void awaitReports() {
        try {
            for (Future<Void> report : reports) {
                report.get();
            }
        } catch (ExecutionException e) {
            throw new ConnectException("Connect's errant record reporter failed to take a"
                    + " record: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while waiting for the errant record reporter", e);
        } finally {
            reports.clear();
        }
    }

    /** Pauses the partitions the core names that Connect assigned to this task. */
    private void pause(List<TopicPartition> partitions) {
        List<TopicPartition> assigned = assigned(partitions);
        if (!assigned.isEmpty()) {
            context.pause(assigned.toArray(new TopicPartition[0]));
        }
    }

    private void resume(List<TopicPartition> partitions) {
        List<TopicPartition> assigned = assigned(partitions);
        if (!assigned.isEmpty()) {
            context.resume(assigned.toArray(new TopicPartition[0]));
        }
    }

    /**
     * The given partitions that are assigned: Connect refuses to pause others, and the core may
     * name a topic an SMT renamed where Connect has no original topic to offer (before 3.6).
     */
    private List<TopicPartition> assigned(List<TopicPartition> partitions) {
        if (partitions.isEmpty() || context == null) {
            return Collections.emptyList();
        }
        Set<TopicPartition> assignment = context.assignment();
        List<TopicPartition> assigned = new ArrayList<>(partitions.size());
        for (TopicPartition tp : partitions) {
            if (assignment.contains(tp)) {
                assigned.add(tp);
            }
        }
        return assigned;
    }

    private void onBadRecord(SinkRecord record, DataException error) {
        if (reporter != null) {
            Future<Void> report = reporter.report(record, error);
            if (report != null) {
                reports.add(report);
            }
        } else if (tolerateAll) {
            LOG.warn("Skipping the record at topic={} partition={} offset={} "
                            + "(errors.tolerance=all, no dead letter queue): {}",
                    record.topic(), record.kafkaPartition(), record.kafkaOffset(),
                    error.getMessage());
        } else {
            throw error;
        }
    }

    private void refreshMetrics(long h, boolean force) {
        long now = System.currentTimeMillis();
        if (!force && now - lastMetricsRefresh < METRICS_INTERVAL_MILLIS) {
            return;
        }
        lastMetricsRefresh = now;
        try {
            metrics.update(NativeSink.metrics(h));
        } catch (RuntimeException e) {
            LOG.debug("Could not refresh the metrics of StarRocks sink task {}", taskId, e);
        }
    }

    private ErrantRecordReporter errantRecordReporter() {
        try {
            return context == null ? null : context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            return null; // Connect before 2.6
        }
    }

    /** The task number from Connect's logging context {@code [name|task-N] }, else "0". */
    static String taskIdOf(String loggingContext) {
        if (loggingContext != null) {
            int at = loggingContext.lastIndexOf("|task-");
            int end = loggingContext.indexOf(']', at + 1);
            if (at >= 0 && end > at + 6) {
                return loggingContext.substring(at + 6, end);
            }
        }
        return "0";
    }

    static String[][] keysAndValues(Map<String, String> props) {
        int n = 0;
        for (Map.Entry<String, String> e : props.entrySet()) {
            if (e.getKey() != null && e.getValue() != null) {
                n++;
            }
        }
        String[] keys = new String[n];
        String[] values = new String[n];
        int i = 0;
        for (Map.Entry<String, String> e : props.entrySet()) {
            if (e.getKey() != null && e.getValue() != null) {
                keys[i] = e.getKey();
                values[i] = e.getValue();
                i++;
            }
        }
        return new String[][] {keys, values};
    }

    private static String[] topics(Collection<TopicPartition> partitions) {
        String[] topics = new String[partitions.size()];
        int i = 0;
        for (TopicPartition tp : partitions) {
            topics[i++] = tp.topic();
        }
        return topics;
    }

    private static int[] partitionNumbers(Collection<TopicPartition> partitions) {
        int[] numbers = new int[partitions.size()];
        int i = 0;
        for (TopicPartition tp : partitions) {
            numbers[i++] = tp.partition();
        }
        return numbers;
    }
}
