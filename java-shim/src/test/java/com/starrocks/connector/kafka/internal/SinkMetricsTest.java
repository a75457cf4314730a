package com.starrocks.connector.kafka.internal;

import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkMetricsTest {
    @Test
    void publishesEachTablesCountersAndUnregistersAtClose() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        SinkMetrics metrics = new SinkMetrics("sr", "0", server);

        metrics.update("test_tbl\trows_loaded\t3\ntest_tbl\tload_seconds\t0.25\norders\trows_loaded\t7\nnoise\n");
        metrics.update("test_tbl\trows_loaded\t5\n");

        ObjectName table = new ObjectName("com.starrocks.connector.kafka:type=sink-task-metrics,"
                + "connector=sr,task=0,table=test_tbl");
        assertEquals(5L, server.getAttribute(table, "rows_loaded"));
        assertEquals(0.25, server.getAttribute(table, "load_seconds"));
        assertEquals(2, server.getMBeanInfo(table).getAttributes().length);
        assertEquals(7L, server.getAttribute(SinkMetrics.objectName("sr", "0", "orders"), "rows_loaded"));

        metrics.close();

        assertFalse(server.isRegistered(table));
        assertTrue(server.queryNames(new ObjectName(SinkMetrics.DOMAIN + ":*"), null).isEmpty());
    }

    @Test
    void aLaterRunOfTheSameTaskKeepsItsMetricsWhenTheEarlierOneClosesLate() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        SinkMetrics earlier = new SinkMetrics("sr", "0", server);
        earlier.update("test_tbl\trows_loaded\t3\n");
        SinkMetrics later = new SinkMetrics("sr", "0", server);
        later.update("test_tbl\trows_loaded\t9\n");
        ObjectName table = SinkMetrics.objectName("sr", "0", "test_tbl");

        earlier.close();

        assertEquals(9L, server.getAttribute(table, "rows_loaded"));
        later.update("test_tbl\trows_loaded\t10\n");
        assertEquals(10L, server.getAttribute(table, "rows_loaded"));
        later.close();
        assertFalse(server.isRegistered(table));
    }

    @Test
    void quotesNamesThatJmxCannotTakePlainly() throws Exception {
        ObjectName name = SinkMetrics.objectName("my,connector", "1", "db=x");
        assertEquals("\"my,connector\"", name.getKeyProperty("connector"));
        assertEquals("\"db=x\"", name.getKeyProperty("table"));
        assertEquals("sink-task-metrics", name.getKeyProperty("type"));
    }
}
