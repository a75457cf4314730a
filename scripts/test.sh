#!/usr/bin/env bash
# The project's test command: formatting, lints and every test tier that exists.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== mvn verify (Java shim)"
mvn -B -ntp verify
scripts/check-plugin-path.sh
echo "== end to end: real Kafka brokers and Connect workers (3.4.x, 3.6.x, 3.9.x and 4.x; 4.x also on Java 21) with the plugin from dist/"
tests/e2e/bin/run.sh
