#!/usr/bin/env bash
# starrocks.envelope=debezium: the seed's CDC example without its transforms, on the newest
# Debezium (3.6.1.Final, E2E_DEBEZIUM_NATIVE; scenario 3 keeps the seed's 2.7, which its
# transforms need). The scenario runs its own distributed worker, whose plugin.path holds the
# connector and that Debezium. PostgreSQL -> Debezium's PostgreSQL connector (the seed's
# pg-source JSON, its own topic prefix and slot) -> three StarRocks sinks with no transforms,
# each into its own copy of the seed's `customers` table:
# the worker's JsonConverter with schemas (Struct events), JsonConverter with schemas.enable=false
# (the events as Maps, inside JsonConverter's schema/payload wrapper), and ByteArrayConverter (the
# events as JSON text, wrapper and all). A fourth source writes the customers table's events
# with the seed's worker setting for values (value.converter.schemas.enable=false, so no
# schema; keys without one too), and a fourth sink reads them so: Maps without a wrapper, which the shim sends cut to op,
# before and after.
# A second source table holds every PostgreSQL temporal and numeric type Debezium maps, and
# json, jsonb and uuid (Debezium's default modes: adaptive time precision, precise decimals,
# numeric intervals); each sink loads it into its own StarRocks table too. Two more sources
# capture that table with decimal.handling.mode=double and =string, into two more tables.
# Observes: after the snapshot, the INSERT, the UPDATE and the DELETE, each customers table
# equals the seed's table at that step; each types table holds the source's values as StarRocks
# values (dates, times in UTC, exact decimals, JSON documents); every change event's offset is
# committed, Debezium's tombstone for the deleted row included (the sink skips it itself); every
# table's model was checked, and a sink into a duplicate-key table fails, naming it,
# before any row reaches it.
# e2e-timeout: 360
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

start_debezium_worker cdc17
URL=$(worker_url cdc17)

source_name=cdc-envelope-source
topic=cdc17.public.customers
sinks=(cdc-envelope-struct cdc-envelope-map cdc-envelope-bytes)
tables=(customers_struct customers_map customers_bytes)
types_topic=cdc17.public.types
decimal_modes=(double string)
# The seed's worker setting for values (value.converter.schemas.enable=false), for the source
# and the sink alike; keys without a schema too, as the map sink above reads them.
schemaless='{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
  "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false"}'
plain_topic=cdc17plain.public.customers

start_postgres
psql_exec "$(cat "$(seed_file customers.pg.sql)")"
psql_exec "CREATE TABLE types (id int primary key, d date, t time, ts timestamp, tstz timestamptz,
  n numeric(10,2), nv numeric, m money, iv interval, u uuid, j json, jb jsonb);
