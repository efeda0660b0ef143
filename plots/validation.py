#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Draw the figure of `aiosim validate` from the CSV files it wrote.

Usage: /usr/bin/python3 plots/validation.py DIR   (writes DIR/validation.png and .pdf)

Needs Debian's python3-matplotlib, which installs for /usr/bin/python3 (a pyenv
or venv python3 first on PATH does not see it). Exit status 3: no matplotlib.
"""
import csv
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # the caller turns status 3 into a note in the report
    print(f"no matplotlib for {sys.executable}: {e}", file=sys.stderr)
    sys.exit(3)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(out):
    open_rows = rows(os.path.join(out, "open.csv"))
    closed = rows(os.path.join(out, "closed.csv"))
    closed_model = rows(os.path.join(out, "closed_model.csv"))
    collapse = rows(os.path.join(out, "collapse.csv"))
    collapse_model = rows(os.path.join(out, "collapse_model.csv"))
    workloads = list(dict.fromkeys(r["workload"] for r in collapse))

    fig, axes = plt.subplots(1, 2 + len(workloads), figsize=(4.6 * (2 + len(workloads)), 4.2))

    # (a) measured / Pollaczek-Khinchine mean wait, with 95% intervals.
    ax = axes[0]
    for i, r in enumerate(open_rows):
        th = float(r["theory_ns"])
        y, ci = float(r["wait_ns"]) / th, float(r["ci95_ns"]) / th
        colour = "tab:blue" if r["service"] == "M/M/1" else "tab:orange"
        ax.errorbar([i], [y], yerr=[ci], fmt="o", color=colour, capsize=3)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(range(len(open_rows)))
    ax.set_xticklabels([f"{r['service']}\n{r['lock']}\nρ={r['rho']}" for r in open_rows], fontsize=6)
    ax.set_ylabel("mean wait: simulated / Pollaczek-Khinchine")
    ax.set_title("(a) open system, 95% CI")

    # (b) closed system throughput against the machine-repairman model.
    ax = axes[1]
    ax.plot([int(r["n"]) for r in closed_model], [float(r["x_mr"]) for r in closed_model], "k-", lw=1,
            label="M/M/1//N (exact)")
    ax.errorbar([int(r["n"]) for r in closed], [float(r["x_per_us"]) for r in closed],
                yerr=[float(r["x_ci95"]) for r in closed], fmt="o", color="tab:blue", capsize=3, label="simulated")
    ax.set_xlabel("CPUs N")
    ax.set_ylabel("critical sections per µs")
    ax.set_title("(b) closed system, Z=20µs, S=1µs")
    ax.legend(fontsize=7)

    # (c) speedup against cores: ticket vs the BW model, qspinlock.
    for ax, w in zip(axes[2:], workloads):
        m = [r for r in collapse_model if r["workload"] == w]
        ns = [int(r["n"]) for r in m]
        ax.plot(ns, [float(r["bw"]) for r in m], "k-", lw=1, label="BW model (rates)")
        ax.plot(ns, [float(r["bw_printed"]) for r in m], "k:", lw=1, label="BW printed form")
        for kind, start, colour, marker, label in (
                ("ticket", "thinking", "tab:red", "o", "ticket, from idle"),
                ("ticket", "contending", "tab:orange", "v", "ticket, from contended"),
                ("qspinlock", "thinking", "tab:green", "s", "qspinlock")):
            pts = [r for r in collapse if r["workload"] == w and r["lock"] == kind and r["start"] == start]
            ax.errorbar([int(r["n"]) for r in pts], [float(r["speedup"]) for r in pts],
                        yerr=[float(r["speedup_ci95"]) for r in pts], fmt=marker, ms=3, color=colour, capsize=2,
                        label=f"{label} (simulated)")
        ax.set_xlabel("cores")
        ax.set_ylabel("speedup over one core")
        ax.set_title(f"(c) {w}")
        ax.legend(fontsize=6)

    fig.tight_layout()
    fig.savefig(os.path.join(out, "validation.png"), dpi=130)
    fig.savefig(os.path.join(out, "validation.pdf"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
