#!/usr/bin/env python3
"""Generates ferry's RDB/AOF test corpus (rdb/tests/corpus/) with real servers.

Starts Redis 7.0, Redis 8.2 and Valkey 9.1, writes a dataset covering every type and encoding each
server has, reads back what the server holds (that is what its RDB must contain), SAVEs and copies the
files plus a JSON manifest. It also writes AOF directories and single-file AOFs from the real servers,
DUMP payloads, and hand-built files in the legacy formats no installed server writes any more
(REDIS0001–0009: zipmap, ziplists, quicklist v1, stream v1, text scores, second expiries).

Byte strings in manifests are latin-1 text: each character is one byte.

Usage: scripts/gen-rdb-corpus.sh (sets the server paths and the output directory).
"""

import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

OUT = os.environ.get("CORPUS_DIR", "rdb/tests/corpus")
PORT_BASE = int(os.environ.get("PORT_BASE", "7910"))
SERVERS = {
    "redis-7.0": os.environ.get("REDIS7", "/usr/bin/redis-server"),
    "redis-8.2": os.environ["REDIS8"],
    "valkey-9.1": os.environ["VALKEY9"],
}
FALKORDB = os.environ.get("FALKORDB_MODULE", "")
FAR_FUTURE_MS = 4102444800000  # 2100-01-01


def L(b):
    """Bytes to manifest text."""
    return b.decode("latin-1")


def V(b):
    """A value for the manifest: text, or {"repeat": unit, "count": n} for long repetitive values."""
    text = L(b)
    if len(text) > 64:
        for unit in range(1, 9):
            if len(text) % unit == 0 and text == text[:unit] * (len(text) // unit):
                return {"repeat": text[:unit], "count": len(text) // unit}
    return text


# --- a small RESP2 client -------------------------------------------------------------------------


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._exact(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def send(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, int):
                a = str(a).encode()
            elif isinstance(a, float):
                a = repr(a).encode()
            elif isinstance(a, str):
                a = a.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))

    def cmd(self, *args):
        self.send(*args)
        return self._reply()

    def pipeline(self, commands):
        out = b""
        for args in commands:
            parts = [b"*%d\r\n" % len(args)]
            for a in args:
                if isinstance(a, int):
                    a = str(a).encode()
                elif isinstance(a, str):
                    a = a.encode()
                parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
            out += b"".join(parts)
        self.sock.sendall(out)
        return [self._reply() for _ in commands]


RUNNING = []


class Server:
    def __init__(self, binary, port, directory, extra=()):
        self.port = port
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                "--save", "", "--daemonize", "no", "--logfile", os.path.join(directory, "log")]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        RUNNING.append(self)
        deadline = time.time() + 20
        while True:
            try:
                self.client = Client(port)
                self.client.cmd("PING")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self):
        if self in RUNNING:
            RUNNING.remove(self)
        try:
            self.client.cmd("SHUTDOWN", "NOSAVE")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- dataset ----------------------------------------------------------------------------------------


def rng_bytes(seed, n):
    r = random.Random(seed)
    return bytes(r.randrange(256) for _ in range(n))


