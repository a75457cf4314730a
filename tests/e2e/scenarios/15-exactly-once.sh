#!/usr/bin/env bash
# sink.semantic=exactly-once under chaos, then a replay through Connect's offsets API.
# Two distributed workers, a topic of 3 partitions, tasks.max=3, N keyed records (key k<id>,
# id a global sequence, idempotent producer) produced in chunks while the connector loads them
# into a duplicate-key table. Meanwhile: KILLS `kill -9` of a randomly chosen worker, each once
# loading is under way again since the previous one and at a random moment after that (0.5 to
# 3 s), each worker restarted at once in the background (restarts use
# plugin.discovery=service_load); kill 2 timed to land while a load is held at the BE
# (delay_reply) and kill 3 while a commit waits for its publish (publish_timeout, visible after
# 4 s); the second worker leaving for good (graceful stop) a third of the way and coming back at
# two thirds; drop_reply_after_commit, publish_timeout (visible_after 1500 ms) and
# close_mid_body armed twice each for the table.
# Observes: no duplicate at any sample (the first one fails the scenario at once, naming ids);
# at the end rows == distinct == N, the committed offsets of all 3 partitions at their log end
# (REST and ConsumerGroupCommand) and the progress rows at the log ends; every fault fired; no
# task FAILED. Then the replay: stop, DELETE /offsets, resume: every id loaded exactly once
# more (rows 2N, distinct N), offsets and progress rows at the log ends again.
# The same run under sink.semantic=at-least-once (its own connector, topic and table, side by
# side with the exactly-once one, so the same kills and rebalances hit both) runs on the Kafka 4
# line only, to keep CI in budget (E2E_EO_AT_LEAST_ONCE=1|0 forces it): it must lose nothing;
# its duplicates are reported, not judged.
# Sizes: E2E_EO_RECORDS (100000), E2E_EO_KILLS (10), E2E_EO_CHUNKS (50) and E2E_EO_PAUSE (s
# between chunks, 1); E2E_EO_SEED fixes the random draws (each run logs its seed; the timing
# of a run, and so what each draw picks, still varies).
# Takes 95-135 s on the 2-core build machine.
# e2e-timeout: 300
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

N=${E2E_EO_RECORDS:-100000}
KILLS=${E2E_EO_KILLS:-10}
CHUNKS=${E2E_EO_CHUNKS:-50}
PAUSE=${E2E_EO_PAUSE:-1}
SEED=${E2E_EO_SEED:-$((($(date +%s%N) / 1000) % 32768))}
if [ "$KAFKA_LINE" = 4 ]; then
  ALO=${E2E_EO_AT_LEAST_ONCE:-1}
else
  ALO=${E2E_EO_AT_LEAST_ONCE:-0}
fi
RANDOM=$SEED
db=e2e15
eo=e2e15-eo
alo=e2e15-alo
topic_eo=e2e15_eo
topic_alo=e2e15_alo
parts="0 1 2"
[ $((N % CHUNKS)) = 0 ] || fail "E2E_EO_RECORDS ($N) is not a multiple of E2E_EO_CHUNKS ($CHUNKS)"
log "records $N, kills $KILLS, seed $SEED (E2E_EO_SEED), at-least-once half: $([ "$ALO" = 1 ] && echo yes || echo no)"

# The worker logs from here on (recovery lines are counted at the end).
worker_log_start=$(($(wc -l <"$RUN/worker.log") + 1))

