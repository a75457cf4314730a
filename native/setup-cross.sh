#!/usr/bin/env bash
# Installs what native/build-native.sh needs to cross-build the plugin jar's four Linux
# libraries (x86_64 and aarch64; glibc 2.17 and musl) from an x86_64 or aarch64 Linux host:
#
#   zig             the PyPI package `ziglang` (zig is cargo-zigbuild's C compiler and linker)
#   cargo-zigbuild  from crates.io, built with `cargo install --locked`
#   Rust targets    x86_64/aarch64-unknown-linux-gnu/-musl, through rustup
#
# Idempotent and quiet when everything is there; scripts/setup.sh runs it. Stripping needs no
# install: build-native.sh uses llvm-strip, or the llvm-objcopy rustup ships with rustc.
# On a cold machine this takes about 2.5 minutes, nearly all of it compiling cargo-zigbuild.
set -euo pipefail

ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

cd "$(dirname "$0")/.."

if ! command -v zig >/dev/null 2>&1 && ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "setup-cross: installing zig (ziglang $ZIGLANG_VERSION from PyPI)"
  python3 -m pip install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages "ziglang==$ZIGLANG_VERSION"
fi

if ! command -v cargo-zigbuild >/dev/null 2>&1; then
  echo "setup-cross: installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION (cargo install, ~2 min)"
  cargo install -q --locked --version "$CARGO_ZIGBUILD_VERSION" cargo-zigbuild
fi

installed=$(rustup target list --installed)
missing=()
for target in "${TARGETS[@]}"; do
  grep -qx "$target" <<<"$installed" || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-cross: adding Rust targets ${missing[*]}"
  rustup target add "${missing[@]}" >/dev/null 2>&1 || rustup target add "${missing[@]}"
fi
