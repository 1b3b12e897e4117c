#!/usr/bin/env bash
# Regenerates docs/COMPATIBILITY.md: runs ferry's differential case corpus against Redis 7.0, Redis 8.2,
# Valkey 9.1 and ferry itself, each compared with Valkey 9.1 as the reference, and writes the per-command
# matrix. Installs the reference servers first when they are missing. Takes about two minutes.
# Usage: bash scripts/gen-compat-matrix.sh [extra `ferry compat matrix` options]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-refs.sh
cargo build -q -p ferry
# A debug build is slow on the corpus's heaviest commands (PFSELFTEST, 512 MB SETRANGE): allow long replies.
target/debug/ferry compat matrix --servers redis7,redis8,valkey9,ferry --reply-timeout 60 --out docs/COMPATIBILITY.md "$@"
