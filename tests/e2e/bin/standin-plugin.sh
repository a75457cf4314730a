#!/usr/bin/env bash
# Builds a stand-in connector plugin directory from the working tree, without Maven and without
# writing into the source tree: javac (Java 8 bytecode) over java-shim/src/main, the JNI library
# from cargo (its own target directory), both in one jar. For developing the harness before
# `mvn -B -DskipTests package` produces dist/starrocks-kafka-connector-*.tar.gz; the real
# tarball is what CI tests.
#
#   PLUGIN_DIR=$(tests/e2e/bin/standin-plugin.sh) tests/e2e/bin/run.sh
#
# Prints the plugin directory on stdout; progress goes to stderr.
set -euo pipefail

e2e=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$e2e/../.." && pwd)
cache=${E2E_CACHE:-$HOME/.cache/starrocks-kafka-e2e}
work=$cache/standin
out=$work/starrocks-kafka-connector-standin
libs=$("$e2e/bin/resolve.sh" 3.9)

echo "standin: cargo build -p starrocks-kafka-jni" >&2
CARGO_TARGET_DIR=$work/cargo-target cargo build -q --release -p starrocks-kafka-jni \
  --manifest-path "$repo/Cargo.toml" >&2

rm -rf "$work/classes" "$out"
mkdir -p "$work/classes/native/linux-x86_64" "$out"
echo "standin: javac java-shim/src/main" >&2
find "$repo/java-shim/src/main/java" -name '*.java' >"$work/sources.txt"
javac -nowarn --release 8 -encoding UTF-8 -d "$work/classes" \
  -cp "$libs/connect-api-*.jar:$libs/*" @"$work/sources.txt" 2>&1 | grep -v '^warning\|^Note:' >&2 || true
cp -r "$repo/java-shim/src/main/resources/." "$work/classes/"
sed -i 's/\${project.version}/standin/' \
  "$work/classes/com/starrocks/connector/kafka/starrocks-kafka-connector.properties"
cp "$work/cargo-target/release/libstarrocks_kafka_jni.so" "$work/classes/native/linux-x86_64/"
(cd "$work/classes" && jar cf "$out/starrocks-kafka-connector-standin.jar" .)
echo "$out"
