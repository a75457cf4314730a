#!/usr/bin/env bash
# Installs cargo-about, pinned, which packaging/licenses/third-party.sh runs at `package` to list
# the Rust crates compiled into the native library with their licences (THIRD-PARTY.txt in both
# plugin archives) and to fail the build on a licence the project does not accept.
#
# Idempotent and quiet when the pinned version is there. scripts/setup.sh runs it, and so does
# the build itself when cargo-about is missing, so a fresh clone needs nothing but `mvn package`.
# A cold install compiles cargo-about from crates.io (`cargo install --locked`): about 4 CPU
# minutes with the profile below, measured at 2 min 6 s on 2 otherwise idle cores (5 min when
# the cores were shared with other builds); a CI that caches ~/.cargo/bin pays it once.
set -euo pipefail

CARGO_ABOUT_VERSION=0.9.3

die() {
  echo "setup-licenses: $*" >&2
  exit 1
}

# Where `cargo install` puts binaries; cargo finds `cargo about` there even off PATH.
cargo_bin=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin
installed_version() {
  local bin
  bin=$(command -v cargo-about 2>/dev/null || echo "$cargo_bin/cargo-about")
  [ -x "$bin" ] && "$bin" --version 2>/dev/null | awk '{print $2}'
}

if [ "$(installed_version || true)" != "$CARGO_ABOUT_VERSION" ]; then
  command -v cargo >/dev/null 2>&1 || die "cargo is needed (install Rust with rustup)"
  echo "setup-licenses: installing cargo-about $CARGO_ABOUT_VERSION (cargo install, ~2 min)"
  # cargo-about's release profile asks for fat LTO and opt-level 3: 5.5 CPU minutes, 2 of them a
  # single-threaded link. A licence lister run once per build needs neither: without LTO and at
  # opt-level 1 it compiles in ~4 CPU minutes and lists this project's graph in ~8 s instead of
  # ~5. (A profile set in the environment overrides the package's.) The binary needs `cli`.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install -q --locked --features cli --version "$CARGO_ABOUT_VERSION" cargo-about ||
    die "could not install cargo-about $CARGO_ABOUT_VERSION (is crates.io reachable?)"
  [ "$(installed_version || true)" = "$CARGO_ABOUT_VERSION" ] ||
    die "cargo-about $CARGO_ABOUT_VERSION was installed, but '$cargo_bin/cargo-about --version' says otherwise"
fi
