#!/usr/bin/env bash
# The end-to-end harness: real Kafka brokers and Connect workers (jars from Maven Central), the
# StarRocks emulator, and the connector plugin, driven through the seed's own examples.
#
#   tests/e2e/bin/run.sh [--kafka 3.9|4|all] [--keep] [SCENARIO...]
#
# For each Kafka line (default: both, 3.9 then 4): resolve the jars, start the emulator, a KRaft
# broker and one distributed Connect worker, run the scenarios (all of tests/e2e/scenarios, or
# those whose number or name is given: `run.sh 1 2`, `run.sh smoke`), then tear everything down.
# Ends with the line `N passed, N failed` and exits non-zero when anything failed.
#
# The connector plugin comes from $PLUGIN_DIR (an unpacked plugin directory) or else from the
# newest dist/starrocks-kafka-connector-*.tar.gz. Scenario 00 (FileStreamSink) needs neither.
#
# Environment: E2E_CACHE (jar cache, default ~/.cache/starrocks-kafka-e2e), E2E_KAFKA_39 and
# E2E_KAFKA_4 (exact versions), E2E_SCENARIO_TIMEOUT (seconds, default 240; a scenario that
# needs longer says so in a `# e2e-timeout: SECONDS` line), KEEP=1 (keep the run directory even
# when everything passed; it is always kept on failure).
set -uo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$E2E_DIR/bin/lib.sh"

lines=()
selectors=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kafka)
      case "${2:-}" in
        all) lines=(3.9 4) ;;
        3.9 | 4 | [0-9]*.[0-9]*.[0-9]*) lines+=("$2") ;;
        *) echo "run.sh: --kafka takes 3.9, 4, all or X.Y.Z" >&2; exit 2 ;;
      esac
      shift 2
      ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) selectors+=("$1"); shift ;;
  esac
done
[ ${#lines[@]} -gt 0 ] || lines=(3.9 4)
KEEP=${KEEP:-0}

# The scenarios to run, in order.
scenarios=()
for f in "$E2E_DIR"/scenarios/[0-9][0-9]-*.sh; do
  name=$(basename "$f" .sh)
  if [ ${#selectors[@]} -eq 0 ]; then
    scenarios+=("$name")
    continue
  fi
  for s in "${selectors[@]}"; do
    num=${name%%-*}
    if [[ "$s" =~ ^[0-9]+$ ]] && [ "$((10#$s))" = "$((10#$num))" ] || [[ "$name" == *"$s"* ]]; then
      scenarios+=("$name")
      break
    fi
  done
done
[ ${#scenarios[@]} -gt 0 ] || { echo "run.sh: no scenario matches: ${selectors[*]}" >&2; exit 2; }

"$E2E_DIR/bin/setup.sh" || exit 1

WANT_DEBEZIUM=0
for s in "${scenarios[@]}"; do
  [[ "$s" == 03-* ]] && WANT_DEBEZIUM=1
done
export WANT_DEBEZIUM

# run_line LINE RESULTS: one Kafka line, in a subshell so a failed start cannot stop the next
# line. Appends "ok|not ok NAME SECONDS" to RESULTS.
run_line() {
  local line=$1 results=$2
  (
    set -euo pipefail
    RUN=$(mktemp -d "/tmp/starrocks-e2e-kafka$line.XXXXXX")
    export RUN
    : >"$RUN/pids"
    : >"$RUN/cleanup.cmds"
    line_failed=0
    teardown() {
      local rc=$? cmd pid name
      log "tearing down Kafka $line"
      if [ -s "$RUN/cleanup.cmds" ]; then
        tac "$RUN/cleanup.cmds" | while read -r cmd; do bash -c "$cmd" >/dev/null 2>&1 || true; done
      fi
      tac "$RUN/pids" | while read -r pid name; do stop_group "$pid" 15; done
      if [ $rc -ne 0 ] || [ "$line_failed" != 0 ] || [ "$KEEP" = 1 ]; then
        echo "logs kept in $RUN" >&2
      else
        rm -rf "$RUN"
      fi
    }
    trap teardown EXIT
    trap 'exit 130' INT TERM

    t0=$SECONDS
    kafka_env "$line" || fail "cannot resolve Kafka $line"
    log "== Kafka $KAFKA_VERSION (resolved in $((SECONDS - t0))s), run directory $RUN"
    prepare_plugins
    t=$SECONDS; start_emulator; log "emulator up in $((SECONDS - t))s"
    t=$SECONDS; start_broker; log "broker up in $((SECONDS - t))s"
    t=$SECONDS; start_worker; log "worker up in $((SECONDS - t))s"
    env | grep -E '^(RUN|KLIB|KAFKA_|TOOLS_LOG_OPTS|BOOTSTRAP|BROKER_|CONNECT_|WORKER_PID|SR_|EMULATOR_PID|PLUGIN_|E2E_|REPO_ROOT|WANT_DEBEZIUM|WORKER_JMX_PORT)=' |
      sed "s/^\([^=]*\)=\(.*\)$/export \1='\2'/" >"$RUN/env.sh"

    for s in "${scenarios[@]}"; do
      t=$SECONDS
      log "-- $s"
      limit=$(sed -n 's/^# e2e-timeout: *\([0-9]*\).*/\1/p' "$E2E_DIR/scenarios/$s.sh" | head -1)
      if timeout --kill-after=10 "${limit:-${E2E_SCENARIO_TIMEOUT:-240}}" \
          bash "$E2E_DIR/scenarios/$s.sh" >"$RUN/$s.log" 2>&1; then
        echo "ok $KAFKA_VERSION/$s $((SECONDS - t))" >>"$results"
        echo "ok $KAFKA_VERSION $s ($((SECONDS - t))s)"
      else
        line_failed=1
        echo "not ok $KAFKA_VERSION/$s $((SECONDS - t))" >>"$results"
        echo "not ok $KAFKA_VERSION $s ($((SECONDS - t))s) -- last lines of $RUN/$s.log:"
        tail -25 "$RUN/$s.log" | sed 's/^/    /'
        # What StarRocks saw, for the diagnosis: every FE/BE request with its label and outcome.
        sr_admin GET /journal >"$RUN/$s.journal.json" 2>/dev/null || true
      fi
      # A scenario must leave the shared worker up; one that killed it without restarting
      # it would fail every later scenario for the wrong reason.
      if ! alive "$(cat "$RUN/worker.pid")"; then
        log "the worker is down after $s; restarting it"
        restart_worker
      fi
    done
    log "Kafka $KAFKA_VERSION done in $((SECONDS - t0))s"
  )
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
start=$SECONDS
for line in "${lines[@]}"; do
  before=$(wc -l <"$results")
  run_line "$line" "$results"
  ran=$(($(wc -l <"$results") - before))
  # Scenarios that never ran because the line's setup failed count as failures.
  for ((i = ran; i < ${#scenarios[@]}; i++)); do
    echo "not ok kafka-$line/${scenarios[$i]} 0" >>"$results"
    echo "not ok kafka-$line ${scenarios[$i]} (not run: setup failed)"
  done
done

passed=$(grep -c '^ok ' "$results" || true)
failed=$(grep -c '^not ok ' "$results" || true)
echo "e2e took $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
