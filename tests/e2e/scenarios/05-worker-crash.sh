#!/usr/bin/env bash
# kill -9 of the Connect worker mid-stream, then a restart (at-least-once across a crash).
# A producer writes N records (id = offset, idempotent producer, one partition) in chunks while
# the connector loads them into a duplicate-key table; the worker is SIGKILLed once part of
# them is in StarRocks, and restarted with the same configuration.
# Observes: every produced id is in the table at least once (distinct ids == N); and at every
# sample, before and after the crash, the committed offset C never runs ahead of the table
# (all ids < C are in it). Duplicates are reported, not judged (at-least-once allows them).
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

N=${E2E_CRASH_RECORDS:-20000}
chunks=20
name=e2e5-crash
topic=e2e5_events
db=e2e5

events_db "$db"
create_topic "$topic" 1

connector_put "$name" "$(sink_config "$topic" "$db" "$topic:events" '{
  "consumer.override.max.poll.records": "500",
  "consumer.override.session.timeout.ms": "6000",
  "consumer.override.heartbeat.interval.ms": "2000"}')"
wait_running "$name"

# The producer: N records in chunks, in the background.
per=$((N / chunks))
(
  for c in $(seq 0 $((chunks - 1))); do
    seq $((c * per)) $((c * per + per - 1)) | awk '{printf "{\"id\":%d,\"payload\":\"record-%d\"}\n", $1, $1}' |
      produce "$topic" -X enable.idempotence=true
    sleep 0.3
  done
) &
producer=$!

violations=0
samples=0
nonzero=0
# sample: reads the committed offset C, then the table; every id below C must be there.
sample() {
  local c ids present
  c=$(connector_offsets "$name" 2>/dev/null | awk '{print $3}') || c=""
  ids=$(sr_query "$db" "select id from events") || return 0
  ROWS=$(grep -c . <<<"$ids" || true)
  DISTINCT=$(sort -un <<<"$ids" | grep -c . || true)
  [ -n "$c" ] || return 0
  present=$(awk -v c="$c" '$1 < c' <<<"$ids" | sort -un | grep -c . || true)
  samples=$((samples + 1))
  [ "$c" -gt 0 ] && nonzero=$((nonzero + 1))
  if [ "$present" != "$c" ]; then
    violations=$((violations + 1))
    log "VIOLATION: committed offset $c but only $present of the ids below it are in the table"
  fi
}

deadline=$((SECONDS + 90))
while true; do
  sample
  # Kill once a fifth is loaded and a commit was seen: the invariant is then exercised on both
  # sides of the crash.
  [ "${DISTINCT:-0}" -ge $((N / 5)) ] && [ "$nonzero" -ge 1 ] && break
  [ $SECONDS -lt $deadline ] || fail "fewer than $((N / 5)) rows or no commit after 90s (distinct ${DISTINCT:-0}, samples with a commit $nonzero)"
  sleep 0.3
done
if alive "$producer"; then
  log "killing the worker (kill -9) with $DISTINCT distinct ids loaded; the producer is still running"
else
  log "killing the worker (kill -9) with $DISTINCT distinct ids loaded; the producer had already finished"
fi
kill_group "$WORKER_PID"
rows_at_kill=$DISTINCT
sleep 1
sample
wait "$producer" || fail "the producer failed"
check "records produced" "$N" "$(end_offset "$topic")"
# id == offset (idempotent producer, one partition): the invariant checks rely on it.
check "every record's id equals its offset" "" \
  "$(kcat -C -b "$BOOTSTRAP" -t "$topic" -o beginning -e -q -f '%o %s\n' | jq -Rr 'split(" ") as [$o, $v] | select(($v | fromjson | .id | tostring) != $o) | $o' | head -3)"

log "restarting the worker"
restart_worker
wait_running "$name"
deadline=$((SECONDS + 120))
while true; do
  sample
  [ "${DISTINCT:-0}" = "$N" ] && break
  [ $SECONDS -lt $deadline ] || fail "only ${DISTINCT:-0} of $N distinct ids after the restart"
  sleep 1
done
log "ok: all $N ids are in the table (loaded before the kill: $rows_at_kill)"
wait_equal "committed offset reaches $N" 60 "$topic 0 $N" connector_offsets "$name"
sample
[ "$nonzero" -ge 2 ] || fail "only $nonzero samples saw a committed offset above 0: the invariant was not exercised"
check "samples where the committed offset ran ahead of the table ($samples samples, $nonzero with offsets > 0)" 0 "$violations"
check "group connect-$name (ConsumerGroupCommand)" "$topic 0 $N" "$(group_offsets "connect-$name")"
log "rows $ROWS, distinct ids $DISTINCT, duplicates $((ROWS - DISTINCT)) (allowed: at-least-once)"
connector_delete "$name"
