#!/usr/bin/env bash
# Rows StarRocks rejects, under sink.properties.strict_mode=true: a string in an INT column, a
# value longer than a VARCHAR(10), NULL for a NOT NULL column. Five connectors at once on the
# shared worker, each topic of 3 partitions, keyed records (key k<id>), StringConverter values:
#   json    10 000 JSON records produced in 5 chunks of 2 000 while the connectors run, 37 of
#           them bad (none in the first chunk; the last record of every partition, two records
#           in a row of one partition, the rest spread), errors.tolerance=all and a
#           dead-letter queue with context headers
#   eo      the same topic into another table as json, under sink.semantic=exactly-once (its
#           loads wait for each rejected record's report before they commit past it)
#   none    the same topic into another table under errors.tolerance=none (the default)
#   csv     1 000 CSV records (sink.properties.format=csv, column_separator `,`, NULL as \N),
#           10 bad (the first record of partition 0 among them), errors.tolerance=all and a
#           dead-letter queue
#   array   300 records whose value is a JSON array of 3 objects (one row each), the third
#           element bad in 10 of them (the first of partition 0 among them),
#           errors.tolerance=all and a dead-letter queue
# Observes, for json, eo, csv and array: the table holds exactly the good rows, each once, with
# their values; the dead-letter queue exactly the bad records (key and value as produced, byte
# for byte), each once, with headers naming its topic, partition and offset and
# __connect.errors.exception.message naming them too, with StarRocks' reason (the column) and
# the row; the committed offsets at each partition's log end. For json also, sampled while it
# loads, that no committed offset passes a bad record not yet in the dead-letter queue, and the
# task's JMX counters rejected-records and dead-letter-records (37 each; probes logged). For
# none: the task FAILED, its trace names a bad record's topic, partition and offset,
# errors.tolerance=none and StarRocks' reason for that record; no committed offset past the
# first bad record of its partition; no bad row and no duplicate in its table. In the
# emulator's journal: every probe transaction rolled back, none committed.
# Takes about 30 s on the 2-core build machine (the four tasks send about 530 probes).
# e2e-timeout: 180
. "$(dirname "$0")/../bin/lib.sh"
scenario_begin
require_plugin_or_fail

db=e2e16
parts="0 1 2"
start=$SECONDS

# ---------------------------------------------------------------------------------------------
# Data
#
# gen FORMAT N BAD_IDS...: one line per record, "PARTITION<TAB>KEY<TAB>VALUE<TAB>KIND", record i
# (0 <= i < N) in partition i % 3, key k<i>. KIND is `-` for a good record, else why StarRocks
# rejects it: the bad records, in the order given (ascending), take the kinds int, varchar, null
# in turn. FORMAT json: the row {"id":i,"n":i,"name":"n-i","tag":"t-i"}; csv: the same as
# `i,i,n-i,t-i`; array: a JSON array of three such rows, ids 3i, 3i+1, 3i+2, the third the bad
# one. Bad rows: int: n is "bad-<id>"; varchar: name is "name-too-long-<id>" (over 10); null:
# tag is null (\N in CSV).
gen() {
  local format=$1 n=$2
  shift 2
  awk -v format="$format" -v n="$n" -v bad="$*" 'BEGIN {
    split("int varchar null", kinds, " ")
    nb = split(bad, b, " ")
    for (i = 1; i <= nb; i++) kind[b[i]] = kinds[(i - 1) % 3 + 1]
    for (i = 0; i < n; i++) {
      k = (i in kind) ? kind[i] : "-"
      if (format == "array") {
        v = "[" row("json", 3 * i, "-") "," row("json", 3 * i + 1, "-") "," row("json", 3 * i + 2, k) "]"
      } else {
        v = row(format, i, k)
      }
      printf "%d\tk%d\t%s\t%s\n", i % 3, i, v, k
    }
  }
  function row(f, id, k,   nv, name, tag) {
    nv = (k == "int") ? "bad-" id : id
    name = (k == "varchar") ? "name-too-long-" id : "n-" id
    if (f == "csv") {
      tag = (k == "null") ? "\\N" : "t-" id
      return id "," nv "," name "," tag
    }
    if (k == "int") nv = "\"" nv "\""
    tag = (k == "null") ? "null" : "\"t-" id "\""
    return "{\"id\":" id ",\"n\":" nv ",\"name\":\"" name "\",\"tag\":" tag "}"
  }'
}