def write_dataset(c, server):
    """Writes the common dataset; `server` selects features the version has."""
    hfe = server in ("redis-8.2", "valkey-9.1")
    cmds = []
    # strings: raw, integers of every width, long/LZF, incompressible, binary, empty, expiring
    cmds += [
        ["SET", "str:raw", "hello world"],
        ["SET", "str:int8", "-7"],
        ["SET", "str:int16", "300"],
        ["SET", "str:int32", "70000"],
        ["SET", "str:int64", "9007199254740993"],
        ["SET", "str:not-canonical", "007"],
        ["SET", "str:lzf", "abc" * 2000],
        ["SET", "str:random", rng_bytes(1, 300)],
        ["SET", "str:binary", bytes(range(256))],
        ["SET", "str:empty", ""],
        ["SET", "str:expiring", "soon"],
        ["PEXPIREAT", "str:expiring", FAR_FUTURE_MS],
        ["SET", "str:long-ago", "x"],
        ["PEXPIREAT", "str:long-ago", FAR_FUTURE_MS + 1234],
        [b"SET", b"key:\x00\xff\n", b"binary key"],
    ]
    # lists: small listpack, several nodes, a big element, integers
    cmds += [["RPUSH", "list:small", "a", "1", "-5", "hello", "70000", ""]]
    cmds += [["RPUSH", "list:large"] + ["item-%05d" % i for i in range(1000)]]
    cmds += [["RPUSH", "list:big-element", "head", "y" * 10000, "tail"]]
    cmds += [["RPUSH", "list:ints"] + [str(i * 37 - 500) for i in range(40)]]
    cmds += [["RPUSH", "list:expiring", "x"], ["PEXPIREAT", "list:expiring", FAR_FUTURE_MS]]
    # sets: intset, listpack (RDB 11+), hashtable of strings and of integers
    cmds += [["SADD", "set:intset", "1", "2", "3", "-100", "70000", str(2 ** 40)]]
    cmds += [["SADD", "set:small", "apple", "banana", "cherry", "42"]]
    cmds += [["SADD", "set:large"] + ["m%03d" % i for i in range(200)]]
    cmds += [["SADD", "set:large-ints"] + [str(i * 3) for i in range(520)]]
    # sorted sets: listpack with special scores, skiplist
    cmds += [["ZADD", "zset:small", "1.5", "a", "-2", "b", "inf", "c", "-inf", "d", "0", "e",
              "1e300", "f", "3", "g"]]
    cmds += [["ZADD", "zset:large"] + sum([[repr(i / 7.0), "m%03d" % i] for i in range(150)], [])]
    cmds += [["ZADD", "zset:long-member", "1", "z" * 100]]
    # hashes: listpack, hashtable (many fields, long value)
    cmds += [["HSET", "hash:small", "a", "1", "b", "hello", "c", "-70000", "d", ""]]
    cmds += [["HSET", "hash:large"] + sum([["f%03d" % i, "%d" % i] for i in range(520)], [])]
    cmds += [["HSET", "hash:long-value", "f", "v" * 100, "g", "1"]]
    if hfe:
        cmds += [["HSET", "hash:ttl", "a", "1", "b", "hello", "c", "300"],
                 ["HPEXPIREAT", "hash:ttl", FAR_FUTURE_MS, "FIELDS", "1", "a"],
                 ["HPEXPIREAT", "hash:ttl", FAR_FUTURE_MS + 123, "FIELDS", "1", "b"]]
        cmds += [["HSET", "hash:ttl-large"] + sum([["f%03d" % i, "%d" % i] for i in range(520)], [])]
        cmds += [["HPEXPIREAT", "hash:ttl-large", FAR_FUTURE_MS + i, "FIELDS", "1", "f%03d" % i]
                 for i in range(0, 520, 7)]
        cmds += [["HSET", "hash:ttl-expiring", "x", "1", "y", "2"],
                 ["HPEXPIREAT", "hash:ttl-expiring", FAR_FUTURE_MS + 5, "FIELDS", "1", "y"],
                 ["PEXPIREAT", "hash:ttl-expiring", FAR_FUTURE_MS + 10]]
    c.pipeline(cmds)
    # streams: several nodes, same and different fields, deletions, groups, PEL, consumers
    for i in range(1, 251):
        if i % 3 == 0:
            c.cmd("XADD", "stream:main", "%d-%d" % (1700000000000 + i, i % 5), "other", str(i))
        else:
            c.cmd("XADD", "stream:main", "%d-%d" % (1700000000000 + i, i % 5), "temp", str(i),
                  "unit", "C")
    c.cmd("XDEL", "stream:main", "%d-%d" % (1700000000010, 0))
    c.cmd("XDEL", "stream:main", "%d-%d" % (1700000000200, 0))
    c.cmd("XGROUP", "CREATE", "stream:main", "g1", "0")
    c.cmd("XGROUP", "CREATE", "stream:main", "g2", "$")
    c.cmd("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream:main", ">")
    c.cmd("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "stream:main", ">")
    c.cmd("XACK", "stream:main", "g1", "1700000000001-1")
    c.cmd("XGROUP", "CREATECONSUMER", "stream:main", "g1", "carol")
    c.cmd("XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM")
    c.cmd("XADD", "stream:small", "1-1", "k", "v")
    # other databases
    c.cmd("SELECT", "1")
    c.pipeline([["SET", "db1:str", "one"], ["RPUSH", "db1:list", "x", "y"],
                ["SET", "str:raw", "same name, other db"]])
    c.cmd("SELECT", "5")
    c.pipeline([["HSET", "db5:hash", "k", "v"], ["SET", "db5:expiring", "v"],
                ["PEXPIREAT", "db5:expiring", FAR_FUTURE_MS]])
    c.cmd("SELECT", "0")
    c.cmd("FUNCTION", "LOAD", "#!lua name=corpuslib\n"
          "redis.register_function('corpus_echo', function(keys, args) return args[1] end)")


def pairs(flat):
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def parse_stream(info):
    d = pairs(info)
    out = {
        "length": d["length"],
        "last_id": d["last-generated-id"].decode(),
        "entries": [[e[0].decode(), [L(x) for x in e[1]]] for e in d["entries"]],
        "groups": [],
    }
    for key in ("max-deleted-entry-id", "recorded-first-entry-id"):
        if key in d:
            out[key.replace("-", "_")] = d[key].decode()
    if "entries-added" in d:
        out["entries_added"] = d["entries-added"]
    for g in d["groups"]:
        gd = pairs(g)
        group = {
            "name": L(gd["name"]),
            "last_id": gd["last-delivered-id"].decode(),
            "entries_read": gd.get("entries-read"),
            "pending": [[p[0].decode(), L(p[1]), p[2], p[3]] for p in gd["pending"]],
            "consumers": [],
        }
        for cons in gd["consumers"]:
            cd = pairs(cons)
            consumer = {
                "name": L(cd["name"]),
                "seen_time": cd["seen-time"],
                "pending": [p[0].decode() for p in cd["pending"]],
            }
            if "active-time" in cd:
                consumer["active_time"] = cd["active-time"]
            group["consumers"].append(consumer)
        out["groups"].append(group)
    return out


def snapshot(c, hfe):
    """What the server holds, in manifest form."""
    keys = []
    dbs = []
    for line in c.cmd("INFO", "keyspace").decode().splitlines():
        if line.startswith("db") and ":" in line:
            dbs.append(int(line[2:line.index(":")]))
    for db in dbs:
        c.cmd("SELECT", str(db))
        for k in sorted(c.cmd("KEYS", "*")):
            t = c.cmd("TYPE", k).decode()
            exp = c.cmd("PEXPIRETIME", k)
            entry = {
                "db": db,
                "key": L(k),
                "type": t,
                "object_encoding": c.cmd("OBJECT", "ENCODING", k).decode(),
                "expire_ms": exp if exp > 0 else None,
            }
            if t == "string":
                entry["value"] = V(c.cmd("GET", k))
            elif t == "list":
                entry["value"] = [V(x) for x in c.cmd("LRANGE", k, "0", "-1")]
            elif t == "set":
                entry["value"] = sorted(L(x) for x in c.cmd("SMEMBERS", k))
            elif t == "zset":
                flat = c.cmd("ZRANGE", k, "0", "-1", "WITHSCORES")
                entry["value"] = [[L(flat[i]), flat[i + 1].decode()] for i in range(0, len(flat), 2)]
            elif t == "hash":
                flat = c.cmd("HGETALL", k)
                entry["value"] = {L(flat[i]): V(flat[i + 1]) for i in range(0, len(flat), 2)}
                if hfe:
                    fields = flat[0::2]
                    ttls = c.cmd("HPEXPIRETIME", k, "FIELDS", str(len(fields)), *fields)
                    entry["field_expire_ms"] = {L(f): t for f, t in zip(fields, ttls) if t > 0}
            elif t == "stream":
                entry["value"] = parse_stream(c.cmd("XINFO", "STREAM", k, "FULL", "COUNT", "0"))
            else:
                entry["value"] = {"module_type": t}
            keys.append(entry)
    c.cmd("SELECT", "0")
    libs = []
    try:
        for lib in c.cmd("FUNCTION", "LIST"):
            libs.append(pairs(lib)["library_name"].decode())
    except Exception:
        pass
    return {"keys": keys, "functions": sorted(libs)}


def save_rdb(server, name, meta, extra_manifest=None):
    c = server.client
    manifest = snapshot(c, meta["hfe"])
    c.cmd("SAVE")
    os.makedirs(os.path.join(OUT, meta["dir"]), exist_ok=True)
    path = os.path.join(meta["dir"], name + ".rdb")
    shutil.copy(os.path.join(server.dir, "dump.rdb"), os.path.join(OUT, path))
    manifest.update({"file": path, "server": meta["dir"]})
    manifest.update(extra_manifest or {})
    return manifest


def collect_dumps(c, manifest):
    """DUMP payloads of the small keys of db 0."""
    out = []
    for entry in manifest["keys"]:
        if entry["db"] != 0:
            continue
        payload = c.cmd("DUMP", entry["key"].encode("latin-1"))
        if payload is not None and len(payload) <= 1024:
            out.append({"key": entry["key"], "payload_hex": payload.hex()})
    return out


# --- AOF --------------------------------------------------------------------------------------------


def aof_commands(c, step):
    """Writes that AOF replay tests can model: strings, lists, sets, hashes, sorted sets, expiries,
    databases and transactions."""
    c.pipeline([
        ["SET", "a:%d" % step, "v%d" % step],
        ["APPEND", "a:%d" % step, "-more"],
        ["INCR", "counter"],
        ["INCRBY", "counter", "10"],
        ["RPUSH", "l", "x%d" % step, "y%d" % step],
        ["LPUSH", "l", "front%d" % step],
        ["SADD", "s", "m%d" % step, "common"],
        ["HSET", "h", "f%d" % step, "v%d" % step],
        ["ZADD", "z", str(step) + ".5", "m%d" % step],
        ["SET", "e:%d" % step, "expires"],
        ["EXPIRE", "e:%d" % step, "100000000"],
    ])
    c.cmd("MULTI")
    c.cmd("SET", "tx:%d" % step, "in transaction")
    c.cmd("SREM", "s", "common")
    c.cmd("EXEC")
    c.cmd("SELECT", "2")
    c.cmd("SET", "db2:%d" % step, "two")
    c.cmd("HDEL", "h", "nothing")
    c.cmd("SELECT", "0")
    c.cmd("DEL", "a:%d" % (step - 1))


def aof_snapshot(c):
    keys = []
    for db in (0, 2):
        c.cmd("SELECT", str(db))
        for k in sorted(c.cmd("KEYS", "*")):
            t = c.cmd("TYPE", k).decode()
            exp = c.cmd("PEXPIRETIME", k)
            entry = {"db": db, "key": L(k), "type": t, "expire_ms": exp if exp > 0 else None}
            if t == "string":
                entry["value"] = L(c.cmd("GET", k))
            elif t == "list":
                entry["value"] = [L(x) for x in c.cmd("LRANGE", k, "0", "-1")]
            elif t == "set":
                entry["value"] = sorted(L(x) for x in c.cmd("SMEMBERS", k))
            elif t == "zset":
                flat = c.cmd("ZRANGE", k, "0", "-1", "WITHSCORES")
                entry["value"] = [[L(flat[i]), flat[i + 1].decode()] for i in range(0, len(flat), 2)]
            elif t == "hash":
                flat = c.cmd("HGETALL", k)
                entry["value"] = {L(flat[i]): L(flat[i + 1]) for i in range(0, len(flat), 2)}
            keys.append(entry)
    c.cmd("SELECT", "0")
    return keys


def wait_rewrite(c):
    for _ in range(200):
        info = c.cmd("INFO", "persistence").decode()
        if "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info:
            return
        time.sleep(0.05)
    raise RuntimeError("AOF rewrite did not finish")


def make_aof(name, binary, port, tmp, preamble, timestamps):
    """A multi-part AOF directory: a rewritten base and an incr file; returns the manifest entry."""
    d = os.path.join(tmp, "aof-" + name)
    extra = ["--appendonly", "yes", "--appendfsync", "always",
             "--aof-use-rdb-preamble", "yes" if preamble else "no",
             "--aof-timestamp-enabled", "yes" if timestamps else "no"]
    s = Server(binary, port, d, extra)
    c = s.client
    wait_rewrite(c)
    aof_commands(c, 1)
    aof_commands(c, 2)
    c.cmd("BGREWRITEAOF")
    time.sleep(0.2)
    wait_rewrite(c)
    aof_commands(c, 3)
    if timestamps:
        time.sleep(1.1)  # #TS annotations are written when the second changes
    aof_commands(c, 4)
    before_last = aof_snapshot(c)
    c.cmd("SET", "last:write", "x" * 50)
    final = aof_snapshot(c)
    time.sleep(0.3)
    s.stop()
    target = os.path.join(OUT, name)
    os.makedirs(target, exist_ok=True)
    shutil.copytree(os.path.join(d, "appendonlydir"), os.path.join(target, "appendonlydir"),
                    dirs_exist_ok=True)
    return {"dir": os.path.join(name, "appendonlydir"), "keys": final,
            "keys_before_last": before_last}


def aof_variants(name, manifest):
    """Single-file and damaged variants made from a real multi-part directory."""
    base_dir = os.path.join(OUT, manifest["dir"])
    files = os.listdir(base_dir)
    base = [f for f in files if ".base." in f][0]
    incr = sorted(f for f in files if ".incr." in f)[-1]
    with open(os.path.join(base_dir, base), "rb") as f:
        base_bytes = f.read()
    with open(os.path.join(base_dir, incr), "rb") as f:
        incr_bytes = f.read()
    out = []
    single = os.path.join(name, "single.aof")
    with open(os.path.join(OUT, single), "wb") as f:
        f.write(base_bytes + incr_bytes)
    out.append({"file": single, "keys": manifest["keys"], "expect": "ok"})
    # Truncated inside the last command (a SET of 50 bytes): loads everything before it.
    truncated = os.path.join(name, "truncated.aof")
    with open(os.path.join(OUT, truncated), "wb") as f:
        f.write(base_bytes + incr_bytes[:-30])
    out.append({"file": truncated, "keys": manifest["keys_before_last"], "expect": "truncated"})
    # An unfinished MULTI at the end is dropped.
    multi = os.path.join(name, "open-multi.aof")
    with open(os.path.join(OUT, multi), "wb") as f:
        f.write(base_bytes + incr_bytes +
                b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$7\r\ndropped\r\n$1\r\n1\r\n")
    out.append({"file": multi, "keys": manifest["keys"], "expect": "ok"})
    # Garbage in the middle of the commands: a clear error.
    corrupt = os.path.join(name, "corrupt-middle.aof")
    middle = len(incr_bytes) // 2
    cut = incr_bytes.index(b"*", middle)
    with open(os.path.join(OUT, corrupt), "wb") as f:
        f.write(base_bytes + incr_bytes[:cut] + b"!garbage\r\n" + incr_bytes[cut:])
    out.append({"file": corrupt, "expect": "error"})
    return out


# --- legacy formats, built by hand --------------------------------------------------------------------


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n < 2 ** 32:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def rdb_str(b):
    if isinstance(b, str):
        b = b.encode()
    return rdb_len(len(b)) + b


def rdb_int_str(v):
    if -128 <= v <= 127:
        return b"\xc0" + struct.pack("<b", v)
    if -32768 <= v <= 32767:
        return b"\xc1" + struct.pack("<h", v)
    return b"\xc2" + struct.pack("<i", v)


def lzf_literal_and_repeat(data):
    """A valid LZF stream for data = prefix * k: one literal run, then back references."""
    unit = data[:3]
    assert data == unit * (len(data) // 3) and len(data) >= 9
    out = bytes([len(unit) - 1]) + unit
    remaining = len(data) - len(unit)
    while remaining > 0:
        n = min(remaining, 264)
        if n < 3:
            out += bytes([n - 1]) + unit[:n]
            break
        code = n - 2
        dist = 3 - 1  # repeat the previous 3 bytes (overlapping copies)
        if code < 7:
            out += bytes([(code << 5) | (dist >> 8), dist & 0xFF])
        else:
            out += bytes([(7 << 5) | (dist >> 8), code - 7, dist & 0xFF])
        remaining -= n
    return out


def rdb_lzf(data):
    packed = lzf_literal_and_repeat(data)
    return b"\xc3" + rdb_len(len(packed)) + rdb_len(len(data)) + packed


def ziplist(items):
    body = b""
    prev = 0
    tail = 10
    for item in items:
        tail = 10 + len(body)
        entry = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        if isinstance(item, int):
            if 0 <= item <= 12:
                entry += bytes([0xF1 + item])
            elif -128 <= item <= 127:
                entry += b"\xfe" + struct.pack("<b", item)
            elif -32768 <= item <= 32767:
                entry += b"\xc0" + struct.pack("<h", item)
            elif -(2 ** 23) <= item < 2 ** 23:
                entry += b"\xf0" + struct.pack("<i", item)[:3]
            elif -(2 ** 31) <= item < 2 ** 31:
                entry += b"\xd0" + struct.pack("<i", item)
            else:
                entry += b"\xe0" + struct.pack("<q", item)
        else:
            if isinstance(item, str):
                item = item.encode()
            n = len(item)
            if n < 64:
                entry += bytes([n]) + item
            elif n < 16384:
                entry += bytes([0x40 | (n >> 8), n & 0xFF]) + item
            else:
                entry += b"\x80" + struct.pack(">I", n) + item
        prev = len(entry)
        body += entry
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(items)) + body + b"\xff"


def zipmap(pairs_list):
    out = bytes([len(pairs_list)])
    for f, v in pairs_list:
        f, v = f.encode(), v.encode()
        out += bytes([len(f)]) + f + bytes([len(v)]) + b"\x02" + v + b"\x00\x00"
    return out + b"\xff"


def intset(values):
    values = sorted(values)
    width = 2 if all(-32768 <= v < 32768 for v in values) else (
        4 if all(-(2 ** 31) <= v < 2 ** 31 for v in values) else 8)
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in values)


def lp_backlen(n):
    if n <= 127:
        return bytes([n])
    if n < 16383:
        return bytes([n >> 7, (n & 127) | 128])
    raise ValueError


def listpack(items):
    body = b""
    for item in items:
        if isinstance(item, int):
            if 0 <= item <= 127:
                enc = bytes([item])
            elif -4096 <= item <= 4095:
                v = item & 0x1FFF
                enc = bytes([0xC0 | (v >> 8), v & 0xFF])
            elif -32768 <= item <= 32767:
                enc = b"\xf1" + struct.pack("<h", item)
            elif -(2 ** 31) <= item < 2 ** 31:
                enc = b"\xf3" + struct.pack("<i", item)
            else:
                enc = b"\xf4" + struct.pack("<q", item)
        else:
            if isinstance(item, str):
                item = item.encode()
            n = len(item)
            if n < 64:
                enc = bytes([0x80 | n]) + item
            else:
                enc = bytes([0xE0 | (n >> 8), n & 0xFF]) + item
        body += enc + lp_backlen(len(enc))
    total = 6 + len(body) + 1
    return struct.pack("<IH", total, len(items)) + body + b"\xff"


def stream_id_bytes(ms, seq):
    return struct.pack(">QQ", ms, seq)


def crc64(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def legacy_files():
    """Hand-built files in formats no installed server writes; returns manifests."""
    out = []
    os.makedirs(os.path.join(OUT, "legacy"), exist_ok=True)

    def finish(name, version, body, keys, checksum):
        data = b"REDIS%04d" % version + body + b"\xff"
        if checksum:
            data += struct.pack("<Q", crc64(data))
        path = os.path.join("legacy", name)
        with open(os.path.join(OUT, path), "wb") as f:
            f.write(data)
        out.append({"file": path, "server": "hand-built", "keys": keys, "functions": []})

    def key(db, name, t, value, expire=None, **extra):
        d = {"db": db, "key": name, "type": t, "value": value, "expire_ms": expire}
        d.update(extra)
        return d

    # RDB 1: plain types, text scores, second expiries, a zipmap hash.
    body = b"\xfe\x00"
    body += b"\x00" + rdb_str("s") + rdb_str("plain")
    body += b"\xfd" + struct.pack("<i", 2000000000) + b"\x00" + rdb_str("exp") + rdb_int_str(-3)
    body += b"\x01" + rdb_str("l") + rdb_len(3) + rdb_str("a") + rdb_int_str(300) + rdb_str("c")
    body += b"\x02" + rdb_str("set") + rdb_len(2) + rdb_str("x") + rdb_str("y")
    body += (b"\x03" + rdb_str("z") + rdb_len(3) + rdb_str("m1") + b"\x031.5" + rdb_str("m2") +
             b"\xfe" + rdb_str("m3") + b"\xff")
    body += b"\x04" + rdb_str("h") + rdb_len(2) + rdb_str("f") + rdb_str("v") + rdb_str("g") + rdb_str("w")
    body += b"\x09" + rdb_str("zm") + rdb_str(zipmap([("foo", "bar"), ("hello", "world")]))
    body += b"\xfe\x03" + b"\x00" + rdb_str("in-db3") + rdb_str("three")
    finish("v1-plain.rdb", 1, body, [
        key(0, "s", "string", "plain"),
        key(0, "exp", "string", "-3", 2000000000000),
        key(0, "l", "list", ["a", "300", "c"]),
        key(0, "set", "set", ["x", "y"]),
        key(0, "z", "zset", [["m3", "-inf"], ["m1", "1.5"], ["m2", "inf"]]),
        key(0, "h", "hash", {"f": "v", "g": "w"}),
        key(0, "zm", "hash", {"foo": "bar", "hello": "world"}),
        key(3, "in-db3", "string", "three"),
    ], checksum=False)

    # RDB 4: ziplists and intsets, ms expiries.
    zl_items = ["a", 0, 12, -1, 300, 70000, -(2 ** 23), 2 ** 31, "x" * 70, "y" * 20000]
    body = b"\xfe\x00"
    body += b"\xfc" + struct.pack("<q", FAR_FUTURE_MS) + b"\x0a" + rdb_str("zl") + rdb_str(ziplist(zl_items))
    body += b"\x0b" + rdb_str("is") + rdb_str(intset([5, -3, 2 ** 40]))
    body += b"\x0c" + rdb_str("zz") + rdb_str(ziplist(["a", "1.25", "b", 7]))
    body += b"\x0d" + rdb_str("hz") + rdb_str(ziplist(["f", "v", "n", 42]))
    finish("v4-ziplist.rdb", 4, body, [
        key(0, "zl", "list", [str(x) if isinstance(x, int) else V(x.encode()) for x in zl_items],
            FAR_FUTURE_MS),
        key(0, "is", "set", sorted(["5", "-3", str(2 ** 40)])),
        key(0, "zz", "zset", [["a", "1.25"], ["b", "7"]]),
        key(0, "hz", "hash", {"f": "v", "n": "42"}),
    ], checksum=False)

    # RDB 6: checksum, LZF strings and an LZF-compressed ziplist.
    long_value = "xyz" * 100
    body = b"\xfe\x00"
    body += b"\x00" + rdb_str("lzf") + rdb_lzf(long_value.encode())
    body += b"\x0a" + rdb_str("lzfzl") + rdb_str(ziplist(["abc" * 10, 1]))
    finish("v6-lzf.rdb", 6, body, [
        key(0, "lzf", "string", V(long_value.encode())),
        key(0, "lzfzl", "list", ["abc" * 10, "1"]),
    ], checksum=True)

    # RDB 7: aux fields, resize hints, quicklist of ziplists.
    body = b"\xfa" + rdb_str("redis-ver") + rdb_str("3.2.0") + b"\xfa" + rdb_str("redis-bits") + rdb_int_str(64)
    body += b"\xfe\x00\xfb" + rdb_len(1) + rdb_len(0)
    body += b"\x0e" + rdb_str("ql") + rdb_len(2) + rdb_str(ziplist(["a", "b"])) + rdb_str(ziplist([1, "c"]))
    finish("v7-quicklist.rdb", 7, body, [key(0, "ql", "list", ["a", "b", "1", "c"])], checksum=True)

    # RDB 8: binary scores, LRU/LFU hints, a module value with every annotation, 64-bit length.
    module_id = 0
    for ch in "testmodul":
        module_id = (module_id << 6) | "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(ch)
    module_id = (module_id << 10) | 3
    module_body = (rdb_len(module_id) + rdb_len(1) + rdb_len(5) + rdb_len(2) + rdb_len(7) +
                   rdb_len(3) + struct.pack("<f", 1.5) + rdb_len(4) + struct.pack("<d", 2.5) +
                   rdb_len(5) + rdb_str("payload") + rdb_len(0))
    body = b"\xfe\x00"
    body += b"\xf8" + rdb_len(1000) + b"\x05" + rdb_str("z2") + rdb_len(2) + rdb_str("a") + struct.pack("<d", 0.1) + rdb_str("b") + struct.pack("<d", -1e-300)
    body += b"\xf9\x07" + b"\x07" + rdb_str("mod") + module_body
    body += b"\x00" + rdb_str("big-len") + b"\x81" + struct.pack(">Q", 3) + b"abc"
    finish("v8-modules.rdb", 8, body, [
        key(0, "z2", "zset", [["b", repr(-1e-300)], ["a", "0.1"]], lru_idle=1000),
        key(0, "mod", "module", {"module_type": "testmodul"}, lfu_freq=7),
        key(0, "big-len", "string", "abc"),
    ], checksum=True)

    # RDB 9: stream v1 with a group, PEL and consumer; module aux data.
    node = listpack([2, 0, 2, "f", "g", 0,
                     2, 0, 0, "1", "2", 5,          # same fields, delta 0-0
                     0, 5, 1, 1, "h", "3", 6,        # different fields, delta 5-1
                     ])
    body = b"\xf7" + rdb_len(module_id) + rdb_len(2) + rdb_len(1) + rdb_len(5) + rdb_str("aux") + rdb_len(0)
    body += b"\xfe\x00"
    body += b"\x0f" + rdb_str("st") + rdb_len(1) + rdb_str(stream_id_bytes(100, 1)) + rdb_str(node)
    body += rdb_len(2) + rdb_len(105) + rdb_len(2)          # length, last id
    body += rdb_len(1) + rdb_str("grp") + rdb_len(100) + rdb_len(1)   # one group, last delivered
    body += rdb_len(1) + stream_id_bytes(100, 1) + struct.pack("<q", 1700000000000) + rdb_len(2)
    body += rdb_len(1) + rdb_str("cons") + struct.pack("<q", 1700000000500) + rdb_len(1) + stream_id_bytes(100, 1)
    finish("v9-stream.rdb", 9, body, [key(0, "st", "stream", {
        "length": 2, "last_id": "105-2",
        "entries": [["100-1", ["f", "1", "g", "2"]], ["105-2", ["h", "3"]]],
        "groups": [{"name": "grp", "last_id": "100-1", "entries_read": None,
                    "pending": [["100-1", "cons", 1700000000000, 2]],
                    "consumers": [{"name": "cons", "seen_time": 1700000000500, "pending": ["100-1"]}]}],
    })], checksum=True)
    return out


def write_json(name, value):
    """Compact JSON with one key (or list item) per line, so diffs stay readable."""
    def dump(v, depth):
        if depth < 3 and isinstance(v, list):
            return "[\n" + ",\n".join(dump(x, depth + 1) for x in v) + "\n]"
        if depth < 3 and isinstance(v, dict):
            return "{\n" + ",\n".join(json.dumps(k) + ": " + dump(v[k], depth + 1)
                                      for k in sorted(v)) + "\n}"
        return json.dumps(v, sort_keys=True, separators=(",", ":"))
    with open(os.path.join(OUT, name), "w") as f:
        f.write(dump(value, 0) + "\n")


# --- main -------------------------------------------------------------------------------------------


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    tmp = tempfile.mkdtemp(prefix="ferry-corpus-")
    rdb_manifests = []
    dumps = {}
    aof_manifests = []
    port = PORT_BASE
    try:
        for name, binary in SERVERS.items():
            hfe = name != "redis-7.0"
            meta = {"dir": name, "hfe": hfe}
            s = Server(binary, port, os.path.join(tmp, name))
            port += 1
            write_dataset(s.client, name)
            m = save_rdb(s, "all-types", meta)
            rdb_manifests.append(m)
            dumps[name] = collect_dumps(s.client, m)
            # LRU / LFU hints
            s.client.cmd("FLUSHALL")
            s.client.cmd("FUNCTION", "FLUSH")
            policy = "allkeys-lfu" if name != "redis-8.2" else "allkeys-lru"
            s.client.cmd("CONFIG", "SET", "maxmemory-policy", policy)
            for i in range(20):
                s.client.cmd("SET", "k%d" % i, "v")
                for _ in range(i):
                    s.client.cmd("GET", "k%d" % i)
            hint = "lfu" if policy.endswith("lfu") else "lru"
            rdb_manifests.append(save_rdb(s, hint, meta, {"hint": hint}))
            s.stop()
            # Checksums disabled
            s = Server(binary, port, os.path.join(tmp, name + "-nocrc"), ["--rdbchecksum", "no"])
            port += 1
            s.client.pipeline([["SET", "a", "1"], ["RPUSH", "b", "x", "y"]])
            rdb_manifests.append(save_rdb(s, "no-checksum", meta, {"checksum": "disabled"}))
            s.stop()
            if name != "redis-7.0":
                # Cluster mode: slot info
                c_dir = os.path.join(tmp, name + "-cluster")
                s = Server(binary, port, c_dir, ["--cluster-enabled", "yes",
                                                  "--cluster-config-file", os.path.join(c_dir, "nodes.conf")])
                port += 1
                s.client.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
                for _ in range(100):
                    if b"cluster_state:ok" in s.client.cmd("CLUSTER", "INFO"):
                        break
                    time.sleep(0.1)
                for i in range(30):
                    s.client.cmd("SET", "slot-key-%d" % i, str(i))
                s.client.cmd("PEXPIREAT", "slot-key-1", FAR_FUTURE_MS)
                rdb_manifests.append(save_rdb(s, "cluster", meta, {"cluster": True}))
                s.stop()
            if name == "redis-8.2" and FALKORDB:
                s = Server(binary, port, os.path.join(tmp, "falkordb"), ["--loadmodule", FALKORDB])
                port += 1
                s.client.cmd("GRAPH.QUERY", "graph", "CREATE (:P {name:'a'})-[:K]->(:P {name:'b'})")
                s.client.cmd("SET", "plain", "next to a module value")
                rdb_manifests.append(save_rdb(s, "module", meta, {"modules": ["graphdata"]}))
                s.stop()
        # AOF
        specs = [("valkey-9.1/aof", SERVERS["valkey-9.1"], True, True),
                 ("redis-8.2/aof", SERVERS["redis-8.2"], True, False),
                 ("redis-7.0/aof", SERVERS["redis-7.0"], False, False)]
        for name, binary, preamble, timestamps in specs:
            m = make_aof(name, binary, port, tmp, preamble, timestamps)
            port += 1
            aof_manifests.append({"dir": m["dir"], "keys": m["keys"], "expect": "ok"})
            aof_manifests += aof_variants(name, m)
        rdb_manifests += legacy_files()
    finally:
        for server in list(RUNNING):
            server.proc.kill()
            server.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    write_json("rdb-manifest.json", rdb_manifests)
    write_json("dump-payloads.json", dumps)
    write_json("aof-manifest.json", aof_manifests)
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("corpus written to %s: %d bytes" % (OUT, total))


if __name__ == "__main__":
    sys.exit(main())
