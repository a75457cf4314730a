package com.starrocks.connector.kafka;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The seed's records, as Connect's JsonConverter (schemas.enable=false) hands them over, and
 * waiting for their offsets to commit.
 */
final class Seed {
    static final List<String> VALUES = Collections.unmodifiableList(Arrays.asList(
            "{\"id\":1,\"city\":\"New York\"}",
            "{\"id\":2,\"city\":\"Los Angeles\"}",
            "{\"id\":3,\"city\":\"Chicago\"}"));

    /** The seed table's rows once the seed's records are loaded. */
    static final List<List<Object>> ROWS = Collections.unmodifiableList(Arrays.asList(
            Arrays.<Object>asList(1L, "New York"),
            Arrays.<Object>asList(2L, "Los Angeles"),
            Arrays.<Object>asList(3L, "Chicago")));

    private Seed() {
    }

    /**
     * Calls {@code preCommit} (with {@code consumed} as Connect's current offsets) until it
     * returns {@code expected}: rows load when their buffer is due (bufferflush.intervalms),
     * not at every commit. Fails after 20 s with the last answer.
     */
    static void awaitCommit(SinkTask task, Map<TopicPartition, OffsetAndMetadata> consumed,
            Map<TopicPartition, OffsetAndMetadata> expected) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        Map<TopicPartition, OffsetAndMetadata> last = task.preCommit(consumed);
        while (!expected.equals(last)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("preCommit never returned " + expected + "; last " + last);
            }
            Thread.sleep(50);
            last = task.preCommit(consumed);
        }
    }

    /** {@code json} values as records of {@code topic} partition 0 from {@code firstOffset}. */
    static List<SinkRecord> records(String topic, long firstOffset, List<String> json) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Collections.singletonMap("schemas.enable", "false"), false);
        List<SinkRecord> records = new ArrayList<>();
        long offset = firstOffset;
        for (String value : json) {
            SchemaAndValue data = converter.toConnectData(topic,
                    value.getBytes(StandardCharsets.UTF_8));
            records.add(new SinkRecord(topic, 0, null, null, data.schema(), data.value(),
                    offset++));
        }
        return records;
    }

    /** The seed's three records, topic {@code test}, offsets 0 to 2. */
    static List<SinkRecord> records() {
        return records("test", 0, VALUES);
    }
}
