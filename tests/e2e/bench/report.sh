#!/usr/bin/env bash
# Regenerates every generated section of docs/benchmark.md with one command, one section after
# another on a quiet machine (each is one run-bench.sh; see its --help for what a run measures):
#
#   count-only    ours and the null sink, ~100 B and ~1 KB rows, JsonConverter and
#                 ByteArrayConverter over JSON, and ByteArrayConverter over the same rows as CSV
#                 (sink.properties.format=csv), the emulator in count-only mode: the
#                 connector's own cost
#   results       the same against the emulator in full mode (it converts and stores every row)
#   partitions    ~100 B raw rows over 2 partitions with tasks.max=2, count-only emulator
#   memory        ~1 KB raw rows against a slow StarRocks (every reply held 2 s): native memory
#                 for rows against its bound
#   exactly-once  ~100 B raw rows under sink.semantic=exactly-once beside at-least-once
#   debezium      ~100 B rows as Debezium create events (500,000): ours with
#                 starrocks.envelope=debezium (JsonConverter with schemas, ByteArrayConverter, and
#                 JsonConverter without schemas over events written without them, the seed's
#                 worker setting) beside ours behind the seed's transform chain and the null
#                 sink, count-only emulator
#
#   tests/e2e/bench/report.sh [--kafka 3.9|4|X.Y.Z] [--repeat R] [SECTION...]
#
# Without SECTION names, all six run (each section's report says how long it took). A run
# whose table ends with a row count other than N stops everything (run-bench.sh writes no
# report then).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)/run-bench.sh
kafka=3.9
repeat=3
sections=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kafka) kafka=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    -*) echo "report.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) sections+=("$1"); shift ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(count-only results partitions memory exactly-once debezium)

for section in "${sections[@]}"; do
  common=(--kafka "$kafka" --section "$section")
  case "$section" in
    count-only) "$BENCH" "${common[@]}" --repeat "$repeat" --emulator count-only \
      --converters "json bytes csv" ;;
    results) "$BENCH" "${common[@]}" --repeat "$repeat" --converters "json bytes csv" ;;
    partitions)
      "$BENCH" "${common[@]}" --repeat "$repeat" --emulator count-only --partitions 2 \
        --sizes 100 --converters bytes --no-consumer-baseline ;;
    memory)
      "$BENCH" "${common[@]}" --repeat 1 --sizes 1k --sinks ours --converters bytes \
        --slow-ms 2000 --no-consumer-baseline ;;
    exactly-once)
      "$BENCH" "${common[@]}" --repeat "$repeat" --sizes 100 --converters bytes \
        --sinks "ours ours-eo" --no-consumer-baseline ;;
    debezium)
      "$BENCH" "${common[@]}" --repeat "$repeat" --emulator count-only --sizes 100 \
        --n100 500000 --converters "debezium debezium-bytes debezium-map" \
        --sinks "null ours ours-smt" \
        --no-consumer-baseline ;;
    *) echo "report.sh: no section $section (see --help)" >&2; exit 2 ;;
  esac
done
