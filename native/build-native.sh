#!/usr/bin/env bash
# Builds the native libraries for the shim jar, and the StarRocks emulator the Java tests run.
#
#   native/build-native.sh [OUT_DIR]
#
# OUT_DIR (default: target/native-dist) receives one directory per platform, as the shim's
# NativeLoader looks them up inside the jar:
#
#   OUT_DIR/<os>-<arch>[-musl]/libstarrocks_kafka_jni.so
#
# Which platforms: Maven's -Dnative.targets=... (passed in as MAVEN_NATIVE_TARGETS), else the
# NATIVE_TARGETS environment variable (for running this script by hand), else `all`:
#
#   all    (default) the four platforms below, which is what a release needs. When cargo-zigbuild,
#          zig or a Rust target is missing, native/setup-cross.sh installs it first; when that
#          cannot be done, the build FAILS and says what is missing. There is no fallback to a
#          host-only library: an archive must never silently carry fewer platforms.
#   host   development switch: the build host's platform alone, built with plain cargo and the
#          release profile, which the emulator shares (the fast loop; the test scripts use it).
#          The library then needs the build host's glibc (2.36 on Debian 12), so the archives of
#          such a build are named *-host-only-dev (packaging/pom.xml) and never shipped.
#
# The four platforms are cross-built with cargo-zigbuild (zig as the C compiler and linker) and
# the `dist` profile (the release profile's code without debug info, see Cargo.toml):
#
#   linux-x86_64        x86_64-unknown-linux-gnu.2.17    glibc 2.17 or newer (RHEL/CentOS 7+,
#   linux-aarch64       aarch64-unknown-linux-gnu.2.17   UBI 8/9 Confluent images, Debian, Ubuntu)
#   linux-x86_64-musl   x86_64-unknown-linux-musl        musl, e.g. Alpine-based apache/kafka
#   linux-aarch64-musl  aarch64-unknown-linux-musl       images (dynamically linked, see
#                                                        .cargo/config.toml)
#
# Every library is checked before it is copied: its architecture (`file`), the newest glibc
# symbol version it needs (`objdump -T`, at most 2.17 for the glibc builds, none for musl), and
# the JNI entry points it exports. Platform directories in OUT_DIR that this run did not build
# are removed, so the jar never carries a library older than the Java code.
#
# The emulator (target/release/starrocks-emulator) is built unless NATIVE_SKIP_EMULATOR=1.
# Everything goes to cargo's target/ at the workspace root (Maven never cleans it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/target/native-dist}
lib=libstarrocks_kafka_jni.so
all_platforms=(linux-x86_64 linux-aarch64 linux-x86_64-musl linux-aarch64-musl)
# The newest glibc symbol version a shipped glibc build may need.
glibc_floor=2.17

say() { echo "build-native.sh: $*"; }
die() {
  echo "build-native.sh: $*" >&2
  exit 1
}

host_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    *) die "unsupported build host $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "unsupported build architecture $(uname -m)" ;;
  esac
  if ls /lib/ld-musl-* >/dev/null 2>&1; then
    echo "$os-$arch-musl"
  else
    echo "$os-$arch"
  fi
}

# The ELF tools every library is checked with (Debian: `file`, `binutils`; scripts/setup.sh
# installs them).
for tool in file objdump readelf nm strip; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' is needed to check the native libraries: apt-get install file binutils (scripts/setup.sh does)"
done

# The cargo-zigbuild target of a platform (a `.2.17` suffix pins the glibc symbol versions).
rust_target() {
  case "$1" in
    linux-x86_64) echo x86_64-unknown-linux-gnu.2.17 ;;
    linux-aarch64) echo aarch64-unknown-linux-gnu.2.17 ;;
    linux-x86_64-musl) echo x86_64-unknown-linux-musl ;;
    linux-aarch64-musl) echo aarch64-unknown-linux-musl ;;
    *) die "no build is defined for platform '$1' (known: ${all_platforms[*]})" ;;
  esac
}

