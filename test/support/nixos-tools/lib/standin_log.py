#!/usr/bin/env python3
"""Appends one JSON line describing a stand-in call to $TABULA_STANDIN_LOG.

    standin_log.py TOOL [KEY=VALUE | KEY:=JSON]... -- ARGV...

Every line holds tool, argv, cwd, uid, env (the variables that change what
the real tools do) and the given facts. Nothing is written when
TABULA_STANDIN_LOG is unset. The line is written with one write(2) on an
O_APPEND descriptor, so concurrent stand-ins never interleave lines.
"""
import json
import os
import sys

ENV_KEYS = (
    "NIXOS_INSTALL_BOOTLOADER",
    "NIXOS_INSTALL_GRUB",
    "NIXOS_NO_CHECK",
    "NIXOS_NO_SYNC",
    "NIXOS_CONFIG",
    "NIX_PATH",
    "TMPDIR",
    "IN_NIXOS_ENTER",
    "mountPoint",
)


def main(argv):
    path = os.environ.get("TABULA_STANDIN_LOG")
    if not path:
        return 0
    if not argv:
        print("standin_log.py: missing TOOL", file=sys.stderr)
        return 2
    tool, rest = argv[0], argv[1:]
    facts = {}
    while rest and rest[0] != "--":
        item = rest.pop(0)
        if ":=" in item:
            key, value = item.split(":=", 1)
            facts[key] = json.loads(value)
        elif "=" in item:
            key, value = item.split("=", 1)
            facts[key] = value
        else:
            print(f"standin_log.py: bad fact {item!r}", file=sys.stderr)
            return 2
    if rest and rest[0] == "--":
        rest.pop(0)
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    record = {
        "tool": tool,
        "argv": rest,
        "cwd": cwd,
        "uid": os.getuid(),
        "env": {key: os.environ.get(key) for key in ENV_KEYS},
    }
    record.update(facts)
    line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        print(f"standin_log.py: cannot record the call in {path}: {error.strerror}", file=sys.stderr)
        return 0
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
