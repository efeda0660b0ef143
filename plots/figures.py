#!/usr/bin/python3
"""Draws the paper figures from the sweeps of experiments/paper/.

    plots/figures.py SWEEPS [--out docs/figures] [--only 1,4]

SWEEPS holds one sweep directory per spec of experiments/paper/ (ablation,
latency, sensitivity, locks), as `tools/make-figures.sh` leaves them. Each
figure is written as PDF (for the paper) and PNG (for the README):

  fig1-throughput     completions/s vs CPUs, v3.9 vs lazy-cancel; every correct
                      subset of the seed's four hunks (ablation)
  fig2-lock-wait      ctx_lock and completion_lock wait p99 vs CPUs (ablation)
  fig3-cpu-time       task / spinning / hard IRQ / idle share of CPU time (ablation)
  fig4-latency-cdf    submit->event latency CDF at 16 CPUs (latency)
  fig5-sensitivity    completions/s vs workload.usb_fraction and usb.cancel_fraction
  fig6-locks          ticket vs qspinlock: completions/s and ctx_lock wait p99

Error bars are the Student-t 95% confidence intervals of the mean over the
replications, from each sweep's summary.csv (aiosim computes them with
Boost.Math). For the latency CDF the intervals are computed here from the
replications' quantiles, with the t table below.

Style: two-column paper (7.0 in wide, 8 pt type), greyscale-readable (markers,
line styles and hatches carry the distinctions, not colour), TrueType fonts in
the PDF. Needs Debian's python3-matplotlib and python3-pandas (run with
/usr/bin/python3).
"""

import argparse
import json
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
except ImportError as e:  # pragma: no cover
    sys.exit(f"figures.py: {e}: install python3-matplotlib and python3-pandas (tools/install-deps.sh) "
             "and run with /usr/bin/python3")

