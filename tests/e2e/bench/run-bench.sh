#!/usr/bin/env bash
# The throughput benchmark: a report, not a test (it never passes or fails on a timer). It
# preloads topics with JSON rows, then drains them through the StarRocks sink (into the
# emulator) and through a null sink (the framework ceiling), with JsonConverter
# (schemas.enable=false) and with ByteArrayConverter (raw JSON passed through), and writes the
# figures into docs/benchmark.md between its "bench-results" markers.
#
#   tests/e2e/bench/run-bench.sh [options]
#
#   --kafka 3.9|4|X.Y.Z  Kafka line (default 3.9, i.e. 3.9.2)
#   --n100 N             rows of ~100 B (default 10000000)
#   --n1k N              rows of ~1 KB (default 1000000)
#   --sizes "100 1k"     which row sizes to run
#   --converters "json bytes"  csv as well: the same rows as tab-separated CSV lines, through
#                        ByteArrayConverter, our sink with sink.properties.format=csv;
#                        debezium: the same rows as Debezium create events in JsonConverter's
#                        schema/payload form (gen-rows.py), read by JsonConverter with schemas,
#                        our sink with starrocks.envelope=debezium; debezium-bytes: those events
#                        through ByteArrayConverter, our sink with the envelope; debezium-map:
#                        the events as Debezium writes them with the seed's worker setting
#                        (value.converter.schemas.enable=false: no schema), read by JsonConverter
#                        without schemas, our sink with the envelope (for --emulator count-only:
#                        without a schema `ts` stays Debezium's microseconds, not a DATETIME
#                        value the table's column could take)
#   --sinks "null ours"  ours-eo: the StarRocks sink under sink.semantic=exactly-once; ours-smt
#                        (debezium events only): the StarRocks sink behind the seed's transform
#                        chain (AddOpFieldForDebeziumRecord, Debezium 2.7's ExtractNewRecordState)
#   --partitions P       partitions per topic; tasks.max = P (default 1)
#   --repeat R           runs per combination, the median is reported (default 3)
#   --warmup PCT         before each measured drain, the same worker drains a warm-up topic of
#                        PCT % of N rows of the same shape through a connector of its own (into a
#                        table of its own), so that the measured drain runs on compiled code, as
#                        a long-running worker does; 0 measures from a cold JVM (default 20)
#   --no-consumer-baseline  skip ConsumerPerformance over each topic (Kafka's consumer alone)
#   --compression C      producer compression for the preload: lz4 (default), none, zstd, ...
#   --commit-ms MS       the worker's offset.flush.interval.ms (default 1000)
#   --emulator MODE      full (default): the emulator converts and stores every row, as a
#                        StarRocks BE would (realistic, and the emulator's CPU shares the
#                        machine); count-only: it checks each load's framing and counts its
#                        rows without converting or storing them (starrocks-emulator
#                        --count-only), so ours ÷ null sink measures the connector
#   --slow-ms MS         a slow StarRocks: the emulator holds every load's reply MS ms
#                        (delay_reply); the report then shows the sink's largest native memory
#                        for rows (pending-bytes over JMX) beside its bound
#   --section NAME       which marked section of the doc to rewrite: results (default), count-only,
#                        partitions, memory or exactly-once (bench/report.sh runs them all)
#   --doc FILE           the Markdown file to update (default docs/benchmark.md)
#   --no-doc             only print the tables (and keep them in the run directory)
#   --keep               keep the run directory
#
# The plugin: $PLUGIN_DIR, else the newest dist/starrocks-kafka-connector-*.tar.gz (as in
# bin/run.sh). Before the tarball exists: PLUGIN_DIR=$(tests/e2e/bin/standin-plugin.sh).
# BENCH_WORKER_OPTS replaces the worker's JVM options (default: what Kafka's
# connect-distributed.sh uses); BENCH_CONNECTOR_EXTRA (a JSON object) is merged into every
# connector's configuration, e.g. '{"consumer.override.max.poll.records":"2000"}'.
#
# Every run gets a fresh Connect worker and a fresh consumer group; after the warm-up drain
# (--warmup) the worker's peak RSS is reset (/proc/PID/clear_refs), so VmHWM is the larger of
# its RSS when the measured drain starts and its peak during it. The clock starts when the measured connector is created (PUT
# /connectors/NAME/config) and
# stops when the group's committed offsets reach the log end (polled every 250 ms through the
# Admin API by lagwatch/LagWatch.java, outside the worker). CPU is utime+stime of the worker
# process over that window. For the StarRocks sink the table's row count must equal N: a run
# whose table ends with another count stops the benchmark with an error and no report. A run
# whose connector FAILs is reported with the first lines of its trace, and the others go on.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=$E2E_DIR/bench
# shellcheck source=../bin/lib.sh
. "$E2E_DIR/bin/lib.sh"

