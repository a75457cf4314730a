#!/usr/bin/env bash
# Writes THIRD-PARTY.txt, the third-party listing both plugin archives carry, and is the licence
# gate of the build (packaging/pom.xml runs it at prepare-package):
#
#   packaging/licenses/third-party.sh [-m MANIFEST] [-j JAVA_LISTING] [-v VERSION] OUT
#
#   Rust   cargo-about (pinned; native/setup-licenses.sh installs it when missing) over the
#          dependency graph of MANIFEST (default: native/jni/Cargo.toml, the crate that becomes
#          libstarrocks_kafka_jni.so), with packaging/licenses/about.toml: the four shipped
#          targets, normal dependencies only, and the accepted licences. Every crate with its
#          version and licence, then the text of every licence with the crates it covers.
#          cargo-about FAILS when a crate's licence is not accepted (or cannot be determined),
#          and so does this script, naming the crate: that is the gate.
#   Java   JAVA_LISTING, written by license-maven-plugin (add-third-party) from Maven's runtime
#          dependency graph of the shim, included as it is.
#
# Path (workspace) crates are checked and listed too: a crate of this repository, or one added by
# path, is compiled into the library as much as one from crates.io.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/packaging/licenses
manifest=$root/native/jni/Cargo.toml
java_listing=""
version=""
while getopts "m:j:v:" opt; do
  case $opt in
    m) manifest=$OPTARG ;;
    j) java_listing=$OPTARG ;;
    v) version=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || {
  echo "usage: $0 [-m MANIFEST] [-j JAVA_LISTING] [-v VERSION] OUT" >&2
  exit 2
}
out=$1

die() {
  echo "third-party: $*" >&2
  exit 1
}

"$root/native/setup-licenses.sh"
cargo_bin=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin
case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH=$PATH:$cargo_bin ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cargo-about logs warnings and errors (its default level) to stderr, which names the crates.
if ! cargo about --color never generate --locked --fail \
  --config "$here/about.toml" \
  --manifest-path "$manifest" \
  --output-file "$work/rust.txt" \
  "$here/about.hbs" 2>"$work/about.log"; then
  cat "$work/about.log" >&2
  # cargo-about points at the refused crates' Cargo.toml files; name them plainly.
  for toml in $(grep -oE '/[^ ]*/Cargo\.toml' "$work/about.log" | sort -u); do
    [ -f "$toml" ] || continue
    echo "third-party: refused: $(sed -n 's/^name *= *"\(.*\)"/\1/p' "$toml" | head -1)" \
      "$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$toml" | head -1)," \
      "license = $(sed -n 's/^license *= *//p' "$toml" | head -1) ($toml)" >&2
  done
  die "the licence check failed for $manifest: a crate above has a licence that
packaging/licenses/about.toml does not accept (the project is Apache-2.0; GPL, LGPL, AGPL, SSPL
and unknown licences are refused). Replace the dependency, or if its licence is compatible,
accept it in about.toml with the reason."
fi
cat "$work/about.log" >&2

{
  echo "THIRD-PARTY SOFTWARE IN THE STARROCKS SINK FOR KAFKA CONNECT${version:+ $version}"
  echo "========================================================================"
  echo
  echo "The connector is Apache-2.0 (LICENSE). Third-party code reaches it through"
  echo "the Rust crates of its native library and the Java libraries of its jar, if"
  echo "any; both are listed below, generated at build time from the build's own"
  echo "dependency graphs."
  echo
  if [ -n "$java_listing" ]; then
    [ -s "$java_listing" ] || die "the Java listing $java_listing is missing or empty"
    echo "JAVA LIBRARIES IN THE CONNECTOR JAR"
    echo "==================================="
    echo
    echo "Generated at build time by license-maven-plugin from Maven's runtime"
    echo "dependency graph of the shim (Kafka Connect and slf4j are provided by the"
    echo "worker and are not bundled):"
    echo
    sed '/./,$!d; s/^/  /' "$java_listing"
    echo
  fi
  cat "$work/rust.txt"
} >"$work/THIRD-PARTY.txt"
mkdir -p "$(dirname "$out")"
mv -f "$work/THIRD-PARTY.txt" "$out"
echo "third-party: $out: $(grep -cE '^  [^ ]+ [0-9][^ ]*: ' "$work/rust.txt" || true) Rust crates, licences accepted"
