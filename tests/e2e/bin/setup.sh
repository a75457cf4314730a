#!/usr/bin/env bash
# Installs what the end-to-end harness needs and a fresh Debian 12 machine lacks: kcat (producer
# and metadata probe), PostgreSQL 15 (scenario 3's Debezium source), jq, curl, the MariaDB client
# (DDL against the emulator's MySQL port) and util-linux (setsid, runuser). JDK 17, Maven and
# Rust are assumed present, as for the rest of the project.
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
command -v python3 >/dev/null 2>&1 || need+=(python3)
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
