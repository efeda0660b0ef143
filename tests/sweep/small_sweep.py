# SPDX-License-Identifier: GPL-2.0-only
"""What the Python sweep tests share: a one-line-per-check reporter and the
small 8-CPU base config their sweeps vary (the same as tests/sweep/harness.hpp's
small_base())."""

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


BASE = """seed = 1
[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 8
[kioctx]
design = "lazy-cancel"
[workload]
kiocbs = 1500
submitters = "0-3"
reapers = [4]
think = "exp(2us)"
min_nr = 8
nr = 32
usb_fraction = 0.01
[block]
irq_cpus = "5-6"
[usb]
irq_cpu = 7
cancellers = [7]
[invariants]
kernel_races = "count"
"""