# good_rows SPEC FORMAT: the table rows the good records of SPEC make, "id n name tag"
# (tab-separated, sorted by id).
good_rows() {
  awk -F'\t' -v format="$2" '$4 == "-" {
    i = substr($2, 2)
    if (format == "array") { for (j = 0; j < 3; j++) print 3 * i + j }
    else print i
  }' "$1" | sort -n | awk '{printf "%d\t%d\tn-%d\tt-%d\n", $1, $1, $1, $1}'
}

# produce_spec TOPIC SPEC [FIRST COUNT]: records FIRST to FIRST+COUNT-1 of SPEC (default all),
# each into its partition, in order.
produce_spec() {
  local p
  for p in $parts; do
    awk -F'\t' -v p="$p" -v first="${3:-0}" -v count="${4:-0}" \
      'NR > first && (count == 0 || NR <= first + count) && $1 == p {print $2 "|" $3}' "$2" |
      produce "$1" -p "$p" -K '|' -X enable.idempotence=true
  done
}

# readback TOPIC FILE: the topic's records as "PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE", sorted.
readback() {
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%p\t%o\t%k\t%s\n' | sort -k1,1n -k2,2n >"$2"
}

# ends TOPIC: "TOPIC P END" for the 3 partitions.
ends() {
  local p
  for p in $parts; do echo "$1 $p $(end_offset "$1" "$p")"; done
}

bad_json="2000 2001 5001 5004 9997 9998 9999 $(seq 2013 259 9524 | tr '\n' ' ')"
bad_csv="0 500 503 999 $(seq 7 151 762 | tr '\n' ' ')"
bad_array="0 299 $(seq 37 29 240 | tr '\n' ' ')"
sort_ids() { tr ' ' '\n' | grep . | sort -n | tr '\n' ' '; }
gen json 10000 $(sort_ids <<<"$bad_json") >"$RUN/e2e16-json.spec"
gen csv 1000 $(sort_ids <<<"$bad_csv") >"$RUN/e2e16-csv.spec"
gen array 300 $(sort_ids <<<"$bad_array") >"$RUN/e2e16-array.spec"
for f in json csv array; do
  log "$f: $(wc -l <"$RUN/e2e16-$f.spec") records, $(awk -F'\t' '$4 != "-"' "$RUN/e2e16-$f.spec" | wc -l) bad" \
    "($(awk -F'\t' '$4 != "-" {c[$4]++} END {for (k in c) printf "%s %d, ", k, c[k]}' "$RUN/e2e16-$f.spec" | sed 's/, $//'))," \
    "e.g. $(awk -F'\t' '$4 != "-" {print $3; exit}' "$RUN/e2e16-$f.spec")"
done
check "bad json records" 37 "$(awk -F'\t' '$4 != "-"' "$RUN/e2e16-json.spec" | wc -l)"
check "bad csv records" 10 "$(awk -F'\t' '$4 != "-"' "$RUN/e2e16-csv.spec" | wc -l)"
check "bad array records" 10 "$(awk -F'\t' '$4 != "-"' "$RUN/e2e16-array.spec" | wc -l)"

sr_exec "DROP DATABASE IF EXISTS $db"
ddl=""
for t in t_json t_eo t_none t_csv t_array; do
  ddl="$ddl CREATE TABLE $t (id BIGINT NOT NULL, n INT, name VARCHAR(10), tag VARCHAR(20) NOT NULL)
    DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;"
done
sr_exec "CREATE DATABASE $db; USE $db; $ddl"

for f in json csv array; do create_topic "e2e16_$f" 3; done
sr_admin DELETE /journal >/dev/null

# ---------------------------------------------------------------------------------------------
# Connectors

strict='{"value.converter": "org.apache.kafka.connect.storage.StringConverter",
  "sink.properties.strict_mode": "true"}'
