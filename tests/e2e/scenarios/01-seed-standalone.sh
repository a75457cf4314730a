#!/usr/bin/env bash
# The seed's standalone example, verbatim (seed/): topic `test` with its three JSON records,
# connect-StarRocks-sink.properties with only starrocks.http.url pointing at the emulator, and
# ConnectStandalone with the seed's connect-standalone.properties (offset.flush.interval.ms=10000
# kept), started the seed's way: CLASSPATH=<plugin>/* plus plugin.path=<plugin>.
# Observes: example_db.test_tbl holds exactly the seed's three rows, and the consumer group
# connect-starrocks-kafka-connector has committed offset 3 (standalone sink tasks commit there;
# the offsets file only holds source offsets).
# e2e-lines: all
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=starrocks-kafka-connector
dir=$RUN/s01
mkdir -p "$dir/config"

# A StarRocks of its own: scenario 2 loads the same records into the same table under the same
# connector name, and the emulator keeps labels across DROP DATABASE (StarRocks scopes them to
# the database's id, so a recreated database starts without any).
start_emulator s01-emulator
sr_exec "DROP DATABASE IF EXISTS example_db"
sr_exec "$(cat "$(seed_file example_db.sql)")"

fresh_group "connect-$name"
fresh_topic test
produce test <"$(seed_file test.json)"
check "records in topic test" 3 "$(end_offset test)"

sed "s/192\.168\.xxx\.xxx:8030/$SR_FE/" "$(seed_file connect-StarRocks-sink.properties)" \
  >"$dir/config/connect-StarRocks-sink.properties"
rest_port=$(free_port)
{
  sed -e "s/<kafka_broker_ip>:9092/$BOOTSTRAP/" \
    -e "s#/tmp/connect.offsets#$dir/connect.offsets#" \
    -e "s#/home/kafka-connect/starrocks-kafka-connector-1.0.3#$PLUGIN_HOME#" \
    "$(seed_file connect-standalone.properties)"
  echo "# added by the harness: a free REST port, and fail on plugins without manifests"
  echo "listeners=http://127.0.0.1:$rest_port"
  echo "plugin.discovery=hybrid_fail"
} >"$dir/config/connect-standalone.properties"
diff "$(seed_file connect-standalone.properties)" "$dir/config/connect-standalone.properties" >&2 || true

start_standalone s01-worker "$dir/config/connect-standalone.properties" "$PLUGIN_HOME/*" \
  "$dir/config/connect-StarRocks-sink.properties"
wait_running "$name"

expected=$(printf '1\tNew York\n2\tLos Angeles\n3\tChicago')
wait_equal "example_db.test_tbl holds the seed's three rows" 60 "$expected" \
  sr_query example_db "select * from test_tbl order by id"

# offset.flush.interval.ms=10000: the first commit comes within ~10 s of the load.
wait_equal "committed offset (REST) is 3" 60 "test 0 3" connector_offsets "$name"
check "committed offset of group connect-$name (ConsumerGroupCommand)" "test 0 3" \
  "$(group_offsets "connect-$name")"
check "row count after the commit (no duplicates)" 3 "$(sr_count example_db test_tbl)"

stop_group "$STANDALONE_PID" 30
check "row count after a clean worker stop" 3 "$(sr_count example_db test_tbl)"
check "lines of the worker log containing the password" 0 "$(grep -c 123456 "$RUN/s01-worker.log" || true)"
