#!/usr/bin/env python3
"""RSS growth of a server after loading many lists, for comparing ferry with Valkey.

Usage: list-memory.py PORT PID SHAPE, SHAPE being `small` (100k lists of 10 short elements) or
`large` (100k lists of 1000 elements of 8 bytes, which become quicklists). Prints bytes per list.
The server should be freshly started and empty. RSS is read after the loading connection is closed
and the allocator has settled.
"""

import socket
import sys
import time

from memlib import rss

LISTS = 100_000


def bulk(data):
    return b"$%d\r\n%s\r\n" % (len(data), data)


def command_chunks(shape):
    """Per list: the RPUSH commands after the key, as (argument count, encoded elements)."""
    if shape == "small":
        elements = [b"v%d" % i for i in range(10)]
        per_command = 10
    else:
        elements = [b"e:%06d" % i for i in range(1000)]
        per_command = 100
    chunks = []
    for start in range(0, len(elements), per_command):
        part = elements[start : start + per_command]
        chunks.append((len(part) + 2, b"".join(bulk(e) for e in part)))
    return chunks


def main():
    port, pid, shape = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    sock = socket.create_connection(("127.0.0.1", port))
    chunks = command_chunks(shape)
    time.sleep(0.5)
    before = rss(pid)
    sent = 0
    received = 0
    buffer = bytearray()
    batch = []
    for n in range(LISTS):
        key = bulk(b"list:%d" % n)
        for argc, body in chunks:
            batch.append(b"*%d\r\n$5\r\nRPUSH\r\n%s%s" % (argc, key, body))
            sent += 1
        if len(batch) >= 200 or n == LISTS - 1:
            sock.sendall(b"".join(batch))
            batch.clear()
            # Keep at most a few thousand replies outstanding.
            while sent - received > 2000 or (n == LISTS - 1 and received < sent):
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("connection closed")
                buffer += data
                lines = buffer.count(b"\r\n")
                received += lines
                del buffer[: buffer.rfind(b"\r\n") + 2]
                if b"-" in data[:1]:
                    raise RuntimeError(data[:200])
    # Close the loading connection and give the allocator time to return freed pages (jemalloc's dirty
    # page decay is 10 s), so only the lists' own memory remains.
    sock.close()
    time.sleep(12)
    after = rss(pid)
    print(f"{shape}: {LISTS} lists, RSS {before/1e6:.1f} MB -> {after/1e6:.1f} MB, "
          f"{(after-before)/LISTS:.0f} bytes per list")


if __name__ == "__main__":
    main()
