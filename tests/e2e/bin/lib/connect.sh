# shellcheck shell=bash
# Kafka Connect: the plugin directory, distributed and standalone workers, the connector REST
# API, and resetting the seed's reused names between scenarios. Sourced by lib.sh.

# ---------------------------------------------------------------------------------------------
# Plugins

# prepare_plugins: $RUN/plugins/<connector dir> from $PLUGIN_DIR or the dist/ tarball, and
# Debezium's plugin (symlinked from the cache) when wanted. Sets PLUGIN_PATH (the worker's
# plugin.path) and PLUGIN_HOME (the unpacked connector directory, what the seed's
# plugin.path and CLASSPATH point at).
prepare_plugins() {
  PLUGIN_PATH=$RUN/plugins
  mkdir -p "$PLUGIN_PATH"
  PLUGIN_HOME=""
  if [ -n "${PLUGIN_DIR:-}" ]; then
    [ -d "$PLUGIN_DIR" ] || fail "PLUGIN_DIR=$PLUGIN_DIR is not a directory"
    PLUGIN_HOME=$PLUGIN_PATH/$(basename "$PLUGIN_DIR")
    cp -r "$PLUGIN_DIR" "$PLUGIN_HOME"
  else
    local tarball
    tarball=$(ls -t "$REPO_ROOT"/dist/starrocks-kafka-connector-*.tar.gz 2>/dev/null | head -1 || true)
    if [ -n "$tarball" ]; then
      local tmp="$RUN/plugin-unpack"
      mkdir -p "$tmp"
      tar -xzf "$tarball" -C "$tmp"
      local entries
      entries=$(ls -A "$tmp")
      if [ "$(wc -l <<<"$entries")" = 1 ] && [ -d "$tmp/$entries" ]; then
        PLUGIN_HOME=$PLUGIN_PATH/$entries
        mv "$tmp/$entries" "$PLUGIN_HOME"
      else
        PLUGIN_HOME=$PLUGIN_PATH/$(basename "$tarball" .tar.gz)
        mv "$tmp" "$PLUGIN_HOME"
      fi
      rm -rf "$tmp"
      log "plugin: $tarball"
    fi
  fi
  if [ "${WANT_DEBEZIUM:-0}" = 1 ]; then
    local dbz
    dbz=$("$E2E_DIR/bin/resolve.sh" debezium) || fail "cannot resolve Debezium"
    ln -s "$dbz" "$PLUGIN_PATH/debezium-connector-postgres"
  fi
  [ -n "$PLUGIN_HOME" ] && log "plugin: $PLUGIN_HOME ($(find "$PLUGIN_HOME" -name '*.jar' | wc -l) jars)"
  export PLUGIN_PATH PLUGIN_HOME
}

# have_plugin: the StarRocks connector plugin is available to this run.
have_plugin() { [ -n "${PLUGIN_HOME:-}" ]; }

require_plugin_or_fail() {
  have_plugin || fail "no connector plugin: set PLUGIN_DIR or run 'mvn -B -DskipTests package' to produce dist/starrocks-kafka-connector-*.tar.gz"
}

# ---------------------------------------------------------------------------------------------
# Connect workers

# write_distributed_worker FILE REST_PORT: the shared worker's configuration.
write_distributed_worker() {
  cat >"$1" <<EOF
bootstrap.servers=$BOOTSTRAP
group.id=e2e-connect
config.storage.topic=_e2e-configs
offset.storage.topic=_e2e-offsets
status.storage.topic=_e2e-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=1
status.storage.partitions=1
# Kafka's shipped connect-distributed.properties: JSON with schemas. The seed's Debezium example
# relies on it (its sink JSON names no converters and its Kafka messages carry the schema).
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
listeners=http://127.0.0.1:$2
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$2
plugin.path=$PLUGIN_PATH
plugin.discovery=hybrid_fail
offset.flush.interval.ms=1000
# Fast recovery after kill -9 (scenario 5): the dead member leaves the group sooner, and its
# connectors and tasks are reassigned at once instead of after 5 minutes.
session.timeout.ms=6000
heartbeat.interval.ms=2000
scheduled.rebalance.max.delay.ms=0
EOF
}

# start_worker: the shared distributed worker. Sets CONNECT_URL, WORKER_PID and
# WORKER_JMX_PORT (its JMX, for reading the connector's MBeans).
start_worker() {
  local port
  port=${CONNECT_PORT:-$(free_port)}
  CONNECT_PORT=$port
  CONNECT_URL=http://127.0.0.1:$port
  WORKER_JMX_PORT=${WORKER_JMX_PORT:-$(free_port)}
  mkdir -p "$RUN/worker"
  write_distributed_worker "$RUN/worker/worker.properties" "$port"
  export CONNECT_PORT CONNECT_URL WORKER_JMX_PORT
  restart_worker
}

