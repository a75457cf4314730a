#!/usr/bin/env bash
# StarRocks failures during a run, injected through the emulator's admin endpoint, one phase
# each: loads failing with HTTP 500 twice, a Publish Timeout, the reply lost after a commit,
# the connection closed mid-body, and the first FE down (starrocks.http.url lists two FEs).
# Observes per phase: the fault fired (the emulator's armed list is empty again, or for the FE
# the second FE served loads), the phase's records are all in the table and committed. At the
# end: no id lost, and none duplicated (every retry of a load re-uses its label, so a retried
# load is recognised by StarRocks instead of applied twice). Taking FE 0, the leader, down
# leaves no leader until the emulator elects FE 1 (its election delay): the loads ride it out.
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e6-faults
topic=e2e6_events
db=e2e6
per=500

events_db "$db"
create_topic "$topic" 1
sr_admin DELETE /faults >/dev/null
sr_admin DELETE /journal >/dev/null

connector_put "$name" "$(sink_config "$topic" "$db" "$topic:events" '{"connect.timeoutms": "1000"}')"
wait_running "$name"

total=0
# phase NAME: produce the next $per ids, wait until they are loaded and committed.
phase() {
  produce_ids "$topic" "$total" "$per"
  total=$((total + per))
  wait_equal "$1: $total distinct ids in the table" 90 "$total" distinct_ids
  wait_equal "$1: committed offset $total" 60 "$topic 0 $total" connector_offsets "$name"
  check "$1: the task is still RUNNING" "RUNNING RUNNING" "$(connector_state "$name")"
}
distinct_ids() { sr_query "$db" "select id from events" | sort -un | grep -c .; }
fault_fired() { [ "$(sr_admin GET /faults | jq length)" = 0 ]; }
arm() {
  sr_admin POST /faults "$1" >/dev/null || fail "cannot arm $1"
}

phase "no fault"

arm '{"kind":"fail_load","times":2,"http_status":500,"message":"e2e injected failure"}'
phase "fail_load x2 (HTTP 500)"
wait_for "fail_load to fire" 5 fault_fired || fail "the fail_load fault never fired"

arm '{"kind":"publish_timeout","visible_after":1000}'
phase "publish_timeout"
wait_for "publish_timeout to fire" 5 fault_fired || fail "the publish_timeout fault never fired"

arm '{"kind":"drop_reply_after_commit"}'
phase "drop_reply_after_commit"
wait_for "drop_reply_after_commit to fire" 5 fault_fired || fail "the drop_reply_after_commit fault never fired"

arm '{"kind":"close_mid_body"}'
phase "close_mid_body"
wait_for "close_mid_body to fire" 5 fault_fired || fail "the close_mid_body fault never fired"

sr_admin DELETE /journal >/dev/null
sr_admin POST /fe/0/down >/dev/null
phase "FE 0 down"
fe1_loads=$(sr_admin GET /journal | jq '[.[] | select(.node == "fe1" and (.uri | startswith("/api/transaction/commit")) and (.outcome | startswith("200")))] | length')
sr_admin POST /fe/0/up >/dev/null
[ "$fe1_loads" -gt 0 ] || fail "no load was committed by the second FE while the first was down"
log "ok: $fe1_loads load(s) committed by the second FE, elected leader while the first was down"

phase "FE 0 back"

check "rows in the table (no loss, no duplicates)" "$total" "$(sr_count "$db" events)"
check "group connect-$name (ConsumerGroupCommand)" "$topic 0 $total" "$(group_offsets "connect-$name")"
connector_delete "$name"
