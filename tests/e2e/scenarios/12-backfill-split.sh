#!/usr/bin/env bash
# A backfill of 300 MB of JSON (E2E_BACKFILL_MB) into one table with bufferflush.maxbytes =
# 1 GiB and bufferflush.intervalms = 60000: the table's buffer grows past the BE's 100 MiB JSON
# limit, so the core seals a body before a record would cross it.
# Observes: no load body over 104857600 bytes in the emulator's journal, and at least one over
# 50 MB (the split happened, not merely small loads); no failure; every row once.
# e2e-timeout: 480
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e12-backfill
topic=e2e12_big
db=e2e12
MB=${E2E_BACKFILL_MB:-300}
N=$((MB * 1000))

events_db "$db" big
create_topic "$topic" 1
sr_admin DELETE /journal >/dev/null
# ~1 KB per record: N records make MB megabytes of JSON.
python3 -c "
import sys
pad = 'x' * 990
out = sys.stdout
for i in range($N):
    out.write('{\"id\":%d,\"payload\":\"%s\"}\n' % (i, pad))
" >"$RUN/e2e12.json"
log "producing $(du -m "$RUN/e2e12.json" | cut -f1) MB in $N records"
produce "$topic" -X batch.size=1000000 -X linger.ms=50 <"$RUN/e2e12.json"
rm -f "$RUN/e2e12.json"
check "records produced" "$N" "$(end_offset "$topic")"

connector_put "$name" "$(sink_config "$topic" "$db" "$topic:big" '{
  "bufferflush.maxbytes": "1073741824", "bufferflush.intervalms": "60000",
  "sink.properties.strip_outer_array": "false",
  "value.converter": "org.apache.kafka.connect.storage.StringConverter"}')"
wait_running "$name"
wait_equal "every row: $N" 360 "$N" sr_count "$db" big
check "distinct ids" "$N" "$(sr_query "$db" "select id from big" | sort -un | grep -c .)"
wait_equal "offset $N committed" 60 "$topic 0 $N" connector_offsets "$name"
check "the task is RUNNING" "RUNNING RUNNING" "$(connector_state "$name")"
bodies=$(sr_admin GET /journal | jq '[.[] | select((.node | startswith("be")) and .uri == "/api/transaction/load") | .body_bytes]')
log "load bodies (bytes): $(jq -c . <<<"$bodies")"
check "load bodies over 104857600 bytes" 0 "$(jq '[.[] | select(. > 104857600)] | length' <<<"$bodies")"
[ "$(jq '[.[] | select(. > 50000000)] | length' <<<"$bodies")" -ge 1 ] ||
  fail "no load body over 50 MB: the backfill never reached the body limit"
failed=$(sr_admin GET /journal | jq '[.[] | select(.uri | startswith("/api/transaction/")) | select(.outcome | test("FAILED|INTERNAL_ERROR|Fail"))] | length')
check "failed transaction steps" 0 "$failed"
connector_delete "$name"
