package com.starrocks.connector.kafka;

import com.starrocks.connector.kafka.internal.BatchEncoder;
import com.starrocks.connector.kafka.internal.NativeLoader;
import com.starrocks.connector.kafka.internal.NativeLogs;
import com.starrocks.connector.kafka.internal.NativeSink;
import com.starrocks.connector.kafka.internal.PluginVersion;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The StarRocks sink connector: a drop-in replacement for StarRocks' own, with the same class
 * name and configuration keys, whose work is done by a native core ({@link StarRocksSinkTask}).
 *
 * <p>Connect instantiates this class and calls {@link #version()} while it scans plugins, and
 * calls {@link #validate} on REST threads; neither loads native code except {@code validate},
 * which runs the core's deep checks and reports every problem on its key — it never throws,
 * so the REST API never answers 500 because of this connector.
 */
public class StarRocksSinkConnector extends SinkConnector {
    /** Connect's key of the connector class, where problems that have no key of their own go. */
    static final String CONNECTOR_CLASS = "connector.class";
    private static final Logger LOG = LoggerFactory.getLogger(StarRocksSinkConnector.class);

    /** The core's deep validation: returns {@code [key0, message0, key1, message1, ...]}. */
    interface DeepValidator {
        String[] validate(String[] keys, String[] values);
    }

    private final DeepValidator deepValidator;
    private Map<String, String> props = Collections.emptyMap();

    public StarRocksSinkConnector() {
        this(StarRocksSinkConnector::nativeValidate);
    }

    StarRocksSinkConnector(DeepValidator deepValidator) {
        this.deepValidator = deepValidator;
    }

    @Override
    public String version() {
        return PluginVersion.get();
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = new HashMap<>(props);
        LOG.info("Starting the StarRocks sink connector {} (version {})", props.get("name"), version());
    }

    @Override
    public Class<? extends Task> taskClass() {
        return StarRocksSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>(maxTasks);
        for (int i = 0; i < maxTasks; i++) {
            configs.add(new HashMap<>(props));
        }
        return configs;
    }

    @Override
    public void stop() {
        LOG.info("Stopped the StarRocks sink connector {}", props.get("name"));
    }

    /**
     * Connect's offsets API (3.6+: {@code PATCH} or {@code DELETE /connectors/<name>/offsets},
     * the connector stopped) is about to move the consumer's offsets of these partitions. Under
     * {@code sink.semantic=exactly-once} the core forgets its progress for them in StarRocks, so
     * that the records Connect hands over again are loaded again rather than skipped as already
     * loaded. Under at-least-once there is nothing to do: the consumer's offsets are all there is.
     * No partition at all is a {@code DELETE} of a group that has no committed offset (they
     * expired, or were deleted by hand; an empty {@code PATCH} is refused by Connect's REST
     * layer): the connector's whole progress is forgotten.
     */
    @Override
    public boolean alterOffsets(Map<String, String> connectorConfig,
            Map<TopicPartition, Long> offsets) {
        if (!"exactly-once".equalsIgnoreCase(String.valueOf(
                connectorConfig.get(StarRocksSinkConfig.SEMANTIC)).trim())) {
            return true;
        }
        List<String> keys = new ArrayList<>(connectorConfig.size());
        List<String> values = new ArrayList<>(connectorConfig.size());
        for (Map.Entry<String, String> e : connectorConfig.entrySet()) {
            if (e.getKey() != null && e.getValue() != null) {
                keys.add(e.getKey());
                values.add(e.getValue());
            }
        }
        String[] topics = new String[offsets.size()];
        int[] partitions = new int[offsets.size()];
        int i = 0;
        for (TopicPartition tp : offsets.keySet()) {
            topics[i] = tp.topic();
            partitions[i] = tp.partition();
            i++;
        }
        String name = connectorConfig.get("name");
        NativeLoader.load();
        try {
            NativeSink.resetProgress(keys.toArray(new String[0]), values.toArray(new String[0]),
                    name == null ? "" : name, topics, partitions);
        } finally {
            NativeLogs.drain();
        }
        LOG.info("Forgot the exactly-once progress of connector {} for {}; their records will be "
                + "loaded again", name, offsets.isEmpty() ? "every partition"
                        : offsets.size() + " partition(s)");
        return true;
    }

    @Override
    public ConfigDef config() {
        return StarRocksSinkConfig.configDef();
    }

    /**
     * Validates with the {@link ConfigDef} (types, ranges, required keys) and with the core
     * (everything that needs parsing); each message is attached to its key. A key the
     * {@code ConfigDef} already faulted does not get the core's message for the same problem.
     */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Map<String, ConfigValue> byName = new LinkedHashMap<>();
        try {
            for (ConfigValue value : config().validate(connectorConfigs)) {
                byName.put(value.name(), value);
            }
        } catch (RuntimeException e) {
            attach(byName, CONNECTOR_CLASS,
                    "The configuration could not be validated: " + e.getMessage());
        }
        Set<String> faulted = new HashSet<>();
        for (ConfigValue value : byName.values()) {
            if (!value.errorMessages().isEmpty()) {
                faulted.add(value.name());
            }
        }
        try {
            String[] problems = deepValidate(connectorConfigs);
            for (int i = 0; i + 1 < problems.length; i += 2) {
                if (!faulted.contains(problems[i])) {
                    attach(byName, problems[i], problems[i + 1]);
                }
            }
        } catch (Exception | LinkageError e) {
            attach(byName, CONNECTOR_CLASS,
                    "The StarRocks connector's native core is not available on this worker, so "
                            + "the configuration could not be fully validated: " + e.getMessage());
        }
        return new Config(new ArrayList<>(byName.values()));
    }

    private String[] deepValidate(Map<String, String> connectorConfigs) {
        List<String> keys = new ArrayList<>(connectorConfigs.size());
        List<String> values = new ArrayList<>(connectorConfigs.size());
        for (Map.Entry<String, String> e : connectorConfigs.entrySet()) {
            if (e.getKey() != null && e.getValue() != null) {
                keys.add(e.getKey());
                values.add(e.getValue());
            }
        }
        String[] problems = deepValidator.validate(keys.toArray(new String[0]),
                values.toArray(new String[0]));
        return problems == null ? new String[0] : problems;
    }

    private static void attach(Map<String, ConfigValue> byName,
                               String key, String message) {
        ConfigValue value = byName.get(key);
        if (value == null) {
            // A key of Connect's own (topics, transforms, connector.class): Connect renders
            // the value by its own type (a List, a Class), so a raw String would fail the
            // whole answer with a ClassCastException; Connect's entry for the key shows it.
            value = new ConfigValue(key, null, new ArrayList<Object>(), new ArrayList<String>());
            byName.put(key, value);
        }
        value.addErrorMessage(message);
    }

    private static String[] nativeValidate(String[] keys, String[] values) {
        NativeLoader.load();
        try {
            return NativeSink.validate(keys, values, BatchEncoder.hasOriginalTopics());
        } finally {
            NativeLogs.drain();
        }
    }
}
