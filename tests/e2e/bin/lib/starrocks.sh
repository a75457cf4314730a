# shellcheck shell=bash
# The StarRocks emulator: starting it, DDL over the MySQL port, SELECTs over the HTTP SQL API,
# and its admin endpoint (faults, FE down/up, journal). Sourced by lib.sh.

# ---------------------------------------------------------------------------------------------
# StarRocks emulator

# start_emulator [NAME]: two FEs (the harness lists both in scenario 6), one BE, the MySQL port
# and the admin endpoint, all on free ports. Sets SR_FE (first FE), SR_FE2, SR_FE_ALL (comma
# list), SR_BE, SR_QUERY_PORT and SR_ADMIN. run.sh starts the shared one; a scenario may start
# a private one (NAME other than `emulator`), which then replaces the shared one for that
# scenario only. SR_EMULATOR_ARGS adds options to the emulator's command line (the benchmark's
# `--count-only`).
start_emulator() {
  local name=${1:-emulator}
  local bin=${SR_EMULATOR:-$REPO_ROOT/target/release/starrocks-emulator}
  if [ ! -x "$bin" ]; then
    log "building starrocks-emulator"
    (cd "$REPO_ROOT" && cargo build -q --release -p starrocks-emulator) || fail "cannot build the emulator"
  fi
  local ready="$RUN/$name.ready"
  EMULATOR_PID=$(spawn "$name" "$RUN/$name.out" bash -c \
    'exec "$0" --fe-http-port 0 --fe-http-port 0 --be-http-port 0 --query-port 0 --admin-port 0 \
       --user "root:$1" --user user1:123456 $4 2>"$2" >"$3"' \
    "$bin" "$SR_ROOT_PASSWORD" "$RUN/$name.log" "$ready" "${SR_EMULATOR_ARGS:-}")
  wait_for "the emulator's ready line" 30 test -s "$ready" || fail "emulator did not start: $(cat "$RUN/$name.log")"
  SR_FE=$(jq -r '.fe_http_all[0]' "$ready")
  SR_FE2=$(jq -r '.fe_http_all[1]' "$ready")
  SR_FE_ALL=$(jq -r '.fe_http_all | join(",")' "$ready")
  SR_BE=$(jq -r '.be_http[0]' "$ready")
  SR_QUERY_PORT=$(jq -r '.query' "$ready" | cut -d: -f2)
  SR_ADMIN=$(jq -r '.admin' "$ready")
  export EMULATOR_PID SR_FE SR_FE2 SR_FE_ALL SR_BE SR_QUERY_PORT SR_ADMIN
  log "$name: FE $SR_FE_ALL, BE $SR_BE, MySQL 127.0.0.1:$SR_QUERY_PORT, admin $SR_ADMIN"
}

# sr_exec SQL: runs statements (DDL included) through the MySQL protocol as root.
sr_exec() {
  mysql -h127.0.0.1 -P"$SR_QUERY_PORT" -uroot -p"$SR_ROOT_PASSWORD" --batch -e "$1"
}

# sr_query DB SQL: a SELECT through the HTTP SQL API, rows as tab-separated lines (NULL as
# NULL). Asks each FE in turn, so it works while one FE is down.
sr_query() {
  local db=$1 sql=$2 fe out body
  body=$(jq -cn --arg q "$sql" '{query: $q}')
  for fe in ${SR_FE_ALL//,/ }; do
    if out=$(curl -sf --max-time 10 -u "root:$SR_ROOT_PASSWORD" -X POST \
        "http://$fe/api/v1/catalogs/default_catalog/databases/$db/sql" -d "$body"); then
      jq -r 'select(has("data")) | .data | map(if . == null then "NULL" else tostring end) | @tsv' <<<"$out"
      return 0
    fi
  done
  return 1
}

# events_db DB [TABLE]: DB created afresh, with the duplicate-key table TABLE (default events)
# of `id BIGINT, payload STRING` that produce_ids fills.
events_db() {
  sr_exec "DROP DATABASE IF EXISTS $1"
  sr_exec "CREATE DATABASE $1; USE $1;
CREATE TABLE ${2:-events} (id BIGINT, payload STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;"
}

# sr_count DB TABLE
sr_count() { sr_query "$1" "select count(*) from $2"; }

# sr_admin METHOD PATH [JSON]: the emulator's admin endpoint (faults, FE down/up, journal).
sr_admin() {
  if [ -n "${3:-}" ]; then
    curl -sf --max-time 10 -X "$1" "http://$SR_ADMIN$2" -H 'Content-Type: application/json' -d "$3"
  else
    curl -sf --max-time 10 -X "$1" "http://$SR_ADMIN$2"
  fi
}
