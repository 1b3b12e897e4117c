#!/usr/bin/env bash
# Runs ferry's whole test suite: installs the reference servers if missing (Redis 7.0, Valkey 9.1,
# Redis 8.2), checks formatting and lints, then runs every test, differential suite included.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-refs.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace 2>&1