sr_exec "DROP DATABASE IF EXISTS $db"
sr_exec "CREATE DATABASE $db; USE $db;
CREATE TABLE events (id BIGINT, payload STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;
CREATE TABLE events_alo (id BIGINT, payload STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;"
create_topic "$topic_eo" 3
[ "$ALO" = 1 ] && create_topic "$topic_alo" 3
sr_admin DELETE /faults >/dev/null
sr_admin DELETE /journal >/dev/null

w2_log_start=1
[ -f "$RUN/worker2.log" ] && w2_log_start=$(($(wc -l <"$RUN/worker2.log") + 1))
log "starting a second worker"
start_second_worker worker2

# Fast failover after kill -9: the dead worker's consumers leave the group after 6 s.
overrides='{"tasks.max": "3",
  "consumer.override.max.poll.records": "500",
  "consumer.override.session.timeout.ms": "6000",
  "consumer.override.heartbeat.interval.ms": "2000"}'
connector_put "$eo" "$(sink_config "$topic_eo" "$db" "$topic_eo:events" "$(jq -c --arg q "127.0.0.1:$SR_QUERY_PORT" \
  '. + {"sink.semantic": "exactly-once", "starrocks.query.url": $q}' <<<"$overrides")")"
wait_running "$eo" 3
if [ "$ALO" = 1 ]; then
  connector_put "$alo" "$(sink_config "$topic_alo" "$db" "$topic_alo:events_alo" "$(jq -c \
    '. + {"sink.semantic": "at-least-once"}' <<<"$overrides")")"
  wait_running "$alo" 3
fi
log "tasks: $(curl -sf "$CONNECT_URL/connectors/$eo/status" | jq -c '[.tasks[] | {id, worker_id}]')"

# ---------------------------------------------------------------------------------------------
# Helpers

# ids DB TABLE: the table's ids, one a line, over the MySQL port (cheaper than the HTTP SQL
# API's JSON for 10^5 rows).
ids() { mysql -h127.0.0.1 -P"$SR_QUERY_PORT" -uroot -p"$SR_ROOT_PASSWORD" -N --batch -e "select id from $1.$2"; }
# id_stats TABLE: "ROWS DISTINCT FEWEST MOST": rows, distinct ids, and the fewest and most
# copies of any id present.
id_stats() {
  ids "$db" "$1" | awk '{n++; c[$1]++} END {lo = 0; hi = 0
    for (k in c) { d++; if (lo == 0 || c[k] < lo) lo = c[k]; if (c[k] > hi) hi = c[k] }
    print n + 0, d + 0, lo, hi}'
}
# rest PATH: GET from whichever worker answers (one may be down).
rest() {
  local w
  for w in worker worker2; do
    curl -sf --max-time 5 "$(worker_url "$w")$1" && return 0
  done
  return 1
}
# no_failed_task NAME: fails the scenario, with the trace, when the connector or a task FAILED.
no_failed_task() {
  local status
  status=$(rest "/connectors/$1/status") || return 0
  if jq -e 'any(.connector, .tasks[]; .state == "FAILED")' >/dev/null <<<"$status"; then
    jq -r '.connector.trace // empty, (.tasks[] | .trace // empty)' <<<"$status" | head -40 >&2
    fail "connector $1 FAILED (after kill $kills of $KILLS): $(jq -c '[.connector.state] + [.tasks[] | "\(.id) \(.state) \(.worker_id)"]' <<<"$status")"
  fi
}

# over TABLE COPIES: up to 10 ids the table holds more than COPIES times, as "id x copies".
over() {
  ids "$db" "$1" | sort -n | uniq -c | awk -v m="$2" '$1 > m {print $2 " x" $1}' | head -10 | paste -sd, - | sed 's/,/, /g'
}

samples=0
# sample: the exactly-once table never holds a duplicate, not even for a moment (fails at once,
# naming duplicated ids); no task FAILED.
sample() {
  local s
  s=$(id_stats events) || return 0
  read -r ROWS DISTINCT _ MOST <<<"$s"
  samples=$((samples + 1))
  if [ "$ROWS" != "$DISTINCT" ]; then
    fail "duplicates under exactly-once at sample $samples, $((SECONDS - run_start))s into the run, after kill $kills of $KILLS: rows $ROWS, distinct ids $DISTINCT, an id up to $MOST times; duplicated ids: $(over events 1)"
  fi
  no_failed_task "$eo"
  [ "$ALO" = 1 ] && no_failed_task "$alo"
  reap
}

# arm FAULT_JSON: the fault for the loads of every table under test.
armed=0
arm() {
  local t
  for t in events $([ "$ALO" = 1 ] && echo events_alo); do
    sr_admin POST /faults "$(jq -c --arg t "$t" '. + {table: $t}' <<<"$1")" >/dev/null || fail "cannot arm $1"
    armed=$((armed + 1))
  done
  log "armed $1 (kill $kills of $KILLS, $ROWS rows loaded)"
}

# hold FAULT_JSON MOMENT: arms FAULT_JSON for the exactly-once table alone and samples until it
# has fired once, so that the kill that follows lands in that moment (sets `moment`); logs it
# when no load came in 30 s (the fault then fires later, and the end checks that it did).
hold() {
  local f deadline=$((SECONDS + 30)) times
  f=$(jq -c '. + {table: "events"}' <<<"$1")
  times=$(jq .times <<<"$f")
  sr_admin POST /faults "$f" >/dev/null || fail "cannot arm $f"
  armed=$((armed + 1))
  while [ "$(sr_admin GET /faults | jq --argjson f "$f" --argjson n "$times" \
      '[.[] | select(del(.times) == ($f | del(.times)))] | length == 0 or .[0].times < $n')" != true ]; do
    if [ $SECONDS -ge $deadline ]; then
      log "$f did not fire in 30 s: the next kill is at a random moment"
      return 0
    fi
    sleep 0.1
    reap
  done
  moment=$2
}

