# shellcheck shell=bash
# Kafka: resolving a line's jars into the environment, CLI tools, the KRaft broker, topics,
# producing with kcat, committed offsets. Sourced by lib.sh.

# ---------------------------------------------------------------------------------------------
# Java and Kafka tools

# kafka_env LINE_OR_VERSION: sets KAFKA_VERSION, KAFKA_LINE (3.4, 3.6, 3.9, ... or 4), KLIB,
# the log options, the Java that runs Kafka (KAFKA_JAVA, from E2E_JAVA_HOME when set, else the
# `java` on PATH) and the CLI tools' classes, which moved from kafka_2.13 (Scala, kafka.admin)
# to kafka-tools (org.apache.kafka.tools) between 3.6 and 3.9.
kafka_env() {
  local v
  v=$("$E2E_DIR/bin/resolve.sh" "$1") || return 1
  KLIB=$v
  KAFKA_VERSION=$(basename "$(dirname "$KLIB")")
  KAFKA_VERSION=${KAFKA_VERSION#kafka-}
  case "$KAFKA_VERSION" in
    3.*)
      KAFKA_LINE=$(cut -d. -f1,2 <<<"$KAFKA_VERSION")
      KAFKA_LOG_OPTS="-Dlog4j.configuration=file:$E2E_DIR/conf/log4j.properties"
      TOOLS_LOG_OPTS="-Dlog4j.configuration=file:$E2E_DIR/conf/tools-log4j.properties"
      ;;
    *)
      KAFKA_LINE=4
      KAFKA_LOG_OPTS="-Dlog4j2.configurationFile=$E2E_DIR/conf/log4j2.properties"
      TOOLS_LOG_OPTS="-Dlog4j2.configurationFile=$E2E_DIR/conf/tools-log4j2.properties"
      ;;
  esac
  KAFKA_JAVA=java
  if [ -n "${E2E_JAVA_HOME:-}" ]; then
    KAFKA_JAVA=$E2E_JAVA_HOME/bin/java
    [ -x "$KAFKA_JAVA" ] || { log "E2E_JAVA_HOME=$E2E_JAVA_HOME has no bin/java"; return 1; }
  fi
  TOPIC_COMMAND=$(tool_class TopicCommand org.apache.kafka.tools.TopicCommand kafka.admin.TopicCommand) ||
    return 1
  GROUP_COMMAND=$(tool_class ConsumerGroupCommand org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    kafka.admin.ConsumerGroupCommand) || return 1
  export KLIB KAFKA_VERSION KAFKA_LINE KAFKA_LOG_OPTS TOOLS_LOG_OPTS KAFKA_JAVA TOPIC_COMMAND GROUP_COMMAND
}

# kafka_at_least X.Y[.Z]: the Kafka under test is that version or newer.
kafka_at_least() {
  printf '%s\n%s\n' "$1" "$KAFKA_VERSION" | sort -V -C
}

# tool_class WHAT CLASS...: the first CLASS present in the line's jars.
tool_class() {
  local what=$1 c jar
  shift
  for c in "$@"; do
    for jar in "$KLIB"/kafka-tools-*.jar "$KLIB"/kafka_2.13-*.jar; do
      if unzip -Z1 "$jar" "${c//.//}.class" >/dev/null 2>&1; then
        echo "$c"
        return 0
      fi
    done
  done
  log "no $what class in $KLIB"
  return 1
}

# ktool CLASS ARGS...: runs a short-lived Kafka CLI tool (C1 only: it starts faster).
ktool() {
  "$KAFKA_JAVA" -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $TOOLS_LOG_OPTS \
    -cp "$KLIB/*" "$@"
}

# storage_tool_class: kafka.tools.StorageTool (Scala, 3.4 through 4.3) or its Java successor.
storage_tool_class() {
  tool_class StorageTool kafka.tools.StorageTool org.apache.kafka.tools.StorageTool
}

# ---------------------------------------------------------------------------------------------
# Kafka broker (KRaft, combined mode, static voters: one format command and one configuration
# for 3.4 through 4.x; keys a line does not know are logged as unused and ignored)

