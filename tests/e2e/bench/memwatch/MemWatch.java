import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Set;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Watches the StarRocks sink's native memory for rows, for tests/e2e/bench/run-bench.sh.
 *
 *   java -cp DIR MemWatch HOST:PORT OUT_FILE
 *
 * Every 200 ms it sums the `pending-bytes` attribute (buffered rows plus loads not yet durable)
 * of every table MBean of the worker at HOST:PORT (JMX), and keeps the largest sum. When it is
 * terminated it writes `max_pending_bytes=N samples=K` to OUT_FILE.
 */
public final class MemWatch {
    private static volatile long max;
    private static volatile long samples;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: MemWatch HOST:PORT OUT_FILE");
            System.exit(2);
        }
        String out = args[1];
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.write(Paths.get(out), ("max_pending_bytes=" + max + " samples=" + samples + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                System.err.println(e);
            }
        }));
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + args[0] + "/jmxrmi");
        ObjectName pattern = new ObjectName("com.starrocks.connector.kafka:type=sink-task-metrics,*");
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            while (true) {
                long sum = 0;
                Set<ObjectName> names = server.queryNames(pattern, null);
                for (ObjectName name : names) {
                    try {
                        sum += ((Number) server.getAttribute(name, "pending-bytes")).longValue();
                    } catch (Exception e) {
                        // A table whose counters are not published yet.
                    }
                }
                max = Math.max(max, sum);
                samples++;
                Thread.sleep(200);
            }
        }
    }
}
