#!/usr/bin/env bash
# The seed's distributed example: its `curl -X POST /connectors` body verbatim (seed/
# distributed-create.json, only starrocks.http.url pointing at the emulator) against the
# harness's distributed worker, with the seed's topic and table.
# Observes: connector and task RUNNING; example_db.test_tbl holds exactly the three rows;
# committed offset 3; the password appears neither in the worker log nor in the status and
# validation endpoints. (GET /connectors/<name> and /tasks echo the stored configuration; what
# they show is reported, not judged: that is Kafka Connect's behaviour, not the connector's.)
# e2e-lines: all
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=starrocks-kafka-connector
secret=123456

sr_exec "DROP DATABASE IF EXISTS example_db"
sr_exec "$(cat "$(seed_file example_db.sql)")"

connector_delete "$name"
fresh_group "connect-$name"
fresh_topic test
produce test <"$(seed_file test.json)"
check "records in topic test" 3 "$(end_offset test)"

body=$(sed "s/192\.168\.xxx\.xxx:8030/$SR_FE/" "$(seed_file distributed-create.json)")
connector_post "$body"
wait_running "$name"

expected=$(printf '1\tNew York\n2\tLos Angeles\n3\tChicago')
wait_equal "example_db.test_tbl holds the seed's three rows" 60 "$expected" \
  sr_query example_db "select * from test_tbl order by id"
wait_equal "committed offset (REST) is 3" 60 "test 0 3" connector_offsets "$name"
check "committed offset of group connect-$name (ConsumerGroupCommand)" "test 0 3" \
  "$(group_offsets "connect-$name")"
check "row count after the commit (no duplicates)" 3 "$(sr_count example_db test_tbl)"

# Where the password shows.
status=$(curl -sf "$CONNECT_URL/connectors/$name/status")
check "the status endpoint does not contain the password" 0 "$(grep -c "$secret" <<<"$status" || true)"
config=$(jq -c '.config + {name: .name}' <<<"$body")
validation=$(curl -sf -X PUT -H 'Content-Type: application/json' \
  "$CONNECT_URL/connector-plugins/$SINK_CLASS/config/validate" -d "$config")
if [ "$(jq .error_count <<<"$validation")" != 0 ]; then
  jq -c '.configs[].value | select(.errors != []) | {name, errors}' <<<"$validation" >&2
  fail "validation of the seed's config reports errors"
fi
log "ok: validation of the seed's config reports no errors"
check "the validation endpoint does not contain the password" 0 "$(grep -c "$secret" <<<"$validation" || true)"
check "validate masks the password" '"[hidden]"' \
  "$(jq -c '.configs[].value | select(.name == "starrocks.password") | .value' <<<"$validation")"
for path in "connectors/$name" "connectors/$name/config" "connectors/$name/tasks"; do
  if curl -sf "$CONNECT_URL/$path" | grep -q "$secret"; then
    log "note: GET /$path shows the password in plain text (Connect echoes the stored config)"
  else
    log "note: GET /$path does not show the password"
  fi
done

connector_delete "$name"
check "lines of worker.log containing the password" 0 "$(grep -c "$secret" "$RUN/worker.log" || true)"