start_broker() {
  BROKER_PORT=$(free_port)
  local ctrl_port
  ctrl_port=$(free_port)
  BOOTSTRAP=127.0.0.1:$BROKER_PORT
  mkdir -p "$RUN/broker"
  cat >"$RUN/broker/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctrl_port
listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT,CONTROLLER://127.0.0.1:$ctrl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN/broker/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
log.flush.interval.messages=9223372036854775807
EOF
  local cid
  # 16 random bytes, base64url without padding; never starting with '-' (argparse would take
  # it for an option).
  cid=$(python3 -c 'import uuid,base64
while True:
    c = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not c.startswith("-"):
        break
print(c)')
  ktool "$(storage_tool_class)" format -t "$cid" -c "$RUN/broker/server.properties" --ignore-formatted \
    >"$RUN/broker-format.log" 2>&1 || fail "storage format failed: $(cat "$RUN/broker-format.log")"
  BROKER_PID=$(spawn broker "$RUN/broker.log" "$KAFKA_JAVA" -Xms256m -Xmx512m -XX:+UseSerialGC \
    $KAFKA_LOG_OPTS -cp "$KLIB/*" kafka.Kafka "$RUN/broker/server.properties")
  export BROKER_PORT BOOTSTRAP BROKER_PID
  local deadline=$((SECONDS + 90))
  until kcat -L -b "$BOOTSTRAP" -m 2 >/dev/null 2>&1; do
    alive "$BROKER_PID" || { tail -50 "$RUN/broker.log" >&2; fail "the broker exited"; }
    [ $SECONDS -lt $deadline ] || { tail -50 "$RUN/broker.log" >&2; fail "the broker was not ready in 90s"; }
    sleep "$E2E_POLL"
  done
  log "broker: Kafka $KAFKA_VERSION on $BOOTSTRAP"
}

# ---------------------------------------------------------------------------------------------
# Topics, producing, offsets

# produce TOPIC [KCAT_ARGS...] < lines: one record per line (value only unless -K is given).
produce() {
  local topic=$1
  shift
  kcat -P -b "$BOOTSTRAP" -t "$topic" -X linger.ms=5 "$@"
}

# produce_ids TOPIC FIRST COUNT: the records {"id":N,"payload":"p-N"} for N from FIRST on.
produce_ids() {
  seq "$2" $(($2 + $3 - 1)) | awk '{printf "{\"id\":%d,\"payload\":\"p-%d\"}\n", $1, $1}' | produce "$1"
}

# end_offset TOPIC [PARTITION]: the topic partition's log-end offset (0 when it does not exist).
end_offset() {
  local out
  out=$(kcat -Q -b "$BOOTSTRAP" -t "$1:${2:-0}:-1" 2>/dev/null) || { echo 0; return 0; }
  awk '{print $NF}' <<<"$out" | tail -1
}

# create_topic TOPIC PARTITIONS
create_topic() {
  ktool "$TOPIC_COMMAND" --bootstrap-server "$BOOTSTRAP" --create \
    --if-not-exists --topic "$1" --partitions "$2" --replication-factor 1 >/dev/null
}

# delete_topics TOPIC...: deletes those that exist and waits until the broker forgot them.
delete_topics() {
  local t
  for t in "$@"; do
    ktool "$TOPIC_COMMAND" --bootstrap-server "$BOOTSTRAP" --delete \
      --if-exists --topic "$t" >/dev/null 2>&1 || true
  done
  for t in "$@"; do
    wait_for "topic $t to be deleted" 30 topic_absent "$t" || fail "topic $t still exists"
  done
}

topic_absent() {
  ! kcat -L -b "$BOOTSTRAP" -m 2 -J 2>/dev/null | jq -e --arg t "$1" 'any(.topics[]; .topic == $t)' >/dev/null
}

# group_offsets GROUP: "topic partition committed-offset" lines, via ConsumerGroupCommand
# --describe (the same tool as kafka-consumer-groups.sh).
group_offsets() {
  ktool "$GROUP_COMMAND" --bootstrap-server "$BOOTSTRAP" \
    --describe --group "$1" 2>/dev/null | awk -v g="$1" '$1 == g && $4 ~ /^[0-9]+$/ {print $2, $3, $4}' | sort
}

# delete_group GROUP: removes a consumer group's committed offsets (the group must be empty).
delete_group() {
  ktool "$GROUP_COMMAND" --bootstrap-server "$BOOTSTRAP" \
    --delete --group "$1" >/dev/null 2>&1 || true
}
