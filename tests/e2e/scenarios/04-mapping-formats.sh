#!/usr/bin/env bash
# Routing and formats beyond the seed's example, four connectors at once on the shared worker:
#   regex     topics.regex over two topics -> two tables named after the topics
#   csv       StringConverter + sink.properties.format=csv, column_separator=\x01 (a `|` inside a
#             value stays data)
#   router    a RegexRouter SMT renames e2e4_raw_events -> events (the table); the committed
#             offsets must still be those of the original topic
#   temporal  JsonConverter schemas.enable=true with Connect Date and Timestamp logical types
#             landing in DATE and DATETIME columns (UTC)
# Observes: each table's rows, and every source topic's committed offset at its end.
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

db=e2e4
sr_exec "DROP DATABASE IF EXISTS $db"
sr_exec "CREATE DATABASE $db; USE $db;
CREATE TABLE e2e4_regex_a (id INT, name STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;
CREATE TABLE e2e4_regex_b (id INT, name STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;
CREATE TABLE csv_tbl (id INT, name STRING, score INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;
CREATE TABLE events (id INT, name STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;
CREATE TABLE temporal_tbl (id INT, d DATE, ts DATETIME) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;"

# --- data (topics must exist before a topics.regex subscription starts)
printf '%s\n' '{"id":1,"name":"a1"}' '{"id":2,"name":"a2"}' '{"id":3,"name":"a3"}' | produce e2e4_regex_a
printf '%s\n' '{"id":1,"name":"b1"}' '{"id":2,"name":"b2"}' | produce e2e4_regex_b
printf '1\x01alice\x0110\n2\x01bob\x0120\n3\x01a|b\x0130\n' | produce e2e4_csv
printf '%s\n' '{"id":7,"name":"routed-7"}' '{"id":8,"name":"routed-8"}' | produce e2e4_raw_events
schema='{"type":"struct","name":"e2e4.temporal","optional":false,"fields":[
  {"field":"id","type":"int32","optional":false},
  {"field":"d","type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1},
  {"field":"ts","type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1}]}'
for payload in '{"id":1,"d":19723,"ts":1704164645123}' '{"id":2,"d":10956,"ts":946684799000}' \
  '{"id":3,"d":null,"ts":null}'; do
  jq -cn --argjson s "$schema" --argjson p "$payload" '{schema: $s, payload: $p}'
done | produce e2e4_temporal

common() {
  jq -cn --arg fe "$SR_FE" --arg pw "$SR_ROOT_PASSWORD" --arg db "$db" '{
    "connector.class": "com.starrocks.connector.kafka.StarRocksSinkConnector",
    "tasks.max": "1",
    "starrocks.http.url": $fe, "starrocks.username": "root", "starrocks.password": $pw,
    "starrocks.database.name": $db,
    "key.converter": "org.apache.kafka.connect.storage.StringConverter"}'
}
json_schemaless='{"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false","sink.properties.strip_outer_array":"true"}'

connector_put e2e4-regex "$(common | jq -c --argjson j "$json_schemaless" '. + $j + {"topics.regex": "e2e4_regex_.*"}')"
connector_put e2e4-csv "$(common | jq -c '. + {
  "topics": "e2e4_csv", "starrocks.topic2table.map": "e2e4_csv:csv_tbl",
  "value.converter": "org.apache.kafka.connect.storage.StringConverter",
  "sink.properties.format": "csv", "sink.properties.column_separator": "\\x01"}')"
connector_put e2e4-router "$(common | jq -c --argjson j "$json_schemaless" '. + $j + {
  "topics": "e2e4_raw_events", "transforms": "route",
  "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
  "transforms.route.regex": "e2e4_raw_(.*)", "transforms.route.replacement": "$1"}')"
connector_put e2e4-temporal "$(common | jq -c '. + {
  "topics": "e2e4_temporal",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true", "starrocks.topic2table.map": "e2e4_temporal:temporal_tbl"}')"
log "the csv connector's separator is sent as: $(curl -sf "$CONNECT_URL/connectors/e2e4-csv/config" | jq -c '."sink.properties.column_separator"')"
for c in e2e4-regex e2e4-csv e2e4-router e2e4-temporal; do wait_running "$c"; done

q() { sr_query "$db" "$1"; }
wait_equal "regex: table e2e4_regex_a" 60 "$(printf '1\ta1\n2\ta2\n3\ta3')" q "select * from e2e4_regex_a order by id"
wait_equal "regex: table e2e4_regex_b" 60 "$(printf '1\tb1\n2\tb2')" q "select * from e2e4_regex_b order by id"
wait_equal "csv: \\x01-separated rows" 60 "$(printf '1\talice\t10\n2\tbob\t20\n3\ta|b\t30')" q "select * from csv_tbl order by id"
wait_equal "router: rows in table events" 60 "$(printf '7\trouted-7\n8\trouted-8')" q "select * from events order by id"
wait_equal "temporal: DATE and DATETIME columns (UTC)" 60 \
  "$(printf '1\t2024-01-01\t2024-01-02 03:04:05.123000\n2\t1999-12-31\t1999-12-31 23:59:59\n3\tNULL\tNULL')" \
  q "select * from temporal_tbl order by id"

wait_equal "regex: committed offsets of both topics" 60 "$(printf 'e2e4_regex_a 0 3\ne2e4_regex_b 0 2')" connector_offsets e2e4-regex
wait_equal "csv: committed offset" 60 "e2e4_csv 0 3" connector_offsets e2e4-csv
wait_equal "router: committed offset is the original topic's" 60 "e2e4_raw_events 0 2" connector_offsets e2e4-router
wait_equal "temporal: committed offset" 60 "e2e4_temporal 0 3" connector_offsets e2e4-temporal
check "router: group connect-e2e4-router (ConsumerGroupCommand)" "e2e4_raw_events 0 2" "$(group_offsets connect-e2e4-router)"

for c in e2e4-regex e2e4-csv e2e4-router e2e4-temporal; do connector_delete "$c"; done
