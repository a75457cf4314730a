#!/usr/bin/env bash
# Installs what native/build-native.sh needs to cross-build the plugin jar's four Linux
# libraries (x86_64 and aarch64; glibc 2.17 and musl) from an x86_64 or aarch64 Linux host:
#
#   zig             the PyPI package `ziglang` (zig is cargo-zigbuild's C compiler and linker)
#   cargo-zigbuild  from crates.io, built with `cargo install --locked`
#   Rust targets    x86_64/aarch64-unknown-linux-gnu/-musl, through rustup
#
# Idempotent and quiet when everything is there. scripts/setup.sh runs it, and so does the build
# itself (native/build-native.sh, at Maven's generate-resources) when a tool is missing, so a
# fresh clone needs nothing but `mvn package`. Exits non-zero, naming what failed, when an
# install cannot be done. Stripping needs no install: build-native.sh uses llvm-strip, or the
# llvm-objcopy rustup ships with rustc.
# On a cold machine this takes about 2.5 minutes, nearly all of it compiling cargo-zigbuild.
set -euo pipefail

ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

cd "$(dirname "$0")/.."

die() {
  echo "setup-cross: $*" >&2
  exit 1
}

# Runs a command as root: directly, through sudo, or not at all.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    return 1
  fi
}

if ! command -v zig >/dev/null 2>&1 && ! python3 -m ziglang version >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to install zig from PyPI (apt-get install python3-pip)"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "setup-cross: installing python3-pip (for zig from PyPI)"
    { as_root apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; } ||
      die "pip is missing and could not be installed: apt-get install python3-pip, then run native/setup-cross.sh again"
  fi
  echo "setup-cross: installing zig (ziglang $ZIGLANG_VERSION from PyPI)"
  python3 -m pip install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages "ziglang==$ZIGLANG_VERSION" ||
    die "could not install ziglang $ZIGLANG_VERSION with pip (is PyPI reachable?)"
  python3 -m ziglang version >/dev/null 2>&1 || die "ziglang was installed but 'python3 -m ziglang version' fails"
fi

# `cargo install` puts it in $CARGO_INSTALL_ROOT or $CARGO_HOME/bin; cargo finds it there even
# when that directory is not on PATH.
cargo_bin=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin
if ! command -v cargo-zigbuild >/dev/null 2>&1 && [ ! -x "$cargo_bin/cargo-zigbuild" ]; then
  command -v cargo >/dev/null 2>&1 || die "cargo is needed (install Rust with rustup)"
  echo "setup-cross: installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION (cargo install, ~2 min)"
  cargo install -q --locked --version "$CARGO_ZIGBUILD_VERSION" cargo-zigbuild ||
    die "could not install cargo-zigbuild $CARGO_ZIGBUILD_VERSION (is crates.io reachable?)"
fi

command -v rustup >/dev/null 2>&1 || die "rustup is needed to add the Rust targets ${TARGETS[*]}"
installed=$(rustup target list --installed)
missing=()
for target in "${TARGETS[@]}"; do
  grep -qx "$target" <<<"$installed" || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-cross: adding Rust targets ${missing[*]}"
  rustup target add "${missing[@]}" >/dev/null 2>&1 || rustup target add "${missing[@]}" ||
    die "could not add the Rust targets ${missing[*]}"
fi
