#!/usr/bin/env python3
"""Memory of hashes: RSS growth of ferry and valkey-server 9.1 after loading 100,000 hashes.

Scenarios (each on a freshly started server, loaded through redis-cli --pipe, one HSET per hash):
  small  100k hashes x 10 fields     (listpack)
  big    100k hashes x 1,000 fields  (hashtable; needs ~5 GB for each server)
Fields are `field:<i>`, values `v<7k+i>`, as in the numbers reported with the hash family.

usage: scripts/mem-hashes.py [--ferry PATH] [--valkey PATH] [--keys N] [scenario ...]
"""
import argparse
import subprocess
import time

from memlib import DEFAULT_VALKEY, rss

FIELDS = {'small': 10, 'big': 1000}


def cli(port, *args):
    return subprocess.run(['redis-cli', '-p', str(port), *args],
                          capture_output=True, text=True).stdout.strip()


def load(port, keys, fields):
    """Streams one HSET per hash into redis-cli --pipe."""
    pipe = subprocess.Popen(['redis-cli', '-p', str(port), '--pipe'],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    names = [b'field:%d' % i for i in range(fields)]
    encoded = [b'$%d\r\n%s\r\n' % (len(n), n) for n in names]
    for k in range(keys):
        key = b'hash:%d' % k
        parts = [b'*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n' % (2 + 2 * fields, len(key), key)]
        for i in range(fields):
            value = b'v%d' % (k * 7 + i)
            parts.append(encoded[i])
            parts.append(b'$%d\r\n%s\r\n' % (len(value), value))
        pipe.stdin.write(b''.join(parts))
    pipe.stdin.close()
    pipe.wait()


def measure(name, command, port, keys, fields):
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        before = rss(server.pid)
        started = time.time()
        load(port, keys, fields)
        elapsed = time.time() - started
        time.sleep(3)
        growth = rss(server.pid) - before
        print(f'{name:7} {keys} x {fields:5}: {cli(port, "object", "encoding", "hash:0"):9} '
              f'RSS +{growth / 1e6:7.1f} MB = {growth / keys:6.0f} B/hash, '
              f'{growth / (keys * fields):5.1f} B/field (load {elapsed:.0f} s)', flush=True)
    finally:
        cli(port, 'shutdown', 'nosave')
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ferry', default='target/debug/ferry')
    parser.add_argument('--valkey', default=DEFAULT_VALKEY)
    parser.add_argument('--keys', type=int, default=100_000)
    parser.add_argument('--port', type=int, default=7340)
    parser.add_argument('scenarios', nargs='*', default=['small', 'big'])
    args = parser.parse_args()
    for scenario in args.scenarios:
        fields = FIELDS[scenario]
        for name, command in [
            ('valkey', [args.valkey, '--port', str(args.port), '--save', '', '--appendonly', 'no']),
            ('ferry', [args.ferry, 'serve', '--port', str(args.port), '--save', '', '--appendonly', 'no']),
        ]:
            measure(name, command, args.port, args.keys, fields)


if __name__ == '__main__':
    main()
