#!/usr/bin/env bash
# Runs ferry's whole test suite: installs the reference servers if missing (Redis 7.0, Valkey 9.1,
# Redis 8.2), checks formatting and lints, then runs every test, differential suite included, and ends
# with one summary line counting the tests of every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-refs.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) passed += $i
            if ($(i + 1) ~ /^failed/) failed += $i
        }
    }
    END { printf "ferry: %d passed, %d failed\n", passed, failed }' "$log"