# jmx_opts PORT: JVM options opening JMX (no auth, loopback) on PORT.
jmx_opts() {
  echo "-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.port=$1" \
    "-Dcom.sun.management.jmxremote.rmi.port=$1 -Dcom.sun.management.jmxremote.authenticate=false" \
    "-Dcom.sun.management.jmxremote.ssl=false -Djava.rmi.server.hostname=127.0.0.1"
}

# restart_worker: (re)starts the distributed worker process with its existing configuration
# ($WORKER_PROPERTIES when a scenario set it to a variant of it), appending to worker.log, and
# waits until it is ready.
restart_worker() {
  WORKER_PID=$(spawn worker "$RUN/worker.out" bash -c 'exec "$@" >>"$0" 2>&1' "$RUN/worker.log" \
    "$KAFKA_JAVA" -Xms256m -Xmx768m -XX:+UseSerialGC $KAFKA_LOG_OPTS $(jmx_opts "$WORKER_JMX_PORT") -cp "$KLIB/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "${WORKER_PROPERTIES:-$RUN/worker/worker.properties}")
  export WORKER_PID
  echo "$WORKER_PID" >"$RUN/worker.pid"
  wait_worker_ready "$CONNECT_URL" "$WORKER_PID" "$RUN/worker.log"
}

# wait_worker_ready URL PID LOGFILE: GET /health (3.9+; GET / before) answers 200, then the
# connector plugin is listed by GET /connector-plugins.
wait_worker_ready() {
  local url=$1 pid=$2 logfile=$3 deadline=$((SECONDS + 120)) code
  while true; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/health" || true)
    [ "$code" = 200 ] && break
    # Workers before 3.9 have no /health (404): their root resource answers once REST is up.
    if [ "$code" = 404 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/" || true)" = 200 ]; then
      break
    fi
    if ! alive "$pid"; then
      tail -60 "$logfile" >&2
      fail "the Connect worker exited before it was ready"
    fi
    [ $SECONDS -lt $deadline ] || { tail -60 "$logfile" >&2; fail "the Connect worker was not healthy in 120s"; }
    sleep "$E2E_POLL"
  done
  curl -sf "$url/connector-plugins?connectorsOnly=false" >"$RUN/connector-plugins.json" ||
    fail "GET /connector-plugins failed"
  if have_plugin; then
    plugin_listed "$url" "$SINK_CLASS" || fail "$SINK_CLASS is not in GET /connector-plugins"
  fi
  log "worker ready at $url (pid $pid)"
}

# start_second_worker NAME: another distributed worker in the shared worker's group (a
# rebalance), on its own REST port (worker_url NAME); its log is $RUN/NAME.log. Prints
# nothing; scenario_end stops it.
start_second_worker() {
  local name=$1
  write_distributed_worker "$RUN/$name.properties" "$(free_port)"
  restart_second_worker "$name"
}

# restart_second_worker NAME: (re)starts a worker start_second_worker configured, with the same
# configuration and REST port, appending to $RUN/NAME.log, and waits until it is ready.
restart_second_worker() {
  local name=$1 pid
  pid=$(spawn "$name" "$RUN/$name.out" bash -c 'exec "$@" >>"$0" 2>&1' "$RUN/$name.log" \
    "$KAFKA_JAVA" -Xms256m -Xmx768m -XX:+UseSerialGC $KAFKA_LOG_OPTS \
    -cp "$KLIB/*" org.apache.kafka.connect.cli.ConnectDistributed "$RUN/$name.properties")
  wait_worker_ready "$(worker_url "$name")" "$pid" "$RUN/$name.log"
}

# start_own_worker NAME PLUGIN_PATH: a distributed worker in a group of its own (its own
# internal topics), with its own plugin.path, on its own REST port (worker_url NAME); for a
# scenario that needs other plugins than the shared worker's. Its log is $RUN/NAME.log;
# scenario_end stops it.
start_own_worker() {
  local name=$1
  write_distributed_worker "$RUN/$name.properties" "$(free_port)"
  sed -i -e "s/^group.id=.*/group.id=e2e-connect-$name/" -e "s/=_e2e-/=_e2e-$name-/" \
    -e "s|^plugin.path=.*|plugin.path=$2|" "$RUN/$name.properties"
  restart_second_worker "$name"
}

# start_debezium_worker NAME: start_own_worker NAME with the connector and the newest Debezium
# PostgreSQL plugin (E2E_DEBEZIUM_NATIVE, default 3.6.1.Final) on its plugin.path; checks the
# worker lists that Debezium. Sets DEBEZIUM_VERSION.
start_debezium_worker() {
  local name=$1 dbz listed
  DEBEZIUM_VERSION=${E2E_DEBEZIUM_NATIVE:-3.6.1.Final}
  dbz=$("$E2E_DIR/bin/resolve.sh" debezium "$DEBEZIUM_VERSION") ||
    fail "cannot resolve Debezium $DEBEZIUM_VERSION"
  mkdir -p "$RUN/plugins-$name"
  ln -sfn "$PLUGIN_HOME" "$RUN/plugins-$name/starrocks"
  ln -sfn "$dbz" "$RUN/plugins-$name/debezium-connector-postgres"
  start_own_worker "$name" "$RUN/plugins-$name"
  listed=$(curl -sf "$(worker_url "$name")/connector-plugins" |
    jq -r '.[] | select(.class == "io.debezium.connector.postgresql.PostgresConnector") | .version')
  check "Debezium's version on worker $name" "$DEBEZIUM_VERSION" "$listed"
}

# worker_url NAME: the REST address of a distributed worker (`worker`: the shared one).
worker_url() {
  local props=$RUN/$1.properties
  [ "$1" = worker ] && props=$RUN/worker/worker.properties
  echo "http://127.0.0.1:$(sed -n 's/^rest.advertised.port=//p' "$props")"
}

# worker_pid NAME: the process (group) id of a distributed worker's latest start (nothing while
# it is being spawned).
worker_pid() { cat "$RUN/$1.pid" 2>/dev/null || true; }

# crash_worker NAME: kill -9 of a distributed worker (its process group), no restart.
crash_worker() {
  local pid
  pid=$(worker_pid "$1")
  [ -n "$pid" ] || fail "worker $1 has no process to kill"
  kill_group "$pid"
}

# stop_worker NAME: a graceful stop (SIGTERM: the worker stops its tasks and leaves the group).
stop_worker() { stop_group "$(worker_pid "$1")" 30; }

# start_named_worker NAME: restarts the shared worker (`worker`) or a second worker, and waits
# until it is ready.
start_named_worker() {
  if [ "$1" = worker ]; then
    restart_worker
  else
    restart_second_worker "$1"
  fi
}

# jmx_attribute OBJECT_NAME ATTRIBUTE: one attribute of an MBean of the shared worker. Runs on
# the `java` on PATH (JDK 17), whatever runs Kafka: a single-file program needs javac, which the
# Java 21 runtime of the JDK 21 pass does not have.
jmx_attribute() {
  java "$E2E_DIR/bin/JmxGet.java" "127.0.0.1:$WORKER_JMX_PORT" "$1" "$2"
}

# table_mbean CONNECTOR TABLE: the object name of a table's metrics in task 0.
table_mbean() {
  echo "com.starrocks.connector.kafka:type=sink-task-metrics,connector=$1,task=0,table=$2"
}

# plugin_listed URL CLASS
plugin_listed() {
  curl -sf "$1/connector-plugins?connectorsOnly=false" | jq -e --arg c "$2" 'any(.[]; .class == $c)' >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Standalone workers (scenario 1)

# start_standalone NAME WORKER_PROPERTIES CLASSPATH_PREFIX CONNECTOR_FILE...: ConnectStandalone
# as `CLASSPATH=<prefix> bin/connect-standalone.sh worker.properties connector...` runs it
# (kafka-run-class.sh puts $CLASSPATH before Kafka's own libs). The worker properties must set
# `listeners`. Sets URL to its REST address and prints nothing; its log is $RUN/NAME.log.
start_standalone() {
  local name=$1 props=$2 prefix=$3
  shift 3
  local listener
  listener=$(sed -n 's/^listeners=//p' "$props" | tail -1)
  [ -n "$listener" ] || fail "$props sets no listeners"
  URL=$listener
  local cp="$KLIB/*"
  [ -n "$prefix" ] && cp="$prefix:$cp"
  local pid
  pid=$(spawn "$name" "$RUN/$name.log" "$KAFKA_JAVA" -Xms256m -Xmx768m -XX:+UseSerialGC $KAFKA_LOG_OPTS \
    -cp "$cp" org.apache.kafka.connect.cli.ConnectStandalone "$props" "$@")
  wait_worker_ready "$URL" "$pid" "$RUN/$name.log"
  export URL
  STANDALONE_PID=$pid # read by the scenario that started it
  export STANDALONE_PID
}

# ---------------------------------------------------------------------------------------------
# Connector REST API

# connector_put NAME JSON_CONFIG: create or update (PUT /connectors/NAME/config).
connector_put() {
  local code
  code=$(curl -s -o "$RUN/last-put.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "${URL:-$CONNECT_URL}/connectors/$1/config" -d "$2")
  case "$code" in
    200 | 201) return 0 ;;
    *) fail "PUT /connectors/$1/config answered $code: $(cat "$RUN/last-put.json")" ;;
  esac
}

# connector_post JSON: POST /connectors with {"name":..,"config":{..}} (the seed's form).
connector_post() {
  local code
  code=$(curl -s -o "$RUN/last-post.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    "${URL:-$CONNECT_URL}/connectors" -d "$1")
  [ "$code" = 201 ] || fail "POST /connectors answered $code: $(cat "$RUN/last-post.json")"
}

# connector_delete NAME: DELETE when it exists, then wait until it is gone.
connector_delete() {
  local base=${URL:-$CONNECT_URL}
  curl -s -o /dev/null -X DELETE "$base/connectors/$1" || true
  wait_for "connector $1 to be deleted" 30 connector_absent "$base" "$1" || true
}

connector_absent() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/connectors/$2")" = 404 ]
}

