import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Watches a sink connector drain a preloaded topic, for tests/e2e/bench/run-bench.sh.
 *
 *   java -cp "$KLIB/*:DIR" LagWatch BOOTSTRAP GROUP TOPIC INTERVAL_MS TIMEOUT_S [NAME=PID]...
 *
 * One Admin client, kept open: reads the topic's log-end offsets once (the topic is complete
 * before the connector starts), prints "ready", then every INTERVAL_MS reads the group's
 * committed offsets (listConsumerGroupOffsets) until every partition's lag is 0. At that moment
 * it reads utime+stime (clock ticks) of each NAME=PID from /proc/PID/stat, so the CPU window
 * closes where the drain ends, not after a JVM exit. Lines on stdout:
 *
 *   ready EPOCH_MS END_OFFSET_SUM
 *   first EPOCH_MS COMMITTED          the first poll that saw anything committed
 *   done EPOCH_MS COMMITTED NAME=TICKS...
 *   timeout EPOCH_MS COMMITTED        (exit status 1)
 *
 * Polling from outside the worker keeps the watcher's own cost out of the worker's CPU figures
 * (GET /connectors/NAME/offsets would be answered by the worker itself).
 */
public final class LagWatch {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String group = args[1];
        String topic = args[2];
        long intervalMs = Long.parseLong(args[3]);
        long timeoutMs = Long.parseLong(args[4]) * 1000L;
        Map<String, String> pids = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            pids.put(kv[0], kv[1]);
            names.add(kv[0]);
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-lagwatch");
        try (Admin admin = Admin.create(props)) {
            TopicDescription desc = admin.describeTopics(Collections.singleton(topic))
                    .allTopicNames().get().get(topic);
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (TopicPartitionInfo p : desc.partitions()) {
                specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            long endSum = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
                    : admin.listOffsets(specs).all().get().entrySet()) {
                end.put(e.getKey(), e.getValue().offset());
                endSum += e.getValue().offset();
            }
            System.out.println("ready " + System.currentTimeMillis() + " " + endSum);
            System.out.flush();
            long deadline = System.currentTimeMillis() + timeoutMs;
            boolean sawFirst = false;
            long committedSum = 0;
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                long now = System.currentTimeMillis();
                committedSum = 0;
                boolean drained = true;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    OffsetAndMetadata om = committed.get(e.getKey());
                    long c = om == null ? 0 : om.offset();
                    committedSum += c;
                    if (c < e.getValue()) {
                        drained = false;
                    }
                }
                if (drained) {
                    StringBuilder line = new StringBuilder("done " + now + " " + committedSum);
                    for (String name : names) {
                        line.append(' ').append(name).append('=').append(ticks(pids.get(name)));
                    }
                    System.out.println(line);
                    return;
                }
                if (!sawFirst && committedSum > 0) {
                    sawFirst = true;
                    System.out.println("first " + now + " " + committedSum);
                    System.out.flush();
                }
                if (now > deadline) {
                    System.out.println("timeout " + now + " " + committedSum);
                    System.exit(1);
                }
                Thread.sleep(intervalMs);
            }
        }
    }

    /** utime + stime of a process (all its threads), in clock ticks; -1 when it is gone. */
    static long ticks(String pid) {
        try {
            String stat = new String(Files.readAllBytes(Paths.get("/proc/" + pid + "/stat")),
                    StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return -1;
        }
    }
}