INSERT INTO types VALUES (1, '2024-05-02', '10:20:30.123456', '2024-05-02 10:20:30.123456',
  '2024-05-02 10:20:30.123456+02', 123.45, -12.345, 9.99, '1 day 2 hours',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2.5]}', '{\"b\": true}');"

sr_exec "DROP DATABASE IF EXISTS cdc17"
sr_exec "CREATE DATABASE cdc17"
types_tables=()
for table in "${tables[@]}"; do types_tables+=("${table/customers/types}"); done
for mode in "${decimal_modes[@]}"; do types_tables+=("types_$mode"); done
for table in "${tables[@]}" customers_plain; do
  sr_exec "USE cdc17; $(sed "s/\`customers\`/\`$table\`/" "$(seed_file customers.sr.sql)")"
done
for table in "${types_tables[@]}"; do
  # StarRocks has no TIME or INTERVAL type: a time of day loads as text, an interval as its
  # microseconds (Debezium's MicroDuration).
  sr_exec "USE cdc17; CREATE TABLE $table (id INT, d DATE, t VARCHAR(32),
    ts DATETIME, tstz DATETIME, n DECIMAL(10,2), nv DECIMAL(38,9), m DECIMAL(18,2), iv BIGINT,
    u VARCHAR(36), j JSON, jb JSON) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
done

for name in "${sinks[@]}" cdc-envelope-plain; do fresh_group "connect-$name"; done
fresh_group connect-cdc-envelope-decimals

connector_post "$(jq -c --arg port "$PGPORT" --arg name "$source_name" '.name = $name
  | .config["database.hostname"] = "127.0.0.1" | .config["database.port"] = $port
  | .config["topic.prefix"] = "cdc17" | .config["slot.name"] = "cdc17"' \
  "$(seed_file pg-source.json)")"
wait_running "$source_name"
for mode in "${decimal_modes[@]}"; do
  connector_post "$(jq -c --arg port "$PGPORT" --arg mode "$mode" '.name = "cdc-envelope-source-" + $mode
    | .config["database.hostname"] = "127.0.0.1" | .config["database.port"] = $port
    | .config["topic.prefix"] = "cdc17" + $mode | .config["slot.name"] = "cdc17" + $mode
    | .config["table.include.list"] = "public.types" | .config["decimal.handling.mode"] = $mode' \
    "$(seed_file pg-source.json)")"
  wait_running "cdc-envelope-source-$mode"
done
connector_post "$(jq -c --arg port "$PGPORT" --argjson conv "$schemaless" '.name = "cdc-envelope-source-plain"
  | .config["database.hostname"] = "127.0.0.1" | .config["database.port"] = $port
  | .config["topic.prefix"] = "cdc17plain" | .config["slot.name"] = "cdc17plain"
  | .config["table.include.list"] = "public.customers" | .config += $conv' \
  "$(seed_file pg-source.json)")"
wait_running cdc-envelope-source-plain

# The seed's sink settings, its transforms removed, starrocks.envelope=debezium added.
sink_json() { # NAME TABLE CONVERTER_JSON
  jq -c --arg fe "$SR_FE_ALL" --arg pw "$SR_ROOT_PASSWORD" --arg name "$1" --arg topic "$topic" \
    --arg topics "$topic,$types_topic" --arg q "127.0.0.1:$SR_QUERY_PORT" --arg map "$topic:$2,$types_topic:${2/customers/types}" \
    --argjson conv "$3" '.name = $name
    | .config |= (with_entries(select(.key | startswith("transforms") | not))
      + {"starrocks.http.url": $fe, "starrocks.password": $pw, "starrocks.database.name": "cdc17",
         "topics": $topics, "starrocks.topic2table.map": $map, "starrocks.envelope": "debezium",
         "starrocks.query.url": $q}
      + $conv)' "$(seed_file sr-sink.json)"
}
connector_post "$(sink_json "${sinks[0]}" "${tables[0]}" '{}')"
connector_post "$(sink_json "${sinks[1]}" "${tables[1]}" "$schemaless")"
connector_post "$(sink_json "${sinks[2]}" "${tables[2]}" \
  '{"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"}')"
decimals_map=""
for mode in "${decimal_modes[@]}"; do
  decimals_map+="${decimals_map:+,}cdc17$mode.public.types:types_$mode"
done
connector_post "$(jq -c --arg map "$decimals_map" '.config["topics"] = ($map | split(",") | map(split(":")[0]) | join(","))
  | .config["starrocks.topic2table.map"] = $map' <<<"$(sink_json cdc-envelope-decimals customers_struct '{}')")"
connector_post "$(jq -c --arg topic "$plain_topic" '.config["topics"] = $topic
  | .config["starrocks.topic2table.map"] = $topic + ":customers_plain"' \
  <<<"$(sink_json cdc-envelope-plain customers_plain "$schemaless")")"
for name in "${sinks[@]}" cdc-envelope-decimals cdc-envelope-plain; do wait_running "$name"; done

# every_table STEP EXPECTED: each sink's customers table equals EXPECTED.
every_table() {
  local table
  for table in "${tables[@]}" customers_plain; do
    wait_equal "$table after $1" 90 "$2" sr_query cdc17 "select * from $table order by id"
  done
}

every_table "the snapshot" "$(printf '1\ta\ta\ta@a.com')"

psql_exec "insert into customers values (2,'b','b','b@b.com');"
every_table "INSERT (the seed's table)" "$(printf '1\ta\ta\ta@a.com\n2\tb\tb\tb@b.com')"

psql_exec "update customers set email='c@c.com';"
every_table "UPDATE (the seed's table)" "$(printf '1\ta\ta\tc@c.com\n2\tb\tb\tc@c.com')"

psql_exec "delete from customers where id=1;"
every_table "DELETE (the seed's table)" "$(printf '2\tb\tb\tc@c.com')"

# The types rows, the same through every converter. 2024-05-02 10:20:30.123456+02 is 08:20:30
# UTC; 1 day 2 hours is 93,600,000,000 µs; JSON documents as the emulator prints them; a json
# document that is a scalar (null) stays a string of its text.
psql_exec "insert into types values (2, '1970-01-01', '00:00:00', '1970-01-01 00:00:00',
  '1970-01-01 00:00:00+00', 0, 0, 0, '0 seconds', '00000000-0000-0000-0000-000000000000',
  'null', '[]');"
types_row1=$(printf '1\t2024-05-02\t10:20:30.123456\t2024-05-02 10:20:30.123456\t2024-05-02 08:20:30.123456\t123.45\t-12.345000000\t9.99\t93600000000\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t{"a":[1,2.5]}\t{"b":true}')
types_row2=$(printf '2\t1970-01-01\t00:00:00\t1970-01-01 00:00:00\t1970-01-01 00:00:00\t0.00\t0.000000000\t0.00\t0\t00000000-0000-0000-0000-000000000000\t"null"\t[]')
for table in "${types_tables[@]}"; do
  wait_equal "$table: every type as its StarRocks value" 60 \
    "$types_row1"$'\n'"$types_row2" sr_query cdc17 "select * from $table order by id"
done

# Six records: r(1), c(2), u(1), u(2), d(1) and Debezium's tombstone for id 1. No transform
# drops the tombstone here: the sink skips it, and its offset commits like any other.
end=$(end_offset "$topic")
check "change events in $topic" 6 "$end"
types_end=$(end_offset "$types_topic")
check "change events in $types_topic" 2 "$types_end"
# committed_to_end SINK: its committed offsets are the log ends of both topics.
committed_to_end() {
  [ "$(connector_offsets "$1")" = "$(printf '%s 0 %s\n%s 0 %s' "$topic" "$end" "$types_topic" "$types_end")" ]
}
for name in "${sinks[@]}"; do
  wait_for "committed offsets of $name at the log ends" 60 committed_to_end "$name" ||
    fail "$name committed: $(connector_offsets "$name")"
done
plain_end=$(end_offset "$plain_topic")
check "change events in $plain_topic" 6 "$plain_end"
plain_committed() { [ "$(connector_offsets cdc-envelope-plain)" = "$plain_topic 0 $plain_end" ]; }
wait_for "committed offsets of cdc-envelope-plain at the log end" 60 plain_committed ||
  fail "cdc-envelope-plain committed: $(connector_offsets cdc-envelope-plain)"
log "ok: every change event is committed, the tombstone too"

# Each sink checked its tables' model (a warning says when it could not), and a sink into a
# duplicate-key table, where deletes would load as rows, fails before sending a row to it.
check "warnings of an unchecked table model" 0 \
  "$(grep -c 'Could not check that the table is a primary-key table' "$RUN/cdc17.log" || true)"
sr_exec "USE cdc17; CREATE TABLE customers_dup (id INT, first_name STRING, last_name STRING,
  email STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
fresh_group connect-cdc-envelope-dup
connector_post "$(jq -c '.config["topics"] = "'"$topic"'" | .config["sink.table.failure"] = "fail"
  | .config["starrocks.topic2table.map"] = "'"$topic"':customers_dup"' \
  <<<"$(sink_json cdc-envelope-dup customers_dup '{}')")"
deadline=$((SECONDS + 90))
while true; do
  status=$(curl -sf "$URL/connectors/cdc-envelope-dup/status" || true)
  # (jq -e succeeds on no input: the status is empty until the connector is known.)
  [ -n "$status" ] && jq -e '.tasks[0].state == "FAILED"' >/dev/null 2>&1 <<<"$status" && break
  [ $SECONDS -lt $deadline ] || fail "the sink into a duplicate-key table did not fail: $status"
  sleep 1
done
trace=$(jq -r '.tasks[0].trace' <<<"$status")
grep -q "table 'cdc17.customers_dup' is a DUP_KEYS table" <<<"$trace" ||
  fail "the trace does not name the table and its model: $(head -3 <<<"$trace")"
check "rows sent to the duplicate-key table" "0" "$(sr_query cdc17 "select count(*) from customers_dup")"
log "ok: a duplicate-key table is refused before any row: $(head -1 <<<"$trace" | cut -c1-200)"
connector_delete cdc-envelope-dup

stop_postgres