# What `file` says about the platform's architecture.
file_arch() {
  case "$1" in
    linux-x86_64*) echo "x86-64" ;;
    linux-aarch64*) echo "ARM aarch64" ;;
  esac
}

# Whether cargo-zigbuild, zig and the Rust standard library of every target are installed.
cross_tools_ready() {
  command -v cargo-zigbuild >/dev/null 2>&1 || return 1
  command -v zig >/dev/null 2>&1 || python3 -m ziglang version >/dev/null 2>&1 || return 1
  local installed platform target
  installed=$(rustup target list --installed 2>/dev/null) || return 1
  for platform in "${all_platforms[@]}"; do
    target=$(rust_target "$platform")
    grep -qx "${target%.2.*}" <<<"$installed" || return 1
  done
}

# A strip that understands every target's ELF: binutils' strip on Debian knows only the host's.
# llvm-strip if installed, else the llvm-objcopy that rustup ships with rustc (rust-objcopy).
strip_debug() {
  local file=$1 tool sysroot host
  for tool in llvm-strip $(compgen -c llvm-strip- 2>/dev/null | sort -rV); do
    if command -v "$tool" >/dev/null 2>&1; then
      "$tool" --strip-debug "$file"
      return
    fi
  done
  sysroot=$(rustc --print sysroot)
  host=$(rustc -vV | sed -n 's/^host: //p')
  tool=$sysroot/lib/rustlib/$host/bin/rust-objcopy
  [[ -x $tool ]] || die "no strip for cross-built ELF files: install llvm (llvm-strip)"
  LD_LIBRARY_PATH=$sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$tool" --strip-debug "$file"
}

# The newest GLIBC_x.y symbol version a library needs, or nothing.
max_glibc() {
  objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1 || true
}

# Checks a built library against its platform; prints a one-line summary.
verify_lib() {
  local platform=$1 file=$2 check_floor=$3 description glibc
  description=$(file -b "$file")
  [[ $description == *"shared object"* ]] || die "$file is not a shared library: $description"
  [[ $description == *"$(file_arch "$platform")"* ]] ||
    die "$file is not built for $platform: $description"
  glibc=$(max_glibc "$file")
  if [[ $platform == *-musl ]]; then
    [[ -z $glibc ]] || die "$file ($platform) needs glibc symbols (up to GLIBC_$glibc)"
    if grep -q 'NEEDED.*libc\.so\.6' <<<"$(readelf -d "$file")"; then
      die "$file ($platform) links glibc's libc.so.6"
    fi
  elif [[ $check_floor == 1 ]]; then
    [[ -n $glibc ]] || die "$file ($platform) has no glibc symbol versions: built for the wrong libc?"
    [[ $(printf '%s\n%s\n' "$glibc" "$glibc_floor" | sort -V | tail -1) == "$glibc_floor" ]] ||
      die "$file ($platform) needs GLIBC_$glibc, newer than the $glibc_floor floor"
  fi
  # (Not `nm | grep -q`: under pipefail, grep quitting early can fail the pipeline.)
  if ! grep -q ' Java_com_starrocks_connector_kafka_internal_NativeSink_' <<<"$(nm -D --defined-only "$file")"; then
    die "$file ($platform) exports no JNI entry points of NativeSink"
  fi
  say "$platform: $(stat -c %s "$file") bytes, $(file_arch "$platform"), libc $(
    [[ $platform == *-musl ]] && echo musl || echo "glibc (newest symbol GLIBC_${glibc:-none})"
  )"
}