line=3.9
n100=10000000
n1k=1000000
sizes="100 1k"
converters="json bytes"
sinks="null ours"
partitions=1
repeat=3
warmup=20
compression=lz4
commit_ms=1000
slow_ms=0
emulator_mode=full
section=results
doc=$REPO_ROOT/docs/benchmark.md
write_doc=1
consumer_baseline=1
KEEP=${KEEP:-0}
argv="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --kafka) line=$2; shift 2 ;;
    --n100) n100=$2; shift 2 ;;
    --n1k) n1k=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --converters) converters=$2; shift 2 ;;
    --sinks) sinks=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --compression) compression=$2; shift 2 ;;
    --commit-ms) commit_ms=$2; shift 2 ;;
    --slow-ms) slow_ms=$2; shift 2 ;;
    --emulator) emulator_mode=$2; shift 2 ;;
    --section) section=$2; shift 2 ;;
    --doc) doc=$2; shift 2 ;;
    --no-doc) write_doc=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-consumer-baseline) consumer_baseline=0; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "run-bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORKER_OPTS=${BENCH_WORKER_OPTS:-"-Xms256M -Xmx2G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"}
EXTRA=${BENCH_CONNECTOR_EXTRA:-'{}'}
jq -e 'type == "object"' <<<"$EXTRA" >/dev/null || { echo "BENCH_CONNECTOR_EXTRA is not a JSON object" >&2; exit 2; }
NULL_CLASS=com.starrocks.bench.nullsink.NullSinkConnector
DB=bench
POLL_MS=250
CLK_TCK=$(getconf CLK_TCK)

[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 100 ] ||
  { echo "run-bench.sh: --warmup is a percentage from 0 to 100, not $warmup" >&2; exit 2; }

case "$emulator_mode" in
  full) ;;
  count-only) export SR_EMULATOR_ARGS=--count-only ;;
  *) echo "run-bench.sh: --emulator is full or count-only, not $emulator_mode" >&2; exit 2 ;;
esac

"$E2E_DIR/bin/setup.sh" >/dev/null || exit 1
# The emulator as this checkout has it (a stale binary may lack --count-only).
(cd "$REPO_ROOT" && cargo build -q --release -p starrocks-emulator) || { echo "cannot build the emulator" >&2; exit 1; }

RUN=$(mktemp -d /tmp/starrocks-bench.XXXXXX)
export RUN
: >"$RUN/pids"
: >"$RUN/cleanup.cmds"
RESULTS=$RUN/results.jsonl
: >"$RESULTS"
teardown() {
  local rc=$? pid name
  log "tearing down"
  tac "$RUN/pids" | while read -r pid name; do stop_group "$pid" 15; done
  if [ $rc -ne 0 ] || [ "$KEEP" = 1 ]; then
    echo "run directory kept: $RUN" >&2
  else
    rm -rf "$RUN"
  fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Small measurements

# cpu_ticks PID: utime+stime of the process (all threads), in clock ticks.
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $((${12} + ${13}))
}

# status_kb PID FIELD: a /proc/PID/status field in kB (VmHWM, VmRSS).
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------------
# Building the null sink and the lag watcher against this Kafka line's jars

build_java() {
  local out=$RUN/build
  mkdir -p "$out/nullsink" "$out/lagwatch" "$PLUGIN_PATH/bench-null-sink"
  find "$BENCH_DIR/nullsink/src" -name '*.java' >"$out/nullsink.sources"
  javac -nowarn -encoding UTF-8 -d "$out/nullsink" -cp "$KLIB/*" @"$out/nullsink.sources" ||
    fail "javac of the null sink failed"
  cp -r "$BENCH_DIR/nullsink/META-INF" "$out/nullsink/"
  (cd "$out/nullsink" && jar cf "$PLUGIN_PATH/bench-null-sink/bench-null-sink.jar" .)
  javac -nowarn -encoding UTF-8 -d "$out/lagwatch" -cp "$KLIB/*" "$BENCH_DIR/lagwatch/LagWatch.java" ||
    fail "javac of LagWatch failed"
  LAGWATCH_CP="$KLIB/*:$out/lagwatch"
  mkdir -p "$out/memwatch"
  javac -nowarn -encoding UTF-8 -d "$out/memwatch" "$BENCH_DIR/memwatch/MemWatch.java" ||
    fail "javac of MemWatch failed"
  MEMWATCH_CP=$out/memwatch
}

