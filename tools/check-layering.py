#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fails (exit 1) when a source file includes a header of a floor above its
own, or includes a project header by any path other than from the root.

    tools/check-layering.py [ROOT] [--stamp FILE]

Floors, lowest first: sim (the engine), models (kernel objects, designs,
devices, workload), programs (what runs on them: aio run, lockbench,
explore), app (the CLI). A floor may include its own and the floors below.
Every project header is named from the repository root ("sim/time.hpp"), so
a file's include line says which floor it reaches into. The build runs this
before compiling anything (CMakeLists.txt), so a violation is a build error.
--stamp FILE is touched on success (the build's record that it ran)."""

import re
import sys
from pathlib import Path

FLOORS = ["sim", "models", "programs", "app"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
GENERATED = {"version.hpp"}  # app/version.hpp.in, written into the build tree


def floor_of(rel):
    top = rel.split("/", 1)[0]
    return FLOORS.index(top) if top in FLOORS else None


def check(root):
    problems = []
    for path in sorted(p for top in FLOORS + ["tests"] for p in (root / top).rglob("*")
                       if p.suffix in (".cpp", ".hpp")):
        rel = path.relative_to(root).as_posix()
        mine = floor_of(rel)
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if target in GENERATED:
                continue
            if not (root / target).is_file():
                problems.append(f"{rel}:{n}: \"{target}\" is not a path from the repository root")
                continue
            theirs = floor_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                problems.append(f"{rel}:{n}: {FLOORS[mine]}/ may not include {target} "
                                f"({FLOORS[theirs]}/ is above it)")
    return problems


def main(argv):
    args = argv[1:]
    stamp = None
    if "--stamp" in args:
        i = args.index("--stamp")
        stamp = Path(args[i + 1])
        del args[i:i + 2]
    root = Path(args[0] if args else Path(__file__).resolve().parent.parent)
    problems = check(root)
    for p in problems:
        print(f"layering: {p}", file=sys.stderr)
    if problems:
        return 1
    if stamp:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
