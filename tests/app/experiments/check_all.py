#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Every experiments/**/*.toml passes `aiosim check`: configs through their
schema and the model's cross-key checks, sweep and compare specs at every
point, explorer scenarios through the scenario reader. The list of files is
found here independently, so a file `check` skipped would fail the test.

Usage: check_all.py AIOSIM SOURCE_DIR
"""
import pathlib
import subprocess
import sys

aiosim, src = sys.argv[1], pathlib.Path(sys.argv[2])
expected = sorted(str(p.relative_to(src)) for p in (src / "experiments").rglob("*.toml"))
proc = subprocess.run([aiosim, "check", "experiments"], cwd=src, capture_output=True, text=True, timeout=600)
if proc.returncode != 0 or proc.stderr:
    sys.exit(f"aiosim check experiments: exit {proc.returncode}\n{proc.stderr}")
checked = [line.split(": ok (", 1)[0] for line in proc.stdout.splitlines()]
if checked != expected:
    sys.exit(f"checked {checked}\nexpected {expected}")
kinds = {line.split(": ok (", 1)[0]: line.split(": ok (", 1)[1] for line in proc.stdout.splitlines()}
# Each kind of file is recognised for what it is.
assert kinds["experiments/default.toml"].startswith("compare spec"), kinds["experiments/default.toml"]
assert kinds["experiments/lockbench.toml"] == "lockbench config)", kinds["experiments/lockbench.toml"]
assert all(v.startswith("explorer scenario") for k, v in kinds.items() if k.startswith("experiments/scenarios/"))
assert all(v.startswith("sweep spec") for k, v in kinds.items() if k.startswith("experiments/paper/"))
print(f"{len(checked)} files checked")
