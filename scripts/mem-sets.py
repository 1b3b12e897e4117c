#!/usr/bin/env python3
"""Memory of sets: RSS growth of ferry and valkey-server 9.1 after loading 100,000 sets.

Scenarios (each on a freshly started server, loaded through a pipelined socket):
  ints10  100k sets x 10 integers        (intset)
  strs10  100k sets x 10 short strings   (listpack)
  big     100k sets x 1,000 strings      (hashtable; needs ~6 GB for Valkey, ~4 GB for ferry)

usage: scripts/mem-sets.py [--ferry PATH] [--valkey PATH] [--port N] [scenario ...]
"""
import argparse
import os
import socket
import subprocess
import tempfile
import time

from memlib import DEFAULT_VALKEY, rss

SETS = 100_000


def encode(args):
    out = [b'*%d\r\n' % len(args)]
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(arg), arg))
    return b''.join(out)


def commands(scenario):
    for k in range(SETS):
        key = f'set:{k}'
        if scenario == 'ints10':
            yield ['SADD', key] + [k * 10 + i for i in range(10)]
        elif scenario == 'strs10':
            yield ['SADD', key] + [f'm{k}:{i}' for i in range(10)]
        else:
            for start in range(0, 1000, 250):
                yield ['SADD', key] + [f'member:{i}' for i in range(start, start + 250)]


def load(port, scenario):
    """Sends every command, 200 per batch; each reply is one integer line."""
    sock = socket.create_connection(('127.0.0.1', port))
    batch = []

    def flush():
        sock.sendall(b''.join(encode(c) for c in batch))
        pending, buffered = len(batch), b''
        while buffered.count(b'\r\n') < pending:
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError('connection closed')
            buffered += chunk
        batch.clear()

    for command in commands(scenario):
        batch.append(command)
        if len(batch) == 200:
            flush()
    if batch:
        flush()
    sock.sendall(encode(['OBJECT', 'ENCODING', 'set:7']))
    encoding = sock.recv(100).split(b'\r\n')[1].decode()
    sock.close()
    return encoding


def wait_for(port):
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port)).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f'nothing listens on {port}')


def measure(command, port, scenario):
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(port)
            time.sleep(0.5)
            before = rss(server.pid)
            encoding = load(port, scenario)
            time.sleep(2)  # let the allocator settle (jemalloc's background purge)
            return (rss(server.pid) - before) / SETS, encoding
        finally:
            server.terminate()
            server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--ferry', default='target/release/ferry')
    parser.add_argument('--valkey', default=DEFAULT_VALKEY)
    parser.add_argument('--port', type=int, default=7402)
    parser.add_argument('scenarios', nargs='*', default=['ints10', 'strs10', 'big'])
    options = parser.parse_args()
    servers = {
        'ferry': [os.path.abspath(options.ferry), 'serve', '--port', str(options.port)],
        'valkey': [options.valkey, '--port', str(options.port), '--save', '', '--appendonly', 'no'],
    }
    print('| scenario | server | encoding | RSS growth per set (bytes) |')
    print('|---|---|---|---:|')
    for scenario in options.scenarios:
        for name, command in servers.items():
            per_set, encoding = measure(command, options.port, scenario)
            print(f'| {scenario} | {name} | {encoding} | {per_set:,.1f} |', flush=True)


if __name__ == '__main__':
    main()