# tolerant DLQ: errors.tolerance=all into the dead-letter queue DLQ, with context headers.
tolerant() {
  jq -c --arg dlq "$1" '. + {"errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": $dlq,
    "errors.deadletterqueue.topic.replication.factor": "1",
    "errors.deadletterqueue.context.headers.enable": "true"}' <<<"$strict"
}
connector_put e2e16-json "$(sink_config e2e16_json "$db" e2e16_json:t_json "$(tolerant e2e16_json_dlq)")"
connector_put e2e16-eo "$(sink_config e2e16_json "$db" e2e16_json:t_eo "$(tolerant e2e16_eo_dlq |
  jq -c --arg q "127.0.0.1:$SR_QUERY_PORT" '. + {"sink.semantic": "exactly-once", "starrocks.query.url": $q}')")"
connector_put e2e16-none "$(sink_config e2e16_json "$db" e2e16_json:t_none "$strict")"
connector_put e2e16-csv "$(sink_config e2e16_csv "$db" e2e16_csv:t_csv "$(tolerant e2e16_csv_dlq |
  jq -c '. + {"sink.properties.format": "csv", "sink.properties.column_separator": ","}')" |
  jq -c 'del(."sink.properties.strip_outer_array")')"
connector_put e2e16-array "$(sink_config e2e16_array "$db" e2e16_array:t_array "$(tolerant e2e16_array_dlq)")"
connectors_at=$SECONDS
for c in e2e16-json e2e16-eo e2e16-none e2e16-csv e2e16-array; do wait_running "$c"; done

# positions FORMAT: "PARTITION OFFSET KEY" of every bad record of the format's spec. Record i is
# at offset floor(i / 3) of partition i % 3: each partition's records are produced in order by
# an idempotent producer into a fresh topic (readback checks it).
positions() {
  awk -F'\t' '$4 != "-" {i = substr($2, 2); print i % 3, int(i / 3), $2}' "$RUN/e2e16-$1.spec"
}
# expected_ends TOPIC FORMAT: "TOPIC P END" for the 3 partitions, from the spec.
expected_ends() {
  awk -F'\t' -v t="$1" '{c[$1]++} END {for (p = 0; p < 3; p++) print t, p, c[p] + 0}' "$RUN/e2e16-$2.spec"
}

# unreported_but_committed: the bad records of e2e16_json below the committed offset of their
# partition that are not in the dead-letter queue yet (Connect must have written a reported
# record before it commits past it). Offsets are read first, then the queue, which only grows.
unreported_but_committed() {
  local committed keys=""
  committed=$(connector_offsets e2e16-json 2>/dev/null) || return 0
  if ! topic_absent e2e16_json_dlq; then
    keys=$(kcat -C -b "$BOOTSTRAP" -t e2e16_json_dlq -o beginning -e -q -f '%k\n' 2>/dev/null) || return 0
  fi
  {
    sed 's/^/C /' <<<"$committed"
    [ -z "$keys" ] || sed 's/^/K /' <<<"$keys"
    positions json | sed 's/^/B /'
  } | awk '$1 == "C" {c[$3] = $4; next} $1 == "K" {k[$2] = 1; next}
    ($2 in c) && c[$2] > $3 && !($4 in k) {print "partition " $2 " committed at " c[$2] " past " $4 " (offset " $3 ")"}' |
    head -5
}

# The csv and array records at once; the json records in 5 chunks of 2 000, 1.5 s apart, while
# the connectors load them (the first chunk holds no bad record). Until the json connector has
# committed them all, samples check that no committed offset passes a bad record that is not in
# the dead-letter queue yet.
t=$SECONDS
produce_spec e2e16_csv "$RUN/e2e16-csv.spec"
produce_spec e2e16_array "$RUN/e2e16-array.spec"
(
  for c in 0 1 2 3 4; do
    produce_spec e2e16_json "$RUN/e2e16-json.spec" $((c * 2000)) 2000
    [ $c = 4 ] || sleep 1.5
  done
) &
producer=$!
json_ends=$(expected_ends e2e16_json json)
samples=0
deadline=$((SECONDS + 150))
while alive "$producer" || [ "$(connector_offsets e2e16-json 2>/dev/null)" != "$json_ends" ]; do
  bad=$(unreported_but_committed)
  [ -z "$bad" ] || fail "e2e16-json committed past bad records before they reached the dead-letter queue: $bad"
  samples=$((samples + 1))
  [ $SECONDS -lt $deadline ] || fail "e2e16-json: offsets not at the log ends after 150 s: $(connector_offsets e2e16-json | paste -sd, -)"
  sleep 0.5
