#!/usr/bin/env bash
# What validate() tells a user through Connect's REST API before a connector exists
# (PUT /connector-plugins/<class>/config/validate, and the create path, which validates too):
# a wrong password comes back on starrocks.password, a table that does not exist on `topics`
# (or on starrocks.topic2table.map when the map names it), a database that does not exist on
# starrocks.database.name; an FE that does not answer is a warning in the worker's log naming
# starrocks.http.url, not a refusal, and the answer comes within connect.timeoutms. No answer
# contains the password, and none is an HTTP 500.
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e14-validate
db=e2e14
secret=wr0ng-s3cret
log_start=$(wc -l <"$RUN/worker.log")
events_db "$db"

# validate CONFIG_JSON: the validation answer (HTTP status checked: 200).
validate() {
  local code
  code=$(curl -s -o "$RUN/validate.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$CONNECT_URL/connector-plugins/$SINK_CLASS/config/validate" -d "$1")
  [ "$code" = 200 ] || fail "validate answered HTTP $code: $(cat "$RUN/validate.json")"
  cat "$RUN/validate.json"
}
# errors_of ANSWER KEY: the key's errors, one per line.
errors_of() { jq -r --arg k "$2" '.configs[].value | select(.name == $k) | .errors[]' <<<"$1"; }
# keys_with_errors ANSWER: the keys that carry errors, space-separated, sorted.
keys_with_errors() { jq -r '[.configs[].value | select(.errors != []) | .name] | sort | join(" ")' <<<"$1"; }

config() { sink_config "events" "$db" "" "${1:-"{}"}" | jq -c --arg n "$name" '. + {name: $n}'; }

# 1. The right configuration: no problem.
answer=$(validate "$(config)")
check "a valid configuration has no errors" 0 "$(jq .error_count <<<"$answer")"

# 2. A wrong password: on starrocks.password, and only there.
answer=$(validate "$(config "$(jq -cn --arg p "$secret" '{"starrocks.password": $p}')")")
check "wrong password: the keys with errors" "starrocks.password" "$(keys_with_errors "$answer")"
message=$(errors_of "$answer" starrocks.password)
log "wrong password: $message"
grep -q "root" <<<"$message" || fail "the message names the user: $message"
check "the answer does not contain the password" 0 "$(grep -c "$secret" <<<"$answer" || true)"

# 3. A table that does not exist: on topics (the topic loads into the table of its name) ...
answer=$(validate "$(sink_config "events,missing_tbl" "$db" "" | jq -c --arg n "$name" '. + {name: $n}')")
check "missing table: the keys with errors" "topics" "$(keys_with_errors "$answer")"
message=$(errors_of "$answer" topics)
log "missing table: $message"
grep -q "missing_tbl" <<<"$message" || fail "the message names the table: $message"
# ... and on starrocks.topic2table.map when the map names it.
answer=$(validate "$(sink_config "events" "$db" "events:nowhere" | jq -c --arg n "$name" '. + {name: $n}')")
check "missing mapped table: the keys with errors" "starrocks.topic2table.map" "$(keys_with_errors "$answer")"
grep -q "nowhere" <<<"$(errors_of "$answer" starrocks.topic2table.map)" || fail "the message names the table"

# 4. A database that does not exist: on starrocks.database.name.
answer=$(validate "$(sink_config "events" "no_such_db" "" | jq -c --arg n "$name" '. + {name: $n}')")
check "missing database: the keys with errors" "starrocks.database.name" "$(keys_with_errors "$answer")"
log "missing database: $(errors_of "$answer" starrocks.database.name)"

# 5. The create path refuses the same way: HTTP 400, the message in the answer.
code=$(curl -s -o "$RUN/create.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  "$CONNECT_URL/connectors/$name/config" \
  -d "$(sink_config "events" "$db" "" "$(jq -cn --arg p "$secret" '{"starrocks.password": $p}')")")
check "creating with a wrong password: HTTP status" 400 "$code"
grep -q "starrocks.password" "$RUN/create.json" || fail "the refusal names the key: $(cat "$RUN/create.json")"
check "the refusal does not contain the password" 0 "$(grep -c "$secret" "$RUN/create.json" || true)"
check "no connector was created" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$CONNECT_URL/connectors/$name")"

# 6. An FE that does not answer: no error, a warning naming starrocks.http.url, in time.
dead="127.0.0.1:$(free_port)"
started=$(date +%s%N)
answer=$(validate "$(config "$(jq -cn --arg fe "$dead" '{"starrocks.http.url": $fe, "connect.timeoutms": "2000"}')")")
took_ms=$((($(date +%s%N) - started) / 1000000))
check "unreachable FE: no errors" 0 "$(jq .error_count <<<"$answer")"
log "unreachable FE: validation answered in ${took_ms} ms (connect.timeoutms=2000)"
[ "$took_ms" -lt 6000 ] || fail "validation took ${took_ms} ms with connect.timeoutms=2000"
wait_for "the worker log warns about starrocks.http.url" 10 \
  bash -c "tail -n +$((log_start + 1)) '$RUN/worker.log' | grep 'WARN' | grep -q 'starrocks.http.url'"
log "warning: $(tail -n +$((log_start + 1)) "$RUN/worker.log" | grep 'WARN' | grep 'starrocks.http.url' | tail -1)"
# ... and the connector can be created while the cluster is down.
connector_put "$name" "$(config "$(jq -cn --arg fe "$dead" '{"starrocks.http.url": $fe}')")"
wait_running "$name"
connector_delete "$name"

check "lines of worker.log containing the password" 0 "$(grep -c "$secret" "$RUN/worker.log" || true)"
scenario_end
