#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Draws the paper figures from the sweeps of experiments/paper/.

    plots/figures.py SWEEPS --out DIR [--only 1,4] [--aiosim PATH]

SWEEPS holds one sweep directory per spec of experiments/paper/ (ablation,
latency, sensitivity, locks, decade), as `tools/make-figures.sh` leaves them. Each
figure is written into DIR (nothing is written anywhere else; the README's
figures are `--out docs/figures`) as PDF (for the paper) and PNG (for the
README):

  fig1-throughput     completions/s vs CPUs, mm-parent vs lazy-cancel; every correct
                      subset of the seed's four hunks (ablation)
  fig2-lock-wait      ctx_lock and completion_lock wait p99 vs CPUs (ablation)
  fig3-cpu-time       what the busy CPU time is spent on: task, spinning,
                      hard IRQ (ablation)
  fig4-latency-cdf    submit->event latency CDF and its tail at 16 CPUs (latency)
  fig5-sensitivity    completions/s vs workload.usb_fraction and usb.cancel_fraction
  fig6-locks          ticket vs qspinlock: completions/s and ctx_lock wait p99
  fig7-decade         a decade of AIO completion locking: every design of the
                      registry, 4 to 256 CPUs (decade)

Error bars are the Student-t 95% confidence intervals of the mean over the
replications. The style, the series' looks and the x-y-CI drawing are
plots/style.py's and plots/plot.py's, the same code `aiosim plot` uses;
design names come from the data, and for the subsets of the seed's hunks
from `aiosim designs` (the binary: --aiosim, $AIOSIM_BIN, build-release/ or
build/ of this tree, or PATH).

Needs Debian's python3-matplotlib and python3-pandas (run with
/usr/bin/python3).
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys

try:
    import style  # selects the Agg backend

    import matplotlib.pyplot as plt
    import pandas as pd

    import sweepdata
    from matplotlib.ticker import FuncFormatter
    from plot import draw, tick_text
except ImportError as e:  # pragma: no cover
    sys.exit(f"figures.py: {e}: install python3-matplotlib and python3-pandas (tools/install-deps.sh) "
             "and run with /usr/bin/python3")

# The seed's four hunks, as the ablation sweep's axes name them, and the
# letters figure 1(b) abbreviates them to.
SWITCHES = ["kioctx.lazy_list", "kioctx.completion_lock", "kioctx.cancel_xchg", "kioctx.zero_alloc"]
SHORT = {"kioctx.lazy_list": "L", "kioctx.completion_lock": "C", "kioctx.cancel_xchg": "X", "kioctx.zero_alloc": "Z"}
HERE = os.path.dirname(os.path.abspath(__file__))


