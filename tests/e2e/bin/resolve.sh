#!/usr/bin/env bash
# Resolves the jars the end-to-end harness runs, from Maven Central, into a cache outside the
# repository, and prints the resulting directory on stdout (progress goes to stderr).
#
#   resolve.sh 3.4 | 3.6 | 3.9 | 4 | X.Y.Z
#                                  Kafka broker + Connect + tools -> $E2E_CACHE/kafka-X.Y.Z/libs
#   resolve.sh debezium [X.Y.Z.Final]
#                                  Debezium PostgreSQL plugin
#                                  -> $E2E_CACHE/debezium-X/debezium-connector-postgres
#
# A directory is complete when its stamp file exists; then nothing runs (no Maven, no network).
# Maven's own cache (~/.m2) makes a rebuild of a deleted directory cheap. Aliases: 3.4, 3.6 and
# 3.9 are the newest 3.4.x, 3.6.x and 3.9.x, and 4 the newest 4.x, that fully resolve from Maven
# Central (checked with `mvn dependency:get`); override them with E2E_KAFKA_34, E2E_KAFKA_36,
# E2E_KAFKA_39 / E2E_KAFKA_4.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${E2E_CACHE:-$HOME/.cache/starrocks-kafka-e2e}
# maven-dependency-plugin by full coordinates: Maven 3.8's super-POM pins 2.8.
dep_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

kafka_version_of() {
  case "$1" in
    3.4) echo "${E2E_KAFKA_34:-3.4.1}" ;;
    3.6) echo "${E2E_KAFKA_36:-3.6.2}" ;;
    3.9) echo "${E2E_KAFKA_39:-3.9.2}" ;;
    4) echo "${E2E_KAFKA_4:-4.3.1}" ;;
    [0-9]*.[0-9]*.[0-9]*) echo "$1" ;;
    *) echo "resolve.sh: unknown Kafka version '$1' (use 3.4, 3.6, 3.9, 4 or X.Y.Z)" >&2; return 2 ;;
  esac
}

# copy_deps POM OUT STAMP MVN_ARGS... : copy-dependencies into OUT unless OUT/STAMP exists.
copy_deps() {
  local pom=$1 out=$2 stamp=$3
  shift 3
  if [ -f "$out/$stamp" ]; then
    echo "$out"
    return 0
  fi
  local tmp="$out.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "resolve: $(basename "$(dirname "$out")") via Maven (first run only)" >&2
  if ! mvn -B -q -ntp -Dstyle.color=never -f "$pom" "$@" "$dep_plugin:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    echo "resolve: Maven could not resolve $pom $*" >&2
    return 1
  fi
  touch "$tmp/$stamp"
  rm -rf "$out"
  mv "$tmp" "$out"
  echo "$out"
}

case "${1:-}" in
  debezium)
    v=${2:-${E2E_DEBEZIUM:-2.7.4.Final}}
    copy_deps "$here/kafka/debezium/pom.xml" "$cache/debezium-$v/debezium-connector-postgres" \
      ".stamp-$v" -Ddebezium.version="$v"
    ;;
  "")
    echo "usage: resolve.sh 3.4|3.6|3.9|4|X.Y.Z | debezium [VERSION]" >&2
    exit 2
    ;;
  *)
    v=$(kafka_version_of "$1")
    case "$v" in
      3.*) profile=k3 ;;
      *) profile=k4 ;;
    esac
    copy_deps "$here/kafka/pom.xml" "$cache/kafka-$v/libs" ".stamp-$v" -P"$profile" -Dkafka.version="$v"
    ;;
esac