# ---------------------------------------------------------------------------------------------
# Data

# shape_rows SIZE: N for that row size.
shape_rows() { case "$1" in 100) echo "$n100" ;; 1k) echo "$n1k" ;; esac; }

# warmup_rows SIZE: the warm-up topic's rows for that size (0: no warm-up).
warmup_rows() { echo $(($(shape_rows "$1") * warmup / 100)); }

# table_ddl SIZE NAME CONVERTER: a table whose columns match gen-rows.py's rows: a primary-key
# table for Debezium events (starrocks.envelope=debezium refuses any other, and the seed's CDC
# recipe loads into one), else a duplicate-key table.
table_ddl() {
  local key="DUPLICATE KEY(id)" id="id BIGINT"
  case "$3" in debezium*) key="PRIMARY KEY(id)" id="id BIGINT NOT NULL" ;; esac
  case "$1" in
    100) echo "CREATE TABLE $2 ($id, user_id BIGINT, event VARCHAR(16), amount DOUBLE,
           ok BOOLEAN, ts DATETIME) $key DISTRIBUTED BY HASH(id) BUCKETS 1" ;;
    1k) echo "CREATE TABLE $2 ($id, user_id BIGINT, session VARCHAR(32), event VARCHAR(16),
           page VARCHAR(128), referrer VARCHAR(256), user_agent VARCHAR(256), country CHAR(2),
           city VARCHAR(32), amount DOUBLE, qty INT, ok BOOLEAN, ts DATETIME, tags VARCHAR(128),
           note STRING) $key DISTRIBUTED BY HASH(id) BUCKETS 1" ;;
  esac
}

# data_of SIZE CONVERTER: the topic's name suffix and row format the converter reads.
data_of() {
  case "$2" in
    csv) echo "${1}_csv csv" ;;
    debezium | debezium-bytes) echo "${1}_debezium debezium" ;;
    debezium-map) echo "${1}_debezium_plain debezium_plain" ;;
    *) echo "$1 json" ;;
  esac
}

# preload SIZE [FORMAT]: topic bench_SIZE (FORMAT json, the default) or bench_SIZE_FORMAT holds
# N rows of that shape, and with --warmup topic bench_SIZE[_FORMAT]_warmup its warm-up rows.
# Sets PAYLOAD_BYTES_<SIZE> or PAYLOAD_BYTES_<SIZE>_<FORMAT>.
preload() {
  local size=$1 format=${2:-json} data
  data=$size
  [ "$format" != json ] && data=${size}_$format
  preload_topic "$size" "$format" "bench_$data" "$(shape_rows "$size")"
  printf -v "PAYLOAD_BYTES_$data" '%s' "$PRELOADED_BYTES"
  if [ "$(warmup_rows "$size")" -gt 0 ]; then
    preload_topic "$size" "$format" "bench_${data}_warmup" "$(warmup_rows "$size")"
  fi
}

# preload_topic SIZE FORMAT TOPIC N: TOPIC holds N rows. Sets PRELOADED_BYTES (their payload).
preload_topic() {
  local size=$1 format=$2 topic=$3 n=$4 file info t
  file=$RUN/rows-$topic.$format
  t=$SECONDS
  info=$(python3 -B "$BENCH_DIR/gen-rows.py" "$size" "$n" "$file" "$format")
  log "generated $file: $info ($((SECONDS - t))s)"
  PRELOADED_BYTES=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$info")
  create_topic "$topic" "$partitions"
  t=$(now_ms)
  kcat -P -b "$BOOTSTRAP" -t "$topic" -z "$compression" -X linger.ms=20 -X batch.num.messages=10000 \
    -X queue.buffering.max.kbytes=1048576 -l "$file" || fail "kcat could not produce $file"
  local total=0 p
  for ((p = 0; p < partitions; p++)); do total=$((total + $(end_offset "$topic" "$p"))); done
  [ "$total" = "$n" ] || fail "topic $topic holds $total records, expected $n"
  log "preloaded $topic: $n records in $(($(now_ms) - t)) ms (kcat, compression $compression)"
  rm -f "$file"
}

# ---------------------------------------------------------------------------------------------
# One run: a fresh worker, a connector, the drain

