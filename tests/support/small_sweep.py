# SPDX-License-Identifier: GPL-2.0-only
"""What the Python sweep tests share: a one-line-per-check reporter and the
small 8-CPU base config their sweeps vary (small_base.toml, the one the C++
tests read through tests/support/cli.hpp's small_base())."""

from pathlib import Path

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


BASE = (Path(__file__).resolve().parent / "small_base.toml").read_text()
