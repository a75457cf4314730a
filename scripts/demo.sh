#!/usr/bin/env bash
# The demo: the seed's pipeline on the embedded StarRocks emulator.
#
# Today this runs the StarRocks half of the seed page: it starts the emulator with the seed's
# database and table, loads the seed's three records through Stream Load (FE 307 -> BE, as the
# connector does) and prints `select * from test_tbl` through the emulator's MySQL port.
# The Kafka broker, Connect worker and connector join this script as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

run=$(mktemp -d)
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT INT TERM

cargo build -q --release -p starrocks-emulator
cat > "$run/init.sql" <<'SQL'
CREATE DATABASE example_db;
USE example_db;
CREATE TABLE test_tbl (id INT, city STRING);
SQL
target/release/starrocks-emulator --fe-http-port 0 --be-http-port 0 --query-port 0 \
  --user root: --user user1:123456 --init-sql "$run/init.sql" > "$run/ready" &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$run/ready" ] && break; sleep 0.1; done
fe=$(jq -r .fe_http "$run/ready")
query_port=$(jq -r .query "$run/ready" | cut -d: -f2)
echo "StarRocks emulator: FE http://$fe, MySQL port $query_port"

printf '%s\n' '{"id":1,"city":"New York"}' '{"id":2,"city":"Los Angeles"}' '{"id":3,"city":"Chicago"}' > "$run/test.json"
curl -sS --location-trusted -u user1:123456 -H "Expect:100-continue" -H "label:demo-1" \
  -H "format:json" -T "$run/test.json" "http://$fe/api/example_db/test_tbl/_stream_load" | jq -c '{Status, NumberLoadedRows}'

echo 'MySQL [example_db]> select * from test_tbl;'
mysql -h127.0.0.1 -P"$query_port" -uuser1 -p123456 --table example_db -e 'select * from test_tbl'