# start_bench_worker ID: a distributed worker of its own (group and storage topics named after
# ID), with JMX open. Sets WORKER_PID, CONNECT_URL and BENCH_JMX_PORT.
start_bench_worker() {
  local id=$1 port dir=$RUN/$1
  port=$(free_port)
  BENCH_JMX_PORT=$(free_port)
  mkdir -p "$dir"
  cat >"$dir/worker.properties" <<EOF
bootstrap.servers=$BOOTSTRAP
group.id=$id
config.storage.topic=_$id-configs
offset.storage.topic=_$id-offsets
status.storage.topic=_$id-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=1
status.storage.partitions=1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
listeners=http://127.0.0.1:$port
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$port
plugin.path=$PLUGIN_PATH
plugin.discovery=service_load
offset.flush.interval.ms=$commit_ms
scheduled.rebalance.max.delay.ms=0
EOF
  CONNECT_URL=http://127.0.0.1:$port
  # shellcheck disable=SC2086
  WORKER_PID=$(spawn "$id" "$dir/worker.log" java $WORKER_OPTS $KAFKA_LOG_OPTS \
    $(jmx_opts "$BENCH_JMX_PORT") -cp "$KLIB/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$dir/worker.properties")
  export CONNECT_URL WORKER_PID
  wait_worker_ready "$CONNECT_URL" "$WORKER_PID" "$dir/worker.log"
  plugin_listed "$CONNECT_URL" "$NULL_CLASS" || fail "$NULL_CLASS is not in GET /connector-plugins"
}

# connector_config SINK CONVERTER TOPIC TABLE
connector_config() {
  local sink=$1 conv=$2 topic=$3 table=$4 vc
  case "$conv" in
    json | debezium-map) vc='{"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"}' ;;
    bytes | csv | debezium-bytes) vc='{"value.converter":"org.apache.kafka.connect.converters.ByteArrayConverter"}' ;;
    debezium) vc='{"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}' ;;
  esac
  if is_ours "$sink"; then
    local semantic=at-least-once
    [ "$sink" = ours-eo ] && semantic=exactly-once
    jq -cn --arg fe "$SR_FE" --arg pw "$SR_ROOT_PASSWORD" --arg db "$DB" --arg t "$topic" \
      --arg tbl "$table" --arg tasks "$partitions" --arg semantic "$semantic" \
      --arg query "127.0.0.1:$SR_QUERY_PORT" '{
      "connector.class": "com.starrocks.connector.kafka.StarRocksSinkConnector",
      "tasks.max": $tasks, "topics": $t, "starrocks.topic2table.map": ($t + ":" + $tbl),
      "starrocks.http.url": $fe, "starrocks.username": "root", "starrocks.password": $pw,
      "starrocks.database.name": $db, "sink.properties.strip_outer_array": "true",
      "sink.semantic": $semantic, "starrocks.query.url": $query,
      "key.converter": "org.apache.kafka.connect.storage.StringConverter"}' |
      if [ "$conv" = csv ]; then
        # Tab-separated rows: StarRocks' default column_separator.
        jq -c 'del(."sink.properties.strip_outer_array") + {"sink.properties.format": "csv"}'
      elif [ "$sink" = ours-smt ]; then
        # The seed's CDC recipe (its sr-sink JSON's transforms).
        jq -c '. + {"transforms": "addfield,unwrap",
          "transforms.addfield.type": "com.starrocks.connector.kafka.transforms.AddOpFieldForDebeziumRecord",
          "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
          "transforms.unwrap.drop.tombstones": "true",
          "transforms.unwrap.delete.handling.mode": "rewrite"}'
      elif [[ "$conv" == debezium* ]]; then
        jq -c '. + {"starrocks.envelope": "debezium"}'
      else
        cat
      fi
  else
    jq -cn --arg c "$NULL_CLASS" --arg t "$topic" --arg tasks "$partitions" '{
      "connector.class": $c, "tasks.max": $tasks, "topics": $t,
      "key.converter": "org.apache.kafka.connect.storage.StringConverter"}'
  fi | jq -c --argjson vc "$vc" --argjson x "$EXTRA" '. + $vc + $x'
}

# is_ours SINK: the StarRocks sink, in either delivery mode or behind the transforms.
is_ours() { [ "$1" = ours ] || [ "$1" = ours-eo ] || [ "$1" = ours-smt ]; }

