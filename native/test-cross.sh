#!/usr/bin/env bash
# Runs the Rust unit tests of the core and the JNI crate (`--lib`) built for the jar's other
# platforms, where this host can execute them, and checks what the musl library imports:
#
#   x86_64-unknown-linux-musl       natively: zig links musl test executables statically
#   aarch64-unknown-linux-gnu.2.17  under qemu-aarch64, with Debian's arm64 glibc
#                                   (libc6-arm64-cross) as the loader prefix
#   aarch64-unknown-linux-musl      under qemu-aarch64 (static executables)
#   musl imports                    every symbol the x86_64 musl library needs is exported by a
#                                   real musl (Debian's musl 1.2.3, unpacked into a cache, never
#                                   installed: a musl loader in /lib would make this host look
#                                   like Alpine to build-native.sh and to the shim's Platform)
#
# The x86_64 glibc build's tests are `cargo test` in scripts/test.sh; the integration tests
# (tests/*.rs, against the emulator) stay native-only. Without qemu a target is built only.
#
#   native/test-cross.sh [--build-only]
#
# TEST_CROSS_TARGETS picks targets (default: the three above; x86_64-unknown-linux-gnu.2.17 is
# accepted too). Installs qemu-user and the arm64 glibc with apt-get when missing and root, and
# the cross tools through native/setup-cross.sh. Expect ~3 min of compiling per target on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=0
[ "${1:-}" = "--build-only" ] && build_only=1
targets=${TEST_CROSS_TARGETS:-x86_64-unknown-linux-musl aarch64-unknown-linux-gnu.2.17 aarch64-unknown-linux-musl}
packages=(-p starrocks-kafka-core -p starrocks-kafka-jni --lib)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/starrocks-kafka-connector
summary=()

say() { echo "test-cross: $*"; }

native/setup-cross.sh

host_arch=$(uname -m)
arm_sysroot=/usr/aarch64-linux-gnu

# Installs qemu-user and the arm64 glibc if possible; says whether aarch64 binaries can run.
aarch64_runnable() {
  if [ "$host_arch" = aarch64 ]; then return 0; fi
  if ! command -v qemu-aarch64 >/dev/null 2>&1 || [ ! -e "$arm_sysroot/lib/ld-linux-aarch64.so.1" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing qemu-user, libc6-arm64-cross, libgcc-s1-arm64-cross" >&2
      (apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross libgcc-s1-arm64-cross ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross libgcc-s1-arm64-cross; }) >/dev/null 2>&1 || true
    fi
  fi
  command -v qemu-aarch64 >/dev/null 2>&1 && [ -e "$arm_sysroot/lib/ld-linux-aarch64.so.1" ]
}

# runner_for TARGET: prints the CARGO_TARGET_*_RUNNER value, "" to run natively, or fails.
runner_for() {
  case "$1" in
    x86_64-unknown-linux-musl | x86_64-unknown-linux-gnu*)
      [ "$host_arch" = x86_64 ] && echo "" ;;
    aarch64-unknown-linux-gnu*)
      aarch64_runnable || return 1
      [ "$host_arch" = aarch64 ] && echo "" || echo "qemu-aarch64 -L $arm_sysroot" ;;
    aarch64-unknown-linux-musl)
      aarch64_runnable || return 1
      [ "$host_arch" = aarch64 ] && echo "" || echo "qemu-aarch64" ;;
    *) return 1 ;;
  esac
}

# run_tests TARGET RUNNER_VARIABLE RUNNER: cargo-zigbuild test, through RUNNER unless it is empty
# (cargo rejects an empty runner).
run_tests() {
  if [ -n "$3" ]; then
    env "$2=$3" cargo-zigbuild test --target "$1" "${packages[@]}"
  else
    env -u "$2" cargo-zigbuild test --target "$1" "${packages[@]}"
  fi
}

for target in $targets; do
  triple=${target%.2.*}
  var=CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$triple")_RUNNER
  started=$SECONDS
  if [ $build_only = 0 ] && runner=$(runner_for "$target"); then
    say "cargo-zigbuild test --target $target ${packages[*]}${runner:+ (runner: $runner)}"
    log=$(mktemp)
    if run_tests "$target" "$var" "$runner" 2>&1 | tee "$log"; then
      counts=$(grep -o '^test result: ok\. [0-9]* passed' "$log" | awk '{n += $4} END {print n + 0}')
      summary+=("$target: ran, $counts tests passed ($((SECONDS - started)) s)")
      rm -f "$log"
    else
      rm -f "$log"
      say "FAILED: the tests for $target"
      exit 1
    fi
  else
    say "cargo-zigbuild test --no-run --target $target ${packages[*]} (cannot execute $target here)"
    cargo-zigbuild test --no-run --target "$target" "${packages[@]}"
    summary+=("$target: built only ($((SECONDS - started)) s)")
  fi
done

# The musl library's imports against a real musl's exports (x86_64: Debian ships musl for amd64).
musl_lib=target/x86_64-unknown-linux-musl/dist/libstarrocks_kafka_jni.so
if [ "$host_arch" = x86_64 ] && command -v apt-get >/dev/null 2>&1; then
  musl_root=$cache/musl-deb
  if [ ! -f "$musl_root/.complete" ]; then
    rm -rf "$musl_root" && mkdir -p "$musl_root"
    (cd "$musl_root" && apt-get download musl >/dev/null 2>&1 && dpkg-deb -x musl_*.deb root && touch .complete) || true
  fi
  libc=$(ls "$musl_root"/root/lib/x86_64-linux-musl/libc.so 2>/dev/null || true)
  if [ -n "$libc" ]; then
    [ -f "$musl_lib" ] || cargo zigbuild --profile dist -p starrocks-kafka-jni --target x86_64-unknown-linux-musl
    musl_version=$(sed -n 's/^musl_\([^-_]*\).*/\1/p' <<<"$(cd "$musl_root" && ls musl_*.deb)")
    missing=$(comm -23 \
      <(nm -D --undefined-only "$musl_lib" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u) \
      <(nm -D --defined-only "$libc" | awk '{print $3}' | sort -u))
    needed=$(readelf -d "$musl_lib" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    if [ -n "$missing" ]; then
      say "FAILED: $musl_lib imports symbols musl $musl_version lacks: $missing"
      exit 1
    fi
    summary+=("musl imports: all $(nm -D --undefined-only "$musl_lib" | awk '$1 == "U"' | wc -l) strong imports of $musl_lib are exported by musl $musl_version; NEEDED: $needed")
  else
    summary+=("musl imports: not checked (Debian's musl package could not be fetched)")
  fi
fi

say "summary:"
for line in "${summary[@]}"; do echo "  $line"; done
