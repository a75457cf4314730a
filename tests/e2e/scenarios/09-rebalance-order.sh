#!/usr/bin/env bash
# A second worker joins (a rebalance) while the loads of a primary-key table are slowed with
# delay_reply and the same keys are updated again and again. A revoked partition's loads are
# cancelled before their commit, so no old value lands after the new owner's newer one.
# Observes: the final row of every key holds its latest value; every offset committed.
# e2e-timeout: 300
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e9-rebalance
topic=e2e9_kv
db=e2e9
KEYS=${E2E_REBALANCE_KEYS:-40}
ROUNDS=${E2E_REBALANCE_ROUNDS:-40}

sr_exec "DROP DATABASE IF EXISTS $db"
sr_exec "CREATE DATABASE $db; USE $db;
CREATE TABLE kv (k INT NOT NULL, v BIGINT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1;"
create_topic "$topic" 4
sr_admin DELETE /faults >/dev/null
sr_admin POST /faults '{"kind":"delay_reply","delay":700,"times":100000}' >/dev/null

connector_put "$name" "$(sink_config "$topic" "$db" "$topic:kv" '{"tasks.max": "2"}')"
wait_running "$name" 2

# Every round updates every key (key k always lands in the same partition) to v = round.
(
  for r in $(seq 1 "$ROUNDS"); do
    seq 0 $((KEYS - 1)) | awk -v r="$r" '{printf "k%d|{\"k\":%d,\"v\":%d}\n", $1, $1, r}' | produce "$topic" -K '|'
    sleep 0.25
  done
) &
producer=$!

# Let a few rounds load, then a second worker joins the group and takes a task.
wait_for "some rounds in the table" 60 bash -c "[ \"\$(curl -sf -u root:$SR_ROOT_PASSWORD -X POST http://$SR_FE/api/v1/catalogs/default_catalog/databases/$db/sql -d '{\"query\":\"select count(*) from kv\"}' | jq -r 'select(has(\"data\")) | .data[0]')\" = $KEYS ]" ||
  fail "the first rounds never loaded"
log "starting a second worker"
start_second_worker worker2
wait_for "the tasks to spread over two workers" 90 bash -c \
  "[ \"\$(curl -sf $CONNECT_URL/connectors/$name/status | jq '[.tasks[].worker_id] | unique | length')\" = 2 ]" ||
  fail "the tasks did not spread over the two workers"
log "ok: the tasks run on two workers: $(curl -sf "$CONNECT_URL/connectors/$name/status" | jq -c '[.tasks[] | {id, worker_id, state}]')"
wait "$producer" || fail "the producer failed"
sr_admin DELETE /faults >/dev/null

expected=$(for p in 0 1 2 3; do echo "$topic $p $(end_offset "$topic" "$p")"; done)
wait_equal "every partition committed to its end" 120 "$expected" connector_offsets "$name"
stale=$(sr_query "$db" "select k, v from kv" | awk -v r="$ROUNDS" '$2 != r' | head -5)
check "rows in kv" "$KEYS" "$(sr_count "$db" kv)"
check "keys whose final value is not the latest round ($ROUNDS)" "" "$stale"
connector_delete "$name"