# await_drain WATCHER NAME DIR: waits for the lag watcher WATCHER (a child of this shell) of
# connector NAME to end. A FAILED task would never drain, so the connector's status is read now
# and then (kept in DIR/status.json); on a failure the watcher is stopped and DRAIN_ERROR set to
# the trace's first lines (else it is empty).
await_drain() {
  local watcher=$1 name=$2 dir=$3 last_check=$SECONDS
  DRAIN_ERROR=""
  while kill -0 "$watcher" 2>/dev/null; do
    sleep 0.5
    if [ $((SECONDS - last_check)) -ge 5 ]; then
      last_check=$SECONDS
      curl -sf "$CONNECT_URL/connectors/$name/status" >"$dir/status.json" 2>/dev/null || true
      if jq -e 'any(.connector, .tasks[]; .state == "FAILED")' "$dir/status.json" >/dev/null 2>&1; then
        DRAIN_ERROR="connector FAILED: $(jq -r '[.connector.trace // empty, .tasks[].trace // empty][0] // "no trace"' \
          "$dir/status.json" | awk 'NR <= 3')"
        kill "$watcher" 2>/dev/null || true
      fi
    fi
  done
  wait "$watcher" 2>/dev/null || true
}

# warm_up ID SIZE CONVERTER SINK DATA: with --warmup, the run's worker drains the warm-up topic
# of DATA through a connector of its own (ours into a table of its own), which is then
# deleted, and the worker's peak RSS is reset. Sets WARMUP_ERROR when that fails (else empty).
warm_up() {
  local id=$1 size=$2 conv=$3 sink=$4 data=$5 name=$1-warmup topic=bench_$5_warmup table="" watcher
  WARMUP_ERROR=""
  [ "$(warmup_rows "$size")" -gt 0 ] || return 0
  log "   warm-up: $(warmup_rows "$size") records from $topic"
  local dir=$RUN/$id/warmup
  mkdir -p "$dir"
  if is_ours "$sink"; then
    table=t${size}_${conv//-/_}_warmup
    sr_exec "USE $DB; DROP TABLE IF EXISTS $table; $(table_ddl "$size" "$table" "$conv")"
  fi
  # shellcheck disable=SC2086
  java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOLS_LOG_OPTS -cp "$LAGWATCH_CP" \
    LagWatch "$BOOTSTRAP" "connect-$name" "$topic" "$POLL_MS" 900 >"$dir/lagwatch.out" 2>"$dir/lagwatch.err" &
  watcher=$!
  wait_for "the warm-up's lag watcher" 60 grep -q '^ready ' "$dir/lagwatch.out" ||
    fail "LagWatch did not start: $(cat "$dir/lagwatch.err")"
  URL=$CONNECT_URL connector_put "$name" "$(connector_config "$sink" "$conv" "$topic" "$table")"
  await_drain "$watcher" "$name" "$dir"
  URL=$CONNECT_URL connector_delete "$name"
  # Its task stops after its configuration is gone; the measured window starts after that.
  # Connect names a task's thread task-thread-<connector>-<task> while it runs.
  wait_for "the warm-up's task to stop" 60 no_task_thread "$WORKER_PID" ||
    WARMUP_ERROR="the warm-up's task did not stop within 60 s"
  if [ -n "$table" ]; then
    sr_exec "USE $DB; DROP TABLE IF EXISTS $table"
    # The measured run counts the Stream Loads in the emulator's journal: not the warm-up's.
    sr_admin DELETE /journal >/dev/null || true
  fi
  if [ -n "$WARMUP_ERROR" ]; then
    :
  elif [ -n "$DRAIN_ERROR" ]; then
    WARMUP_ERROR="warm-up $DRAIN_ERROR"
  elif ! grep -q '^done ' "$dir/lagwatch.out"; then
    WARMUP_ERROR="warm-up did not drain: $(tail -1 "$dir/lagwatch.out")"
  elif ! echo 5 2>/dev/null >"/proc/$WORKER_PID/clear_refs"; then
    WARMUP_ERROR="cannot reset the worker's peak RSS after the warm-up (/proc/$WORKER_PID/clear_refs)"
  fi
}

# no_task_thread PID: no thread of the worker runs a task.
no_task_thread() { ! grep -qs '^task-thread-' /proc/"$1"/task/*/comm; }

# run_one SIZE CONVERTER SINK REP: appends one JSON line to $RESULTS.
run_one() {
  local size=$1 conv=$2 sink=$3 rep=$4
  local id=bench-$size-$conv-$sink-$rep name n data topic table=""
  read -r data _ <<<"$(data_of "$size" "$conv")"
  topic=bench_$data
  name=$id
  n=$(shape_rows "$size")
  log "-- $size B rows, $conv converter, $sink sink (run $rep): $n records"
  if is_ours "$sink"; then
    table=t${size}_${conv//-/_}
    sr_exec "USE $DB; DROP TABLE IF EXISTS $table; $(table_ddl "$size" "$table" "$conv")"
  fi
  start_bench_worker "$id"
  warm_up "$id" "$size" "$conv" "$sink" "$data"
  local error=$WARMUP_ERROR
  local watch=$RUN/$id/lagwatch.out
  # shellcheck disable=SC2086
  java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOLS_LOG_OPTS -cp "$LAGWATCH_CP" \
    LagWatch "$BOOTSTRAP" "connect-$name" "$topic" "$POLL_MS" 900 \
    "worker=$WORKER_PID" "emulator=$EMULATOR_PID" "broker=$BROKER_PID" >"$watch" 2>"$RUN/$id/lagwatch.err" &
  local watcher=$!
  wait_for "the lag watcher" 60 grep -q '^ready ' "$watch" || fail "LagWatch did not start: $(cat "$RUN/$id/lagwatch.err")"
  local memwatch="" memfile=$RUN/$id/memwatch.out
  if is_ours "$sink"; then
    if [ "$slow_ms" -gt 0 ]; then
      sr_admin POST /faults "{\"kind\":\"delay_reply\",\"delay\":$slow_ms,\"times\":100000000}" >/dev/null ||
        fail "cannot arm delay_reply"
    fi
    java -Xms32m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$MEMWATCH_CP" \
      MemWatch "127.0.0.1:$BENCH_JMX_PORT" "$memfile" 2>"$RUN/$id/memwatch.err" &
    memwatch=$!
  fi
  local config w0 e0 b0 t0
  config=$(connector_config "$sink" "$conv" "$topic" "$table")
  python3 -B "$BENCH_DIR/threads.py" snapshot "$WORKER_PID" >"$RUN/$id/threads.before.json" || true
  w0=$(cpu_ticks "$WORKER_PID")
  e0=$(cpu_ticks "$EMULATOR_PID")
  b0=$(cpu_ticks "$BROKER_PID")
  t0=$(now_ms)
  if [ -n "$error" ]; then
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
  else
    URL=$CONNECT_URL connector_put "$name" "$config"
    await_drain "$watcher" "$name" "$RUN/$id"
    error=$DRAIN_ERROR
  fi
  # The worker's threads, read once the watcher has seen the drain end: up to ~0.75 s after it
  # (the watcher's poll and this loop's sleep).
  local threads=null
  if python3 -B "$BENCH_DIR/threads.py" snapshot "$WORKER_PID" >"$RUN/$id/threads.after.json" &&
    python3 -B "$BENCH_DIR/threads.py" delta "$RUN/$id/threads.before.json" "$RUN/$id/threads.after.json" \
      >"$RUN/$id/threads.json"; then
    threads=$(<"$RUN/$id/threads.json")
  fi
  local max_pending=null
  if [ -n "$memwatch" ]; then
    kill -TERM "$memwatch" 2>/dev/null || true
    wait "$memwatch" 2>/dev/null || true
    max_pending=$(sed -n 's/.*max_pending_bytes=\([0-9]*\).*/\1/p' "$memfile" 2>/dev/null)
    sr_admin DELETE /faults >/dev/null || true
  fi
  local hwm rss done_line
  hwm=$(status_kb "$WORKER_PID" VmHWM)
  rss=$(status_kb "$WORKER_PID" VmRSS)
  done_line=$(grep '^done ' "$watch" || true)
  if [ -z "$done_line" ] && [ -z "$error" ]; then
    error="no drain: $(tail -1 "$watch")"
  fi
  local rows=null loads=null load_bytes=null short=""
  if is_ours "$sink" && [ -z "$error" ]; then
    rows=$(sr_count "$DB" "$table" || echo null)
    # A drained run whose table is not exactly N is a wrong result, not a slow one.
    [ "$rows" = "$n" ] || short="table $table holds ${rows} rows after the drain, expected $n"
  fi
  if is_ours "$sink"; then
    # The emulator's journal: how many Stream Loads carried the rows into the run's table, and
    # their bodies' size (a transaction load names its table in a header, any other in its
    # path; exactly-once's progress rows and the warm-up's loads go to other tables).
    sr_admin GET /journal >"$RUN/$id/journal.json" || true
    sr_admin DELETE /journal >/dev/null || true
    local rows_loads='[.[] | select((.node | startswith("be")) and .body_bytes > 0
      and ((.headers.table // "") == $t or (.uri | contains("/" + $t + "/"))))]'
    loads=$(jq --arg t "$table" "$rows_loads | length" "$RUN/$id/journal.json" 2>/dev/null || echo null)
    load_bytes=$(jq --arg t "$table" "$rows_loads | map(.body_bytes) | add // 0" "$RUN/$id/journal.json" 2>/dev/null || echo null)
  fi
  [ -n "$short" ] && error=$short
  [ -n "$error" ] && log "run failed: $error"
  jq -cn --arg size "$size" --arg conv "$conv" --arg sink "$sink" --argjson rep "$rep" --argjson n "$n" \
    --argjson bytes "$(eval echo "\$PAYLOAD_BYTES_$data")" --argjson t0 "$t0" \
    --arg first "$(grep '^first ' "$watch" || true)" --arg "done" "$done_line" \
    --argjson w0 "$w0" --argjson e0 "$e0" --argjson b0 "$b0" --argjson tck "$CLK_TCK" \
    --argjson hwm "${hwm:-0}" --argjson rss "${rss:-0}" --argjson rows "${rows:-null}" \
    --argjson loads "${loads:-null}" --argjson load_bytes "${load_bytes:-null}" --arg error "$error" \
    --argjson slow_ms "$slow_ms" --argjson max_pending "${max_pending:-null}" --argjson threads "$threads" '
    def kv: split(" ") | map(select(test("=")) | split("=") | {(.[0]): (.[1] | tonumber)}) | add // {};
    ($first | split(" ")) as $f | ($done | split(" ")) as $d | ($done | kv) as $k |
    {size: $size, conv: $conv, sink: $sink, rep: $rep, n: $n, bytes: $bytes,
     t_put_ms: $t0,
     t_first_ms: (if $first == "" then null else ($f[1] | tonumber) end),
     committed_first: (if $first == "" then null else ($f[2] | tonumber) end),
     t_done_ms: (if $done == "" then null else ($d[1] | tonumber) end),
     worker_cpu_s: (if $done == "" then null else (($k.worker - $w0) / $tck) end),
     emulator_cpu_s: (if $done == "" then null else (($k.emulator - $e0) / $tck) end),
     broker_cpu_s: (if $done == "" then null else (($k.broker - $b0) / $tck) end),
     worker_hwm_kb: $hwm, worker_rss_end_kb: $rss, table_rows: $rows,
     stream_loads: $loads, stream_load_bytes: $load_bytes,
     slow_ms: $slow_ms, max_pending_bytes: $max_pending, threads: $threads,
     error: (if $error == "" then null else $error end)}' >>"$RESULTS"
  tail -1 "$RESULTS" | jq -r '"   drain \(if .t_done_ms then ((.t_done_ms - .t_put_ms)/1000) else "-" end) s, worker CPU \(.worker_cpu_s) s, peak RSS \(.worker_hwm_kb/1024|floor) MB, rows \(.table_rows), max pending \(.max_pending_bytes) B"' >&2
  URL=$CONNECT_URL connector_delete "$name"
  stop_group "$WORKER_PID" 20
  [ -n "$short" ] && fail "run $id: $short. A row count that is wrong stops the benchmark: no report is written, the run directory is kept ($RUN)"
  [ -n "$table" ] && sr_exec "USE $DB; DROP TABLE IF EXISTS $table"
  return 0
}

# consumer_baseline SIZE: Kafka's ConsumerPerformance over the topic (the consumer alone, no
# Connect), with the worker's JVM options; its own rates (fetch.nMsg.sec leaves out the group
# join) go into $RESULTS as sink "consumer".
run_consumer_baseline() {
  local size=$1 n topic=bench_$1 out=$RUN/consumer-$1.csv count_opt=--messages
  n=$(shape_rows "$size")
  [ "$KAFKA_LINE" = 4 ] && count_opt=--num-records
  log "-- $size B rows, Kafka's consumer alone (ConsumerPerformance)"
  # shellcheck disable=SC2086
  java $WORKER_OPTS $TOOLS_LOG_OPTS -cp "$KLIB/*" org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "$BOOTSTRAP" --topic "$topic" "$count_opt" "$n" --group "bench-consumer-$size" \
    --timeout 60000 >"$out" 2>"$RUN/consumer-$size.err" || { log "ConsumerPerformance failed: $(tail -3 "$RUN/consumer-$size.err")"; return 0; }
  # start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  tail -1 "$out" | jq -Rc --arg size "$size" --argjson n "$n" \
    --argjson bytes "$(eval echo "\$PAYLOAD_BYTES_$size")" '
    split(",") | map(gsub("^ +| +$"; "")) |
    {size: $size, conv: "-", sink: "consumer", rep: 1, n: $n, bytes: $bytes,
     consumed: (.[4] | tonumber), rec_s: (.[5] | tonumber), fetch_ms: (.[7] | tonumber),
     fetch_rec_s: (.[9] | tonumber), error: null}' >>"$RESULTS" ||
    log "could not read ConsumerPerformance's output: $(tail -2 "$out")"
  tail -1 "$RESULTS" | jq -r 'select(.sink == "consumer") | "   \(.fetch_rec_s | floor) records/s while fetching"' >&2
}

# ---------------------------------------------------------------------------------------------
# Main

t_start=$SECONDS
kafka_env "$line" || fail "cannot resolve Kafka $line"
log "== benchmark on Kafka $KAFKA_VERSION, run directory $RUN"
# The seed's transform chain needs Debezium's ExtractNewRecordState on the plugin path.
[[ " $sinks " == *" ours-smt "* ]] && WANT_DEBEZIUM=1
prepare_plugins
have_plugin || fail "no connector plugin: set PLUGIN_DIR (tests/e2e/bin/standin-plugin.sh) or build dist/"
build_java
start_emulator
start_broker
sr_exec "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"

for size in $sizes; do
  if [[ " $converters " == *" json "* || " $converters " == *" bytes "* ]]; then
    preload "$size" json
  fi
  [[ " $converters " == *" csv "* ]] && preload "$size" csv
  [[ " $converters " == *" debezium "* || " $converters " == *" debezium-bytes "* ]] &&
    preload "$size" debezium
  [[ " $converters " == *" debezium-map "* ]] && preload "$size" debezium_plain
  if [ "$consumer_baseline" = 1 ] && [ -n "$(eval echo "\${PAYLOAD_BYTES_$size:-}")" ]; then
    run_consumer_baseline "$size"
  fi
  for ((rep = 1; rep <= repeat; rep++)); do
    for conv in $converters; do
      for sink in $sinks; do
        [ "$sink" = ours-smt ] && [ "$conv" != debezium ] && continue
        run_one "$size" "$conv" "$sink" "$rep"
      done
    done
  done
done
log "all runs done in $((SECONDS - t_start)) s"

# The machine and the software, for the report.
plugin_desc=$(basename "$PLUGIN_HOME")
if [ -n "${PLUGIN_DIR:-}" ]; then plugin_desc="$plugin_desc (PLUGIN_DIR)"; fi
cmd_prefix=""
if [ -n "${PLUGIN_DIR:-}" ]; then
  if [ "$PLUGIN_DIR" = "$E2E_CACHE/standin/starrocks-kafka-connector-standin" ]; then
    # shellcheck disable=SC2016 # the command as typed, not expanded
    cmd_prefix='PLUGIN_DIR=$(tests/e2e/bin/standin-plugin.sh) '
  else
    cmd_prefix="PLUGIN_DIR=$PLUGIN_DIR "
  fi
fi
git_rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Only changes outside docs/ count: an earlier section written into docs/benchmark.md is not
# a change to the plugin.
git -C "$REPO_ROOT" diff --quiet HEAD -- . ':(exclude)docs' 2>/dev/null || git_rev="$git_rev + uncommitted changes"
jq -n --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" --arg cores "$(nproc)" \
  --arg mem_kb "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" --arg kernel "$(uname -r)" \
  --arg jdk "$(java -version 2>&1 | sed -n 2p)" --arg kafka "$KAFKA_VERSION" --arg plugin "$plugin_desc" \
  --arg rev "$git_rev" --arg date "$(date -u +'%Y-%m-%d %H:%M UTC')" --arg partitions "$partitions" \
  --arg compression "$compression" --arg commit_ms "$commit_ms" --arg repeat "$repeat" \
  --arg slow_ms "$slow_ms" --arg warmup "$warmup" --arg emulator_mode "$emulator_mode" --arg max_bytes "$(jq -r '."bufferflush.maxbytes" // "94371840"' <<<"$EXTRA")" \
  --arg worker_opts "$WORKER_OPTS" --arg extra "$EXTRA" --arg secs "$((SECONDS - t_start))" \
  --arg cmd "$cmd_prefix""tests/e2e/bench/run-bench.sh${argv:+ $argv}" \
  '$ARGS.named' >"$RUN/machine.json"

python3 -B "$BENCH_DIR/render-report.py" "$RESULTS" "$RUN/machine.json" >"$RUN/report.md"
cat "$RUN/report.md"
if [ "$write_doc" = 1 ]; then
  python3 -B "$BENCH_DIR/render-report.py" --splice "$doc" "$RUN/report.md" "$section"
  log "updated $doc"
fi
# The raw figures outlive the run directory.
out=${BENCH_OUT:-/tmp/starrocks-bench-last}
mkdir -p "$out" && cp "$RESULTS" "$RUN/report.md" "$RUN/machine.json" "$out/" && log "raw results in $out"
if grep -q '"error":"' "$RESULTS"; then
  log "some runs failed (see the error column); run directory kept"
  KEEP=1
fi
