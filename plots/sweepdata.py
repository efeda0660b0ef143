# SPDX-License-Identifier: GPL-2.0-only
"""Reading what `aiosim sweep` and `aiosim run` leave in a directory.

A sweep directory holds sweep.json (the plan: spec, points, runs),
runs.csv (one row per run), summary.csv (one row per grid point, mean and
95% CI) and runs/NNNNNN/manifest.json (status, error, provenance). A run
directory holds result.json and summary.csv. `kind(dir)` tells which.

Shared by plots/plot.py, plots/report.py and plots/figures.py.
"""

import difflib
import json
import os

import pandas as pd

import style

SWEEP_FILES = ("sweep.json", "runs.csv", "summary.csv")
RUN_FILES = ("result.json", "summary.csv")

# The metrics a report shows first, when the data have them.
HEADLINE = [
    "throughput.completed_per_s",
    "latency_ns.submit_to_event.p99",
    "locks.ctx_lock.wait_ns.p99",
    "locks.completion_lock.wait_ns.p99",
    # lockbench (scenario = "lockbench")
    "throughput.acquisitions_per_s",
    "wait_ns.p99",
]


class InputError(Exception):
    """Bad input from the user: one line, exit status 2."""


def kind(d):
    """'sweep', 'run', or None."""
    if all(os.path.isfile(os.path.join(d, f)) for f in SWEEP_FILES):
        return "sweep"
    if all(os.path.isfile(os.path.join(d, f)) for f in RUN_FILES):
        return "run"
    return None


def close_matches(word, columns, n=5):
    """The columns closest to word, for a 'did you mean' line."""
    cols = list(columns)
    hits = difflib.get_close_matches(word, cols, n=n, cutoff=0.5)
    leaf = word.split(".")[-1]
    for c in cols:  # same last component, e.g. p99 under another lock
        if len(hits) >= n:
            break
        if c.split(".")[-1] == leaf and c not in hits and leaf in word and "." in word:
            hits.append(c)
    if not hits:
        hits = [c for c in cols if word.lower() in c.lower()][:n]
    return hits


class Sweep:
    """A sweep directory: its plan, runs and summary."""

    def __init__(self, d):
        self.dir = d
        if kind(d) != "sweep":
            raise InputError(f"{d}: not a sweep directory (needs {', '.join(SWEEP_FILES)})")
        with open(os.path.join(d, "sweep.json")) as f:
            self.plan = json.load(f)
        self.runs = pd.read_csv(os.path.join(d, "runs.csv"))
        self.summary = pd.read_csv(os.path.join(d, "summary.csv"))
        self.axes = axes_of(self.plan)

    @property
    def ok(self):
        return self.runs[self.runs["status"] == "ok"]

    def parameters(self):
        """The parameter columns (every key the plan sets per point), in plan order."""
        keys = []
        for ax in self.axes:
            keys += ax["keys"]
        return keys

    def metric_columns(self):
        fixed = {"run", "point", "replication", "seed", "status", "exit_code", "error"} | set(self.parameters())
        return [c for c in self.runs.columns
                if c not in fixed and pd.api.types.is_numeric_dtype(self.runs[c]) and not pd.api.types.is_bool_dtype(self.runs[c])]

    def varied_axes(self):
        return [a for a in self.axes if len(a["values"]) > 1]

    def manifest(self, run_dir):
        p = os.path.join(self.dir, run_dir, "manifest.json")
        if not os.path.isfile(p):
            return None
        with open(p) as f:
            return json.load(f)

    def column(self, name, what):
        """Checks that name is a column of runs.csv; InputError with close
        matches otherwise. what: '--x', '--y', ..."""
        if name in self.runs.columns:
            return name
        hits = close_matches(name, self.runs.columns)
        hint = f"; close matches: {', '.join(hits)}" if hits else "; see the header of runs.csv"
        raise InputError(f"{what} {name}: not a column of {os.path.join(self.dir, 'runs.csv')}{hint}")


def axes_of(plan):
    """The sweep's axes, in parameter order: [{"keys": [...], "values": [[v per key]...]}].
    sweep.json lists the points, not the spec's axes: keys one of which
    determines the other vary in lockstep and form one axis (a [[zip]]
    group; in a cartesian product no axis determines another); a key with
    one value is an axis of one value."""
    keys = list(plan.get("parameters", []))
    pts = [p["parameters"] for p in plan.get("points", [])]
    def partition(k):
        first = {}
        return tuple(first.setdefault(json.dumps(p.get(k), sort_keys=True), len(first)) for p in pts)
    def refines(a, b):  # every group of a lies inside one group of b
        m = {}
        return all(m.setdefault(x, y) == y for x, y in zip(a, b))
    part = {k: partition(k) for k in keys}
    group = {k: k for k in keys}  # union-find over keys that vary in lockstep
    def root(k):
        while group[k] != k:
            k = group[k]
        return k
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            pa, pb = part[a], part[b]
            if len(set(pa)) > 1 and len(set(pb)) > 1 and (refines(pa, pb) or refines(pb, pa)):
                group[root(b)] = root(a)
    out, index = [], {}
    for k in keys:
        r = root(k)
        if r not in index:
            index[r] = len(out)
            out.append({"keys": []})
        out[index[r]]["keys"].append(k)
    for ax in out:
        vals = []
        for p in pts:
            v = [p.get(k) for k in ax["keys"]]
            if v not in vals:
                vals.append(v)
        ax["values"] = vals
    return out


def axis_x(sweep, axis):
    """The column to plot an axis against: its key, or for a zipped group
    the machine's CPU count when the group sets the machine, else the first
    key whose values differ at every point of the group."""
    keys = axis["keys"]
    if len(keys) == 1:
        return keys[0]
    if any(k.startswith("machine.") for k in keys) and "machine.cpus" in sweep.runs.columns:
        return "machine.cpus"
    for i, k in enumerate(keys):
        vals = [v[i] for v in axis["values"]]
        if len(set(map(str, vals))) == len(vals):
            return k
    return keys[0]


def headline(columns):
    return [m for m in HEADLINE if m in columns]


def is_categorical(series):
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def group_stats(runs, y, by):
    """Mean and 95% CI of y over the runs of each group of the by columns:
    a DataFrame with the by columns, mean, ci95, n."""
    rows = []
    for key, g in runs.groupby(by[0] if len(by) == 1 else list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        m, h, n = style.mean_ci95(g[y].tolist())
        if n == 0:
            continue
        rows.append(dict(zip(by, key), mean=m, ci95=h, n=n))
    return pd.DataFrame(rows, columns=list(by) + ["mean", "ci95", "n"])


def averaged_over(axes, runs, chosen):
    """The varied axes not determined by the chosen columns within runs:
    each group of the chosen columns mixes several of their values, so a
    plot averages over them (and says so)."""
    out = []
    for ax in axes:
        if len(ax["values"]) < 2 or any(k in chosen for k in ax["keys"]):
            continue
        k = ax["keys"][0]
        if k not in runs.columns:
            continue
        if not chosen:
            mixed = runs[k].nunique() > 1
        else:
            mixed = bool((runs.groupby(list(chosen), dropna=False)[k].nunique() > 1).any())
        if mixed:
            out.append(ax)
    return out


def axis_name(ax):
    return " + ".join(ax["keys"]) if len(ax["keys"]) > 1 else ax["keys"][0]
