package com.starrocks.connector.kafka;

import com.starrocks.connector.kafka.internal.NativeLoader;
import com.starrocks.connector.kafka.internal.Platform;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StarRocksSinkConnectorTest {
    @TempDir
    File dir;

    /** The core as it fails on a worker without a usable native library. */
    private StarRocksSinkConnector withoutNativeLibrary() {
        ClassLoader empty = new URLClassLoader(new URL[0], null);
        return new StarRocksSinkConnector((keys, values) -> {
            NativeLoader.loadBundled(empty, Platform.of("Linux", "amd64", false), dir);
            throw new AssertionError("loading from an empty class loader cannot succeed");
        });
    }

    private static Map<String, ConfigValue> byName(Config config) {
        Map<String, ConfigValue> byName = new HashMap<>();
        for (ConfigValue v : config.configValues()) {
            byName.put(v.name(), v);
        }
        return byName;
    }

    private static Map<String, String> seedConfig() {
        Map<String, String> props = StarRocksSinkConfigTest.minimal();
        props.put("name", "starrocks-kafka-connector");
        props.put("connector.class", StarRocksSinkConnector.class.getName());
        props.put("topics", "test");
        props.put("starrocks.topic2table.map", "test:test_tbl");
        props.put("sink.properties.strip_outer_array", "true");
        return props;
    }

    @Test
    void reportsAMissingPasswordOnItsKeyAndTheMissingLibraryOnTheConnectorClass() {
        Map<String, String> props = seedConfig();
        props.remove("starrocks.password");

        Map<String, ConfigValue> values = byName(withoutNativeLibrary().validate(props));

        List<String> password = values.get("starrocks.password").errorMessages();
        assertEquals(1, password.size(), password.toString());
        assertTrue(password.get(0).contains("starrocks.password"), password.get(0));
        List<String> connectorClass = values.get("connector.class").errorMessages();
        assertEquals(1, connectorClass.size(), connectorClass.toString());
        String message = connectorClass.get(0);
        assertTrue(message.contains("native"), message);
        assertTrue(message.contains("os.name=Linux, os.arch=amd64, libc=glibc"), message);
        assertTrue(message.contains("native/linux-x86_64/libstarrocks_kafka_jni.so"), message);
        // Connect's own entry for the key shows the value; ours carries only the message.
        assertEquals(null, values.get("connector.class").value());
    }

    /** Connect renders `topics` as a List: a String value would make the REST answer a 500. */
    @Test
    void problemsOnConnectsOwnListKeysCarryNoValueOfTheWrongType() {
        StarRocksSinkConnector connector = new StarRocksSinkConnector(
                (keys, values) -> new String[] {"topics", "no table", "transforms", "renames"});
        Map<String, ConfigValue> values = byName(connector.validate(seedConfig()));
        for (String key : new String[] {"topics", "transforms"}) {
            assertEquals(1, values.get(key).errorMessages().size(), key);
            assertEquals(null, values.get(key).value(), key);
        }
    }

    @Test
    void neverThrowsWhateverTheCoreDoes() {
        StarRocksSinkConnector panicking = new StarRocksSinkConnector((keys, values) -> {
            throw new NoClassDefFoundError("com/starrocks/connector/kafka/internal/NativeSink");
        });

        Config config = panicking.validate(Collections.<String, String>emptyMap());

        assertFalse(byName(config).get("connector.class").errorMessages().isEmpty());
        assertFalse(byName(config).get("starrocks.http.url").errorMessages().isEmpty());
    }

    @Test
    void attachesTheCoreMessagesToTheirKeysWithoutRepeatingConfigDefErrors() {
        Map<String, String> props = seedConfig();
        props.put("bufferflush.maxbytes", "1");
        props.put("sink.properties.label", "x");
        StarRocksSinkConnector connector = new StarRocksSinkConnector((keys, values) -> {
            Map<String, String> seen = new HashMap<>();
            for (int i = 0; i < keys.length; i++) {
                seen.put(keys[i], values[i]);
            }
            assertEquals("123456", seen.get("starrocks.password"), "the core gets the raw config");
            return new String[] {
                "starrocks.http.url", "'127.0.0.1:8030' is not reachable",
                "bufferflush.maxbytes", "must be between 67108864 and 10737418240, got 1",
                "sink.properties.label", "labels are derived by the connector",
            };
        });

        Map<String, ConfigValue> values = byName(connector.validate(props));

        assertEquals(Collections.singletonList("'127.0.0.1:8030' is not reachable"),
                values.get("starrocks.http.url").errorMessages());
        assertEquals(1, values.get("bufferflush.maxbytes").errorMessages().size(),
                "the ConfigDef's range error only");
        assertEquals(Collections.singletonList("labels are derived by the connector"),
                values.get("sink.properties.label").errorMessages(),
                "an undeclared key gets a value of its own");
        assertTrue(values.get("connector.class") == null
                || values.get("connector.class").errorMessages().isEmpty());
    }

    @Test
    void acceptsTheSeedConfigurationWhenTheCoreFindsNothing() {
        StarRocksSinkConnector connector = new StarRocksSinkConnector((keys, values) -> new String[0]);
        for (ConfigValue v : connector.validate(seedConfig()).configValues()) {
            assertTrue(v.errorMessages().isEmpty(), v.name() + ": " + v.errorMessages());
        }
    }

    @Test
    void givesEachTaskACopyOfTheConfiguration() {
        StarRocksSinkConnector connector = new StarRocksSinkConnector();
        connector.start(seedConfig());

        List<Map<String, String>> configs = connector.taskConfigs(3);

        assertEquals(3, configs.size());
        for (Map<String, String> config : configs) {
            assertEquals(seedConfig(), config);
        }
        assertNotSame(configs.get(0), configs.get(1));
        assertEquals(StarRocksSinkTask.class, connector.taskClass());
    }

    @Test
    void reportsTheBuildVersionWithoutNativeCode() {
        String version = new StarRocksSinkConnector().version();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+.*"), version);
        assertEquals(version, new StarRocksSinkTask().version());
        assertFalse(NativeLoader.isLoaded());
    }

    @Test
    void listsItsPluginsForServiceLoading() throws Exception {
        assertEquals(Collections.singletonList(StarRocksSinkConnector.class.getName()),
                services("org.apache.kafka.connect.sink.SinkConnector"));
        assertEquals(Arrays.asList(
                "com.starrocks.connector.kafka.transforms.AddOpFieldForDebeziumRecord",
                "com.starrocks.connector.kafka.transforms.TimeMillisToStringTransform"),
                services("org.apache.kafka.connect.transforms.Transformation"));
    }

    private static List<String> services(String type) throws Exception {
        URL url = StarRocksSinkConnector.class.getClassLoader().getResource("META-INF/services/" + type);
        assertTrue(url != null, type);
        try (java.io.InputStream in = url.openStream()) {
            java.util.Scanner s = new java.util.Scanner(in, "UTF-8").useDelimiter("\\A");
            String text = s.hasNext() ? s.next() : "";
            List<String> names = new java.util.ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.trim().isEmpty() && !line.trim().startsWith("#")) {
                    names.add(line.trim());
                    Class.forName(line.trim());
                }
            }
            return names;
        }
    }
}
