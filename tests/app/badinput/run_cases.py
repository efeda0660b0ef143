#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The bad-input suite: every case in cases.txt runs `aiosim` on bad input and
must exit with the case's code, print exactly one stderr line
"aiosim: ..." matching the case's pattern, print nothing on stdout, and
write nothing: the working directory (empty, scratch) stays empty, --out
paths ({OUT}) are not created, the fixture files are left as they were.

cases.txt, one case per line (blank lines and # comments skipped):

  file NAME = PYTHON-EXPRESSION        a fixture, {F}/NAME, e.g. "a." * 40 + "b = 1\\n"
  NAME ; EXIT ; REGEX ; ARGS           a case; ARGS split like a shell (shlex)

In ARGS: {M} the experiments/ directory, {F} the fixture directory, {OUT} a
path that must not exist afterwards, {NL} a newline, {SOH} the control
character 0x01, {BIG} a 100 kB value. In fixtures, {M} is replaced too.
REGEX is searched in the stderr line after "aiosim: ".

Usage: run_cases.py AIOSIM SOURCE_DIR [NAME-PATTERN]
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

TIMEOUT_S = 60


def load(path):
    files, cases = {}, []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("file "):
                name, expr = line[5:].split("=", 1)
                files[name.strip()] = eval(expr, {"__builtins__": {}}, {})  # the table is ours, not input
                continue
            parts = [p.strip() for p in line.split(" ; ", 3)]
            if len(parts) != 4:
                sys.exit(f"{path}:{n}: expected NAME ; EXIT ; REGEX ; ARGS")
            cases.append((n, parts[0], int(parts[1]), parts[2], parts[3]))
    return files, cases


def listing(d):
    out = []
    for root, dirs, names in os.walk(d):
        for x in dirs + names:
            p = os.path.join(root, x)
            out.append((os.path.relpath(p, d), os.path.getsize(p) if os.path.isfile(p) else -1))
    return sorted(out)


def main():
    aiosim, src = sys.argv[1], sys.argv[2]
    only = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
    files, cases = load(os.path.join(src, "tests", "app", "badinput", "cases.txt"))
    failures = 0
    ran = 0
    with tempfile.TemporaryDirectory(prefix="aiosim-badinput-") as tmp:
        fdir = os.path.join(tmp, "fixtures")
        os.mkdir(fdir)
        for name, text in files.items():
            path = os.path.join(fdir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
                f.write(text.replace("{M}", os.path.join(src, "experiments")))
        before = listing(fdir)
        for n, name, want_exit, regex, args in cases:
            if only and not only.search(name):
                continue
            ran += 1
            cwd = os.path.join(tmp, f"cwd-{n}")
            os.mkdir(cwd)
            out = os.path.join(tmp, f"out-{n}")
            text = (args.replace("{M}", os.path.join(src, "experiments")).replace("{F}", fdir)
                    .replace("{OUT}", out))
            argv = [aiosim] + [a.replace("{NL}", "\n").replace("{SOH}", "\x01").replace("{BIG}", "x" * 100000) for a in shlex.split(text)]
            problems = []
            try:
                p = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
                err = p.stderr.decode("utf-8", "replace")
                lines = err.split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                if p.returncode != want_exit:
                    problems.append(f"exit {p.returncode}, expected {want_exit}")
                if len(lines) != 1:
                    problems.append(f"{len(lines)} stderr lines, expected 1")
                elif not lines[0].startswith("aiosim: "):
                    problems.append("the stderr line does not start with \"aiosim: \"")
                elif not re.search(regex, lines[0][len("aiosim: "):]):
                    problems.append(f"the stderr line does not match /{regex}/")
                if len(err) > 2000:
                    problems.append(f"stderr has {len(err)} bytes")
                if p.stdout:
                    problems.append(f"stdout is not empty: {p.stdout[:200]!r}")
            except subprocess.TimeoutExpired:
                problems.append(f"no exit within {TIMEOUT_S} s")
                err = ""
            left = os.listdir(cwd)
            if left:
                problems.append(f"wrote into the working directory: {left[:5]}")
            if os.path.exists(out):
                problems.append("created --out")
            if listing(fdir) != before:
                problems.append("changed the fixture directory")
            if problems:
                failures += 1
                print(f"FAIL {name} (cases.txt:{n}): {'; '.join(problems)}\n  stderr: {err[:500]!r}")
            else:
                print(f"ok   {name}")
    print(f"{ran - failures}/{ran} bad-input cases pass")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
