#!/usr/bin/env bash
# Two topics into two tables; one table is dropped mid-stream. Under the default
# sink.table.failure=retry only that table's partition pauses: the other table's rows keep
# arriving and its offsets keep committing, an ERROR line names the failing table with
# StarRocks' message, and its JMX attribute `failing` reads 1; once the table is created again
# its rows arrive with no restart. Under sink.table.failure=fail the task fails naming the table.
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e8-isolation
db=e2e8
ta=e2e8_a
tb=e2e8_b
log_start=$(wc -l <"$RUN/worker.log")

events_db "$db" t_a
sr_exec "CREATE TABLE $db.t_b (id BIGINT, payload STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
create_topic "$ta" 1
create_topic "$tb" 1

# config POLICY: both topics, each into its table, under sink.table.failure=POLICY.
config() {
  sink_config "$ta,$tb" "$db" "$ta:t_a,$tb:t_b" "$(jq -cn --arg p "$1" '{"sink.table.failure": $p}')"
}
count() { sr_count "$db" "$1"; }
offset_of() { connector_offsets "$name" | awk -v t="$1" '$1 == t {print $3}'; }

connector_put "$name" "$(config retry)"
wait_running "$name"
produce_ids "$ta" 0 200
produce_ids "$tb" 0 200
wait_equal "t_a: 200 rows" 60 200 count t_a
wait_equal "t_b: 200 rows" 60 200 count t_b
wait_equal "both offsets at 200" 60 "$ta 0 200
$tb 0 200" connector_offsets "$name"

sr_exec "DROP TABLE $db.t_b"
log "dropped t_b"
produce_ids "$ta" 200 300
produce_ids "$tb" 200 300
wait_equal "t_a keeps loading: 500 rows" 60 500 count t_a
wait_equal "t_a's offset keeps committing: 500" 60 500 offset_of "$ta"
wait_for "an ERROR line naming t_b" 60 bash -c "tail -n +$log_start '$RUN/worker.log' | grep 'ERROR' | grep 'Table is failing' | grep 't_b' | grep -q 'unknown table'" ||
  fail "no ERROR line names the failing table with StarRocks' message"
log "ok: $(tail -n +"$log_start" "$RUN/worker.log" | grep 'Table is failing' | grep 't_b' | tail -1 | cut -c1-300)"
wait_equal "JMX: t_b failing" 60 1 jmx_attribute "$(table_mbean "$name" t_b)" failing
check "JMX: t_a not failing" 0 "$(jmx_attribute "$(table_mbean "$name" t_a)" failing)"
check "t_b's offset stays at 200" 200 "$(offset_of "$tb")"
produce_ids "$ta" 500 100
wait_equal "t_a still loading while t_b fails: 600 rows" 60 600 count t_a
wait_equal "t_a's offset: 600" 60 600 offset_of "$ta"
check "the task is RUNNING" "RUNNING RUNNING" "$(connector_state "$name")"

sr_exec "CREATE TABLE $db.t_b (id BIGINT, payload STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
log "created t_b again"
wait_equal "t_b's rows arrive by themselves: 300" 120 300 count t_b
wait_equal "t_b's offset commits: 500" 60 500 offset_of "$tb"
wait_equal "JMX: t_b no longer failing" 60 0 jmx_attribute "$(table_mbean "$name" t_b)" failing
connector_delete "$name"

# The fail-fast policy: the same drop fails the task, naming the table. (The connector is
# created while the table exists: validate() refuses a configuration whose table is missing.)
connector_put "$name" "$(config fail)"
wait_running "$name"
sr_exec "DROP TABLE $db.t_b"
produce_ids "$tb" 500 10
deadline=$((SECONDS + 90))
while true; do
  status=$(curl -sf "$CONNECT_URL/connectors/$name/status" || true)
  if jq -e '.tasks[0].state == "FAILED"' >/dev/null 2>&1 <<<"$status"; then
    break
  fi
  [ $SECONDS -lt $deadline ] || fail "under sink.table.failure=fail the task did not fail: $status"
  sleep 1
done
trace=$(jq -r '.tasks[0].trace' <<<"$status")
grep -q "table 't_b'" <<<"$trace" || fail "the task's trace does not name the table: $(head -5 <<<"$trace")"
grep -q "unknown table" <<<"$trace" || fail "the task's trace lacks StarRocks' message: $(head -5 <<<"$trace")"
log "ok: under sink.table.failure=fail the task FAILED: $(head -1 <<<"$trace" | cut -c1-300)"
connector_delete "$name"
