#!/usr/bin/env bash
# The demo: the seed page's pipeline, end to end, on one machine.
#
# Builds the plugin (dist/), starts the StarRocks emulator as the embedded StarRocks, a KRaft
# broker and a Connect worker (Kafka jars from Maven Central), creates the seed's database and
# table, produces the seed's three records to topic `test`, creates the seed's connector through
# the REST API exactly as the seed prints it, and prints `select * from test_tbl`.
#
# To load into a real StarRocks instead of the emulator, set:
#   STARROCKS_HTTP_URL=fe_host:8030   STARROCKS_QUERY=fe_host:9030
#   STARROCKS_USER=user1              STARROCKS_PASSWORD=123456
# (the user needs CREATE DATABASE or an existing example_db, and INSERT on test_tbl).
# DEMO_KAFKA=3.9|4 picks the Kafka line (default 4). KEEP=1 keeps the run directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
tests/e2e/bin/setup.sh

echo "== building the plugin (mvn -DskipTests package)"
mvn -B -ntp -q -DskipTests -Dnative.targets=host package

RUN=$(mktemp -d /tmp/starrocks-demo.XXXXXX)
export RUN
: >"$RUN/pids"
: >"$RUN/cleanup.cmds"
# shellcheck source=../tests/e2e/bin/lib.sh
. tests/e2e/bin/lib.sh
KEEP=${KEEP:-0}
finish() {
  local rc=$?
  tac "$RUN/pids" | while read -r pid _; do stop_group "$pid" 15; done
  if [ $rc -ne 0 ] || [ "$KEEP" = 1 ]; then echo "logs kept in $RUN" >&2; else rm -rf "$RUN"; fi
}
trap finish EXIT

kafka_env "${DEMO_KAFKA:-4}"
prepare_plugins
if [ -n "${STARROCKS_HTTP_URL:-}" ]; then
  fe=$STARROCKS_HTTP_URL
  query=${STARROCKS_QUERY:?set STARROCKS_QUERY=host:port of the FE query port}
  user=${STARROCKS_USER:-root}
  password=${STARROCKS_PASSWORD:-}
  echo "== StarRocks: $fe (query $query)"
else
  start_emulator
  fe=$SR_FE
  query=127.0.0.1:$SR_QUERY_PORT
  user=user1
  password=123456
  echo "== StarRocks emulator: FE http://$fe, MySQL $query"
fi
sql() { mysql -h"${query%:*}" -P"${query##*:}" -u"$user" ${password:+-p"$password"} "$@"; }

start_broker
start_worker
echo "== Kafka $KAFKA_VERSION broker at $BOOTSTRAP, Connect worker at $CONNECT_URL"

sql -e "$(cat tests/e2e/seed/example_db.sql)" 2>/dev/null || sql -e "USE example_db; SELECT 1" >/dev/null
produce test <tests/e2e/seed/test.json
echo "== produced the seed's records to topic test"

body=$(sed -e "s/192\\.168\\.xxx\\.xxx:8030/$fe/" \
  -e "s/\"starrocks.username\":\"user1\"/\"starrocks.username\":\"$user\"/" \
  -e "s/\"starrocks.password\":\"123456\"/\"starrocks.password\":\"$password\"/" \
  tests/e2e/seed/distributed-create.json)
connector_post "$body" >/dev/null
wait_running starrocks-kafka-connector
echo "== connector starrocks-kafka-connector is RUNNING"

wait_for "the three rows in example_db.test_tbl" 60 \
  bash -c '[ "$(mysql -h"$0" -P"$1" -u"$2" ${3:+-p"$3"} -N -e "select count(*) from example_db.test_tbl")" -ge 3 ]' \
  "${query%:*}" "${query##*:}" "$user" "$password"
echo 'MySQL [example_db]> select * from test_tbl;'
sql --table example_db -e 'select * from test_tbl order by id'