# until_loading: samples until the exactly-once table grew since the last kill (or holds every
# row), so that a kill interrupts loads rather than a group still rebalancing from the last
# one; gives up after 20 s, saying so.
last_rows=0
until_loading() {
  local deadline=$((SECONDS + 20))
  sample
  while [ "$ROWS" = "$last_rows" ] && [ "$ROWS" != "$N" ]; do
    if [ $SECONDS -ge $deadline ]; then
      log "no load for 20 s since kill $((kills - 1)) ($ROWS rows): killing anyway"
      break
    fi
    sleep 0.3
    sample
  done
}

# pause_sampling SECONDS: samples until SECONDS (fractions allowed) have passed.
pause_sampling() {
  local until
  until=$(($(date +%s%N) / 1000000 + $(awk -v s="$1" 'BEGIN {printf "%d", s * 1000}')))
  sample
  while [ $(($(date +%s%N) / 1000000)) -lt "$until" ]; do
    sleep 0.3
    sample
  done
}

# Restarts run in the background (a worker takes seconds to start; the other one keeps loading
# meanwhile): restarting[NAME] is the restart's job. Their output goes to this scenario's log.
declare -A restarting=()
restart_in_background() {
  start_named_worker "$1" &
  restarting[$1]=$!
}
# reap: forgets the restarts that are done; one that failed fails the scenario.
reap() {
  local w
  for w in "${!restarting[@]}"; do
    alive "${restarting[$w]}" && continue
    wait "${restarting[$w]}" || fail "restarting $w failed (see its log, $RUN/$w.log)"
    unset "restarting[$w]"
  done
}
# ready_workers: the workers running and not being started.
ready_workers() {
  local w
  for w in worker worker2; do
    [ -z "${restarting[$w]:-}" ] && alive "$(worker_pid "$w")" && echo "$w"
  done
  return 0
}
# until_ready NAME|any: samples until that worker (any: one of them) is ready; sets READY.
until_ready() {
  local deadline=$((SECONDS + 120))
  while true; do
    reap
    mapfile -t READY < <(ready_workers)
    if [ "$1" = any ]; then
      [ ${#READY[@]} -gt 0 ] && return 0
    else
      [[ " ${READY[*]} " == *" $1 "* ]] && return 0
    fi
    [ $SECONDS -lt $deadline ] || fail "no worker ready ($1) 120 s after kill $kills"
    sleep 0.3
    sample
  done
}

# ---------------------------------------------------------------------------------------------
# The run: producer in the background, kills, a leave and a return, faults

# Restarts skip the reflective plugin scan, ~6 of the ~11 s a start takes (the workers' first
# start, with hybrid_fail, checked that the plugins' ServiceLoader manifests are complete).
WORKER_PROPERTIES=$RUN/e2e15-worker.properties
sed 's/^plugin.discovery=.*/plugin.discovery=service_load/' "$RUN/worker/worker.properties" >"$WORKER_PROPERTIES"
sed -i 's/^plugin.discovery=.*/plugin.discovery=service_load/' "$RUN/worker2.properties"

per=$((N / CHUNKS))
(
  for c in $(seq 0 $((CHUNKS - 1))); do
    seq $((c * per)) $((c * per + per - 1)) |
      awk '{printf "k%d|{\"id\":%d,\"payload\":\"p-%d\"}\n", $1, $1, $1}' >"$RUN/e2e15-chunk"
    produce "$topic_eo" -K '|' -X enable.idempotence=true <"$RUN/e2e15-chunk"
    [ "$ALO" = 1 ] && produce "$topic_alo" -K '|' -X enable.idempotence=true <"$RUN/e2e15-chunk"
    sleep "$PAUSE"
  done
  rm -f "$RUN/e2e15-chunk"
) &
producer=$!
run_start=$SECONDS

kills=0
ROWS=0
leave_at=$(((KILLS + 2) / 3))
back_at=$(((2 * KILLS + 2) / 3))
for kills in $(seq 1 "$KILLS"); do
  case $kills in
    1) arm '{"kind":"drop_reply_after_commit","times":2}' ;;
    4)
      arm '{"kind":"publish_timeout","visible_after":1500,"times":2}'
      arm '{"kind":"close_mid_body","times":2}'
      ;;
  esac
  if [ "$kills" = "$leave_at" ]; then
    until_ready worker2
    log "worker2 leaves the group (graceful stop) at $((SECONDS - run_start))s: $ROWS rows loaded"
    stop_worker worker2
  fi
  if [ "$kills" = "$back_at" ]; then
    log "worker2 comes back at $((SECONDS - run_start))s: $ROWS rows loaded"
    restart_in_background worker2
  fi
  # Loading under way again since the last kill (unless everything is in), then a random
  # moment 0.5 to 3 s later, and a worker that is up.
  until_loading
  r=$RANDOM # here, not in the command substitution: a subshell reseeds RANDOM
  pause_sampling "$(awk -v r="$r" 'BEGIN {printf "%.1f", 0.5 + (r % 26) / 10}')"
  until_ready any
  moment=""
  case $kills in
    2) hold '{"kind":"delay_reply","delay":3000,"times":3}' "while a load of events is held at the BE (delay_reply 3 s)" ;;
    3) hold '{"kind":"publish_timeout","visible_after":4000,"times":1}' "while a commit of events waits for its publish (publish_timeout, visible after 4 s)" ;;
  esac
  mapfile -t READY < <(ready_workers)
  [ ${#READY[@]} -gt 0 ] || until_ready any
  victim=${READY[$((RANDOM % ${#READY[@]}))]}
  log "kill -9 #$kills of $victim (pid $(worker_pid "$victim")) at $((SECONDS - run_start))s${moment:+ $moment}: $ROWS rows loaded, producer $(alive "$producer" && echo running || echo done)"
  crash_worker "$victim"
  last_rows=$ROWS
  restart_in_background "$victim"
done
until_ready worker
until_ready worker2
log "chaos done at $((SECONDS - run_start))s: $KILLS kills, $samples samples, $ROWS rows loaded"
wait "$producer" || fail "the producer failed"

# ---------------------------------------------------------------------------------------------
# The end of the run

# progress_rows: the exactly-once connector's rows in the progress table, as "TOPIC P NEXT".
progress_rows() {
  mysql -h127.0.0.1 -P"$SR_QUERY_PORT" -uroot -p"$SR_ROOT_PASSWORD" -N --batch -e \
    "select topic, \`partition\`, next_offset from $db.kafka_connect_progress where connector = '$eo'" |
    tr '\t' ' ' | sort
}

# ends TOPIC: "TOPIC P END" lines for the 3 partitions; their sum must be N (no record twice in
# Kafka: the producer is idempotent).
ends() {
  local p
  for p in $parts; do echo "$1 $p $(end_offset "$1" "$p")"; done
}
expected_eo=$(ends "$topic_eo")
check "records in $topic_eo (sum of the 3 partitions' log ends: $(awk '{printf "%s ", $3}' <<<"$expected_eo"))" \
  "$N" "$(awk '{s += $3} END {print s}' <<<"$expected_eo")"
if [ "$ALO" = 1 ]; then
  expected_alo=$(ends "$topic_alo")
  check "records in $topic_alo" "$N" "$(awk '{s += $3} END {print s}' <<<"$expected_alo")"
fi

# drain TABLE ROWS DISTINCT MOST_COPIES SECONDS: waits until the table holds DISTINCT distinct
# ids and, unless MOST_COPIES is `any`, exactly ROWS rows, failing at once when an id is there
# more than MOST_COPIES times or the rows exceed ROWS. Fails with the numbers.
drain() {
  local table=$1 want_rows=$2 want_distinct=$3 most=$4 timeout=$5 deadline=$((SECONDS + $5)) s
  while true; do
    s=$(id_stats "$table") || s="0 0 0 0"
    read -r ROWS DISTINCT FEWEST MOST <<<"$s"
    if [ "$most" = any ]; then
      [ "$DISTINCT" = "$want_distinct" ] && break
    else
      [ "$ROWS" = "$want_rows" ] && [ "$DISTINCT" = "$want_distinct" ] && break
      [ "$MOST" -le "$most" ] && [ "$ROWS" -le "$want_rows" ] ||
        fail "$table: rows $ROWS (want $want_rows), distinct ids $DISTINCT (want $want_distinct), an id $MOST times (at most $most allowed): $(over "$table" "$most")"
    fi
    [ $SECONDS -lt $deadline ] ||
      fail "$table after ${timeout}s: rows $ROWS (want $want_rows), distinct ids $DISTINCT (want $want_distinct): $((want_distinct - DISTINCT)) ids missing"
    no_failed_task "$eo"
    sleep 1
  done
  log "ok: $table holds $ROWS rows, $DISTINCT distinct ids (copies per id: $FEWEST..$MOST)"
}

log "ok: no duplicate in events at any of $samples samples"
drain events "$N" "$N" 1 120
wait_equal "$eo: the 3 partitions committed to their log end" 90 "$expected_eo" connector_offsets "$eo"
check "$eo's progress rows (topic, partition, next_offset): the log ends" "$expected_eo" "$(progress_rows)"
check "group connect-$eo (ConsumerGroupCommand)" "$expected_eo" "$(group_offsets "connect-$eo")"
wait_equal "$eo: RUNNING, 3 tasks" 60 "RUNNING RUNNING RUNNING RUNNING" connector_state "$eo"

if [ "$ALO" = 1 ]; then
  drain events_alo "$N" "$N" any 120
  wait_equal "$alo: the 3 partitions committed to their log end" 90 "$expected_alo" connector_offsets "$alo"
  wait_equal "$alo: RUNNING, 3 tasks" 60 "RUNNING RUNNING RUNNING RUNNING" connector_state "$alo"
  log "at-least-once: rows $ROWS, distinct ids $DISTINCT, duplicates $((ROWS - DISTINCT)) (allowed, reported only)"
  connector_delete "$alo"
fi

left=$(sr_admin GET /faults)
check "faults that never fired (of $armed armed)" "[]" "$(jq -c '[.[] | "\(.kind) x\(.times) \(.table)"]' <<<"$left")"
# What StarRocks saw (kept in the run directory): transaction steps by outcome. A
# publish_timeout leaves no mark of its own on a multi-table commit.
sr_admin GET /journal >"$RUN/e2e15-journal.json"
log "transaction steps in the emulator's journal (redirects left out): $(jq -c '[.[]
  | select((.uri | startswith("/api/transaction/")) and (.outcome | startswith("307") | not))
  | "\(.uri | split("?")[0] | ltrimstr("/api/transaction/")) \(.outcome | sub("^200 "; "") | sub("Transaction [0-9]+"; "Transaction N")
      | sub("stream load kc-.*"; "stream load <label> abort") | .[0:40])"]
  | group_by(.) | map({(.[0]): length}) | add // {}' "$RUN/e2e15-journal.json")"

wlogs() { tail -n +"$worker_log_start" "$RUN/worker.log"; tail -n +"$w2_log_start" "$RUN/worker2.log"; }
log "worker logs since the start: $(wlogs | grep -c 'Exactly-once recovery done' || true) recoveries," \
  "$(wlogs | grep -c 'Rolled back a load a previous owner' || true) loads of a dead owner rolled back," \
  "$(wlogs | grep -c 'Exactly-once recovery failed' || true) recovery retries"
log "the run took $((SECONDS - run_start))s"

# ---------------------------------------------------------------------------------------------
# The replay: Connect's offsets API resets the connector, which forgets its progress

replay_start=$SECONDS
curl -sf -X PUT "$CONNECT_URL/connectors/$eo/stop" >/dev/null || fail "PUT /connectors/$eo/stop failed"
wait_equal "$eo STOPPED" 60 STOPPED bash -c "curl -sf $CONNECT_URL/connectors/$eo/status | jq -r .connector.state"
# The stop is propagated to the tasks through a rebalance; the reset is refused (409/500) until
# no task of the connector runs anymore.
reset_offsets() {
  code=$(curl -s -o "$RUN/e2e15-reset.json" -w '%{http_code}' -X DELETE "$CONNECT_URL/connectors/$eo/offsets")
  [ "$code" = 200 ]
}
wait_for "DELETE /connectors/$eo/offsets to answer 200" 60 reset_offsets ||
  fail "DELETE /connectors/$eo/offsets answered $code: $(cat "$RUN/e2e15-reset.json")"
log "ok: DELETE /offsets: $(jq -r .message "$RUN/e2e15-reset.json")"
curl -sf -X PUT "$CONNECT_URL/connectors/$eo/resume" >/dev/null || fail "PUT /connectors/$eo/resume failed"
wait_running "$eo" 3
drain events $((2 * N)) "$N" 2 180
check "ids not loaded exactly twice after the replay (fewest..most copies)" "2..2" "$FEWEST..$MOST"
wait_equal "$eo: the 3 partitions committed to their log end again" 90 "$expected_eo" connector_offsets "$eo"
check "$eo's progress rows after the replay" "$expected_eo" "$(progress_rows)"
forgotten=$(wlogs | grep -c 'Exactly-once progress forgotten' || true)
[ "$forgotten" -ge 1 ] || fail "no 'Exactly-once progress forgotten' line in the worker logs: alterOffsets did not run"
log "ok: replay done in $((SECONDS - replay_start))s"
connector_delete "$eo"
