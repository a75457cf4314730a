package com.starrocks.connector.kafka.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The plugin's version, read in plain Java from the build's filtered
 * {@code starrocks-kafka-connector.properties}. Connect calls {@code version()} while it scans
 * plugins, so this must never touch the native library.
 */
public final class PluginVersion {
    static final String RESOURCE = "/com/starrocks/connector/kafka/starrocks-kafka-connector.properties";
    private static final String VERSION = read();

    private PluginVersion() {
    }

    /** The Maven project version, or {@code unknown} when the resource is missing. */
    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = PluginVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown").trim();
        } catch (IOException | IllegalArgumentException e) {
            return "unknown";
        }
    }
}
