#!/usr/bin/env bash
# DELETE /connectors/<name> in the middle of a StarRocks outage: the request returns and the
# task stops within seconds, with no "Graceful stop ... failed" from the worker (Connect gives a
# task task.shutdown.graceful.timeout.ms = 5 s).
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e10-delete
topic=e2e10_events
db=e2e10
log_start=$(wc -l <"$RUN/worker.log")

events_db "$db"
create_topic "$topic" 1
connector_put "$name" "$(sink_config "$topic" "$db" "$topic:events")"
wait_running "$name"
produce_ids "$topic" 0 100
wait_equal "100 rows" 60 100 sr_count "$db" events

restore() {
  sr_admin POST /fe/0/up >/dev/null || true
  sr_admin POST /fe/1/up >/dev/null || true
}
trap 'restore; scenario_end' EXIT
sr_admin POST /fe/0/down >/dev/null
sr_admin POST /fe/1/down >/dev/null
produce_ids "$topic" 100 100
wait_for "the core to retry in the outage" 60 bash -c \
  "tail -n +$log_start '$RUN/worker.log' | grep -q 'Stream Load failed; retrying'" ||
  fail "the outage was never noticed"

started=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X DELETE "$CONNECT_URL/connectors/$name")
delete_ms=$((($(date +%s%N) - started) / 1000000))
check "DELETE answered" 204 "$code"
log "ok: DELETE returned in ${delete_ms} ms"
wait_for "the task to stop" 30 bash -c \
  "tail -n +$log_start '$RUN/worker.log' | grep 'Stopped StarRocks sink task' | grep -q '$name'" ||
  fail "the task did not log its stop"
stopped_ms=$((($(date +%s%N) - started) / 1000000))
log "ok: the task stopped ${stopped_ms} ms after the DELETE"
[ "$stopped_ms" -lt 10000 ] || fail "the task took ${stopped_ms} ms to stop"
check "'Graceful stop' failures" 0 "$(tail -n +"$log_start" "$RUN/worker.log" | grep -c "Graceful stop of task $name" || true)"
restore
wait_for "a leader FE again" 60 bash -c "[ \"\$(curl -sf http://$SR_ADMIN/leader | jq -r .leader)\" != null ]" ||
  fail "no FE leads after the outage"
