#!/usr/bin/env bash
# Regenerates docs/COMPATIBILITY.md: runs ferry's differential case corpus against Redis 7.0, Redis 8.2,
# Valkey 9.1 and ferry itself, each compared with Valkey 9.1 as the reference, and writes the per-command
# matrix. Installs the reference servers first when they are missing. Takes a few minutes.
# Usage: bash scripts/gen-compat-matrix.sh [extra `ferry compat matrix` options]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-refs.sh
cargo build -q --release -p ferry
# A reply the reference or a server never sends (a pushed event Redis 7.0 lacks, say) costs the reply
# timeout once per case: the rest of that case is skipped. The release build answers the corpus's
# heaviest commands (PFSELFTEST, 512 MB SETRANGE) well within 10 s.
target/release/ferry compat matrix --servers redis7,redis8,valkey9,ferry --reply-timeout 10 --out docs/COMPATIBILITY.md "$@"
