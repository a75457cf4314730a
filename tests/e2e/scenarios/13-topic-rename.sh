#!/usr/bin/env bash
# Topic renaming in front of the sink: a RegexRouter (`(.*)-raw` -> `$1`) on a connector that
# consumes topic rename_tbl-raw, so its records reach the task as topic rename_tbl and load into
# the table of that name (no topic2table map). What is right depends on the Connect version:
#   Connect 3.6 and newer (SinkRecord.originalTopic() exists): validation accepts the config;
#     every row lands in rename_tbl exactly once, and the consumer group connect-<name> commits
#     the ORIGINAL partition rename_tbl-raw/0 up to its end offset; nothing is committed for a
#     topic named rename_tbl.
#   Connect before 3.6: the task cannot tell which consumed partition a renamed record came
#     from, so the connector refuses the combination: creating it (PUT /connectors/<name>/config
#     and POST /connectors) answers HTTP 400, and validation puts a message naming
#     `originalTopic` and `3.6` on the `transforms` key. Nothing is loaded or committed.
# The line is told by KAFKA_VERSION (exported by run.sh).
# e2e-lines: all
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

name=e2e13-rename
raw=rename_tbl-raw
table=rename_tbl
db=e2e13
N=50

events_db "$db" "$table"
connector_delete "$name"
fresh_group "connect-$name"
fresh_topic "$raw"
create_topic "$raw" 1
produce_ids "$raw" 1 "$N"
check "records in topic $raw" "$N" "$(end_offset "$raw")"

config=$(sink_config "$raw" "$db" "" | jq -c 'del(."starrocks.topic2table.map") + {
  "transforms": "rename",
  "transforms.rename.type": "org.apache.kafka.connect.transforms.RegexRouter",
  "transforms.rename.regex": "(.*)-raw",
  "transforms.rename.replacement": "$1"}')

# validate CONFIG: PUT /connector-plugins/<class>/config/validate; its answer on stdout.
validate() {
  curl -sf -X PUT -H 'Content-Type: application/json' \
    "$CONNECT_URL/connector-plugins/$SINK_CLASS/config/validate" -d "$(jq -c --arg n "$name" '. + {name: $n}' <<<"$1")"
}

# transforms_errors VALIDATION: the error messages validation attached to the `transforms` key.
transforms_errors() {
  jq -r '.configs[].value | select(.name == "transforms") | .errors[]' <<<"$1"
}

# --- Connect before 3.6: refused, with the reason ------------------------------------------------
if ! kafka_at_least 3.6; then
  log "Kafka $KAFKA_VERSION: SinkRecord.originalTopic() does not exist; the connector must refuse the rename"

  code=$(curl -s -o "$RUN/e2e13-put.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$CONNECT_URL/connectors/$name/config" -d "$config")
  if [ "$code" != 400 ]; then
    # (The answer to an accepted PUT echoes the config, password included: not shown.)
    connector_delete "$name"
    fail "PUT /connectors/$name/config answered $code, not 400: Connect $KAFKA_VERSION has no SinkRecord.originalTopic(), so the connector must refuse the RegexRouter, naming originalTopic and 3.6"
  fi
  log "ok: PUT /connectors/$name/config answered 400"
  message=$(jq -r '.message' "$RUN/e2e13-put.json")
  log "its message: $message"
  for text in originalTopic 3.6; do
    grep -qF "$text" <<<"$message" || fail "the 400's message does not contain '$text': $message"
  done
  log "ok: the 400's message names originalTopic and 3.6"

  code=$(curl -s -o "$RUN/e2e13-post.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    "$CONNECT_URL/connectors" -d "$(jq -c --arg n "$name" '{name: $n, config: .}' <<<"$config")")
  if [ "$code" != 400 ]; then
    connector_delete "$name"
    fail "POST /connectors answered $code, not 400"
  fi
  log "ok: POST /connectors answered 400"

  validation=$(validate "$config") || fail "PUT .../config/validate failed"
  errors=$(transforms_errors "$validation")
  log "validation's errors on transforms: ${errors:-<none>}"
  for text in originalTopic 3.6; do
    grep -qF "$text" <<<"$errors" || fail "validation puts no error containing '$text' on the transforms key"
  done
  log "ok: validation's error on the transforms key names originalTopic and 3.6"

  check "GET /connectors/$name (the connector was not created)" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$CONNECT_URL/connectors/$name")"
  check "rows in $table" 0 "$(sr_count "$db" "$table")"
  check "committed offsets of group connect-$name" "" "$(group_offsets "connect-$name")"
  exit 0
fi

# --- Connect 3.6 and newer: loaded into the renamed table, committed on the original topic ------
validation=$(validate "$config") || fail "PUT .../config/validate failed"
if [ "$(jq .error_count <<<"$validation")" != 0 ]; then
  jq -c '.configs[].value | select(.errors != []) | {name, errors}' <<<"$validation" >&2
  fail "validation rejects the RegexRouter on Connect $KAFKA_VERSION"
fi
log "ok: validation accepts the RegexRouter on Connect $KAFKA_VERSION"

connector_put "$name" "$config"
wait_running "$name"

wait_equal "$table holds ids 1..$N, each once" 60 "$(seq 1 "$N")" \
  sr_query "$db" "select id from $table order by id"
wait_equal "committed offset (REST) is the original topic's end" 60 "$raw 0 $N" connector_offsets "$name"
# Exactly one line: the original partition at its end, and nothing for a topic named $table.
check "group connect-$name (ConsumerGroupCommand) commits $raw to its end, and no $table" "$raw 0 $N" \
  "$(group_offsets "connect-$name")"
check "rows after the commit (no duplicates)" "$N" "$(sr_count "$db" "$table")"

connector_delete "$name"
