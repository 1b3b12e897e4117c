#!/usr/bin/env python3
"""Converts differential case files from the retired line format (compat-tests/cases/*.txt) to TOML.

    scripts/convert-cases.py compat-tests/cases/dump.txt [more.txt ...]

writes dump.toml next to each input (refusing to overwrite an existing one unless --force) and leaves
the .txt in place: check the result with `cargo test -p ferry-compat` / `ferry compat run --case`,
then `git rm` the .txt (the loader refuses a directory that still holds one).

Old format: `=== name` starts a case; `#` lines are comments; every other line is a command split like
redis-cli, or a directive: `@client N`, `@send CMD...`, `@read`, `@raw "bytes"`, `@sleep MS`.
New format: one `[[case]]` table per case; comments right after `=== name` become its `description`,
the steps become the `steps` array (commands as strings, directives as one-key inline tables), other
comments and blank lines stay where they were.
"""

import argparse
import os
import sys

MAX_CLIENTS = 16
MAX_SLEEP_MS = 10_000
ESCAPES = {"n": 0x0A, "r": 0x0D, "t": 0x09, "b": 0x08, "a": 0x07}
HEX = "0123456789abcdefABCDEF"


class ConvertError(Exception):
    pass


def split_args(line):
    """Splits like redis-cli (the rules of compat-tests/src/cases/split.rs). Returns a list of bytes."""
    args = []
    pos = 0
    n = len(line)
    while True:
        while pos < n and line[pos] in " \t\r\n\v\f":
            pos += 1
        if pos >= n:
            return args
        current = bytearray()
        in_double = in_single = False
        while True:
            ch = line[pos] if pos < n else None
            if in_double:
                if ch is None:
                    raise ConvertError("unbalanced double quotes")
                if ch == "\\":
                    if pos + 1 >= n:
                        raise ConvertError("unbalanced double quotes")
                    nxt = line[pos + 1]
                    hexpart = line[pos + 2 : pos + 4]
                    if nxt == "x" and len(hexpart) == 2 and all(c in HEX for c in hexpart):
                        current.append(int(hexpart, 16))
                        pos += 4
                    else:
                        current += bytes([ESCAPES[nxt]]) if nxt in ESCAPES else nxt.encode()
                        pos += 2
                    continue
                if ch == '"':
                    if pos + 1 < n and line[pos + 1] not in " \t\r\n\v\f":
                        raise ConvertError("closing quote must be followed by a space or nothing")
                    pos += 1
                    break
                current += ch.encode()
            elif in_single:
                if ch is None:
                    raise ConvertError("unbalanced single quotes")
                if ch == "\\" and pos + 1 < n and line[pos + 1] == "'":
                    current += b"'"
                    pos += 2
                    continue
                if ch == "'":
                    if pos + 1 < n and line[pos + 1] not in " \t\r\n\v\f":
                        raise ConvertError("closing quote must be followed by a space or nothing")
                    pos += 1
                    break
                current += ch.encode()
            else:
                if ch is None or ch in " \t\r\n\v\f":
                    break
                if ch == '"':
                    in_double = True
                elif ch == "'":
                    in_single = True
                else:
                    current += ch.encode()
            pos += 1
        args.append(bytes(current))


def escape_raw(data):
    """Bytes as the escaped text of a `raw` step: printable ASCII as is, `\\r \\n \\t \\\\`, else `\\xHH`."""
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def has_control(text):
    return any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in text)


def toml_string(text):
    """The most readable TOML string for `text`: a literal string when possible (backslashes stay as
    written), then a plain basic string, a multi-line literal, and an escaped basic string."""
    if "'" not in text and not has_control(text):
        return "'" + text + "'"
    if '"' not in text and "\\" not in text and not has_control(text):
        return '"' + text + '"'
    if (
        "'''" not in text
        and not text.startswith("'")
        and not text.endswith("'")
        and not has_control(text)
    ):
        return "'''" + text + "'''"
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_text(text):
    """A name or description: a double-quoted string when it needs no escape."""
    if '"' not in text and "\\" not in text and not has_control(text):
        return '"' + text + '"'
    return toml_string(text)


def directive_number(words, lo, hi, where):
    name = words[0].decode()
    if len(words) != 2:
        raise ConvertError(f"{where}: {name} takes exactly one number")
    try:
        value = int(words[1].decode())
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi or not words[1].isdigit():
        raise ConvertError(f"{where}: {name} takes a number from {lo} to {hi}")
    return value


