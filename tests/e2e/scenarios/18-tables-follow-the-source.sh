#!/usr/bin/env bash
# starrocks.table.create and starrocks.table.evolve, with starrocks.envelope=debezium on the
# newest Debezium (3.6.1.Final, E2E_DEBEZIUM_NATIVE), on the scenario's own distributed worker.
# PostgreSQL -> Debezium's PostgreSQL connector (the seed's pg-source JSON, its own topic prefix
# and slot, one source table) -> two sinks into a StarRocks database that has no table at all:
# one behind the worker's JsonConverter with schemas (Struct events), one behind
# ByteArrayConverter (the events as JSON text with JsonConverter's schema).
# Observes: after the snapshot each sink's table exists, a primary-key table keyed on the source's
# key with the source's column types (int, text, date, numeric(10,2)), holding the source's row;
# after `ALTER TABLE ... ADD COLUMN` at the source, an INSERT and an UPDATE, the column is in each
# table (nullable, after the others) and filled from then on, and both tables equal the source.
# e2e-timeout: 300
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

start_debezium_worker cdc18
URL=$(worker_url cdc18)

topic=cdc18.public.items
sinks=(follow-struct follow-bytes)
tables=(items_struct items_bytes)

start_postgres
psql_exec "CREATE TABLE items (id int primary key, name text, born date, price numeric(10,2));
INSERT INTO items VALUES (1, 'a', '2024-01-01', 1.50);"

sr_exec "DROP DATABASE IF EXISTS cdc18"
sr_exec "CREATE DATABASE cdc18"
for name in "${sinks[@]}"; do fresh_group "connect-$name"; done

connector_post "$(jq -c --arg port "$PGPORT" '.name = "follow-source"
  | .config["database.hostname"] = "127.0.0.1" | .config["database.port"] = $port
  | .config["topic.prefix"] = "cdc18" | .config["slot.name"] = "cdc18"
  | .config["table.include.list"] = "public.items"' "$(seed_file pg-source.json)")"
wait_running follow-source

# The seed's sink settings without its transforms; the envelope read natively, and the tables
# created and evolved by the sink.
sink_json() { # NAME TABLE CONVERTER_JSON
  jq -c --arg fe "$SR_FE_ALL" --arg pw "$SR_ROOT_PASSWORD" --arg name "$1" --arg topic "$topic" \
    --arg map "$topic:$2" --arg q "127.0.0.1:$SR_QUERY_PORT" --argjson conv "$3" '.name = $name
    | .config |= (with_entries(select(.key | startswith("transforms") | not))
      + {"starrocks.http.url": $fe, "starrocks.password": $pw, "starrocks.database.name": "cdc18",
         "topics": $topic, "starrocks.topic2table.map": $map, "starrocks.envelope": "debezium",
         "starrocks.query.url": $q, "starrocks.table.create": "true",
         "starrocks.table.evolve": "true",
         "starrocks.table.create.properties": "replication_num=1"}
      + $conv)' "$(seed_file sr-sink.json)"
}
connector_post "$(sink_json "${sinks[0]}" "${tables[0]}" '{}')"
connector_post "$(sink_json "${sinks[1]}" "${tables[1]}" \
  '{"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"}')"
for name in "${sinks[@]}"; do wait_running "$name"; done

# columns TABLE: name, type, nullable and key flag of each column, as DESC shows them.
columns() {
  mysql -h127.0.0.1 -P"$SR_QUERY_PORT" -uroot -p"$SR_ROOT_PASSWORD" -N --batch \
    -e "desc cdc18.$1" 2>/dev/null | cut -f1-4
}
# every_table STEP EXPECTED_ROWS EXPECTED_COLUMNS
every_table() {
  local table
  for table in "${tables[@]}"; do
    wait_equal "$table after $1" 90 "$2" sr_query cdc18 "select * from $table order by id"
    check "$table's columns after $1" "$3" "$(columns "$table")"
  done
}

cols=$(printf 'id\tint(11)\tNO\ttrue\nname\tvarchar(65533)\tYES\tfalse\nborn\tdate\tYES\tfalse\nprice\tdecimal(10,2)\tYES\tfalse')
every_table "the snapshot (tables created)" "$(printf '1\ta\t2024-01-01\t1.50')" "$cols"

psql_exec "ALTER TABLE items ADD COLUMN email text;
INSERT INTO items VALUES (2, 'b', '2024-01-02', 2.50, 'b@x');
UPDATE items SET email = 'a@x' WHERE id = 1;"
every_table "ADD COLUMN, INSERT and UPDATE at the source" \
  "$(printf '1\ta\t2024-01-01\t1.50\ta@x\n2\tb\t2024-01-02\t2.50\tb@x')" \
  "$cols"$'\n'"$(printf 'email\tvarchar(65533)\tYES\tfalse')"

stop_postgres
