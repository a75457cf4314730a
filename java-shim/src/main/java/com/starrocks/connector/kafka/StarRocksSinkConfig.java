package com.starrocks.connector.kafka;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.CaseInsensitiveValidString;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.NonEmptyString;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The connector's configuration keys: those of StarRocks' own Kafka connector, with its
 * defaults and ranges, plus {@value #TEMPORAL_RENDERING}, {@value #ENVELOPE},
 * {@value #RETRY_TIMEOUT_MS}, {@value #TABLE_FAILURE}, {@value #LOADS_IN_FLIGHT}, the table
 * keys {@value #TABLE_CREATE}, {@value #TABLE_EVOLVE} and {@value #TABLE_CREATE_PROPERTIES}, and
 * the exactly-once keys {@value #SEMANTIC}, {@value #PROGRESS_TABLE} and {@value #QUERY_URL}.
 *
 * <p>This definition is what Connect's REST API and UIs show, and the option reference in the
 * docs is generated from it ({@link #main}). The values themselves are checked twice: here, by
 * type and range, and by the native core, which owns the rules that need parsing (addresses,
 * the topic-to-table map, Stream Load properties). Any {@code sink.properties.*} key not
 * declared here is passed to Stream Load as a header.
 */
public final class StarRocksSinkConfig {
    /** Group of the keys that reach StarRocks. */
    public static final String GROUP_CONNECTION = "Connection";
    /** Group of the keys that shape what is loaded and how. */
    public static final String GROUP_LOAD = "Load";
    /** Group of the keys that decide when buffered rows are loaded. */
    public static final String GROUP_BATCHING = "Batching";
    /** Group of the keys that govern retries of failed loads. */
    public static final String GROUP_RETRIES = "Retries";
    /** Group of the keys of the delivery guarantee. */
    public static final String GROUP_DELIVERY = "Delivery";

    public static final String HTTP_URL = "starrocks.http.url";
    public static final String DATABASE = "starrocks.database.name";
    public static final String USERNAME = "starrocks.username";
    public static final String PASSWORD = "starrocks.password";
    public static final String CONNECT_TIMEOUT_MS = "connect.timeoutms";
    public static final String TOPIC_TO_TABLE = "starrocks.topic2table.map";
    public static final String SINK_PROPERTIES_PREFIX = "sink.properties.";
    public static final String FORMAT = "sink.properties.format";
    public static final String STRIP_OUTER_ARRAY = "sink.properties.strip_outer_array";
    public static final String PARTIAL_UPDATE = "sink.properties.partial_update";
    public static final String PARTIAL_UPDATE_MODE = "sink.properties.partial_update_mode";
    public static final String TEMPORAL_RENDERING = "starrocks.temporal.rendering";
    public static final String ENVELOPE = "starrocks.envelope";
    public static final String TABLE_CREATE = "starrocks.table.create";
    public static final String TABLE_EVOLVE = "starrocks.table.evolve";
    public static final String TABLE_CREATE_PROPERTIES = "starrocks.table.create.properties";
    public static final String BUFFER_MAX_BYTES = "bufferflush.maxbytes";
    public static final String BUFFER_INTERVAL_MS = "bufferflush.intervalms";
    public static final String MAX_RETRIES = "sink.maxretries";
    public static final String RETRY_TIMEOUT_MS = "sink.retry.timeoutms";
    public static final String TABLE_FAILURE = "sink.table.failure";
    public static final String LOADS_IN_FLIGHT = "sink.table.loads.in.flight";
    public static final String SEMANTIC = "sink.semantic";
    public static final String PROGRESS_TABLE = "sink.progress.table";
    public static final String QUERY_URL = "starrocks.query.url";

    public static final long BUFFER_MAX_BYTES_DEFAULT = 94_371_840L;
    public static final long BUFFER_MAX_BYTES_MIN = 67_108_864L;
    public static final long BUFFER_MAX_BYTES_MAX = 10_737_418_240L;
    public static final long BUFFER_INTERVAL_MS_DEFAULT = 1_000L;
    public static final long CONNECT_TIMEOUT_MS_DEFAULT = 1_000L;
    public static final long MAX_RETRIES_DEFAULT = 3L;
    public static final long RETRY_TIMEOUT_MS_DEFAULT = 900_000L;
    public static final long RETRY_TIMEOUT_MS_MAX = 604_800_000L;
    public static final String TABLE_FAILURE_DEFAULT = "retry";
    public static final long LOADS_IN_FLIGHT_DEFAULT = 2L;
    public static final String SEMANTIC_DEFAULT = "at-least-once";
    public static final String PROGRESS_TABLE_DEFAULT = "kafka_connect_progress";

    private StarRocksSinkConfig() {
    }

    /** A new definition of every key (a {@code ConfigDef} is mutable, so each caller gets its own). */
    public static ConfigDef configDef() {
        ConfigDef def = new ConfigDef();
        defineConnection(def);
        defineLoad(def);
        defineBatching(def);
        defineRetries(def);
        defineDelivery(def);
        return def;
    }

    private static void defineConnection(ConfigDef def) {
        int order = 0;
        def.define(HTTP_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(),
                Importance.HIGH,
                "The HTTP addresses of the StarRocks FE nodes, comma-separated: "
                        + "<fe_host1>:<fe_http_port1>,<fe_host2>:<fe_http_port2>,... "
                        + "For example 192.168.xxx.xxx:8030,192.168.xxx.xxx:8030. "
                        + "An address may start with http:// or https://.",
                GROUP_CONNECTION, ++order, Width.LONG, "FE HTTP addresses");
        def.define(DATABASE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(),
                Importance.HIGH, "The StarRocks database to load into.",
                GROUP_CONNECTION, ++order, Width.MEDIUM, "Database");
        def.define(USERNAME, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(),
                Importance.HIGH,
                "The StarRocks user. It needs the INSERT privilege on the target tables.",
                GROUP_CONNECTION, ++order, Width.MEDIUM, "Username");
        def.define(PASSWORD, Type.PASSWORD, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                "The password of the StarRocks user. Required; it may be empty.",
                GROUP_CONNECTION, ++order, Width.MEDIUM, "Password");
        def.define(CONNECT_TIMEOUT_MS, Type.LONG, CONNECT_TIMEOUT_MS_DEFAULT,
                Range.between(100L, 60_000L), Importance.LOW,
                "The timeout, in milliseconds, for connecting to the FE HTTP addresses. "
                        + "Range: [100, 60000].",
                GROUP_CONNECTION, ++order, Width.SHORT, "Connect timeout (ms)");
    }

    private static void defineLoad(ConfigDef def) {
        int order = 0;
        def.define(TOPIC_TO_TABLE, Type.STRING, "", Importance.MEDIUM,
                "Maps topics to StarRocks tables when their names differ: "
                        + "<topic-1>:<table-1>,<topic-2>:<table-2>,... "
                        + "A topic that is not listed loads into the table of the same name.",
                GROUP_LOAD, ++order, Width.LONG, "Topic to table map");
        def.define(FORMAT, Type.STRING, "json", CaseInsensitiveValidString.in("json", "csv"),
                Importance.MEDIUM,
                "The data format of Stream Load: json or csv. Every other sink.properties.* key "
                        + "is passed to Stream Load as a property (for example "
                        + "sink.properties.column_separator); see StarRocks' Stream Load "
                        + "documentation.",
                GROUP_LOAD, ++order, Width.SHORT, "Format");
        def.define(STRIP_OUTER_ARRAY, Type.BOOLEAN, false, Importance.LOW,
                "Stream Load's strip_outer_array for JSON: whether the body is one JSON array of "
                        + "rows.",
                GROUP_LOAD, ++order, Width.SHORT, "Strip outer array");
        def.define(PARTIAL_UPDATE, Type.BOOLEAN, false, Importance.LOW,
                "Whether loads update only the columns they carry (partial update).",
                GROUP_LOAD, ++order, Width.SHORT, "Partial update");
        def.define(PARTIAL_UPDATE_MODE, Type.STRING, "row",
                CaseInsensitiveValidString.in("row", "column", "auto"), Importance.LOW,
                "The partial update mode. row suits real-time updates of many columns in small "
                        + "batches; column suits batch updates of a few columns over many rows; "
                        + "auto lets StarRocks choose.",
                GROUP_LOAD, ++order, Width.SHORT, "Partial update mode");
        def.define(TEMPORAL_RENDERING, Type.STRING, "string",
                CaseInsensitiveValidString.in("string", "numeric"), Importance.LOW,
                "How Connect's Date, Time and Timestamp logical types are written into rows. "
                        + "string writes DATE, DATETIME and TIME text that loads into StarRocks' "
                        + "temporal columns; numeric keeps the rendering of StarRocks' Java "
                        + "connector (days or milliseconds since the epoch, as numbers). "
                        + "An extension of this connector.",
                GROUP_LOAD, ++order, Width.SHORT, "Temporal rendering");
        def.define(ENVELOPE, Type.STRING, "none",
                CaseInsensitiveValidString.in("none", "debezium"), Importance.MEDIUM,
                "What a record value is. none: the row itself (or an array of rows). debezium: "
                        + "a Debezium change event, read without any transform: c, u and r "
                        + "upsert its after image, d deletes its before image (else the record "
                        + "key), t and tombstones are skipped. Needs JSON format and a "
                        + "primary-key table. An extension of this connector.",
                GROUP_LOAD, ++order, Width.SHORT, "Envelope");
        def.define(TABLE_CREATE, Type.BOOLEAN, false, Importance.LOW,
                "true: a table that does not exist is created, over the MySQL protocol ("
                        + QUERY_URL + "), from the schema of the first record routed to it: "
                        + "a primary-key table keyed on the record key's fields (Debezium's key "
                        + "holds the source's primary key), else a duplicate-key table. Needs "
                        + "records with schemas and JSON format. See docs/cdc.md for the types. "
                        + "An extension of this connector.",
                GROUP_LOAD, ++order, Width.SHORT, "Create tables");
        def.define(TABLE_EVOLVE, Type.BOOLEAN, false, Importance.LOW,
                "true: when the record schema gains a field the table lacks, the column is "
                        + "added (ALTER TABLE ... ADD COLUMN over " + QUERY_URL + ") before the "
                        + "first load that carries it. Columns are never dropped or retyped; a "
                        + "field whose type no longer fits its column fails the table's loads "
                        + "with an error naming both. An extension of this connector.",
                GROUP_LOAD, ++order, Width.SHORT, "Add columns");
        def.define(TABLE_CREATE_PROPERTIES, Type.STRING, "", Importance.LOW,
                "The PROPERTIES of the tables " + TABLE_CREATE + " creates, as "
                        + "key=value[,key=value...], for example replication_num=1 on a "
                        + "cluster with one BE. Empty: StarRocks' defaults.",
                GROUP_LOAD, ++order, Width.LONG, "Created tables' properties");
    }

    private static void defineBatching(ConfigDef def) {
        int order = 0;
        def.define(BUFFER_MAX_BYTES, Type.LONG, BUFFER_MAX_BYTES_DEFAULT,
                Range.between(BUFFER_MAX_BYTES_MIN, BUFFER_MAX_BYTES_MAX), Importance.MEDIUM,
                "The size, in bytes, of buffered data across all tables at which it is loaded "
                        + "into StarRocks with Stream Load. A table also loads its buffer once "
                        + "it holds this size divided by (" + LOADS_IN_FLIGHT + " + 1), so that "
                        + "its loads overlap the consuming. Range: [64 MB, 10 GB].",
                GROUP_BATCHING, ++order, Width.MEDIUM, "Buffer size (bytes)");
        def.define(BUFFER_INTERVAL_MS, Type.LONG, BUFFER_INTERVAL_MS_DEFAULT,
                Range.between(1_000L, 3_600_000L), Importance.MEDIUM,
                "The interval, in milliseconds, after which buffered data is loaded; it bounds "
                        + "the latency of loading. Range: [1000, 3600000].",
                GROUP_BATCHING, ++order, Width.SHORT, "Flush interval (ms)");
        def.define(LOADS_IN_FLIGHT, Type.LONG, LOADS_IN_FLIGHT_DEFAULT, Range.between(1L, 16L),
                Importance.LOW,
                "How many loads of one table may be on their way to StarRocks at once. They are "
                        + "sent in parallel (transaction Stream Load: begin, send, prepare) but "
                        + "commit one after another in the order their records arrived, so the "
                        + "rows of one key become visible in order and offsets are committed only "
                        + "up to loads that are visible. 1: a table's next load starts only after "
                        + "the one before it is visible. Under exactly-once the same holds, with "
                        + "each load's rows and progress in one multi-table transaction (begin, "
                        + "send, commit). Range: [1, 16]. An extension of this connector.",
                GROUP_BATCHING, ++order, Width.SHORT, "Loads in flight per table");
    }

    private static void defineRetries(ConfigDef def) {
        int order = 0;
        def.define(MAX_RETRIES, Type.LONG, MAX_RETRIES_DEFAULT, Range.atLeast(-1L),
                Importance.LOW,
                "How many times a load that fails transiently (no connection, a timeout, HTTP "
                        + "5xx, no FE leader) is retried before its table counts as failing; "
                        + "the load must also have been failing for " + RETRY_TIMEOUT_MS
                        + ". -1: a transient failure never makes a table failing. Retries use "
                        + "the same label and back off exponentially (200 ms doubling up to "
                        + "15 s, with jitter).",
                GROUP_RETRIES, ++order, Width.SHORT, "Max retries");
        def.define(RETRY_TIMEOUT_MS, Type.LONG, RETRY_TIMEOUT_MS_DEFAULT,
                Range.between(0L, RETRY_TIMEOUT_MS_MAX), Importance.LOW,
                "How long, in milliseconds, a load must have been failing transiently, besides "
                        + MAX_RETRIES + " retries, before its table counts as failing. The "
                        + "default (15 minutes) rides out FE restarts and leader elections. "
                        + "Range: [0, 604800000].",
                GROUP_RETRIES, ++order, Width.SHORT, "Retry timeout (ms)");
        def.define(TABLE_FAILURE, Type.STRING, TABLE_FAILURE_DEFAULT,
                CaseInsensitiveValidString.in("retry", "fail"), Importance.MEDIUM,
                "What a failing table does: a table whose loads StarRocks refuses (table "
                        + "missing, privilege denied) or whose transient failures outlast "
                        + MAX_RETRIES + " and " + RETRY_TIMEOUT_MS + ". retry: its "
                        + "partitions pause, its load is retried with backoff (an ERROR line "
                        + "with StarRocks' message each time, and the table's JMX attribute "
                        + "failing=1), and it resumes by itself once the cause is fixed; the "
                        + "other tables keep loading and committing. fail: the task fails, "
                        + "naming the table. Rows StarRocks rejects are not a table's failure: "
                        + "their records go to the dead-letter queue under errors.tolerance=all, "
                        + "else the task fails naming the first. An extension of this connector.",
                GROUP_RETRIES, ++order, Width.SHORT, "Failing table");
    }

    private static void defineDelivery(ConfigDef def) {
        int order = 0;
        def.define(SEMANTIC, Type.STRING, SEMANTIC_DEFAULT,
                CaseInsensitiveValidString.in("at-least-once", "exactly-once"), Importance.MEDIUM,
                "at-least-once: no record is lost; after a crash the rows loaded since the last "
                        + "offset commit are loaded again. exactly-once: every row becomes "
                        + "visible exactly once, across crashes, rebalances and restarts; each "
                        + "load commits its rows together with the sink's progress in "
                        + PROGRESS_TABLE + " (StarRocks 4.0 or newer: multi-table transactions). "
                        + "The key of StarRocks' Flink connector; an extension of this connector.",
                GROUP_DELIVERY, ++order, Width.SHORT, "Delivery semantic");
        def.define(PROGRESS_TABLE, Type.STRING, PROGRESS_TABLE_DEFAULT, new NonEmptyString(),
                Importance.LOW,
                "Under exactly-once: the table, in " + DATABASE + ", where the sink keeps which "
                        + "records each table holds. The sink creates it over the MySQL protocol "
                        + "(" + QUERY_URL + ") when it is missing; without the privilege to, the "
                        + "task fails with the CREATE TABLE statement to run. One table serves "
                        + "every connector of the database.",
                GROUP_DELIVERY, ++order, Width.MEDIUM, "Progress table");
        def.define(QUERY_URL, Type.STRING, "", Importance.LOW,
                "Under exactly-once, " + TABLE_CREATE + " or " + TABLE_EVOLVE + ": the "
                        + "MySQL-protocol addresses of the FE nodes, "
                        + "comma-separated: <fe_host1>:<fe_query_port1>,... (a jdbc:mysql:// "
                        + "prefix is accepted). Empty: the hosts of " + HTTP_URL + " on port "
                        + "9030, StarRocks' default query_port.",
                GROUP_DELIVERY, ++order, Width.LONG, "FE query addresses");
    }

    /**
     * The option reference as a Markdown table per group, in the order of the definition.
     * Generated, never typed by hand: {@code java -cp ... StarRocksSinkConfig [output.md]}.
     */
    public static String toMarkdown() {
        ConfigDef def = configDef();
        StringBuilder md = new StringBuilder();
        md.append("<!-- Generated by com.starrocks.connector.kafka.StarRocksSinkConfig; "
                + "do not edit. -->\n");
        for (String group : def.groups()) {
            md.append("\n### ").append(group).append("\n\n");
            md.append("| Key | Type | Default | Valid values | Importance | Description |\n");
            md.append("|---|---|---|---|---|---|\n");
            List<ConfigDef.ConfigKey> keys = new ArrayList<>();
            for (ConfigDef.ConfigKey key : def.configKeys().values()) {
                if (group.equals(key.group)) {
                    keys.add(key);
                }
            }
            keys.sort(Comparator.comparingInt(k -> k.orderInGroup));
            for (ConfigDef.ConfigKey key : keys) {
                md.append("| `").append(key.name).append("` | ")
                        .append(key.type.toString().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                        .append(cell(defaultOf(key))).append(" | ")
                        .append(cell(key.validator == null ? "" : key.validator.toString()))
                        .append(" | ")
                        .append(key.importance.toString().toLowerCase(java.util.Locale.ROOT))
                        .append(" | ")
                        .append(cell(key.documentation)).append(" |\n");
            }
        }
        md.append("\nAny other `").append(SINK_PROPERTIES_PREFIX)
                .append("*` key is sent to Stream Load as a property of every load, its value trimmed"
                        + " (`compression` also lower-cased); a `column_separator` or `row_delimiter` is"
                        + " sent as written, in StarRocks' `\\xHH` form when it holds a character that is"
                        + " not printable ASCII. `").append(SINK_PROPERTIES_PREFIX)
                .append("label` is refused: the connector names every load. Under exactly-once"
                        + " `max_filter_ratio` is sent as 0 and the sink applies the ratio itself"
                        + " (docs/delivery.md, \"Rows StarRocks rejects\").\n");
        return md.toString();
    }

    private static String defaultOf(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.defaultValue == null) {
            return "";
        }
        String value = String.valueOf(key.defaultValue);
        return value.isEmpty() ? "\"\"" : "`" + value + "`";
    }

    private static String cell(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("|", "\\|").replace("\n", " ");
    }

    /** Prints the Markdown reference, or writes it to the file named by the first argument. */
    public static void main(String[] args) throws IOException {
        String md = toMarkdown();
        if (args.length == 0) {
            PrintStream out = new PrintStream(System.out, true, "UTF-8");
            out.print(md);
        } else {
            Files.write(Paths.get(args[0]), md.getBytes(StandardCharsets.UTF_8));
        }
    }
}