SWITCHES = ["kioctx.lazy_list", "kioctx.completion_lock", "kioctx.cancel_xchg", "kioctx.zero_alloc"]
SHORT = {"kioctx.lazy_list": "L", "kioctx.completion_lock": "C", "kioctx.cancel_xchg": "X", "kioctx.zero_alloc": "Z"}
FULL_W = 7.0  # in: a figure* across both columns
GREYS = ["0.0", "0.45", "0.7", "0.25", "0.6"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
STYLES = {"v3.9": dict(color="0.0", marker="o", linestyle="-", markerfacecolor="white"),
          "lazy-cancel": dict(color="0.35", marker="s", linestyle="--", markerfacecolor="0.35")}

# Two-sided 95% Student-t critical values, t_{0.975, df}, df = 1..30; the
# normal 1.959964 beyond (at df = 30 the difference is 4%).
T975 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.959964


def style():
    plt.rcParams.update({
        "font.size": 8, "axes.labelsize": 8, "axes.titlesize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.0, "lines.markersize": 4,
        "errorbar.capsize": 2, "axes.grid": True, "grid.color": "0.88", "grid.linewidth": 0.5,
        "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
        "pdf.fonttype": 42, "ps.fonttype": 42, "savefig.bbox": "tight", "savefig.pad_inches": 0.02,
        "hatch.linewidth": 0.6,
    })


class Figures:
    def __init__(self, sweeps, out):
        self.sweeps = sweeps
        self.out = out
        self.notes = []
        self.written = []

    # -- data -------------------------------------------------------------

    def sweep_dir(self, name):
        d = os.path.join(self.sweeps, name)
        for f in ("summary.csv", "runs.csv", "sweep.json"):
            if not os.path.exists(os.path.join(d, f)):
                raise SystemExit(f"figures.py: {d}/{f} is missing: run `aiosim sweep experiments/paper/{name}.toml "
                                 f"--out {d}` (or tools/make-figures.sh) first")
        return d

    def summary(self, name):
        s = pd.read_csv(os.path.join(self.sweep_dir(name), "summary.csv"))
        return s[s["n"] > 0]

    def runs(self, name):
        return pd.read_csv(os.path.join(self.sweep_dir(name), "runs.csv"))

    @staticmethod
    def design_of(row):
        on = [row[k] for k in SWITCHES]
        if not any(on):
            return "v3.9"
        if all(on):
            return "lazy-cancel"
        return "+".join(SHORT[k] for k in SWITCHES if row[k])

    def ablation(self):
        s = self.summary("ablation").copy()
        s["design"] = s.apply(self.design_of, axis=1)
        s["cpus"] = s["machine.cpus.mean"].round().astype(int)
        return s.sort_values("cpus")

    def save(self, fig, stem):
        os.makedirs(self.out, exist_ok=True)
        for ext in ("pdf", "png"):
            path = os.path.join(self.out, f"{stem}.{ext}")
            fig.savefig(path, dpi=200, metadata={"CreationDate": None} if ext == "pdf" else None)
            self.written.append(path)
        plt.close(fig)

    # -- the figures ------------------------------------------------------

    def fig1(self):
        s = self.ablation()
        runs = self.runs("ablation")
        bad = runs[runs["status"] != "ok"]
        if len(bad):
            subsets = sorted({self.design_of(r) for _, r in bad.iterrows()})
            first = bad["error"].iloc[0]
            self.notes.append(
                f"fig1: left out {len(subsets)} subsets ({', '.join(subsets)}): all {len(bad)} of their runs stopped "
                f"with a violation (e.g. \"{first}\"). lazy_list without zero_alloc is incorrect: aio_complete "
                "decides by ki_list.next whether the kiocb is listed, and a kiocb the slab did not zero "
                "carries a stale ki_list.next from its previous life.")
        fig, (a, b) = plt.subplots(1, 2, figsize=(FULL_W, 2.5), gridspec_kw={"width_ratios": [1, 1.25]})
        for d in ("v3.9", "lazy-cancel"):
            g = s[s["design"] == d]
            a.errorbar(g["cpus"], g["throughput.completed_per_s.mean"] / 1e6, yerr=g["throughput.completed_per_s.ci95"] / 1e6,
                       label=d, **STYLES[d])
        a.set_xscale("log", base=2)
        a.set_xticks(sorted(s["cpus"].unique()), [str(c) for c in sorted(s["cpus"].unique())])
        a.set_xlabel("CPUs")
        a.set_ylabel("completions/s (millions)")
        a.set_ylim(bottom=0)
        a.legend(loc="upper right")
        a.set_title("(a) the seed and its parent", loc="left")

        # (b) every correct subset: completions/s, millions, annotated.
        order = sorted(s["design"].unique(), key=lambda d: (d != "v3.9", d == "lazy-cancel", len(d), d))
        cpus = sorted(s["cpus"].unique())
        grid = s.pivot_table(index="design", columns="cpus", values="throughput.completed_per_s.mean").reindex(order)
        ci = s.pivot_table(index="design", columns="cpus", values="throughput.completed_per_s.ci95").reindex(order)
        b.imshow(grid.values / 1e6, cmap="Greys", aspect="auto", vmin=0, vmax=1.3 * grid.values.max() / 1e6)
        for i in range(len(order)):
            for j in range(len(cpus)):
                v = grid.values[i, j] / 1e6
                b.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5,
                       color="white" if v > 0.65 * grid.values.max() / 1e6 else "black")
        b.set_xticks(range(len(cpus)), [str(c) for c in cpus])
        b.set_yticks(range(len(order)), order)
        b.set_xlabel("CPUs")
        b.grid(False)
        widest = ci.max().max() / 1e6
        b.set_title(f"(b) completions/s (millions) per subset of hunks (95% CI within ±{widest:.2f})", loc="left")
        b.text(1.03, 0.5, "hunks:\nL lazy_list\nC completion_lock\nX cancel_xchg\nZ zero_alloc\n\nL without Z\nis incorrect\n(violation):\nnot shown",
               transform=b.transAxes, fontsize=6.5, va="center")
        self.save(fig, "fig1-throughput")

    def fig2(self):
        s = self.ablation()
        fig, axes = plt.subplots(1, 2, figsize=(FULL_W, 2.3))
        for ax, lock in zip(axes, ("ctx_lock", "completion_lock")):
            col = f"locks.{lock}.wait_ns.p99"
            for d in ("v3.9", "lazy-cancel"):
                g = s[s["design"] == d]
                if f"{col}.mean" not in g or g[f"{col}.mean"].isna().all():
                    continue
                ax.errorbar(g["cpus"], g[f"{col}.mean"] / 1e3, yerr=g[f"{col}.ci95"] / 1e3, label=d, **STYLES[d])
            ax.set_xscale("log", base=2)
            if lock == "ctx_lock":
                ax.set_yscale("log")  # a p99 of 0 (no contention) shows on (b)'s linear axis
            else:
                ax.set_ylim(bottom=0)
            cpus = sorted(s["cpus"].unique())
            ax.set_xticks(cpus, [str(c) for c in cpus])
            ax.set_xlabel("CPUs")
            ax.set_title(f"({'ab'[lock == 'completion_lock']}) {lock}", loc="left")
            ax.legend(loc="upper left")
        axes[0].set_ylabel("wait p99 (µs)")
        axes[1].text(0.03, 0.72, "(v3.9 has no completion_lock)", transform=axes[1].transAxes, fontsize=6.5)
        self.save(fig, "fig2-lock-wait")

    def fig3(self):
        r = self.runs("ablation")
        r = r[r["status"] == "ok"].copy()
        r["design"] = r.apply(self.design_of, axis=1)
        r = r[r["design"].isin(["v3.9", "lazy-cancel"])]
        parts = [("task", "task", "0.25", ""), ("spin", "spinning", "0.55", "////"), ("irq", "hard IRQ", "0.8", "...."),
                 ("idle", "idle", "white", "")]
        for key, *_ in parts:
            cols = [c for c in r.columns if c.startswith("cpus.") and c.endswith(f".{key}_ns")]
            r[key] = r[cols].sum(axis=1)
        total = sum(r[k] for k, *_ in parts)
        for k, *_ in parts:
            r[k] = 100 * r[k] / total
        r["cpus"] = r["machine.cpus"].round().astype(int)
        m = r.groupby(["cpus", "design"])[[k for k, *_ in parts]].mean().reset_index()
        cpus = sorted(m["cpus"].unique())
        fig, ax = plt.subplots(figsize=(FULL_W, 2.4))
        width = 0.38
        ticks, labels = [], []
        for i, c in enumerate(cpus):
            for j, d in enumerate(("v3.9", "lazy-cancel")):
                row = m[(m["cpus"] == c) & (m["design"] == d)]
                if row.empty:
                    continue
                x = i + (j - 0.5) * (width + 0.02)
                bottom = 0.0
                for key, label, color, hatch in parts:
                    v = float(row[key].iloc[0])
                    ax.bar(x, v, width, bottom=bottom, color=color, edgecolor="black", linewidth=0.5, hatch=hatch,
                           label=label if (i, j) == (0, 0) else None)
                    bottom += v
                ticks.append(x)
                labels.append(f"{'v3.9' if d == 'v3.9' else 'lazy'}\n{c}")
        ax.set_xticks(ticks, labels)
        ax.set_ylabel("share of CPU time (%)")
        ax.set_xlabel("design and CPUs")
        ax.set_ylim(0, 100)
        ax.grid(axis="x", visible=False)
        ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.14))
        self.save(fig, "fig3-cpu-time")

    def fig4(self):
        d = self.sweep_dir("latency")
        with open(os.path.join(d, "sweep.json")) as f:
            plan = json.load(f)
        per_design = {}
        for run in plan["runs"]:
            with open(os.path.join(d, run["dir"], "manifest.json")) as f:
                if json.load(f)["status"] != "ok":
                    continue
            with open(os.path.join(d, run["dir"], "result.json")) as f:
                res = json.load(f)
            if "latency_cdf" not in res:
                raise SystemExit(f"figures.py: {d}/{run['dir']}/result.json has no latency_cdf: "
                                 "the latency sweep needs output.latency_cdf = true")
            design = plan["points"][run["point"]]["parameters"]["kioctx.design"]
            per_design.setdefault(design, []).append(res["latency_cdf"]["submit_to_event_ns"])
        pct = list(range(100)) + [99.5, 99.9, 99.99, 100]
        fig, ax = plt.subplots(figsize=(FULL_W / 2, 2.4))
        for design, qs in per_design.items():
            n = len(qs)
            mean = [sum(q[i] for q in qs) / n / 1e3 for i in range(len(pct))]
            ax.plot(mean, [p / 100 for p in pct], label=f"{design} (n={n})", color=STYLES[design]["color"],
                    linestyle=STYLES[design]["linestyle"])
            for p in (50, 90, 99, 99.9):
                i = pct.index(p)
                xs = [q[i] / 1e3 for q in qs]
                m = sum(xs) / n
                half = t975(n - 1) * math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1)) / math.sqrt(n) if n > 1 else 0
                ax.errorbar([m], [p / 100], xerr=[half], fmt=STYLES[design]["marker"], color=STYLES[design]["color"],
                            markerfacecolor=STYLES[design]["markerfacecolor"])
        ax.set_xscale("log")
        ax.set_xlabel("submit→event latency (µs)")
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower right", title="markers: p50, p90, p99, p99.9\nwith 95% CI", title_fontsize=6)
        self.save(fig, "fig4-latency-cdf")

    def fig5(self):
        s = self.summary("sensitivity")
        fig, axes = plt.subplots(1, 2, figsize=(FULL_W, 2.3), sharey=True)
        slices = [("workload.usb_fraction", "usb.cancel_fraction", 0.2, "share of requests to the USB endpoint"),
                  ("usb.cancel_fraction", "workload.usb_fraction", 0.05, "share of USB requests cancelled")]
        for ax, (x, fixed, at, label) in zip(axes, slices):
            g0 = s[(s[fixed] - at).abs() < 1e-9].sort_values(x)
            for d in ("v3.9", "lazy-cancel"):
                g = g0[g0["kioctx.design"] == d]
                ax.errorbar(g[x], g["throughput.completed_per_s.mean"] / 1e6, yerr=g["throughput.completed_per_s.ci95"] / 1e6,
                            label=d, **STYLES[d])
            ax.set_xlabel(f"{label}\n({x})")
            ax.set_title(f"({'ab'[x == 'usb.cancel_fraction']}) at {fixed} = {at}", loc="left")
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper right" if x == "workload.usb_fraction" else "lower right")
        axes[0].set_ylabel("completions/s (millions)")
        self.save(fig, "fig5-sensitivity")

    def fig6(self):
        s = self.summary("locks").copy()
        s["cpus"] = s["machine.cpus.mean"].round().astype(int)
        s = s.sort_values("cpus")
        fig, axes = plt.subplots(1, 2, figsize=(FULL_W, 2.3))
        cols = [("throughput.completed_per_s", 1e6, "completions/s (millions)", False),
                ("locks.ctx_lock.wait_ns.p99", 1e3, "ctx_lock wait p99 (µs)", True)]
        for k, (ax, (col, scale, label, logy)) in enumerate(zip(axes, cols)):
            for d in ("v3.9", "lazy-cancel"):
                for lock, face, ls in (("ticket", "white", ":"), ("qspinlock", STYLES[d]["color"], STYLES[d]["linestyle"])):
                    g = s[(s["kioctx.design"] == d) & (s["kioctx.lock"] == lock)]
                    st = dict(STYLES[d], markerfacecolor=face, linestyle=ls)
                    ax.errorbar(g["cpus"], g[f"{col}.mean"] / scale, yerr=g[f"{col}.ci95"] / scale, label=f"{d}, {lock}", **st)
            ax.set_xscale("log", base=2)
            cpus = sorted(s["cpus"].unique())
            ax.set_xticks(cpus, [str(c) for c in cpus])
            ax.set_xlabel("CPUs")
            ax.set_ylabel(label)
            if logy:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
            ax.set_title(f"({'ab'[k]}) {label.split(' (')[0]}", loc="left")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=4, bbox_to_anchor=(0.5, -0.01))
        self.save(fig, "fig6-locks")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweeps", help="directory holding the sweeps of experiments/paper (ablation, latency, ...)")
    p.add_argument("--out", default="docs/figures", help="where to write the figures (default: docs/figures)")
    p.add_argument("--only", default="", help="comma-separated figure numbers (default: all)")
    a = p.parse_args()
    if not os.path.isdir(a.sweeps):
        sys.exit(f"figures.py: {a.sweeps}: no such directory")
    style()
    f = Figures(a.sweeps, a.out)
    wanted = [int(x) for x in a.only.split(",") if x] or [1, 2, 3, 4, 5, 6]
    for n in wanted:
        getattr(f, f"fig{n}")()
    for note in f.notes:
        print(note)
    for path in f.written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
