# shellcheck shell=bash
# Helpers for the end-to-end harness, sourced by bin/run.sh and by every scenario.
#
# Processes: everything long-lived (emulator, broker, workers, PostgreSQL) is started in its own
# session with `spawn`, which records "PID NAME" in $RUN/pids; the PID is also the process-group
# id, so `stop_group` can TERM (then KILL) the whole group. Nothing is ever killed by name.
# Waiting: `wait_for` polls a condition until a deadline; nothing sleeps for a fixed time and
# hopes. State shared between run.sh and the scenarios lives in exported variables (also
# written to $RUN/env.sh, so a kept run directory can be inspected by hand).
#
# Layout: this file holds output/assertions, processes and waiting, and the scenario plumbing;
# lib/kafka.sh the broker, topics and offsets; lib/starrocks.sh the emulator; lib/connect.sh
# plugins, workers and the REST API; lib/postgres.sh scenario 3's database.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
REPO_ROOT=${REPO_ROOT:-$(cd "$E2E_DIR/../.." && pwd)}
E2E_CACHE=${E2E_CACHE:-$HOME/.cache/starrocks-kafka-e2e}
E2E_POLL=${E2E_POLL:-0.5}
export E2E_DIR REPO_ROOT E2E_CACHE

# The password of the emulator's root user: the seed's Debezium example logs in as
# root / StarRocks@123, the other examples as user1 / 123456.
SR_ROOT_PASSWORD='StarRocks@123'

SINK_CLASS=com.starrocks.connector.kafka.StarRocksSinkConnector

# ---------------------------------------------------------------------------------------------
# Output and assertions

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# fail MESSAGE: ends the current scenario (or run.sh) with a message.
fail() {
  printf '[%s] FAIL: %s\n' "$(date +%T)" "$*" >&2
  exit 1
}

# check DESCRIPTION EXPECTED ACTUAL: fails the scenario when they differ, showing both.
check() {
  if [ "$2" != "$3" ]; then
    printf '[%s] FAIL: %s\n--- expected\n%s\n--- actual\n%s\n---\n' "$(date +%T)" "$1" "$2" "$3" >&2
    exit 1
  fi
  log "ok: $1"
}

# ---------------------------------------------------------------------------------------------
# Ports, processes, waiting

# free_port: a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# spawn NAME LOGFILE CMD...: starts CMD in a new session (so its PID is its process-group id),
# output to LOGFILE, records the PID in $RUN/pids and $RUN/NAME.pid, and prints the PID.
spawn() {
  local name=$1 logfile=$2
  shift 2
  local pidfile="$RUN/$name.pid"
  rm -f "$pidfile"
  # The inner shell writes its own PID before exec'ing CMD: correct whether or not setsid had
  # to fork, and the PID is the session and group leader either way.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >"$logfile" 2>&1 </dev/null &
  for _ in $(seq 100); do
    [ -s "$pidfile" ] && break
    sleep 0.05
  done
  [ -s "$pidfile" ] || fail "could not start $name"
  local pid
  pid=$(cat "$pidfile")
  echo "$pid $name" >>"$RUN/pids"
  echo "$pid"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# stop_group PID [GRACE_SECONDS]: TERM the process group, wait, then KILL it.
stop_group() {
  local pid=$1 grace=${2:-15}
  kill -0 -- "-$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 -- "-$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.2
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "process group $pid did not stop in ${grace}s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.2
  fi
}

# kill_group PID: SIGKILL the process group at once (crash tests).
kill_group() {
  kill -KILL -- "-$1" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$1" 2>/dev/null || return 0
    sleep 0.1
  done
}

# on_cleanup COMMAND: run COMMAND (a shell string) when run.sh tears down, in reverse order.
on_cleanup() { echo "$*" >>"$RUN/cleanup.cmds"; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls COMMAND until it succeeds; returns 1
# (after logging DESCRIPTION) when the deadline passes.
wait_for() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep "$E2E_POLL"
  done
}

# wait_equal DESCRIPTION TIMEOUT EXPECTED COMMAND...: waits until COMMAND prints EXPECTED;
# on timeout fails the scenario showing the last output.
wait_equal() {
  local what=$1 timeout=$2 expected=$3
  shift 3
  local deadline=$((SECONDS + timeout)) actual=""
  while true; do
    actual=$("$@" 2>/dev/null) || true
    if [ "$actual" = "$expected" ]; then
      log "ok: $what"
      return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      check "$what (after ${timeout}s)" "$expected" "$actual"
    fi
    sleep "$E2E_POLL"
  done
}

# ---------------------------------------------------------------------------------------------
# Scenario plumbing

# scenario_begin: every scenario calls it first; it checks the environment run.sh exported and
# stops the processes the scenario spawned when it exits, however it exits.
scenario_begin() {
  set -euo pipefail
  if [ -z "${RUN:-}" ] || [ ! -d "$RUN" ]; then
    echo "run scenarios through tests/e2e/bin/run.sh" >&2
    exit 2
  fi
  SCENARIO_PIDS_MARK=$(wc -l <"$RUN/pids" 2>/dev/null || echo 0)
  trap scenario_end EXIT
}

# Stops what this scenario spawned (in reverse order), leaving run.sh's processes alone.
scenario_end() {
  local rc=$?
  local pid name
  # Background helpers of the scenario itself (a producer loop, say).
  kill $(jobs -p) 2>/dev/null || true
  if [ -f "$RUN/pids" ]; then
    tail -n +"$((SCENARIO_PIDS_MARK + 1))" "$RUN/pids" | tac | while read -r pid name; do
      [ "$name" = worker ] && continue # the shared worker (scenario 5 restarts it) stays up
      stop_group "$pid" 15
    done
  fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# The rest, one file per role

# shellcheck source=lib/kafka.sh
. "$E2E_DIR/bin/lib/kafka.sh"
# shellcheck source=lib/starrocks.sh
. "$E2E_DIR/bin/lib/starrocks.sh"
# shellcheck source=lib/connect.sh
. "$E2E_DIR/bin/lib/connect.sh"
# shellcheck source=lib/postgres.sh
. "$E2E_DIR/bin/lib/postgres.sh"
