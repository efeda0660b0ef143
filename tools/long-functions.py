#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Lists the C++ functions longer than a limit (default 120 lines), longest
first, as `lines  file:start-end  name`; exit 1 when there is any.

    tools/long-functions.py [--max N] [--exclude DIR]... [PATH...]

PATH defaults to models and app. A function's extent (first to last line,
lambdas inside it included) comes from universal-ctags (Debian's
universal-ctags package), which parses C++ rather than counting braces."""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def functions(paths):
    ctags = shutil.which("ctags-universal") or shutil.which("ctags")
    if ctags is None:
        sys.exit("long-functions: universal-ctags is not installed (apt-get install universal-ctags)")
    out = subprocess.run(
        [ctags, "-R", "--languages=C++", "--kinds-C++=f", "--fields=+ne", "-x",
         "--_xformat=%n\t%e\t%F\t%N", *paths],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        start, end, path, name = line.split("\t", 3)
        if end and not name.startswith("__anon"):  # lambdas count within their function
            yield int(start), int(end), path, name


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=120, help="longest allowed function, in lines")
    ap.add_argument("--exclude", action="append", default=[], help="a folder to skip (repeatable)")
    ap.add_argument("paths", nargs="*", default=["models", "app"])
    a = ap.parse_args()
    excluded = [Path(e) for e in a.exclude]
    long = []
    for start, end, path, name in functions(a.paths):
        if any(Path(path).is_relative_to(e) for e in excluded):
            continue
        lines = end - start + 1
        if lines > a.max:
            long.append((lines, f"{path}:{start}-{end}", name))
    for lines, where, name in sorted(long, reverse=True):
        print(f"{lines:5d}  {where}  {name}")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
