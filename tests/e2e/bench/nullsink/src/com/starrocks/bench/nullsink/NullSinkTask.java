package com.starrocks.bench.nullsink;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Discards every record. put() only counts (so the batch is touched, as any real sink would),
 * and the default preCommit() commits everything put() has seen: the group's lag reaches 0 as
 * soon as the framework has consumed and converted the topic and committed once more.
 */
public class NullSinkTask extends SinkTask {
    private long records;

    @Override
    public String version() {
        return "bench";
    }

    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public void put(Collection<SinkRecord> batch) {
        records += batch.size();
    }

    @Override
    public void stop() {
        System.err.println("NullSinkTask: discarded " + records + " records");
    }
}