def find_aiosim(given):
    for c in (given, os.environ.get("AIOSIM_BIN"), os.path.join(HERE, "..", "build-release", "app", "aiosim"),
              os.path.join(HERE, "..", "build", "app", "aiosim"), shutil.which("aiosim")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise SystemExit("figures.py: no aiosim binary to ask for the designs: pass --aiosim PATH (or set AIOSIM_BIN)")


def registered_designs(aiosim):
    """The designs of the registry, in its order, as `aiosim designs --json`
    lists them: [{name, tag, description, planted_bug, era_lock, switches}]."""
    out = subprocess.run([aiosim, "designs", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def cpu_ticks(ax, shapes, cpus):
    """x ticks at each CPU count, labelled with the machine's shape, and the
    socket-count boundaries marked."""
    ax.set_xticks(cpus, [f"{c}\n{shapes[c]}" for c in cpus])
    ax.minorticks_off()
    sockets = [int(shapes[c].split("×")[0]) for c in cpus]
    for i in range(1, len(cpus)):
        if sockets[i] != sockets[i - 1]:
            x = math.sqrt(cpus[i] * cpus[i - 1]) if ax.get_xscale() == "log" else (cpus[i] + cpus[i - 1]) / 2
            ax.axvline(x, color="0.55", linewidth=0.6, linestyle=(0, (2, 2)), zorder=0)


class Figures:
    def __init__(self, sweeps, out, aiosim):
        self.sweeps = sweeps
        self.out = out
        self.aiosim = aiosim
        self.notes = []
        self.written = []
        self._designs = None

    # -- data -------------------------------------------------------------

    def sweep(self, name):
        d = os.path.join(self.sweeps, name)
        for f in ("summary.csv", "runs.csv", "sweep.json"):
            if not os.path.exists(os.path.join(d, f)):
                raise SystemExit(f"figures.py: {d}/{f} is missing: run `aiosim sweep experiments/paper/{name}.toml "
                                 f"--out {d}` (or tools/make-figures.sh) first")
        return sweepdata.Sweep(d)

    def designs(self):
        """The registry's designs (planted bugs left out), in its order; the
        series of every figure are ranked in this order too."""
        if self._designs is None:
            self._designs = [d for d in registered_designs(find_aiosim(self.aiosim)) if not d["planted_bug"]]
            style.set_design_order([d["name"] for d in self._designs])
        return self._designs

    def design_names(self):
        """{(lazy_list, completion_lock, cancel_xchg, zero_alloc): name}, the
        first registered design with exactly these switches."""
        names = {}
        for d in self.designs():
            if d["switches"] is None:  # its own kernel's code, not a subset of the seed's hunks
                continue
            names.setdefault(tuple(d["switches"][k.split(".")[1]] for k in SWITCHES), d["name"])
        return names

    def design_of(self, row):
        """The subset of hunks a run has on: a registered design's name when
        one has exactly these switches, else the letters of the hunks."""
        on = tuple(bool(row[k]) for k in SWITCHES)
        return self.design_names().get(on) or "+".join(SHORT[k] for k, v in zip(SWITCHES, on) if v)

    @staticmethod
    def machine(runs):
        """{cpus: "sockets×cores"} of the runs."""
        runs = runs.assign(cpus=runs["machine.cpus"].round().astype(int))
        return {int(c): f"{int(g['machine.sockets'].iloc[0])}×{int(g['machine.cores_per_socket'].iloc[0])}"
                for c, g in runs.groupby("cpus")}

    def ablation(self):
        sw = self.sweep("ablation")
        runs = sw.runs.copy()
        runs["design"] = runs.apply(self.design_of, axis=1)
        runs["cpus"] = runs["machine.cpus"].round()
        return sw, runs, runs[runs["status"] == "ok"]

    def save(self, fig, stem):
        for ext in ("pdf", "png"):
            path = os.path.join(self.out, f"{stem}.{ext}")
            style.save(fig, path)
            self.written.append(path)
        plt.close(fig)

    def reference_pair(self, names):
        """The two designs the ablation figures compare, the two ends of the
        seed commit: the registered designs with none and with all four of its
        hunks (the seed's parent and the seed), those of `names` present."""
        by_switches = self.design_names()
        ends = [by_switches.get((False,) * 4), by_switches.get((True,) * 4)]
        return [d for d in ends if d is not None and d in set(names)]

    # -- the figures ------------------------------------------------------

    def fig1(self):
        sw, runs, ok = self.ablation()
        bad = runs[runs["status"] != "ok"]
        if len(bad):
            subsets = sorted(set(bad["design"]))
            first = bad["error"].iloc[0]
            # A subset with any run stopped by a violation is incorrect: left out
            # whole, not shown at the CPU counts where no run happened to hit it.
            ok = ok[~ok["design"].isin(subsets)]
            self.notes.append(
                f"fig1: left out {len(subsets)} subsets ({', '.join(subsets)}): {len(bad)} of their runs stopped "
                f"with a violation (e.g. \"{first}\"). lazy_list without zero_alloc is incorrect: aio_complete "
                "decides by ki_list.next whether the kiocb is listed, and a kiocb the slab did not zero "
                "carries a stale ki_list.next from its previous life.")
        shapes = self.machine(ok)
        cpus = sorted(shapes)
        pair = self.reference_pair(ok["design"])
        styles = style.series_styles(ok["design"])
        fig, (a, b) = plt.subplots(1, 2, figsize=(style.FULL_W, 2.6), gridspec_kw={"width_ratios": [1, 1.3]})
        y = "throughput.completed_per_s"
        draw(a, ok[ok["design"].isin(pair)], "cpus", y, hue="design", scale=1e6, styles=styles, logx=2)
        cpu_ticks(a, shapes, cpus)
        a.set_xlabel("CPUs (sockets × cores per socket)")
        a.set_ylabel("completions/s (millions)")
        a.set_ylim(bottom=0, top=a.get_ylim()[1] * 1.12)
        a.legend(loc="upper right", ncol=2)
        a.set_title(f"(a) {pair[0]} vs. the commit ({pair[-1]})" if len(pair) == 2 else "(a)", loc="left")

        # (b) every correct subset: completions/s, millions, annotated.
        st = sweepdata.group_stats(ok, y, ["design", "cpus"])
        order = sorted(st["design"].unique(), key=lambda d: (d != pair[0] if pair else True,
                                                            d == (pair[-1] if pair else None), len(d), d))
        grid = st.pivot_table(index="design", columns="cpus", values="mean").reindex(order)[cpus]
        ci = st.pivot_table(index="design", columns="cpus", values="ci95").reindex(order)[cpus]
        top = grid.values.max() / 1e6
        b.imshow(grid.values / 1e6, cmap="Greys", aspect="auto", vmin=0, vmax=1.3 * top)
        for i in range(len(order)):
            for j in range(len(cpus)):
                v = grid.values[i, j] / 1e6
                b.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5, color="white" if v > 0.65 * top else "black")
        b.set_xticks(range(len(cpus)), [f"{c}\n{shapes[c]}" for c in cpus])
        for j in range(1, len(cpus)):
            if shapes[cpus[j]].split("×")[0] != shapes[cpus[j - 1]].split("×")[0]:
                b.axvline(j - 0.5, color="white", linewidth=2.0)
        b.set_yticks(range(len(order)), order)
        b.set_xlabel("CPUs (sockets × cores per socket)")
        b.grid(False)
        widest = ci.max().max() / 1e6
        b.set_title(f"(b) every subset of its hunks (95% CI ±{widest:.2f} or less)", loc="left")
        b.text(1.03, 0.5, "completions/s\n(millions)\n\nhunks:\nL lazy_list\nC completion_lock\nX cancel_xchg\nZ zero_alloc\n\n"
               "L without Z\nis incorrect\n(violation):\nnot shown", transform=b.transAxes, fontsize=6.5, va="center")
        fig.tight_layout(w_pad=1.0)
        self.save(fig, "fig1-throughput")

    def fig2(self):
        sw, runs, ok = self.ablation()
        ok = ok[ok["design"].isin(self.reference_pair(ok["design"]))]
        shapes = self.machine(ok)
        cpus = sorted(shapes)
        styles = style.series_styles(ok["design"])
        fig, axes = plt.subplots(1, 2, figsize=(style.FULL_W, 2.4))
        for k, (ax, lock) in enumerate(zip(axes, ("ctx_lock", "completion_lock"))):
            col = f"locks.{lock}.wait_ns.p99"
            part = ok[ok[col].notna()] if col in ok else ok.iloc[0:0]
            draw(ax, part, "cpus", col, hue="design", scale=1e3, styles=styles, logx=2)
            if lock == "ctx_lock":
                ax.set_yscale("log")  # a p99 of 0 (no contention) shows on (b)'s linear axis
            else:
                ax.set_ylim(bottom=0)
            cpu_ticks(ax, shapes, cpus)
            ax.set_xlabel("CPUs (sockets × cores per socket)")
            ax.set_title(f"({'ab'[k]}) {lock}", loc="left")
            ax.legend(loc="upper left")
            missing = [d for d in style.order_names(ok["design"]) if d not in set(part["design"])]
            if missing:
                ax.text(0.03, 0.72, f"({', '.join(missing)} has no {lock})", transform=ax.transAxes, fontsize=6.5)
        axes[0].set_ylabel("wait p99 (µs)")
        self.save(fig, "fig2-lock-wait")

    def fig3(self):
        sw, runs, ok = self.ablation()
        pair = self.reference_pair(ok["design"])
        r = ok[ok["design"].isin(pair)].copy()
        parts = ["task", "spin", "irq"]
        for key in parts + ["idle"]:
            cols = [c for c in r.columns if c.startswith("cpus.") and c.endswith(f".{key}_ns")]
            r[key] = r[cols].sum(axis=1)
        busy = sum(r[k] for k in parts)
        r["busy_pct"] = 100 * busy / (busy + r["idle"])
        for k in parts:
            r[k] = 100 * r[k] / busy
        m = r.groupby(["cpus", "design"])[parts + ["busy_pct"]].mean().reset_index()
        shapes = self.machine(ok)
        cpus = sorted(shapes)
        fig, ax = plt.subplots(figsize=(style.FULL_W, 2.5))
        width = 0.4
        ticks, labels = [], []
        for i, c in enumerate(cpus):
            for j, d in enumerate(pair):
                row = m[(m["cpus"] == c) & (m["design"] == d)]
                if row.empty:
                    continue
                x = i + (j - (len(pair) - 1) / 2) * (width + 0.03)
                bottom = 0.0
                for key in parts:
                    look = style.ACTIVITY[key]
                    v = float(row[key].iloc[0])
                    ax.bar(x, v, width, bottom=bottom, color=look["color"], edgecolor="black", linewidth=0.5,
                           hatch=look["hatch"], label=look["label"] if (i, j) == (0, 0) else None)
                    bottom += v
                ax.text(x, 101.5, f"{float(row['busy_pct'].iloc[0]):.0f}%", ha="center", va="bottom", fontsize=6)
                ticks.append(x)
                labels.append(d.replace("-", "-\n", 1))  # two bars share 0.83 of a unit: long names on two lines
            ax.text(i, -17, f"{c} CPUs ({shapes[c]})", ha="center", va="top", fontsize=7, transform=ax.transData)
        ax.set_xticks(ticks, labels, fontsize=6)
        ax.set_ylabel("share of busy CPU time (%)")
        ax.set_ylim(0, 100)
        ax.set_xlim(-0.6, len(cpus) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.text(-0.6, 101.5, "busy:", ha="right", va="bottom", fontsize=6)
        ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.07))
        self.save(fig, "fig3-cpu-time")

    def fig4(self):
        sw = self.sweep("latency")
        per_design = {}
        for run in sw.plan["runs"]:
            man = sw.manifest(run["dir"])
            if not man or man["status"] != "ok":
                continue
            with open(os.path.join(sw.dir, run["dir"], "result.json")) as f:
                res = json.load(f)
            if "latency_cdf" not in res:
                raise SystemExit(f"figures.py: {sw.dir}/{run['dir']}/result.json has no latency_cdf: "
                                 "the latency sweep needs output.latency_cdf = true")
            design = sw.plan["points"][run["point"]]["parameters"]["kioctx.design"]
            per_design.setdefault(design, []).append(res["latency_cdf"]["submit_to_event_ns"])
        pct = list(range(100)) + [99.5, 99.9, 99.99, 100]
        styles = style.series_styles(per_design)
        fig, (a, b) = plt.subplots(1, 2, figsize=(style.FULL_W, 2.4))
        marks = {a: (50, 90), b: (99, 99.9)}
        for design in style.order_names(per_design):
            qs = per_design[design]
            n = len(qs)
            st = styles[design]
            mean = [sum(q[i] for q in qs) / n / 1e3 for i in range(len(pct))]
            a.plot(mean, [p / 100 for p in pct], label=f"{design} (n={n})", color=st["color"], linestyle=st["linestyle"])
            tail = [(x, 1 - p / 100) for x, p in zip(mean, pct) if p >= 50 and p < 100]
            b.plot([x for x, _ in tail], [t for _, t in tail], label=f"{design} (n={n})", color=st["color"],
                   linestyle=st["linestyle"])
            for ax, ps in marks.items():
                for p in ps:
                    i = pct.index(p)
                    m, half, _ = style.mean_ci95([q[i] / 1e3 for q in qs])
                    yv = p / 100 if ax is a else 1 - p / 100
                    ax.errorbar([m], [yv], xerr=[0 if half != half else half], fmt=st["marker"], color=st["color"],
                                markerfacecolor=st["markerfacecolor"], markeredgecolor=st["markeredgecolor"])
        for ax in (a, b):
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if str(f"{v:g}")[0] in "25" else ""))
            ax.set_xlabel("submit→event latency (µs)")
        a.set_ylabel("fraction of requests ≤ x")
        a.set_ylim(0, 1.02)
        a.set_title("(a) CDF; markers p50, p90 with 95% CI", loc="left")
        a.legend(loc="lower right")
        b.set_yscale("log")
        b.set_ylim(5e-5, 0.6)
        b.set_yticks([0.5, 0.1, 0.01, 0.001, 1e-4], ["0.5", "0.1", "0.01\n(p99)", "0.001\n(p99.9)", "10⁻⁴"])
        b.set_ylabel("fraction of requests > x")
        b.set_title("(b) the tail; markers p99, p99.9 with 95% CI", loc="left")
        b.legend(loc="lower left")
        fig.tight_layout(w_pad=1.5)
        self.save(fig, "fig4-latency-cdf")

    def fig5(self):
        sw = self.sweep("sensitivity")
        ok = sw.ok
        styles = style.series_styles(ok["kioctx.design"])
        fig, axes = plt.subplots(1, 2, figsize=(style.FULL_W, 2.4), sharey=True)
        cancel_at = 0.2
        usb_at = 0.05
        slices = [("workload.usb_fraction", "usb.cancel_fraction", cancel_at, "share of requests sent to the USB endpoint"),
                  ("usb.cancel_fraction", "workload.usb_fraction", usb_at, "share of USB requests cancelled")]
        for k, (ax, (x, fixed, at, label)) in enumerate(zip(axes, slices)):
            part = ok[(ok[fixed] - at).abs() < 1e-9]
            draw(ax, part, x, "throughput.completed_per_s", hue="kioctx.design", scale=1e6, styles=styles)
            ax.set_xlabel(f"{label}\n({x})")
            ax.set_title(f"({'ab'[k]}) at {fixed} = {tick_text(at)}", loc="left")
            ax.set_ylim(0, part["throughput.completed_per_s"].max() / 1e6 * 1.45)
            ax.legend(loc="upper right", ncol=2)  # above the data
        # (a) spans three decades: log x, with 0 on a short linear stretch.
        xs = sorted(ok["workload.usb_fraction"].unique())
        positive = [v for v in xs if v > 0]
        if positive:
            axes[0].set_xscale("symlog", linthresh=positive[0], linscale=0.4)
            ticks = [v for v in (0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1) if v == 0 or v >= positive[0]]
            ticks = [t for t in ticks if t <= max(xs) * 1.01]
            axes[0].set_xticks(ticks, [tick_text(t) for t in ticks])
            axes[0].minorticks_off()
            axes[0].set_xlim(-positive[0] * 0.3, max(xs) * 1.3)
        axes[0].set_ylabel("completions/s (millions)")
        self.save(fig, "fig5-sensitivity")

    def fig6(self):
        sw = self.sweep("locks")
        ok = sw.ok.copy()
        ok["cpus"] = ok["machine.cpus"].round()
        shapes = self.machine(ok)
        cpus = sorted(shapes)
        ok["series"] = ok["kioctx.design"] + ", " + ok["kioctx.lock"]
        designs = style.order_names(ok["kioctx.design"])
        base = style.series_styles(designs)
        styles = {}
        for d in designs:  # a design keeps its colour and marker; the lock sets fill and line
            for lock in style.order_names(ok["kioctx.lock"]):
                st = dict(base[d])
                if lock == "ticket":
                    st.update(markerfacecolor="white", linestyle=":")
                else:
                    st.update(markerfacecolor=st["color"], linestyle="-" if st["linestyle"] == ":" else st["linestyle"])
                styles[f"{d}, {lock}"] = st
        fig, axes = plt.subplots(1, 2, figsize=(style.FULL_W, 2.4))
        cols = [("throughput.completed_per_s", 1e6, "completions/s (millions)", False),
                ("locks.ctx_lock.wait_ns.p99", 1e3, "ctx_lock wait p99 (µs)", True)]
        for k, (ax, (col, scale, label, logy)) in enumerate(zip(axes, cols)):
            draw(ax, ok, "cpus", col, hue="series", scale=scale, styles=styles, logx=2)
            cpu_ticks(ax, shapes, cpus)
            ax.set_xlabel("CPUs (sockets × cores per socket)")
            ax.set_ylabel(label)
            if logy:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
            ax.set_title(f"({'ab'[k]}) {label.split(' (')[0]}", loc="left")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.tight_layout()
        fig.legend(handles, labels, loc="upper center", ncol=4, bbox_to_anchor=(0.5, 0.0))
        self.save(fig, "fig6-locks")

    def fig7(self):
        """Every registered design that the decade sweep ran, in the
        registry's order (the order of their kernels): throughput, each
        kioctx lock's acquisitions per completion and p99 wait, and the share
        of CPU time spent spinning."""
        sw = self.sweep("decade")
        ok = sw.ok.copy()
        bad = sw.runs[sw.runs["status"] != "ok"]
        if len(bad):
            self.notes.append(f"fig7: {len(bad)} runs did not finish (e.g. \"{bad['error'].iloc[0]}\"); "
                              "their points are missing")
        registry = [d["name"] for d in self.designs()]
        present = set(ok["kioctx.design"])
        unknown = sorted(present - set(registry))
        if unknown:
            self.notes.append(f"fig7: designs not in this binary's registry, left out: {', '.join(unknown)}")
        order = [d for d in registry if d in present]
        ok = ok[ok["kioctx.design"].isin(order)]
        ok["cpus"] = ok["machine.cpus"].round()
        shapes = self.machine(ok)
        cpus = sorted(shapes)
        # One colour per design (a qualitative palette: neighbours in time
        # must stay apart), each with its own marker and line for print.
        palette = plt.get_cmap("tab10")
        styles = {}
        for i, d in enumerate(order):
            colour = palette(i % 10)
            styles[d] = dict(color=colour, marker=style.MARKERS[i % len(style.MARKERS)],
                             linestyle=style.LINES[i % len(style.LINES)], markerfacecolor="white" if i % 2 == 0 else colour,
                             markeredgecolor=colour)
        style.set_design_order(order)
        panels = [("throughput.completed_per_s", 1e6, "completions/s (millions)", "linear", "completions/s"),
                  ("per_completion.ctx_lock_acquisitions", 1, "per completion", "linear", "ctx_lock acquisitions"),
                  ("per_completion.completion_lock_acquisitions", 1, "per completion", "linear",
                   "completion_lock acquisitions"),
                  ("locks.ctx_lock.wait_ns.p99", 1e3, "p99 (µs)", "log", "ctx_lock wait"),
                  ("locks.completion_lock.wait_ns.p99", 1e3, "p99 (µs)", "log", "completion_lock wait"),
                  ("cpu_share.spinning", 0.01, "% of all CPU time", "linear", "CPU time spinning")]
        fig, axes = plt.subplots(2, 3, figsize=(style.FULL_W, 4.6))
        for k, (ax, (col, scale, label, yscale, title)) in enumerate(zip(axes.flat, panels)):
            part = ok
            if col.startswith("per_completion.") and col.endswith("_lock_acquisitions"):
                # A design without the lock (v3.9 and mm-parent have no
                # completion_lock) reports 0 per completion: not a point to draw.
                lock = col[len("per_completion."):-len("_acquisitions")]
                part = ok[ok[f"locks.{lock}.acquisitions"].notna()]
            if yscale == "log":  # a lock never waited on has no p99 to draw on a log axis
                part = part[part[col] > 0]
            draw(ax, part, "cpus", col, hue="kioctx.design", scale=scale, styles=styles, logx=2)
            # CPU counts only: the machine's shape (sockets × cores) is in the caption.
            ax.set_xticks(cpus, [str(c) for c in cpus])
            ax.minorticks_off()
            ax.set_xlabel("CPUs" if k >= 3 else "")
            ax.set_ylabel(label)
            if yscale == "log":
                ax.set_yscale("log")
            else:
                # Headroom above the top series (panel c's lie at 0.99 of 1).
                ax.set_ylim(0, ax.get_ylim()[1] * 1.05)
            ax.set_title(f"({'abcdef'[k]}) {title}", loc="left")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.tight_layout(h_pad=1.2)
        fig.legend(handles, labels, loc="upper center", ncol=min(len(order), 8), bbox_to_anchor=(0.5, 0.0))
        self.save(fig, "fig7-decade")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweeps", help="directory holding the sweeps of experiments/paper (ablation, latency, ...)")
    p.add_argument("--out", required=True, help="where to write the figures (the README's: docs/figures)")
    p.add_argument("--only", default="", help="comma-separated figure numbers (default: all)")
    p.add_argument("--aiosim", help="the aiosim binary, for `aiosim designs` (default: $AIOSIM_BIN, the build trees, PATH)")
    a = p.parse_args()
    if not os.path.isdir(a.sweeps):
        sys.exit(f"figures.py: {a.sweeps}: no such directory")
    style.apply()
    f = Figures(a.sweeps, a.out, a.aiosim)
    wanted = [int(x) for x in a.only.split(",") if x] or [1, 2, 3, 4, 5, 6, 7]
    for n in wanted:
        getattr(f, f"fig{n}")()
    for note in f.notes:
        print(note)
    for path in f.written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