# connector_state NAME: "CONNECTOR_STATE TASK_STATE..." (e.g. "RUNNING RUNNING").
connector_state() {
  curl -sf "${URL:-$CONNECT_URL}/connectors/$1/status" | jq -r '[.connector.state] + [.tasks[].state] | join(" ")'
}

# wait_running NAME [TASKS]: connector and TASKS (default 1) tasks RUNNING; fails fast on
# FAILED with the trace.
wait_running() {
  local name=$1 tasks=${2:-1} deadline=$((SECONDS + 90)) status want
  want="RUNNING$(printf ' RUNNING%.0s' $(seq "$tasks"))"
  while true; do
    status=$(curl -sf "${URL:-$CONNECT_URL}/connectors/$name/status" || true)
    if [ -n "$status" ]; then
      if jq -e 'any(.connector, .tasks[]; .state == "FAILED")' >/dev/null <<<"$status"; then
        jq -r '.connector.trace // empty, (.tasks[] | .trace // empty)' <<<"$status" | head -40 >&2
        fail "connector $name FAILED"
      fi
      [ "$(jq -r '[.connector.state] + [.tasks[].state] | join(" ")' <<<"$status")" = "$want" ] && {
        log "ok: connector $name and $tasks task(s) RUNNING"
        return 0
      }
    fi
    [ $SECONDS -lt $deadline ] || fail "connector $name not RUNNING in 90s: $status"
    sleep "$E2E_POLL"
  done
}

