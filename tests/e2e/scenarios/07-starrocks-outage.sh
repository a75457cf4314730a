#!/usr/bin/env bash
# Every FE down for 3 minutes mid-stream on Kafka 4 (90 s on older lines, to keep CI in budget;
# E2E_OUTAGE_SECONDS sets it), then the BE failing the next
# loads with HTTP 500. While StarRocks is away the task only pauses the partition and retries
# under the same labels; Connect keeps polling, so the consumer stays in its group.
# Observes: the task is RUNNING at every sample through the outage; the core's retries reach the
# worker log during the outage (no Connect call needed); the worker log has no poll-timeout or
# group-leave line; once StarRocks is back (a leader elected, the 500s served) every row
# arrives exactly once and the offsets commit to the end.
# e2e-timeout: 480
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

case "$KAFKA_VERSION" in
  4.*) OUTAGE=${E2E_OUTAGE_SECONDS:-180} ;;
  *) OUTAGE=${E2E_OUTAGE_SECONDS:-90} ;;
esac
name=e2e7-outage
topic=e2e7_events
db=e2e7
log_start=$(wc -l <"$RUN/worker.log")

events_db "$db"
create_topic "$topic" 1
sr_admin DELETE /faults >/dev/null
connector_put "$name" "$(sink_config "$topic" "$db" "$topic:events")"
wait_running "$name"

total=0
# more COUNT: the next COUNT ids.
more() {
  produce_ids "$topic" "$total" "$1"
  total=$((total + $1))
}
rows() { sr_count "$db" events; }
distinct_ids() { sr_query "$db" "select id from events" | sort -un | grep -c .; }

more 1000
wait_equal "before the outage: 1000 rows" 60 1000 rows
wait_equal "before the outage: offset 1000 committed" 60 "$topic 0 1000" connector_offsets "$name"

log "taking every FE down for ${OUTAGE}s"
sr_admin POST /fe/0/down >/dev/null
sr_admin POST /fe/1/down >/dev/null
outage_start=$SECONDS
more 1000
samples=0
while [ $((SECONDS - outage_start)) -lt "$OUTAGE" ]; do
  [ $((SECONDS - outage_start)) -ge $((OUTAGE / 2)) ] && [ "$total" -lt 3000 ] && more 1000
  state=$(connector_state "$name")
  [ "$state" = "RUNNING RUNNING" ] || fail "after $((SECONDS - outage_start))s of the outage the connector is '$state'"
  samples=$((samples + 1))
  sleep 10
done
log "ok: the task was RUNNING at all $samples samples through the outage"
retries=$(tail -n +"$log_start" "$RUN/worker.log" | grep -c "Stream Load failed; retrying under the same label" || true)
[ "$retries" -gt 0 ] || fail "no retry of the core reached the worker log during the outage"
log "ok: $retries retry lines of the core in the worker log during the outage"
check "nothing loaded during the outage" 1000 "$(sr_exec "select count(*) from $db.events" | tail -1)"

sr_admin POST /faults '{"kind":"fail_load","times":3,"http_status":500,"message":"e2e outage aftermath"}' >/dev/null
sr_admin POST /fe/0/up >/dev/null
sr_admin POST /fe/1/up >/dev/null
log "StarRocks is back (a leader is elected after the emulator's election delay)"
wait_equal "every row after the outage" 180 "$total" rows
check "distinct ids (no loss)" "$total" "$(distinct_ids)"
check "rows (no duplicate)" "$total" "$(rows)"
wait_equal "committed offset $total" 60 "$topic 0 $total" connector_offsets "$name"
check "the injected HTTP 500s were served" 0 "$(sr_admin GET /faults | jq length)"
check "the task is RUNNING" "RUNNING RUNNING" "$(connector_state "$name")"
left=$(tail -n +"$log_start" "$RUN/worker.log" | grep -iE "poll timeout has expired|LeaveGroup|leaving group" | grep -c "connect-$name" || true)
check "poll-timeout or group-leave lines of connect-$name in the worker log" 0 "$left"
connector_delete "$name"
