#!/usr/bin/env python3
"""Round trips through real servers: every RDB of the corpus is

  1. converted with `ferry rdb convert --target T --lossy` and loaded by a real server of that target
     (valkey-9 -> Valkey 9.1, valkey-8/redis-7 -> Valkey 9.1 and Redis 8.2 reading RDB 11,
     redis-7.0 -> Redis 7.0), and
  2. dumped with `ferry rdb dump --format resp` and piped into a fresh Valkey 9.1,

then every key is read back through the server and compared with the corpus manifest (what the
original server held), minus what the target cannot hold. Run through scripts/rdb-roundtrip.sh.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_rdb_corpus as corpus  # noqa: E402

FERRY = os.environ["FERRY"]
CORPUS = os.environ.get("CORPUS_DIR", "rdb/tests/corpus")
PORT = int(os.environ.get("ROUNDTRIP_PORT", "7960"))

TARGET_SERVERS = {
    "valkey-9": ["valkey-9.1"],
    "valkey-8": ["valkey-9.1", "redis-8.2"],
    "redis-7": ["redis-8.2"],
    "redis-7.0": ["redis-7.0"],
}


def normalise(entry, target, via_resp):
    e = copy.deepcopy(entry)
    for extra in ("object_encoding", "lru_idle", "lfu_freq"):
        e.pop(extra, None)
    if target not in ("valkey-9",) and e["type"] == "hash":
        e["field_expire_ms"] = {}
    if e["type"] == "hash" and not e.get("field_expire_ms"):
        e.pop("field_expire_ms", None)
    if e["type"] == "zset":
        e["value"] = [[m, float(score)] for m, score in e["value"]]
    if e["type"] == "stream":
        for key in ("recorded_first_entry_id",):
            e["value"].pop(key, None)
        for group in e["value"]["groups"]:
            for consumer in group["consumers"]:
                if via_resp or target == "redis-7.0":
                    consumer.pop("active_time", None)
                if via_resp:
                    consumer.pop("seen_time", None)
            if group.get("entries_read") is None:
                group.pop("entries_read", None)
    return e


def compare(expected_keys, actual_keys, target, via_resp, label):
    want = {}
    for entry in expected_keys:
        if isinstance(entry.get("value"), dict) and "module_type" in entry["value"]:
            continue
        want[(entry["db"], entry["key"])] = normalise(entry, target, via_resp)
    got = {(e["db"], e["key"]): normalise(e, target, via_resp) for e in actual_keys}
    # A source without some stream metadata (RDB 9 streams, Redis 7.0 consumers without an active
    # time) gets the target's derived values: compare only what the source had.
    for k, g in got.items():
        w = want.get(k)
        if not w or w["type"] != "stream" or g["type"] != "stream":
            continue
        for field in [f for f in g["value"] if f not in w["value"]]:
            del g["value"][field]
        for wg, gg in zip(w["value"]["groups"], g["value"]["groups"]):
            for field in [f for f in gg if f not in wg]:
                del gg[field]
            for wc, gc in zip(wg["consumers"], gg["consumers"]):
                for field in [f for f in gc if f not in wc]:
                    del gc[field]
    problems = []
    for k in sorted(set(want) | set(got), key=str):
        if k not in got:
            problems.append("%s: missing key %r" % (label, k))
        elif k not in want:
            problems.append("%s: unexpected key %r" % (label, k))
        elif want[k] != got[k]:
            a, b = want[k], got[k]
            diff = [f for f in set(a) | set(b) if a.get(f) != b.get(f)]
            if diff == ["value"] and isinstance(a["value"], dict) and isinstance(b["value"], dict):
                diff = ["value.%s: %r != %r" % (f, a["value"].get(f), b["value"].get(f))
                        for f in set(a["value"]) | set(b["value"])
                        if a["value"].get(f) != b["value"].get(f)]
            problems.append("%s: key %r differs in %s" % (label, k, diff))
    return problems


def main():
    manifests = json.load(open(os.path.join(CORPUS, "rdb-manifest.json")))
    tmp = tempfile.mkdtemp(prefix="ferry-roundtrip-")
    port = PORT
    problems = []
    checked = 0
    try:
        for m in manifests:
            if m.get("cluster"):
                continue  # cluster-mode files need a cluster-enabled server
            source = os.path.join(CORPUS, m["file"])
            hfe_source = any("field_expire_ms" in k for k in m["keys"])
            for target, servers in TARGET_SERVERS.items():
                out = os.path.join(tmp, "converted.rdb")
                run = subprocess.run([FERRY, "rdb", "convert", source, out, "--target", target,
                                      "--lossy"], capture_output=True, text=True)
                if run.returncode != 0:
                    problems.append("%s -> %s: convert failed: %s" % (m["file"], target, run.stderr))
                    continue
                for server_name in servers:
                    d = os.path.join(tmp, "load-%d" % port)
                    os.makedirs(d)
                    shutil.copy(out, os.path.join(d, "dump.rdb"))
                    s = corpus.Server(corpus.SERVERS[server_name], port, d, ["--databases", "16"])
                    port += 1
                    try:
                        snap = corpus.snapshot(s.client, server_name != "redis-7.0")
                        label = "%s -> %s loaded by %s" % (m["file"], target, server_name)
                        problems += compare(m["keys"], snap["keys"], target, False, label)
                        if sorted(snap["functions"]) != sorted(m["functions"]):
                            problems.append("%s: functions %s" % (label, snap["functions"]))
                        checked += len(snap["keys"])
                    finally:
                        s.stop()
            # RESP dump piped into Valkey 9.1
            d = os.path.join(tmp, "resp-%d" % port)
            s = corpus.Server(corpus.SERVERS["valkey-9.1"], port, d)
            port += 1
            try:
                dump = subprocess.run([FERRY, "rdb", "dump", source, "--format", "resp"],
                                      capture_output=True, check=True).stdout
                s.client.sock.sendall(dump)
                # Drain one reply per command: count commands by their array headers.
                commands = 0
                at = 0
                while at < len(dump):
                    end = dump.index(b"\r\n", at)
                    n = int(dump[at + 1:end])
                    at = end + 2
                    for _ in range(n):
                        end = dump.index(b"\r\n", at)
                        length = int(dump[at + 1:end])
                        at = end + 2 + length + 2
                    commands += 1
                errors = []
                for _ in range(commands):
                    try:
                        s.client._reply()
                    except RuntimeError as error:
                        errors.append(str(error))
                label = "%s dumped as RESP into valkey-9.1" % m["file"]
                if errors:
                    problems.append("%s: %d command errors, first: %s" % (label, len(errors), errors[0]))
                snap = corpus.snapshot(s.client, True)
                problems += compare(m["keys"], snap["keys"], "valkey-9", True, label)
                if sorted(snap["functions"]) != sorted(m["functions"]):
                    problems.append("%s: functions %s" % (label, snap["functions"]))
                checked += len(snap["keys"])
            finally:
                s.stop()
    finally:
        for server in list(corpus.RUNNING):
            server.proc.kill()
            server.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print(p)
    print("%d keys checked through real servers, %d problems" % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
