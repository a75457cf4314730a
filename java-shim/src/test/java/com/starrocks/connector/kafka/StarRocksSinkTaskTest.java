package com.starrocks.connector.kafka;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the task does without the native library; the rest is tested with it. */
class StarRocksSinkTaskTest {
    @Test
    void takesItsTaskNumberFromConnectsLoggingContext() {
        assertEquals("3", StarRocksSinkTask.taskIdOf("[starrocks-kafka-connector|task-3] "));
        assertEquals("12", StarRocksSinkTask.taskIdOf("[a|b|task-12] "));
        assertEquals("0", StarRocksSinkTask.taskIdOf("[starrocks-kafka-connector|worker] "));
        assertEquals("0", StarRocksSinkTask.taskIdOf(null));
    }

    @Test
    void refusesRecordsBeforeStartAndStopsIdempotently() {
        StarRocksSinkTask task = new StarRocksSinkTask();
        task.stop();
        task.stop();
        ConnectException e = assertThrows(ConnectException.class,
                () -> task.put(Collections.<SinkRecord>emptyList()));
        assertTrue(e.getMessage().contains("not running"), e.getMessage());
        assertTrue(task.preCommit(Collections.emptyMap()).isEmpty(), "nothing is durable");
    }

    @Test
    void passesTheConfigurationAsParallelArraysWithoutNulls() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("a", "1");
        props.put("b", null);
        props.put("c", "3");
        String[][] arrays = StarRocksSinkTask.keysAndValues(props);
        assertArrayEquals(new String[] {"a", "c"}, arrays[0]);
        assertArrayEquals(new String[] {"1", "3"}, arrays[1]);
    }
}
