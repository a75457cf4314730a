package com.starrocks.bench.nullsink;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * The benchmark's framework ceiling: a sink connector whose tasks discard every record. Whatever
 * a drain through it costs (consumer, converter, Connect's loop, offset commits) is what any
 * sink pays before doing its own work. Accepts and ignores every configuration key, so it can
 * be given the same connector configuration as the sink under test.
 */
public class NullSinkConnector extends SinkConnector {
    private Map<String, String> props;

    @Override
    public String version() {
        return "bench";
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
        return NullSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            configs.add(props == null ? Collections.<String, String>emptyMap() : props);
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }
}
