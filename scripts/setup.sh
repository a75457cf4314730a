#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing: Debian packages and Rust
# components. Idempotent and quiet when everything is already there.
set -euo pipefail

need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v mysql >/dev/null 2>&1 || need_apt+=(mariadb-client)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
# native/build-native.sh checks every native library with file, objdump, readelf and nm.
command -v file >/dev/null 2>&1 || need_apt+=(file)
command -v objdump >/dev/null 2>&1 || need_apt+=(binutils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^${component}" ||
      rustup component add "$component"
  done
fi
# The cross tools for the four native libraries, and cargo-about for THIRD-PARTY.txt (the build
# installs either itself when missing; installing them here keeps that out of the build's time).
"$(dirname "$0")/../native/setup-cross.sh"
"$(dirname "$0")/../native/setup-licenses.sh"
