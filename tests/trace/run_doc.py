#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Runs every ```sh block of a Markdown walk-through (docs/teaching.md), in
order, the way a student would: from a scratch directory that has the
repository's experiments/ and plots/ (symlinked), with the built aiosim first
on PATH. A block fails the test if it exits non-zero, unless an HTML comment
right above it says otherwise:

    <!-- doc-test: exit=3 -->               the block must exit with status 3
    <!-- doc-test: contains=some text -->   its output must contain the text

Blocks that run `aiosim explore` are the explorer's: --skip-explore leaves
them out, --only-explore runs only them (and exits 77, "skipped", if this
aiosim has no explore command). The commands run exactly as written: no
setting is overridden (the slowest, the default comparison, takes ~10 s).

    run_doc.py docs/teaching.md --bin-dir BUILD/app --source SRC [--skip-explore | --only-explore]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time


def blocks(path):
    """(line, code, expectations) for each ```sh block."""
    out = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    pending = {}
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*<!--\s*doc-test:\s*(\w+)=(.*?)\s*-->\s*$", line)
        if m:
            pending.setdefault(m.group(1), []).append(m.group(2))
            i += 1
            continue
        if line.strip().startswith("```"):
            lang = line.strip()[3:].strip()
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            if lang == "sh":
                out.append((start, "\n".join(lines[start:j]), pending))
            pending = {}
            i = j + 1
            continue
        if line.strip():
            pending = {}
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("doc")
    ap.add_argument("--bin-dir", required=True, help="directory holding the built aiosim")
    ap.add_argument("--source", required=True, help="the repository (for experiments/ and plots/)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--skip-explore", action="store_true")
    g.add_argument("--only-explore", action="store_true")
    a = ap.parse_args()

    env = dict(os.environ)
    env["PATH"] = os.path.abspath(a.bin_dir) + os.pathsep + env.get("PATH", "")
    all_blocks = blocks(a.doc)
    if not all_blocks:
        print(f"{a.doc}: no ```sh blocks")
        return 1

    def is_explore(code):
        return re.search(r"\baiosim\s+explore\b", code) is not None

    chosen = [b for b in all_blocks
              if (not a.skip_explore or not is_explore(b[1])) and (not a.only_explore or is_explore(b[1]))]
    if a.only_explore:
        probe = subprocess.run(["aiosim", "explore", "--help"], env=env, capture_output=True, text=True)
        if probe.returncode != 0:
            print("aiosim has no explore command yet: the explorer's part of the walk-through is skipped")
            return 77
    if not chosen:
        print("no blocks to run")
        return 1

    failures = 0
    with tempfile.TemporaryDirectory(prefix="aiosim-doc-") as tmp:
        for d in ("experiments", "plots"):
            os.symlink(os.path.join(os.path.abspath(a.source), d), os.path.join(tmp, d))
        for line, code, expect in chosen:
            want_exit = int(expect.get("exit", ["0"])[-1])
            t0 = time.time()
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=tmp, env=env,
                               capture_output=True, text=True, timeout=600)
            output = r.stdout + r.stderr
            problems = []
            if r.returncode != want_exit:
                problems.append(f"exit status {r.returncode}, expected {want_exit}")
            for text in expect.get("contains", []):
                if text not in output:
                    problems.append(f"output lacks {text!r}")
            status = "FAIL" if problems else "ok"
            print(f"{status:4} {a.doc}:{line} ({time.time() - t0:.1f} s)")
            for cmd in code.strip().split("\n"):
                print(f"       $ {cmd}")
            if problems:
                failures += 1
                for p in problems:
                    print(f"       {p}")
                print("       --- output ---")
                for out_line in output.rstrip().split("\n")[-40:]:
                    print(f"       {out_line}")
    print(f"{len(chosen) - failures}/{len(chosen)} blocks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