# connector_offsets NAME: "topic partition offset" lines from GET /connectors/NAME/offsets
# (a sink connector's committed consumer offsets; cheap enough to poll). Connect before 3.5 has
# no offsets endpoint (KIP-875): there the same lines come from the connector's consumer group
# connect-NAME through ConsumerGroupCommand (one JVM start per call).
connector_offsets() {
  if ! kafka_at_least 3.5; then
    group_offsets "connect-$1"
    return
  fi
  curl -sf "${URL:-$CONNECT_URL}/connectors/$1/offsets" |
    jq -r '.offsets[] | "\(.partition.kafka_topic) \(.partition.kafka_partition) \(.offset.kafka_offset)"' | sort
}

# sink_config TOPICS DB TOPIC2TABLE [EXTRA_JSON]: the StarRocks sink's configuration as the
# scenarios use it (every FE of the shared emulator, root, strip_outer_array, schemaless JSON
# values, one task), with EXTRA_JSON merged over it.
sink_config() {
  jq -cn --arg fe "$SR_FE_ALL" --arg pw "$SR_ROOT_PASSWORD" --arg t "$1" --arg db "$2" \
    --arg map "$3" --argjson extra "${4:-"{}"}" '{
  "connector.class": "com.starrocks.connector.kafka.StarRocksSinkConnector", "tasks.max": "1",
  "topics": $t, "starrocks.topic2table.map": $map,
  "starrocks.http.url": $fe, "starrocks.username": "root", "starrocks.password": $pw,
  "starrocks.database.name": $db, "sink.properties.strip_outer_array": "true",
  "key.converter": "org.apache.kafka.connect.storage.StringConverter",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "false"} + $extra'
}

# ---------------------------------------------------------------------------------------------
# Reusing the seed's names across scenarios

# fresh_group GROUP: the scenarios reuse the seed's connector name, so its consumer group
# `connect-<name>` may hold offsets from an earlier scenario; delete it (needs one JVM, so only
# when this run has used the group before).
fresh_group() {
  if grep -qxF "$1" "$RUN/groups.used" 2>/dev/null; then
    delete_group "$1"
  fi
  echo "$1" >>"$RUN/groups.used"
}

# fresh_topic TOPIC: the topic does not exist afterwards (deleted when it did).
fresh_topic() {
  if ! topic_absent "$1"; then
    delete_topics "$1"
  fi
}

# seed_file NAME: the path of a verbatim seed fixture.
seed_file() { echo "$E2E_DIR/seed/$1"; }