# Builds one platform into OUT_DIR. $2 = host: plain cargo, release profile, host glibc.
build_platform() {
  local platform=$1 mode=$2 built
  if [[ $mode == host ]]; then
    (cd "$root" && cargo build --release -p starrocks-kafka-jni)
    built=$root/target/release/$lib
  else
    local target
    target=$(rust_target "$platform")
    (cd "$root" && cargo zigbuild --profile dist -p starrocks-kafka-jni --target "$target")
    built=$root/target/${target%.2.*}/dist/$lib
  fi
  [[ -f $built ]] || die "cargo built no $built (a musl build needs -crt-static off, see .cargo/config.toml)"
  mkdir -p "$out/$platform"
  # Copy then rename: a process that has the old file mapped keeps its copy intact.
  cp "$built" "$out/$platform/$lib.tmp"
  # The jar needs no debug info (release keeps line tables for profiling: ~43 MB -> ~6.5 MB).
  # Symbols stay, so panics and profiles still name functions.
  if [[ $mode == host ]]; then
    strip --strip-debug "$out/$platform/$lib.tmp"
  else
    strip_debug "$out/$platform/$lib.tmp"
  fi
  verify_lib "$platform" "$out/$platform/$lib.tmp" "$([[ $mode == host ]] && echo 0 || echo 1)"
  mv -f "$out/$platform/$lib.tmp" "$out/$platform/$lib"
  say "$out/$platform/$lib"
}

# What cross_tools_ready found missing, for the error message.
missing_cross_tools() {
  local missing=() installed platform target
  command -v cargo-zigbuild >/dev/null 2>&1 || missing+=("cargo-zigbuild (not on PATH)")
  command -v zig >/dev/null 2>&1 || python3 -m ziglang version >/dev/null 2>&1 ||
    missing+=("zig (neither \`zig\` on PATH nor the PyPI package ziglang for python3)")
  installed=$(rustup target list --installed 2>/dev/null || true)
  for platform in "${all_platforms[@]}"; do
    target=$(rust_target "$platform")
    grep -qx "${target%.2.*}" <<<"$installed" || missing+=("Rust target ${target%.2.*} (rustup)")
  done
  printf '  - %s\n' "${missing[@]}"
}

# `cargo install` puts binaries here; a PATH without it must still find what setup-cross.sh
# installs (cargo itself finds its subcommands there, but `command -v` would not).
cargo_bin=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin
case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH=$PATH:$cargo_bin ;; esac

selection=${MAVEN_NATIVE_TARGETS:-${NATIVE_TARGETS:-all}}
case "$selection" in
  all)
    if ! cross_tools_ready; then
      say "cross tools missing; installing them with native/setup-cross.sh:"
      missing_cross_tools
      if ! "$root/native/setup-cross.sh"; then
        die "native/setup-cross.sh could not install the cross tools (see above). A release build
needs all four native libraries; run native/setup-cross.sh by hand to see why, or build for
this host alone for development with -Dnative.targets=host (archives named *-host-only-dev)."
      fi
      cross_tools_ready || die "native/setup-cross.sh ran, but these are still missing:
$(missing_cross_tools)
A release build needs all four native libraries. For development only: -Dnative.targets=host."
    fi
    platforms=("${all_platforms[@]}")
    mode=cross
    ;;
  host)
    platforms=("$(host_platform)")
    mode=host
    ;;
  *)
    die "unknown native.targets '$selection': use 'all' (the default: the four platforms a release
needs) or 'host' (development only: this host's library, archives named *-host-only-dev)"
    ;;
esac

say "platforms: ${platforms[*]} ($([[ $mode == host ]] && echo "host build, release profile" || echo "cargo-zigbuild, dist profile"))"
started=$SECONDS
for platform in "${platforms[@]}"; do
  build_platform "$platform" "$mode"
done
say "native libraries built in $((SECONDS - started)) s"

# Drop the platforms this run did not build: stale libraries must not reach the jar.
if [[ -d $out ]]; then
  for dir in "$out"/*/; do
    [[ -d $dir ]] || continue
    name=$(basename "$dir")
    if [[ " ${platforms[*]} " != *" $name "* ]]; then
      say "removing $out/$name (not built by this run)"
      rm -rf "${out:?}/$name"
    fi
  done
fi

if [[ ${NATIVE_SKIP_EMULATOR:-0} != 1 ]]; then
  (cd "$root" && cargo build --release -p starrocks-emulator)
fi
