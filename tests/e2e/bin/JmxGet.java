import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Prints one attribute of one MBean of a JVM that opened JMX on HOST:PORT, for the e2e
 * scenarios (run as a single-file program: java JmxGet.java HOST:PORT OBJECT_NAME ATTRIBUTE).
 * Exits 1 with the reason on stderr when the MBean or the attribute is not there.
 */
public final class JmxGet {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: JmxGet HOST:PORT OBJECT_NAME ATTRIBUTE");
            System.exit(2);
        }
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + args[0] + "/jmxrmi");
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            System.out.println(server.getAttribute(new ObjectName(args[1]), args[2]));
        } catch (Exception e) {
            System.err.println(e);
            System.exit(1);
        }
    }
}
