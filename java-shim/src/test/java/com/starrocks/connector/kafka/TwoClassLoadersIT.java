package com.starrocks.connector.kafka;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkTask;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two copies of the plugin in one JVM, each in its own class loader as Connect's
 * PluginClassLoader isolates them (two installed versions, several workers in one process):
 * each loads its own copy of the native library and both sinks work.
 */
class TwoClassLoadersIT {
    /** Loads the plugin's own classes itself and everything else (Kafka, slf4j) from its parent. */
    static final class PluginLoader extends URLClassLoader {
        PluginLoader(URL jar, ClassLoader parent) {
            super(new URL[] {jar}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null && name.startsWith("com.starrocks.")) {
                    c = findClass(name);
                }
                if (c == null) {
                    return super.loadClass(name, resolve);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }

    @Test
    void twoPluginClassLoadersEachLoadTheLibraryAndBothSinksWork() throws Exception {
        File jar = new File(System.getProperty("shim.jar", "target/missing.jar"));
        assertTrue(jar.isFile(), "the packaged shim jar " + jar + " exists");
        ClassLoader parent = TwoClassLoadersIT.class.getClassLoader();
        try (EmulatorProcess emulator = EmulatorProcess.start(EmulatorProcess.SEED_DDL);
             PluginLoader first = new PluginLoader(jar.toURI().toURL(), parent);
             PluginLoader second = new PluginLoader(jar.toURI().toURL(), parent)) {
            List<SinkTask> tasks = new ArrayList<>();
            List<String> topics = Arrays.asList("first", "second");
            List<PluginLoader> loaders = Arrays.asList(first, second);
            try {
                for (int i = 0; i < 2; i++) {
                    Class<?> taskClass =
                            loaders.get(i).loadClass(StarRocksSinkTask.class.getName());
                    assertNotSame(StarRocksSinkTask.class, taskClass, "the plugin's own copy");
                    SinkTask task = (SinkTask) taskClass.getDeclaredConstructor().newInstance();
                    Map<String, String> props = emulator.seedConfig("");
                    props.put("name", "copy-" + i);
                    props.put("topics", "first,second");
                    props.put("starrocks.topic2table.map", "first:test_tbl,second:test_tbl");
                    task.start(props);
                    tasks.add(task);
                }
                for (int i = 0; i < 2; i++) {
                    String topic = topics.get(i);
                    TopicPartition tp = new TopicPartition(topic, 0);
                    String value = "{\"id\":" + (i + 1) + ",\"city\":\"" + topic + "\"}";
                    tasks.get(i).open(Collections.singleton(tp));
                    tasks.get(i).put(Seed.records(topic, 0, Collections.singletonList(value)));
                    Seed.awaitCommit(tasks.get(i),
                            Collections.<TopicPartition, OffsetAndMetadata>emptyMap(),
                            Collections.singletonMap(tp, new OffsetAndMetadata(1)));
                }
            } finally {
                for (SinkTask task : tasks) {
                    task.stop();
                }
            }
            assertEquals(Arrays.asList(Arrays.<Object>asList(1L, "first"),
                    Arrays.<Object>asList(2L, "second")), emulator.rows("test_tbl"));
            for (PluginLoader loader : loaders) {
                Class<?> nativeLoader = loader.loadClass(
                        "com.starrocks.connector.kafka.internal.NativeLoader");
                assertEquals(Boolean.TRUE, nativeLoader.getMethod("isLoaded").invoke(null),
                        "each plugin copy loaded the library itself");
            }
        }
    }
}
