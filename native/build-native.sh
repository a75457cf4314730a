#!/usr/bin/env bash
# Builds the native library for the shim jar, and the StarRocks emulator the Java tests run.
#
#   native/build-native.sh [OUT_DIR]
#
# OUT_DIR (default: target/native-dist) receives one directory per platform, as the shim's
# NativeLoader looks them up inside the jar:
#
#   OUT_DIR/<os>-<arch>[-musl]/libstarrocks_kafka_jni.so
#
# NATIVE_PLATFORMS (default: the host's) lists the platforms to build, space-separated, from
# the table in `rust_target` below. The host build uses plain cargo; other platforms will use
# cargo-zigbuild (glibc 2.17 floor, musl) once they are added to the table.
#
# The emulator (target/release/starrocks-emulator) is built unless NATIVE_SKIP_EMULATOR=1.
# Everything goes to cargo's target/ at the workspace root (Maven never cleans it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/target/native-dist}
lib=libstarrocks_kafka_jni.so

host_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    *) echo "build-native.sh: unsupported build host $(uname -s)" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) echo "build-native.sh: unsupported build architecture $(uname -m)" >&2; exit 1 ;;
  esac
  if ls /lib/ld-musl-* >/dev/null 2>&1; then
    echo "$os-$arch-musl"
  else
    echo "$os-$arch"
  fi
}

# The Rust target of a platform other than the host's, for cargo-zigbuild.
rust_target() {
  case "$1" in
    # Added with the cross builds (cargo-zigbuild), e.g.:
    #   linux-x86_64)       echo x86_64-unknown-linux-gnu.2.17 ;;
    #   linux-aarch64)      echo aarch64-unknown-linux-gnu.2.17 ;;
    #   linux-x86_64-musl)  echo x86_64-unknown-linux-musl ;;
    #   linux-aarch64-musl) echo aarch64-unknown-linux-musl ;;
    *) echo "build-native.sh: no cross build is defined for platform '$1'" >&2; exit 1 ;;
  esac
}

build_platform() {
  local platform=$1 built
  if [[ $platform == "$(host_platform)" ]]; then
    (cd "$root" && cargo build --release -p starrocks-kafka-jni)
    built=$root/target/release/$lib
  else
    local target
    target=$(rust_target "$platform")
    (cd "$root" && cargo zigbuild --release -p starrocks-kafka-jni --target "$target")
    built=$root/target/${target%.2.*}/release/$lib
  fi
  mkdir -p "$out/$platform"
  # Copy then rename: a process that has the old file mapped keeps its copy intact.
  cp "$built" "$out/$platform/$lib.tmp"
  # The release profile keeps line tables (debug = 1) for profiling; the jar does not need
  # them (~43 MB -> ~6.5 MB). Symbols stay, so panics and profiles still name functions.
  # (Cross builds will need the target's strip, e.g. llvm-strip.)
  strip --strip-debug "$out/$platform/$lib.tmp"
  mv -f "$out/$platform/$lib.tmp" "$out/$platform/$lib"
  echo "build-native.sh: $out/$platform/$lib"
}

for platform in ${NATIVE_PLATFORMS:-$(host_platform)}; do
  build_platform "$platform"
done

if [[ ${NATIVE_SKIP_EMULATOR:-0} != 1 ]]; then
  (cd "$root" && cargo build --release -p starrocks-emulator)
fi
