#!/usr/bin/env bash
# The end-to-end harness: real Kafka brokers and Connect workers (jars from Maven Central), the
# StarRocks emulator, and the connector plugin, driven through the seed's own examples.
#
#   tests/e2e/bin/run.sh [--kafka 3.4|3.6|3.9|4|all|X.Y.Z]... [--jdk 17|21|JAVA_HOME] [--keep]
#                        [SCENARIO...]
#
# A pass is one Kafka line on one JVM: resolve the jars, start the emulator, a KRaft broker and
# one distributed Connect worker, run the pass's scenarios in order, tear everything down. The
# default (no --kafka, or --kafka all) is five passes: 3.4, 3.6, 3.9 and 4 on the `java` on PATH
# (JDK 17), then 4 again on Java 21. --kafka picks lines (repeatable); --jdk runs every chosen
# line on that JVM instead (21: the runtime bin/setup.sh installs; 17: the `java` on PATH; or a
# Java home directory), with no extra Java 21 pass.
#
# Which scenarios: those named (`run.sh 1 2`, `run.sh smoke`) on every pass. Without names,
# the full set runs on 3.9 and newer on JDK 17; the other passes (older lines, another JVM) run
# the scenarios that carry a `# e2e-lines: all` line. Ends with the line `N passed, N failed`
# and exits non-zero when anything failed.
#
# The connector plugin comes from $PLUGIN_DIR (an unpacked plugin directory) or else from the
# newest dist/starrocks-kafka-connector-*.tar.gz. Scenario 00 (FileStreamSink) needs neither.
#
# Environment: E2E_CACHE (jar cache, default ~/.cache/starrocks-kafka-e2e), E2E_KAFKA_34,
# E2E_KAFKA_36, E2E_KAFKA_39 and E2E_KAFKA_4 (exact versions), E2E_JAVA_HOME (as --jdk DIR),
# E2E_SCENARIO_TIMEOUT (seconds, default 240; a scenario that needs longer says so in a
# `# e2e-timeout: SECONDS` line; one that needs the Debezium PostgreSQL connector in the worker's
# plugin path says `# e2e-needs: debezium`), KEEP=1 (keep the run directory even when everything passed;
# it is always kept on failure).
set -uo pipefail

# What the environment held before the harness exported anything (see write_env).
declare -A START_ENV
for name in $(compgen -e); do START_ENV[$name]=${!name}; done

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$E2E_DIR/bin/lib.sh"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d'; }

# write_env FILE: every variable the harness exported or changed since it started, as
# `export NAME=VALUE` lines to source by hand in a kept run directory.
write_env() {
  local name
  for name in $(compgen -e); do
    case "$name" in PWD | OLDPWD | SHLVL | _) continue ;; esac
    if [ -n "${START_ENV[$name]+set}" ] && [ "${START_ENV[$name]}" = "${!name}" ]; then
      continue
    fi
    printf 'export %s=%q\n' "$name" "${!name}"
  done >"$1"
}

all_lines=(3.4 3.6 3.9 4)
lines=()
jdk=${E2E_JAVA_HOME:-}
selectors=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kafka)
      case "${2:-}" in
        all) lines+=(all) ;;
        3.4 | 3.6 | 3.9 | 4 | [0-9]*.[0-9]*.[0-9]*) lines+=("$2") ;;
        *) echo "run.sh: --kafka takes 3.4, 3.6, 3.9, 4, all or X.Y.Z" >&2; exit 2 ;;
      esac
      shift 2
      ;;
    --jdk)
      [ -n "${2:-}" ] || { echo "run.sh: --jdk takes 17, 21 or a Java home directory" >&2; exit 2; }
      jdk=$2
      shift 2
      ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) selectors+=("$1"); shift ;;
  esac
done
KEEP=${KEEP:-0}

# The passes, as "LINE JDK" (JDK empty for the `java` on PATH).
passes=()
default_run=0
[ ${#lines[@]} -gt 0 ] || lines=(all)
for line in "${lines[@]}"; do
  if [ "$line" = all ]; then
    default_run=1
    for l in "${all_lines[@]}"; do passes+=("$l ${jdk:-}"); done
  else
    passes+=("$line ${jdk:-}")
  fi
done
# The default run adds Kafka 4 on Java 21, unless a JVM was chosen for every pass.
[ "$default_run" = 1 ] && [ -z "$jdk" ] && passes+=("4 21")

# The scenarios, in order, and those that declare `# e2e-lines: all`.
scenarios=()
every_line=()
for f in "$E2E_DIR"/scenarios/[0-9][0-9]-*.sh; do
  name=$(basename "$f" .sh)
  want=$(sed -n 's/^# e2e-lines: *\([^ ]*\).*/\1/p' "$f" | head -1)
  case "$want" in
    "") ;;
    all) every_line+=("$name") ;;
    *) echo "run.sh: $name: '# e2e-lines:' takes only 'all' (got '$want')" >&2; exit 2 ;;
  esac
  if [ ${#selectors[@]} -eq 0 ]; then
    scenarios+=("$name")
    continue
  fi
  # A number selects by number only (`1` is 01, not 10-13); anything else by part of the name.
  for s in "${selectors[@]}"; do
    num=${name%%-*}
    if [[ "$s" =~ ^[0-9]+$ ]]; then
      [ "$((10#$s))" = "$((10#$num))" ] || continue
    elif [[ "$name" != *"$s"* ]]; then
      continue
    fi
    scenarios+=("$name")
    break
  done
done
[ ${#scenarios[@]} -gt 0 ] || { echo "run.sh: no scenario matches: ${selectors[*]}" >&2; exit 2; }

# full_set LINE JDK: the pass runs every scenario when none was named: Kafka 3.9 or newer on the
# default JVM.
full_set() {
  [ -z "$2" ] || [ "$2" = 17 ] || return 1
  case "$1" in
    3.9 | 4) return 0 ;;
    *) printf '%s\n%s\n' 3.9 "$1" | sort -V -C ;;
  esac
}

"$E2E_DIR/bin/setup.sh" || exit 1

# java_home_of JDK: the Java home for a pass's JDK (empty: the `java` on PATH).
java_home_of() {
  case "$1" in
    "" | 17) echo "" ;;
    21) echo "$E2E_CACHE/jdk21" ;;
    *) [ -x "$1/bin/java" ] || { echo "run.sh: $1/bin/java does not exist" >&2; return 1; }; echo "$1" ;;
  esac
}

