#!/usr/bin/env python3
"""Resolves PATH the way a process chrooted in ROOT would (absolute link
targets are looked up under ROOT, `..` never leaves it) and prints the
result as seen inside ROOT. Exits 1 when a component does not exist.

    resolve_in_root.py ROOT PATH
"""
import os
import sys


def resolve(root, path, depth=0):
    if depth > 40:
        raise OSError("too many levels of symbolic links")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    current = []
    while parts:
        part = parts.pop(0)
        if part == "..":
            if current:
                current.pop()
            continue
        candidate = os.path.join(root, *current, part)
        if os.path.islink(candidate):
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            depth += 1
            if depth > 40:
                raise OSError("too many levels of symbolic links")
            continue
        if not os.path.lexists(candidate):
            raise FileNotFoundError(candidate)
        current.append(part)
    return "/" + "/".join(current)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(resolve(argv[0], argv[1]))
    except OSError as error:
        print(f"resolve_in_root.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
