package com.starrocks.connector.kafka;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StarRocksSinkConfigTest {
    /** Every key of the seed's parameter table that the connector owns, and our extensions. */
    static final List<String> SEED_KEYS = Arrays.asList(
            "starrocks.http.url", "starrocks.database.name", "starrocks.username",
            "starrocks.password", "starrocks.topic2table.map", "bufferflush.maxbytes",
            "bufferflush.intervalms", "connect.timeoutms", "sink.maxretries",
            "sink.properties.format", "sink.properties.strip_outer_array",
            "sink.properties.partial_update", "sink.properties.partial_update_mode",
            "starrocks.temporal.rendering", "starrocks.envelope", "sink.retry.timeoutms",
            "sink.table.failure", "sink.table.loads.in.flight", "sink.semantic",
            "sink.progress.table", "starrocks.query.url", "starrocks.table.create",
            "starrocks.table.evolve", "starrocks.table.create.properties");

    private final ConfigDef def = StarRocksSinkConfig.configDef();

    static Map<String, String> minimal() {
        Map<String, String> props = new HashMap<>();
        props.put("starrocks.http.url", "127.0.0.1:8030");
        props.put("starrocks.database.name", "example_db");
        props.put("starrocks.username", "user1");
        props.put("starrocks.password", "123456");
        return props;
    }

    private Map<String, ConfigValue> validate(Map<String, String> props) {
        Map<String, ConfigValue> byName = new HashMap<>();
        for (ConfigValue v : def.validate(props)) {
            byName.put(v.name(), v);
        }
        return byName;
    }

    private List<String> errors(Map<String, String> props, String key) {
        return validate(props).get(key).errorMessages();
    }

    @Test
    void declaresEverySeedKeyAndNoOther() {
        assertEquals(new java.util.TreeSet<>(SEED_KEYS), new java.util.TreeSet<>(def.names()));
    }

    @Test
    void appliesTheSeedDefaults() {
        Map<String, Object> parsed = def.parse(minimal());
        assertEquals(94_371_840L, parsed.get("bufferflush.maxbytes"));
        assertEquals(1_000L, parsed.get("bufferflush.intervalms"));
        assertEquals(1_000L, parsed.get("connect.timeoutms"));
        assertEquals(3L, parsed.get("sink.maxretries"));
        assertEquals("json", parsed.get("sink.properties.format"));
        assertEquals(false, parsed.get("sink.properties.strip_outer_array"));
        assertEquals(false, parsed.get("sink.properties.partial_update"));
        assertEquals("row", parsed.get("sink.properties.partial_update_mode"));
        assertEquals("string", parsed.get("starrocks.temporal.rendering"));
        assertEquals("none", parsed.get("starrocks.envelope"));
        assertEquals(900_000L, parsed.get("sink.retry.timeoutms"));
        assertEquals("retry", parsed.get("sink.table.failure"));
        assertEquals("", parsed.get("starrocks.topic2table.map"));
    }

    @Test
    void requiresTheConnectionKeysAndReportsEachMissingOne() {
        Map<String, ConfigValue> values = validate(new HashMap<String, String>());
        for (String key : Arrays.asList("starrocks.http.url", "starrocks.database.name",
                "starrocks.username", "starrocks.password")) {
            assertFalse(values.get(key).errorMessages().isEmpty(), key + " is required");
        }
        assertTrue(validate(minimal()).values().stream().allMatch(v -> v.errorMessages().isEmpty()));
    }

    @Test
    void takesThePasswordAsAMaskedPasswordThatMayBeEmpty() {
        assertEquals(Type.PASSWORD, def.configKeys().get("starrocks.password").type);
        Map<String, String> props = minimal();
        props.put("starrocks.password", "");
        assertTrue(errors(props, "starrocks.password").isEmpty());
        Object value = def.parse(minimal()).get("starrocks.password");
        assertTrue(value instanceof Password);
        assertFalse(value.toString().contains("123456"), "the password is masked");
    }

    @Test
    void refusesAnEmptyAddressDatabaseOrUser() {
        for (String key : Arrays.asList("starrocks.http.url", "starrocks.database.name",
                "starrocks.username")) {
            Map<String, String> props = minimal();
            props.put(key, " ");
            assertFalse(errors(props, key).isEmpty(), key);
        }
    }

    @Test
    void enforcesTheSeedRangesAtBothEnds() {
        assertRange("bufferflush.maxbytes", 67_108_864L, 10_737_418_240L);
        assertRange("bufferflush.intervalms", 1_000L, 3_600_000L);
        assertRange("connect.timeoutms", 100L, 60_000L);
        Map<String, String> props = minimal();
        props.put("sink.maxretries", "-1");
        assertTrue(errors(props, "sink.maxretries").isEmpty(), "-1 retries forever");
        props.put("sink.maxretries", "-2");
        assertFalse(errors(props, "sink.maxretries").isEmpty());
    }

    private void assertRange(String key, long min, long max) {
        Map<String, String> props = minimal();
        for (long ok : new long[] {min, max}) {
            props.put(key, Long.toString(ok));
            assertTrue(errors(props, key).isEmpty(), key + "=" + ok);
        }
        for (long bad : new long[] {min - 1, max + 1}) {
            props.put(key, Long.toString(bad));
            assertFalse(errors(props, key).isEmpty(), key + "=" + bad);
        }
    }

    @Test
    void acceptsChoicesRegardlessOfCaseAndRefusesOthers() {
        Map<String, String> props = minimal();
        props.put("sink.properties.format", "CSV");
        props.put("sink.properties.partial_update_mode", "Column");
        props.put("starrocks.temporal.rendering", "NUMERIC");
        props.put("starrocks.envelope", "Debezium");
        props.put("sink.properties.partial_update", "TRUE");
        assertTrue(validate(props).values().stream().allMatch(v -> v.errorMessages().isEmpty()));

        props.put("sink.properties.format", "avro");
        props.put("sink.properties.partial_update_mode", "cell");
        props.put("starrocks.temporal.rendering", "iso");
        props.put("starrocks.envelope", "canal");
        props.put("sink.properties.strip_outer_array", "yes");
        for (String key : Arrays.asList("sink.properties.format",
                "sink.properties.partial_update_mode", "starrocks.temporal.rendering",
                "starrocks.envelope", "sink.properties.strip_outer_array")) {
            assertFalse(errors(props, key).isEmpty(), key);
        }
    }

    @Test
    void groupsTheKeysWithDisplayNamesAndOrder() {
        assertEquals(Arrays.asList("Connection", "Load", "Batching", "Retries", "Delivery"),
                def.groups());
        Map<String, String> groupOf = new HashMap<>();
        groupOf.put("starrocks.http.url", "Connection");
        groupOf.put("starrocks.password", "Connection");
        groupOf.put("connect.timeoutms", "Connection");
        groupOf.put("starrocks.topic2table.map", "Load");
        groupOf.put("sink.properties.format", "Load");
        groupOf.put("starrocks.temporal.rendering", "Load");
        groupOf.put("starrocks.envelope", "Load");
        groupOf.put("bufferflush.maxbytes", "Batching");
        groupOf.put("bufferflush.intervalms", "Batching");
        groupOf.put("sink.maxretries", "Retries");
        groupOf.put("sink.semantic", "Delivery");
        groupOf.put("starrocks.query.url", "Delivery");
        for (Map.Entry<String, String> e : groupOf.entrySet()) {
            assertEquals(e.getValue(), def.configKeys().get(e.getKey()).group, e.getKey());
        }
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            assertFalse(key.displayName.equals(key.name), key.name + " has a display name");
            assertTrue(key.orderInGroup > 0, key.name + " has an order");
            assertFalse(key.documentation.isEmpty(), key.name + " is documented");
        }
    }

    @Test
    void rendersAMarkdownReferenceThatNamesEveryKey() {
        String md = StarRocksSinkConfig.toMarkdown();
        for (String key : SEED_KEYS) {
            assertTrue(md.contains("`" + key + "`"), key);
        }
        assertTrue(md.contains("### Connection"));
        assertTrue(md.contains("| `bufferflush.maxbytes` | long | `94371840` |"), md);
        assertTrue(md.contains("| `starrocks.password` | password | (required) |"), md);
        assertTrue(md.contains("sink.properties.*"));
        assertTrue(md.contains("&lt;topic-1&gt;:&lt;table-1&gt;"), "no raw HTML-like tags");
    }

    @Test
    void theCommittedReferenceMatchesTheConfigDef() throws java.io.IOException {
        java.nio.file.Path doc = java.nio.file.Paths.get("..", "docs", "configuration.md");
        String committed = new String(java.nio.file.Files.readAllBytes(doc), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(committed.contains(StarRocksSinkConfig.toMarkdown()),
                "docs/configuration.md is stale: run scripts/gen-config-doc.sh");
    }
}