done
wait "$producer" || fail "producing e2e16_json failed"
log "ok: e2e16-json committed the log ends $((SECONDS - t))s after producing began; at none of $samples samples was a committed offset past a bad record not yet in the dead-letter queue"
for f in json csv array; do
  readback "e2e16_$f" "$RUN/e2e16-$f.topic"
  check "e2e16_$f: every record in the topic once, at its partition and offset" \
    "$(awk -F'\t' '{i = substr($2, 2); print $1 "\t" int(i / 3) "\t" $2 "\t" $3}' "$RUN/e2e16-$f.spec" | sort)" \
    "$(sort "$RUN/e2e16-$f.topic")"
done

# ---------------------------------------------------------------------------------------------
# Checks

# table_rows TABLE: "id n name tag" lines of the table (NULL as NULL), sorted by id.
table_rows() {
  mysql -h127.0.0.1 -P"$SR_QUERY_PORT" -uroot -p"$SR_ROOT_PASSWORD" -N --batch \
    -e "select id, n, name, tag from $db.$1" | sort -k1,1n
}

# reason_of KIND: what StarRocks' reason for a row of that kind must match (a regex over the
# exception message: the column it names).
reason_of() {
  case $1 in
    int) echo "column=n[^a-z]|name = n[^a-z]" ;;
    varchar) echo "too long.*'name'" ;;
    null) echo "non-nullable column 'tag'" ;;
  esac
}

