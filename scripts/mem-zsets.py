#!/usr/bin/env python3
"""Memory of sorted sets: RSS growth of ferry and valkey-server 9.1 after loading 100,000 sorted sets.

Scenarios (each on a freshly started server, one ZADD per key sent in pipelined batches):
  small  100k sets x 10 members     (listpack)
  big    100k sets x 1,000 members  (skiplist; needs ~9 GB for Valkey, ~7 GB for ferry)
Members are `member:<i>`, scores a fixed shuffle of 0..n, so elements arrive out of order.

Measured here (ferry debug build, Valkey 9.1.2 with libc malloc):
  small: ferry 196 B/key, valkey 213 B/key
  big:   ferry 70.1 B/member, valkey 87.8 B/member

usage: scripts/mem-zsets.py [--ferry PATH] [--valkey PATH] [--keys N] [--port P] [scenario ...]
"""
import argparse
import random
import socket
import subprocess
import time

from memlib import DEFAULT_VALKEY, rss

MEMBERS = {'small': 10, 'big': 1000}


def connect(port):
    for _ in range(100):
        try:
            return socket.create_connection(('127.0.0.1', port))
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f'no server on port {port}')


def bulk(data):
    return b'$%d\r\n%s\r\n' % (len(data), data)


def load(sock, keys, members):
    """Sends one ZADD per key and reads the integer replies."""
    scores = list(range(members))
    random.Random(42).shuffle(scores)
    pairs = b''.join(bulk(str(score).encode()) + bulk(b'member:%d' % i) for i, score in enumerate(scores))
    header = b'*%d\r\n' % (2 + 2 * members) + bulk(b'ZADD')
    batch_size = 200 if members < 100 else 10
    pending = b''

    def read_replies(count):
        nonlocal pending
        seen = 0
        while seen < count:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError('connection closed')
            pending += chunk
            lines = pending.count(b'\r\n')
            seen += lines
            if lines:
                pending = pending[pending.rfind(b'\r\n') + 2:]

    batch = []
    for key in range(keys):
        batch.append(header + bulk(b'zset:%d' % key) + pairs)
        if len(batch) == batch_size:
            sock.sendall(b''.join(batch))
            read_replies(len(batch))
            batch = []
    if batch:
        sock.sendall(b''.join(batch))
        read_replies(len(batch))


def measure(label, argv, port, keys, members):
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sock = connect(port)
        time.sleep(1)
        before = rss(server.pid)
        started = time.time()
        load(sock, keys, members)
        seconds = time.time() - started
        time.sleep(3)
        growth = rss(server.pid) - before
        print(f'{label}: {keys} keys x {members} members: {growth / 1e6:.1f} MB, '
              f'{growth / keys:.0f} B/key, {growth / (keys * members):.1f} B/member (load {seconds:.1f} s)',
              flush=True)
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--ferry', default='target/debug/ferry')
    parser.add_argument('--valkey', default=DEFAULT_VALKEY)
    parser.add_argument('--keys', type=int, default=100_000)
    parser.add_argument('--port', type=int, default=7591)
    parser.add_argument('scenario', nargs='*', help='small, big (default: small)')
    args = parser.parse_args()
    args.scenario = args.scenario or ['small']
    unknown = [s for s in args.scenario if s not in MEMBERS]
    if unknown:
        parser.error(f'unknown scenario {unknown[0]!r}: choose from {sorted(MEMBERS)}')
    for scenario in args.scenario:
        members = MEMBERS[scenario]
        measure('valkey', [args.valkey, '--port', str(args.port), '--save', '', '--appendonly', 'no',
                           '--dir', '/tmp'], args.port, args.keys, members)
        measure('ferry', [args.ferry, 'serve', '--port', str(args.port)], args.port, args.keys, members)


if __name__ == '__main__':
    main()
