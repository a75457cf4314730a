package com.starrocks.connector.kafka.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A task's JMX metrics: one MBean per table,
 * {@code com.starrocks.connector.kafka:type=sink-task-metrics,connector=<name>,task=<id>,table=<table>},
 * whose attributes are the core's counters ({@link NativeSink#metrics}, one
 * {@code <table>\t<counter>\t<value>} per line). Counting is the core's job; this class only
 * publishes the latest values. Registration problems are logged, never thrown.
 */
public final class SinkMetrics implements AutoCloseable {
    /** The JMX domain of every MBean of the connector. */
    public static final String DOMAIN = "com.starrocks.connector.kafka";
    private static final Logger LOG = LoggerFactory.getLogger(SinkMetrics.class);
    private static final Pattern PLAIN = Pattern.compile("[-\\w.]+");

    private final String connector;
    private final String task;
    private final MBeanServer server;
    private final Map<String, TableMetrics> tables = new HashMap<>();

    /** Metrics of one task, published in the platform MBean server. */
    public SinkMetrics(String connector, String task) {
        this(connector, task, ManagementFactory.getPlatformMBeanServer());
    }

    SinkMetrics(String connector, String task, MBeanServer server) {
        this.connector = connector;
        this.task = task;
        this.server = server;
    }

    /** Publishes the counters of one {@link NativeSink#metrics} reply. */
    public synchronized void update(String counters) {
        if (counters == null || counters.isEmpty()) {
            return;
        }
        Map<String, Map<String, Object>> byTable = new LinkedHashMap<>();
        for (String line : counters.split("\n")) {
            String[] parts = line.split("\t", 3);
            if (parts.length != 3 || parts[1].isEmpty()) {
                continue;
            }
            Map<String, Object> values = byTable.get(parts[0]);
            if (values == null) {
                values = new LinkedHashMap<>();
                byTable.put(parts[0], values);
            }
            values.put(parts[1], parse(parts[2].trim()));
        }
        for (Map.Entry<String, Map<String, Object>> e : byTable.entrySet()) {
            TableMetrics table = tables.get(e.getKey());
            if (table == null) {
                table = new TableMetrics();
                register(e.getKey(), table);
                tables.put(e.getKey(), table);
            }
            table.merge(e.getValue());
        }
    }

    /**
     * Unregisters every MBean of this task that is still its own: a later run of the same task
     * (a restart whose predecessor's {@code stop} came late) may have replaced one under the
     * same name, and keeps it.
     */
    @Override
    public synchronized void close() {
        synchronized (SinkMetrics.class) {
            for (Map.Entry<String, TableMetrics> e : tables.entrySet()) {
                if (!e.getValue().isRegistered()) {
                    continue;
                }
                try {
                    server.unregisterMBean(objectName(connector, task, e.getKey()));
                } catch (JMException failed) {
                    LOG.warn("Could not unregister the metrics of table {}", e.getKey(), failed);
                }
            }
        }
        tables.clear();
    }

    private void register(String table, TableMetrics mbean) {
        // (Under one lock with `close`: the check there and the unregistering stay one step.)
        synchronized (SinkMetrics.class) {
            try {
                ObjectName name = objectName(connector, task, table);
                if (server.isRegistered(name)) {
                    server.unregisterMBean(name); // left by an earlier run of the same task
                }
                server.registerMBean(mbean, name);
            } catch (JMException e) {
                LOG.warn("Could not register the metrics of table {}", table, e);
            }
        }
    }

    /** The MBean name of a task's table; values that JMX cannot take plainly are quoted. */
    public static ObjectName objectName(String connector, String task, String table)
            throws MalformedObjectNameException {
        return new ObjectName(DOMAIN + ":type=sink-task-metrics,connector=" + value(connector)
                + ",task=" + value(task) + ",table=" + value(table));
    }

    private static String value(String s) {
        return PLAIN.matcher(s).matches() ? s : ObjectName.quote(s);
    }

    private static Object parse(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException notLong) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException notDouble) {
                return value;
            }
        }
    }
}