def convert_step(line, where):
    """One non-comment line of a case as the TOML text of its step."""
    try:
        words = split_args(line)
    except ConvertError as e:
        raise ConvertError(f"{where}: {e}") from None
    first = words[0]
    if first == b"@client":
        return "{ client = %d }" % directive_number(words, 1, MAX_CLIENTS, where)
    if first == b"@sleep":
        return "{ sleep = %d }" % directive_number(words, 0, MAX_SLEEP_MS, where)
    if first == b"@send" and len(words) > 1:
        if not line.startswith("@send"):
            raise ConvertError(f"{where}: quoted @send directive")
        rest = line[len("@send") :].strip(" \t\r\n\v\f")
        if split_args(rest) != words[1:]:
            raise ConvertError(f"{where}: cannot isolate the command of @send")
        return "{ send = %s }" % toml_string(rest)
    if first == b"@read" and len(words) == 1:
        return "{ read = true }"
    if first == b"@raw":
        if len(words) != 2:
            raise ConvertError(f"{where}: @raw takes exactly one (quoted) argument")
        return "{ raw = %s }" % toml_string(escape_raw(words[1]))
    if first.startswith(b"@"):
        raise ConvertError(f"{where}: unknown or malformed directive {first.decode(errors='replace')}")
    return toml_string(line)


def convert(name, data):
    """The TOML text for the old-format case file `data` (bytes); `name` labels errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConvertError(f"{name}: not UTF-8 at byte {e.start}") from None
    header = []  # comment lines before the first case
    cases = []  # dicts: name, description, entries [(kind, text)], before [comment lines]
    pending = []  # blank/comment entries not yet placed
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        trimmed = line.strip(" \t\r\n\v\f")
        where = f"{name}:{number}"
        if not trimmed or trimmed.startswith("#"):
            if not cases:
                header.append(trimmed)
            else:
                pending.append(("comment", trimmed) if trimmed else ("blank", ""))
            continue
        if trimmed.startswith("==="):
            # Comments after the previous case's last step introduce this case: they go before it.
            before = [text for kind, text in pending if kind == "comment"]
            pending = []
            cases.append(
                {
                    "name": trimmed[3:].strip(" \t\r\n\v\f"),
                    "description": None,
                    "entries": [],
                    "before": before,
                }
            )
            continue
        if not cases:
            raise ConvertError(f"{where}: command before the first `=== name` header")
        case = cases[-1]
        step = convert_step(trimmed, where)
        if not case["entries"] and case["description"] is None:
            leading = [text for kind, text in pending if kind == "comment"]
            if leading and all(kind == "comment" for kind, _ in pending):
                case["description"] = " ".join(c.lstrip("#").strip() for c in leading)
                pending = []
        case["entries"].extend(pending)
        pending = []
        case["entries"].append(("step", step))
    trailing = [text for kind, text in pending if kind == "comment"]

    out = []
    while header and not header[-1]:
        header.pop()
    out.extend(header)
    for case in cases:
        if not case["entries"]:
            raise ConvertError(f"{name}: case {case['name']!r} has no step")
        if out:
            out.append("")
        out.extend(case["before"])
        out.append("[[case]]")
        out.append("name = " + toml_text(case["name"]))
        if case["description"] is not None:
            out.append("description = " + toml_text(case["description"]))
        out.append("steps = [")
        previous_blank = True
        for kind, entry in case["entries"]:
            if kind == "blank":
                if not previous_blank:
                    out.append("")
                previous_blank = True
                continue
            previous_blank = False
            out.append("    " + entry + ("," if kind == "step" else ""))
        while out[-1] == "":
            out.pop()
        out.append("]")
    if trailing:
        out.append("")
        out.extend(trailing)
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="old-format case files (*.txt)")
    parser.add_argument("--force", action="store_true", help="overwrite existing .toml files")
    args = parser.parse_args()
    status = 0
    for path in args.files:
        target = os.path.splitext(path)[0] + ".toml"
        try:
            if os.path.exists(target) and not args.force:
                raise ConvertError(f"{target} exists (use --force to overwrite)")
            with open(path, "rb") as f:
                converted = convert(os.path.basename(path), f.read())
        except (ConvertError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
            continue
        with open(target, "w", encoding="utf-8") as f:
            f.write(converted)
        print(f"{path} -> {target}")
    return status


if __name__ == "__main__":
    sys.exit(main())