# check_tolerant NAME TOPIC TABLE DLQ FORMAT: the table, the dead-letter queue and the offsets of
# a connector under errors.tolerance=all (see the header).
check_tolerant() {
  local name=$1 topic=$2 table=$3 dlq=$4 format=$5
  local spec=$RUN/e2e16-$format.spec produced=$RUN/e2e16-$format.topic
  local want_bad rows expected actual
  want_bad=$(awk -F'\t' '$4 != "-"' "$spec" | wc -l)
  good_rows "$spec" "$format" >"$RUN/e2e16-$format.expected"
  rows=$(wc -l <"$RUN/e2e16-$format.expected")

  wait_equal "$name: the 3 partitions committed to their log end" 150 "$(ends "$topic")" connector_offsets "$name"
  log "$name: committed at the log ends $((SECONDS - connectors_at))s after the connectors were created"
  check "$name: RUNNING" "RUNNING RUNNING" "$(connector_state "$name")"

  # The table: exactly the good rows, each once, with their values.
  table_rows "$table" >"$RUN/e2e16-$format.actual"
  read -r n distinct <<<"$(awk '{n++; c[$1]++} END {print n + 0, length(c)}' "$RUN/e2e16-$format.actual")"
  log "$table: $n rows, $distinct distinct ids (want $rows)"
  if ! cmp -s "$RUN/e2e16-$format.expected" "$RUN/e2e16-$format.actual"; then
    diff "$RUN/e2e16-$format.expected" "$RUN/e2e16-$format.actual" >"$RUN/e2e16-$format.diff" || true
    fail "$table differs from the good rows: $n rows, $distinct distinct ids, want $rows;" \
      "missing (first 10): $(grep '^<' "$RUN/e2e16-$format.diff" | head -10 | cut -c3- | tr '\t\n' ' ;')" \
      "unexpected or extra (first 10): $(grep '^>' "$RUN/e2e16-$format.diff" | head -10 | cut -c3- | tr '\t\n' ' ;')"
  fi
  log "ok: $table holds exactly the $rows good rows, each once ($n rows, $distinct distinct ids), with their values"

  # The dead-letter queue: exactly the bad records, key and value as produced, with their
  # context headers.
  check "$dlq: records (log end of its partition 0)" "$want_bad" "$(end_offset "$dlq" 0)"
  kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -e -q -J |
    jq -c '(.headers // []) as $h
      | {key, payload, h: ([range(0; $h | length; 2) as $i | {($h[$i]): $h[$i + 1]}] | add // {})}' \
      >"$RUN/e2e16-$format.dlq"
  check "$dlq: records read" "$want_bad" "$(wc -l <"$RUN/e2e16-$format.dlq")"
  expected=$(awk -F'\t' 'NR == FNR {if ($4 != "-") bad[$2] = 1; next} ($3 in bad) {print $3 "\t" $4}' \
    "$spec" "$produced" | sort)
  # Raw bytes, as readback reads the topic (kcat -J escapes what is not printable).
  actual=$(kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -e -q -f '%k\t%s\n' | sort)
  check "$dlq: the $want_bad bad records, each once, keys and values as produced" "$expected" "$actual"
  # Each one's headers against where it was produced and why it is bad.
  local problems="" key topic_h p o message kind want
  while IFS=$'\t' read -r key topic_h p o message; do
    want=$(awk -F'\t' -v k="$key" '$3 == k {print $1 " " $2}' "$produced")
    kind=$(awk -F'\t' -v k="$key" '$2 == k {print $4}' "$spec")
    [ "$topic_h $p $o" = "$topic $want" ] ||
      problems="$problems; $key: headers say $topic_h $p $o, produced at $topic $want"
    [[ "$message" == "StarRocks rejected the record at topic=$topic partition=$p offset=$o loading into $db.$table"* ]] ||
      problems="$problems; $key: message does not name it: $message"
    grep -Eq "$(reason_of "$kind")" <<<"$message" ||
      problems="$problems; $key ($kind): message lacks StarRocks' reason /$(reason_of "$kind")/: $message"
    grep -q 'Row: ' <<<"$message" || problems="$problems; $key: message lacks the row: $message"
  done < <(jq -r '[.key, .h."__connect.errors.topic", .h."__connect.errors.partition",
      .h."__connect.errors.offset", .h."__connect.errors.exception.message"] | @tsv' "$RUN/e2e16-$format.dlq")
  [ -z "$problems" ] || fail "$dlq: ${problems#; }"
  log "ok: every record in $dlq has headers naming its topic, partition and offset, and StarRocks' reason"
  for kind in int varchar null; do
    key=$(awk -F'\t' -v k="$kind" '$4 == k {print $2; exit}' "$spec")
    log "$dlq: a $kind record's exception message: $(jq -r --arg k "$key" \
      'select(.key == $k) | .h."__connect.errors.exception.message"' "$RUN/e2e16-$format.dlq")"
  done
}

# The errors.tolerance=none connector first: its task fails soon.
deadline=$((SECONDS + 120))
while true; do
  status=$(curl -sf "$CONNECT_URL/connectors/e2e16-none/status" || true)
  # (jq -e succeeds on no input: the status is empty until the connector is known.)
  [ -n "$status" ] && jq -e '.tasks[0].state == "FAILED"' >/dev/null 2>&1 <<<"$status" && break
  [ $SECONDS -lt $deadline ] || fail "under errors.tolerance=none the task did not fail: $status"
  sleep 1
done
log "e2e16-none FAILED $((SECONDS - connectors_at))s after the connectors were created"
trace=$(jq -r '.tasks[0].trace' <<<"$status")
named=$(grep -oE 'StarRocks rejected the record at topic=[^ ]+ partition=[0-9]+ offset=[0-9]+' <<<"$trace" | head -1) ||
  fail "the task's trace names no record: $(head -5 <<<"$trace")"
read -r named_topic named_p named_o <<<"$(sed -E 's/.*topic=([^ ]+) partition=([0-9]+) offset=([0-9]+)/\1 \2 \3/' <<<"$named")"
named_key=$(awk -F'\t' -v p="$named_p" -v o="$named_o" '$1 == p && $2 == o {print $3}' "$RUN/e2e16-json.topic")
named_kind=$(awk -F'\t' -v k="$named_key" '$2 == k {print $4}' "$RUN/e2e16-json.spec")
check "the record the trace names ($named_topic $named_p $named_o, key ${named_key:-none}) is bad" \
  "e2e16_json bad" "$named_topic $([ -n "$named_kind" ] && [ "$named_kind" != - ] && echo bad || echo "good: ${named_kind:-no such record}")"
grep -q 'errors.tolerance=none' <<<"$trace" || fail "the task's trace lacks errors.tolerance=none: $(grep -m1 'StarRocks rejected' <<<"$trace")"
grep -Eq "$(reason_of "$named_kind")" <<<"$trace" ||
  fail "the task's trace lacks StarRocks' reason for a $named_kind row: $(grep -m1 'StarRocks rejected' <<<"$trace")"
log "ok: under errors.tolerance=none the task FAILED: $(grep -m1 'StarRocks rejected' <<<"$trace" | cut -c1-400)"
# No committed offset past the first bad record of its partition.
first_bad=$(awk -F'\t' 'NR == FNR {if ($4 != "-") bad[$2] = 1; next}
  ($3 in bad) && !(($1) in first) {first[$1] = $2} END {for (p in first) print p, first[p]}' \
  "$RUN/e2e16-json.spec" "$RUN/e2e16-json.topic" | sort)
log "the first bad record of each partition of e2e16_json (partition offset): $(paste -sd, - <<<"$first_bad")"
committed=$(connector_offsets e2e16-none || true)
log "e2e16-none committed: $(paste -sd, - <<<"${committed:-nothing}")"
past=$(awk 'NR == FNR {first[$1] = $2; next} ($2 in first) && $3 > first[$2] {print}' <(echo "$first_bad") <(echo "$committed"))
[ -z "$past" ] || fail "e2e16-none committed past the first bad record of a partition: $past (first bad: $first_bad)"
log "ok: no committed offset of e2e16-none is past the first bad record of its partition"
table_rows t_none >"$RUN/e2e16-none.actual"
read -r n distinct <<<"$(awk '{n++; c[$1]++} END {print n + 0, length(c)}' "$RUN/e2e16-none.actual")"
check "t_none: no duplicate ($n rows)" "$n" "$distinct"
good_rows "$RUN/e2e16-json.spec" json >"$RUN/e2e16-json.expected"
check "t_none: only good rows, with their values" "" \
  "$(comm -13 <(sort "$RUN/e2e16-json.expected") <(sort "$RUN/e2e16-none.actual") | head -5)"
connector_delete e2e16-none

check_tolerant e2e16-json e2e16_json t_json e2e16_json_dlq json
mbean=$(table_mbean e2e16-json t_json)
wait_equal "JMX: t_json rejected-records" 30 37 jmx_attribute "$mbean" rejected-records
wait_equal "JMX: t_json dead-letter-records" 30 37 jmx_attribute "$mbean" dead-letter-records
log "JMX: t_json probes $(jmx_attribute "$mbean" probes)"
check_tolerant e2e16-csv e2e16_csv t_csv e2e16_csv_dlq csv
check_tolerant e2e16-array e2e16_array t_array e2e16_array_dlq array

# Nothing more reached a table or a dead-letter queue after the offsets committed.
for f in json csv array; do
  check "t_$f: still $(wc -l <"$RUN/e2e16-$f.expected") rows" "$(wc -l <"$RUN/e2e16-$f.expected")" "$(sr_count "$db" "t_$f")"
  check "e2e16_${f}_dlq: still $(wc -l <"$RUN/e2e16-$f.dlq") records" "$(wc -l <"$RUN/e2e16-$f.dlq")" "$(end_offset "e2e16_${f}_dlq" 0)"
done
# Exactly-once: the same checks, on the json records (its files overwrite json's, checked above).
check_tolerant e2e16-eo e2e16_json t_eo e2e16_eo_dlq json

# The probes StarRocks saw (the emulator's journal, kept in the run directory): transactions
# always rolled back, never committed.
sr_admin GET /journal >"$RUN/e2e16-journal.json"
probe_steps=$(jq -c '[.[] | select((.label // "") | test("-probe-"))
  | select((.uri | startswith("/api/transaction/")) and (.outcome | startswith("307") | not))
  | .uri | split("?")[0] | ltrimstr("/api/transaction/")] | group_by(.) | map({(.[0]): length}) | add // {}' \
  "$RUN/e2e16-journal.json")
log "probe transaction steps in the emulator's journal: $probe_steps"
check "probe transactions committed" 0 "$(jq '.commit // 0' <<<"$probe_steps")"
[ "$(jq '.begin // 0' <<<"$probe_steps")" -gt 0 ] || fail "no probe transaction in the emulator's journal"
check "probe transactions begun = rolled back" "$(jq '.begin' <<<"$probe_steps")" "$(jq '.rollback // 0' <<<"$probe_steps")"
for c in e2e16-json e2e16-eo e2e16-csv e2e16-array; do connector_delete "$c"; done
log "done in $((SECONDS - start))s"
