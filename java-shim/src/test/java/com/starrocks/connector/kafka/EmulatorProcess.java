package com.starrocks.connector.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The StarRocks emulator binary ({@code target/release/starrocks-emulator}, built by
 * {@code native/build-native.sh}; its path comes in the {@code emulator.bin} system property),
 * run as a child process on free ports. It prints one JSON line when ready; rows are read back
 * through its HTTP SQL API, as a user would query StarRocks.
 */
final class EmulatorProcess implements AutoCloseable {
    /** The seed's database and table. */
    static final String SEED_DDL = "CREATE DATABASE example_db;\nUSE example_db;\n"
            + "CREATE TABLE test_tbl (id INT, city STRING);\n";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long READY_TIMEOUT_SECONDS = 30;

    private final Process process;
    private final String feHttp;
    private final String query;

    private EmulatorProcess(Process process, String feHttp, String query) {
        this.process = process;
        this.feHttp = feHttp;
        this.query = query;
    }

    /** Starts the emulator with {@code ddl} run at start; returns once it is ready. */
    static EmulatorProcess start(String ddl) throws IOException, InterruptedException {
        File binary = new File(System.getProperty("emulator.bin",
                "../target/release/starrocks-emulator"));
        if (!binary.canExecute()) {
            throw new IllegalStateException("The emulator binary " + binary + " is missing: "
                    + "run native/build-native.sh (mvn does at generate-resources)");
        }
        File initSql = File.createTempFile("emulator-init", ".sql");
        initSql.deleteOnExit();
        Files.write(initSql.toPath(), ddl.getBytes(StandardCharsets.UTF_8));
        ProcessBuilder builder = new ProcessBuilder(binary.getAbsolutePath(),
                "--fe-http-port", "0", "--be-http-port", "0", "--query-port", "0",
                "--init-sql", initSql.getAbsolutePath());
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = builder.start();
        BlockingQueue<String> ready = new ArrayBlockingQueue<>(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                ready.offer(line == null ? "" : line);
                while (out.readLine() != null) {
                    // Drain, so the emulator never blocks on a full pipe.
                }
            } catch (IOException e) {
                ready.offer("");
            }
        }, "emulator-stdout");
        reader.setDaemon(true);
        reader.start();
        String line = ready.poll(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (line == null || line.isEmpty()) {
            process.destroyForcibly();
            throw new IllegalStateException("The emulator did not report ready within "
                    + READY_TIMEOUT_SECONDS + " s");
        }
        JsonNode addresses = JSON.readTree(line);
        return new EmulatorProcess(process, addresses.get("fe_http").asText(),
                addresses.get("query").asText());
    }

    /** The FE HTTP address, {@code host:port}: the connector's {@code starrocks.http.url}. */
    String feHttp() {
        return feHttp;
    }

    /** The MySQL-protocol address, {@code host:port}: the connector's {@code starrocks.query.url}. */
    String query() {
        return query;
    }

    /** The seed's connector config pointed at this emulator, with {@code password}. */
    Map<String, String> seedConfig(String password) {
        Map<String, String> props = new HashMap<>();
        props.put("name", "starrocks-kafka-connector");
        props.put("connector.class", StarRocksSinkConnector.class.getName());
        props.put("topics", "test");
        props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("key.converter.schemas.enable", "true");
        props.put("value.converter.schemas.enable", "false");
        props.put("starrocks.http.url", feHttp);
        props.put("starrocks.topic2table.map", "test:test_tbl");
        props.put("starrocks.username", "root");
        props.put("starrocks.password", password);
        props.put("starrocks.database.name", "example_db");
        props.put("sink.properties.strip_outer_array", "true");
        return props;
    }

    /** The rows of {@code select * from <table> order by id}, each as its column values. */
    List<List<Object>> rows(String table) throws IOException {
        return rows(table, "id");
    }

    /** The rows of {@code select * from <table> order by <orderBy>}, each as its column values. */
    List<List<Object>> rows(String table, String orderBy) throws IOException {
        URL url = new URL("http://" + feHttp
                + "/api/v1/catalogs/default_catalog/databases/example_db/sql");
        HttpURLConnection http = (HttpURLConnection) url.openConnection();
        http.setRequestMethod("POST");
        http.setDoOutput(true);
        http.setRequestProperty("Content-Type", "application/json");
        http.setRequestProperty("Authorization", "Basic "
                + Base64.getEncoder().encodeToString("root:".getBytes(StandardCharsets.UTF_8)));
        Map<String, String> body = new HashMap<>();
        body.put("query", "select * from " + table + " order by " + orderBy);
        try (OutputStream out = http.getOutputStream()) {
            out.write(JSON.writeValueAsBytes(body));
        }
        if (http.getResponseCode() != 200) {
            throw new IOException("The SQL API answered HTTP " + http.getResponseCode());
        }
        List<List<Object>> rows = new ArrayList<>();
        try (InputStream in = http.getInputStream();
             BufferedReader lines = new BufferedReader(
                     new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.trim().isEmpty()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                JsonNode data = node.get("data");
                if (data != null) {
                    List<Object> row = new ArrayList<>();
                    for (JsonNode value : data) {
                        row.add(value.isNull() ? null
                                : value.isNumber() ? (Object) value.asLong() : value.asText());
                    }
                    rows.add(row);
                }
            }
        } finally {
            http.disconnect();
        }
        return rows;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