# jdk_label HOME: "jdk21" for a Java home (from its release file, else from java itself).
jdk_label() {
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  echo "jdk${v:-unknown}"
}

# run_pass LINE JAVA_HOME JDK_LABEL RESULTS: one pass over pass_scenarios, in a subshell so a
# failed start cannot stop the next pass. Appends "ok|not ok VERSION[/JDK]/NAME SECONDS" to
# RESULTS.
run_pass() {
  local line=$1 java_home=$2 jdk_tag=${3:+/$3} results=$4
  (
    set -euo pipefail
    RUN=$(mktemp -d "/tmp/starrocks-e2e-kafka$line${3:+-$3}.XXXXXX")
    E2E_JAVA_HOME=$java_home
    WANT_DEBEZIUM=0
    for s in "${pass_scenarios[@]}"; do
      grep -q '^# e2e-needs: debezium' "$E2E_DIR/scenarios/$s.sh" && WANT_DEBEZIUM=1
    done
    export RUN E2E_JAVA_HOME WANT_DEBEZIUM
    : >"$RUN/pids"
    : >"$RUN/cleanup.cmds"
    line_failed=0
    teardown() {
      local rc=$? cmd pid name
      log "tearing down Kafka $line$jdk_tag"
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
    label=$KAFKA_VERSION$jdk_tag
    log "== Kafka $KAFKA_VERSION on $("$KAFKA_JAVA" -version 2>&1 | head -1) (resolved in $((SECONDS - t0))s), run directory $RUN"
    prepare_plugins
    t=$SECONDS; start_emulator; log "emulator up in $((SECONDS - t))s"
    t=$SECONDS; start_broker; log "broker up in $((SECONDS - t))s"
    t=$SECONDS; start_worker; log "worker up in $((SECONDS - t))s"
    write_env "$RUN/env.sh"

    for s in "${pass_scenarios[@]}"; do
      t=$SECONDS
      log "-- $s"
      limit=$(sed -n 's/^# e2e-timeout: *\([0-9]*\).*/\1/p' "$E2E_DIR/scenarios/$s.sh" | head -1)
      if timeout --kill-after=10 "${limit:-${E2E_SCENARIO_TIMEOUT:-240}}" \
          bash "$E2E_DIR/scenarios/$s.sh" >"$RUN/$s.log" 2>&1; then
        echo "ok $label/$s $((SECONDS - t))" >>"$results"
        echo "ok $label $s ($((SECONDS - t))s)"
      else
        line_failed=1
        echo "not ok $label/$s $((SECONDS - t))" >>"$results"
        echo "not ok $label $s ($((SECONDS - t))s) -- last lines of $RUN/$s.log:"
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
    log "Kafka $label done in $((SECONDS - t0))s"
  )
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
start=$SECONDS
for pass in "${passes[@]}"; do
  read -r line pass_jdk <<<"$pass"
  java_home=$(java_home_of "$pass_jdk") || exit 2
  jdk_tag=""
  [ -n "$java_home" ] && jdk_tag=$(jdk_label "$java_home")
  if [ ${#selectors[@]} -gt 0 ] || full_set "$line" "$pass_jdk"; then
    pass_scenarios=("${scenarios[@]}")
  else
    pass_scenarios=("${every_line[@]}")
  fi
  [ ${#pass_scenarios[@]} -gt 0 ] || continue
  before=$(wc -l <"$results")
  pass_start=$SECONDS
  run_pass "$line" "$java_home" "$jdk_tag" "$results"
  ran=$(($(wc -l <"$results") - before))
  # Scenarios that never ran because the pass's setup failed count as failures.
  for ((i = ran; i < ${#pass_scenarios[@]}; i++)); do
    echo "not ok kafka-$line${jdk_tag:+/$jdk_tag}/${pass_scenarios[$i]} 0" >>"$results"
    echo "not ok kafka-$line${jdk_tag:+/$jdk_tag} ${pass_scenarios[$i]} (not run: setup failed)"
  done
  echo "pass kafka-$line${jdk_tag:+/$jdk_tag}: ${#pass_scenarios[@]} scenarios in $((SECONDS - pass_start))s"
done

passed=$(grep -c '^ok ' "$results" || true)
failed=$(grep -c '^not ok ' "$results" || true)
echo "e2e took $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
