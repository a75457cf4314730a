#!/usr/bin/env bash
# The seed's Debezium best practice: PostgreSQL (wal_level=logical) -> Debezium PostgreSQL
# connector 2.7 (the seed's pg-source JSON, host and port adapted) -> the seed's sr-sink JSON
# (transforms addfield,unwrap with AddOpFieldForDebeziumRecord and ExtractNewRecordState,
# drop.tombstones=true, delete.handling.mode=rewrite) -> the seed's `customers` primary-key
# table. Both connectors run on the harness's distributed worker, whose converters are Kafka's
# defaults (JSON with schemas), as in the seed's own Kafka message dump.
# Observes: after the snapshot, the INSERT, the UPDATE and the DELETE, StarRocks' customers table
# equals the seed's table at each step.
# e2e-needs: debezium
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail
plugin_listed "$CONNECT_URL" io.debezium.connector.postgresql.PostgresConnector ||
  fail "the Debezium PostgreSQL connector is not listed by GET /connector-plugins"
plugin_listed "$CONNECT_URL" io.debezium.transforms.ExtractNewRecordState ||
  fail "ExtractNewRecordState is not listed by GET /connector-plugins?connectorsOnly=false"

source_name=inventory-connector
sink_name=starrocks-kafka-connector
topic=test.public.customers

start_postgres
psql_exec "$(cat "$(seed_file customers.pg.sql)")"

sr_exec "DROP DATABASE IF EXISTS test"
sr_exec "CREATE DATABASE test"
sr_exec "USE test; $(cat "$(seed_file customers.sr.sql)")"

connector_delete "$sink_name"
connector_delete "$source_name"
fresh_group "connect-$sink_name"

connector_post "$(jq -c --arg port "$PGPORT" \
  '.config["database.hostname"] = "127.0.0.1" | .config["database.port"] = $port' \
  "$(seed_file pg-source.json)")"
wait_running "$source_name"
connector_post "$(jq -c --arg fe "$SR_FE" '.config["starrocks.http.url"] = $fe' "$(seed_file sr-sink.json)")"
wait_running "$sink_name"

customers() { sr_query test "select * from customers order by id"; }

wait_equal "customers after the snapshot" 90 "$(printf '1\ta\ta\ta@a.com')" customers

psql_exec "insert into customers values (2,'b','b','b@b.com');"
wait_equal "customers after INSERT (the seed's table)" 60 \
  "$(printf '1\ta\ta\ta@a.com\n2\tb\tb\tb@b.com')" customers

psql_exec "update customers set email='c@c.com';"
wait_equal "customers after UPDATE (the seed's table)" 60 \
  "$(printf '1\ta\ta\tc@c.com\n2\tb\tb\tc@c.com')" customers

psql_exec "delete from customers where id=1;"
wait_equal "customers after DELETE (the seed's table)" 60 "$(printf '2\tb\tb\tc@c.com')" customers

# Six records: r(1), c(2), u(1), u(2), d(1) and Debezium's tombstone for id 1, which the unwrap
# SMT drops (drop.tombstones=true) before the task sees it. Everything the task loaded must be
# committed; whether the dropped tombstone's offset is committed too (no lag left behind) is
# Connect's currentOffsets handed to preCommit -- reported, not judged here.
end=$(end_offset "$topic")
check "change events in $topic" 6 "$end"
committed_at_least() { [ "$(connector_offsets "$sink_name" | awk '{print $3}')" -ge "$1" ]; }
wait_for "committed offset of $topic >= $((end - 1))" 60 committed_at_least $((end - 1)) ||
  fail "committed offsets: $(connector_offsets "$sink_name")"
log "ok: every loaded change event is committed"
if wait_for "the dropped tombstone's offset to be committed" 5 committed_at_least "$end"; then
  log "note: committed offset $end: the tombstone the SMT dropped is committed too (lag 0)"
else
  log "note: committed offset $(connector_offsets "$sink_name" | awk '{print $3}') of $end: the tombstone the SMT dropped is not committed (lag 1 until the next record)"
fi

connector_delete "$sink_name"
connector_delete "$source_name"
stop_postgres
