#!/usr/bin/env bash
# A topic loaded, the table truncated, the connector's offsets reset through Connect's offsets
# REST API (stop, DELETE /offsets, resume): every row is loaded again, none answered "already
# loaded" by a label of the first run.
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e11-replay
topic=e2e11_events
db=e2e11
N=500

events_db "$db"
create_topic "$topic" 1
connector_put "$name" "$(sink_config "$topic" "$db" "$topic:events")"
wait_running "$name"
produce_ids "$topic" 0 "$N"
wait_equal "$N rows" 60 "$N" sr_count "$db" events
wait_equal "offset $N committed" 60 "$topic 0 $N" connector_offsets "$name"

sr_exec "TRUNCATE TABLE $db.events"
check "the table is empty" 0 "$(sr_count "$db" events)"
curl -sf -X PUT "$CONNECT_URL/connectors/$name/stop" >/dev/null || fail "PUT /stop failed"
wait_equal "the connector STOPPED" 60 STOPPED bash -c "curl -sf $CONNECT_URL/connectors/$name/status | jq -r .connector.state"
code=$(curl -s -o "$RUN/e2e11-reset.json" -w '%{http_code}' -X DELETE "$CONNECT_URL/connectors/$name/offsets")
check "DELETE /offsets answered" 200 "$code"
log "ok: $(jq -r .message "$RUN/e2e11-reset.json")"
curl -sf -X PUT "$CONNECT_URL/connectors/$name/resume" >/dev/null || fail "PUT /resume failed"
wait_running "$name"
wait_equal "every row loaded again: $N" 90 "$N" sr_count "$db" events
check "distinct ids" "$N" "$(sr_query "$db" "select id from events" | sort -un | grep -c .)"
wait_equal "offset $N committed again" 60 "$topic 0 $N" connector_offsets "$name"
connector_delete "$name"
