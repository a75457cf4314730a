#!/usr/bin/env bash
# Smoke test of the harness itself, without StarRocks: Kafka's own FileStreamSink on the shared
# distributed worker. Proves broker + worker + producing + committed offsets on this Kafka line.
# e2e-lines: all
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin

name=e2e-smoke-file
topic=e2e-smoke
out=$RUN/smoke-sink.txt
n=100

plugin_listed "$CONNECT_URL" org.apache.kafka.connect.file.FileStreamSinkConnector ||
  fail "FileStreamSinkConnector is not listed by GET /connector-plugins"

seq 1 "$n" | sed 's/^/line-/' >"$RUN/smoke-expected.txt"
produce "$topic" <"$RUN/smoke-expected.txt"
check "end offset of $topic" "$n" "$(end_offset "$topic")"

connector_put "$name" "$(jq -cn --arg t "$topic" --arg f "$out" '{
  "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
  "tasks.max": "1", "topics": $t, "file": $f,
  "key.converter": "org.apache.kafka.connect.storage.StringConverter",
  "value.converter": "org.apache.kafka.connect.storage.StringConverter"}')"
wait_running "$name"

wait_equal "the file holds the $n records in order" 60 "$(cat "$RUN/smoke-expected.txt")" cat "$out"
wait_equal "committed offset (REST) is $n" 60 "$topic 0 $n" connector_offsets "$name"
check "committed offset (ConsumerGroupCommand, group connect-$name)" "$topic 0 $n" "$(group_offsets "connect-$name")"

connector_delete "$name"
