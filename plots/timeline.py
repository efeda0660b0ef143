#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Timeline figure of an `aiosim trace` window (trace.json): one row per CPU.

Each row shows what the CPU does -- task work, spinning on a lock (coloured
and hatched by the lock it spins on), an IRQ handler, or nothing (idle) --
and, in a thinner band under it, when one of its contexts holds one of the
chosen locks (same colour as that lock's spinning). A panel on top counts
the waiters of each chosen lock. The title names the design and the kioctx
layout. Colours come with hatches so the figure stays readable in greyscale.

    /usr/bin/python3 plots/timeline.py out/v39/trace.json            # -> out/v39/timeline.{png,pdf}
    /usr/bin/python3 plots/timeline.py trace.json --out fig/v39 --lock ctx_lock --lock completion_lock --from 300 --to 310

Times are microseconds of simulated time. Needs matplotlib (Debian:
python3-matplotlib, hence /usr/bin/python3). Exit status 2 if the window
has nothing to draw.
"""
import argparse
import json
import os
import re
import sys

import style

import matplotlib.pyplot as plt  # noqa: E402  (style selected the Agg backend)
from matplotlib.patches import Patch  # noqa: E402

IDLE_COLOUR = "#f0f0f0"
UNKNOWN_SPIN = ("#969696", "////")


def parse_cpus(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def load(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    meta = trace.get("otherData", {}) if isinstance(trace, dict) else {}
    procs = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = e["args"]["name"]
    return events, meta, procs


def subtract(segments, a, b):
    """segments minus [a, b): (kept, removed)."""
    kept, removed = [], []
    for s, t in segments:
        if t <= a or s >= b:
            kept.append((s, t))
            continue
        if s < a:
            kept.append((s, a))
        if t > b:
            kept.append((b, t))
        removed.append((max(s, a), min(t, b)))
    return kept, removed


def is_irq_lock_thread(tid):
    # sim/trace/writers.cpp: tid = pid * 1000 + local; the lock threads' local
    # numbers are 100 + 2 * lock + (1 if the IRQ context's).
    local = tid % 1000
    return local >= 100 and (local - 100) % 2 == 1


def extract(events, cpu_pids, locks, t0, t1):
    """From the trace events of [t0, t1] (us): per CPU, the activity bars
    [(start, dur, kind)] with kind task/irq/idle, the spinning bars
    [(start, dur, lock or None)], the hold bars of the chosen locks
    [(start, dur, lock)], and the waiter counts [(t, n)] of each chosen lock.

    A CPU spins when its activity says so; which lock it spins on comes from
    the spin records of its contexts, the IRQ context's first (an IRQ that
    spins interrupts a task that may itself be spinning)."""
    act, spin_act, spins, held = {}, {}, {}, {}
    waiters = {lk: [] for lk in locks}
    for e in events:
        ph = e.get("ph")
        if ph == "C" and "waiters" in e.get("args", {}):
            # "<lock>" with args.waiters (older traces: "<lock> waiters")
            lk = e["name"][: -len(" waiters")] if e["name"].endswith(" waiters") else e["name"]
            if lk in waiters:
                waiters[lk].append((e["ts"], e["args"]["waiters"]))
        if ph != "X" or e.get("pid") not in cpu_pids:
            continue
        s, d = float(e["ts"]), float(e["dur"])
        if s + d <= t0 or s >= t1:
            continue
        s0, s1 = max(s, t0), min(s + d, t1)
        cat, pid = e.get("cat"), e["pid"]
        if cat == "activity":
            if e["name"] == "spin":
                spin_act.setdefault(pid, []).append((s0, s1))
            elif e["name"] in ("task", "irq", "idle"):
                act.setdefault(pid, []).append((s0, s1 - s0, e["name"]))
        elif cat == "spin" and e["name"].startswith("spin "):
            spins.setdefault(pid, []).append((0 if is_irq_lock_thread(e["tid"]) else 1, s0, s1, e["args"]["lock"]))
        elif cat == "held" and e["args"].get("lock") in locks:
            held.setdefault(pid, []).append((s0, s1 - s0, e["args"]["lock"]))
    spin_bars = {}
    for pid, segs in spin_act.items():
        bars = []
        for _, a, b, lk in sorted(spins.get(pid, [])):
            segs, got = subtract(segs, a, b)
            bars += [(s, t - s, lk) for s, t in got]
        bars += [(s, t - s, None) for s, t in segs]  # no record says which lock
        spin_bars[pid] = sorted(bars)
    for lk in waiters:
        waiters[lk].sort()
    return act, spin_bars, held, waiters


def lock_colours(locks, spin_bars):
    """One (colour, hatch) per lock: the chosen ones first, then any other
    lock a CPU spins on, by name."""
    others = sorted({lk for bars in spin_bars.values() for _, _, lk in bars if lk and lk not in locks})
    return {lk: style.lock_style(i) for i, lk in enumerate(list(locks) + others)}


def layout_of(meta):
    if meta.get("layout"):
        return meta["layout"]
    cfg = meta.get("config", {})
    if isinstance(cfg, dict):
        k = cfg.get("kioctx", {})
        if isinstance(k, dict) and "layout_preset" in k:
            return k["layout_preset"]
        if "kioctx.layout_preset" in cfg:
            return cfg["kioctx.layout_preset"]
    return None


def title_of(meta, ncpus, user_title):
    design = meta.get("design") or "?"
    layout = layout_of(meta)
    head = f"{design}, {layout} kioctx" if layout else design
    head += f" ({meta.get('cpus', ncpus)} CPUs)"
    return f"{head}: {user_title}" if user_title else head


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace", help="trace.json written by `aiosim trace`")
    ap.add_argument("--out", help="output path without extension (default: timeline next to the trace)")
    ap.add_argument("--lock", action="append", help="lock whose holds and waiters are drawn (repeatable; default ctx_lock)")
    ap.add_argument("--from", dest="t0", type=float, help="start, us (default: the trace window)")
    ap.add_argument("--to", dest="t1", type=float, help="end, us (default: the trace window)")
    ap.add_argument("--cpus", help="CPUs to draw, e.g. 0-3,12-15 (default: every CPU of the trace, idle ones included)")
    ap.add_argument("--title", help="what the figure shows; the design and layout are always named before it")
    ap.add_argument("--width", type=float, default=7.0, help="figure width, inches (default 7)")
    args = ap.parse_args(argv)

    events, meta, procs = load(args.trace)
    locks = args.lock or ["ctx_lock"]
    window = meta.get("window_ns", [None, None])
    t0 = args.t0 if args.t0 is not None else (window[0] / 1000.0 if window[0] is not None else None)
    t1 = args.t1 if args.t1 is not None else (window[1] / 1000.0 if window[1] is not None else None)
    xs = [e["ts"] for e in events if "ts" in e]
    if t0 is None:
        t0 = min(xs) if xs else 0.0
    if t1 is None:
        t1 = max(e["ts"] + e.get("dur", 0) for e in events if "ts" in e) if xs else 1.0
    if t1 <= t0:
        sys.exit("timeline: empty time range")

    cpu_pids = {pid for pid, name in procs.items() if re.fullmatch(r"cpu\d+", name)}
    act, spin_bars, held, waiters = extract(events, cpu_pids, locks, t0, t1)
    cpus = sorted(parse_cpus(args.cpus)) if args.cpus else sorted(cpu_pids)
    bars = sum(len(act.get(c, [])) + len(spin_bars.get(c, [])) + len(held.get(c, [])) for c in cpus)
    busy = sum(d for c in cpus for _, d, k in act.get(c, []) if k != "idle") + \
        sum(d for c in cpus for _, d, _ in spin_bars.get(c, []))
    if not cpus or bars == 0 or busy == 0:
        print(f"timeline: nothing to draw between {t0} and {t1} us", file=sys.stderr)
        return 2
    colours = lock_colours(locks, spin_bars)

    style.apply()
    plt.rcParams.update({"axes.grid": False, "savefig.dpi": 300, "axes.titlesize": 9})
    row_h = 0.2
    nl = len(locks)
    top_h = 0.55 + 0.2 * nl
    fig, (top, ax) = plt.subplots(
        2, 1, sharex=True, figsize=(args.width, top_h + row_h * len(cpus) + 0.9),
        gridspec_kw={"height_ratios": [top_h, row_h * len(cpus)], "hspace": 0.08})

    # Waiters of each chosen lock: step plots from the window's start.
    for lk in locks:
        w = waiters.get(lk, [])
        colour = colours[lk][0]
        if w:
            ts = [t for t, _ in w if t <= t1] + [t1]
            vs = [v for t, v in w if t <= t1]
            vs = vs + [vs[-1]] if vs else [0]
        else:
            ts, vs = [t0, t1], [0, 0]
        top.step(ts, vs, where="post", color=colour, linewidth=1.0, label=f"{lk} waiters")
    top.set_ylabel("waiters", fontsize=7)
    top.set_ylim(bottom=0)
    top.yaxis.get_major_locator().set_params(integer=True)
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6.5, handlelength=1.5)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)
        ax.spines[side].set_visible(False)

    idle_rows = 0
    for row, cpu in enumerate(cpus):
        a = act.get(cpu, [])
        if all(k == "idle" for _, _, k in a) and not spin_bars.get(cpu):
            idle_rows += 1
        for kind in ("idle", "task", "irq"):
            spans = [(s, d) for s, d, k in a if k == kind]
            if spans:
                look = style.ACTIVITY[kind]
                colour = IDLE_COLOUR if kind == "idle" else look["color"]
                ax.broken_barh(spans, (row - 0.42, 0.52), facecolors=colour, edgecolor="black" if look["hatch"] else colour,
                               linewidth=0.3 if look["hatch"] else 0, hatch=look["hatch"])
        by_lock = {}
        for s, d, lk in spin_bars.get(cpu, []):
            by_lock.setdefault(lk, []).append((s, d))
        for lk, spans in by_lock.items():
            colour, _ = colours[lk] if lk else UNKNOWN_SPIN
            ax.broken_barh(spans, (row - 0.42, 0.52), facecolors="white", edgecolor=colour, linewidth=0.3, hatch="////")
        for lk in locks:
            spans = [(s, d) for s, d, k in held.get(cpu, []) if k == lk]
            if spans:
                colour, hatch = colours[lk]
                ax.broken_barh(spans, (row + 0.16, 0.24), facecolors=colour, edgecolor="white" if hatch else colour,
                               linewidth=0, hatch=hatch)
    ax.set_yticks(range(len(cpus)))
    ax.set_yticklabels([procs.get(c, f"cpu{c}") for c in cpus], fontsize=6.5)
    ax.set_ylim(len(cpus) - 0.5, -0.5)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (µs)")
    ax.tick_params(axis="y", length=0)

    handles = [Patch(facecolor=style.ACTIVITY["task"]["color"], edgecolor="none", label="task work"),
               Patch(facecolor=style.ACTIVITY["irq"]["color"], hatch=style.ACTIVITY["irq"]["hatch"], edgecolor="black",
                     linewidth=0.3, label="IRQ handler"),
               Patch(facecolor=IDLE_COLOUR, edgecolor="none", label="idle")]
    spun = {lk for bars_ in spin_bars.values() for _, _, lk in bars_}
    for lk, (colour, hatch) in colours.items():
        if lk in spun:
            handles.append(Patch(facecolor="white", edgecolor=colour, hatch="////", linewidth=0.3, label=f"spins on {lk}"))
        if lk in locks:
            handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white" if hatch else colour, linewidth=0,
                                 label=f"holds {lk}"))
    if None in spun:
        handles.append(Patch(facecolor="white", edgecolor=UNKNOWN_SPIN[0], hatch="////", linewidth=0.3,
                             label="spins (lock not recorded)"))
    axis_h = row_h * len(cpus)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.45 / axis_h), ncol=min(len(handles), 5),
              frameon=False, handlelength=2.2, columnspacing=1.2, fontsize=6.5)
    title = title_of(meta, len(cpus), args.title)
    top.set_title(title, loc="left")

    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.trace)), "timeline")
    style.save(fig, out + ".png", dpi=300)
    style.save(fig, out + ".pdf", dpi=300)
    locks_seen = ", ".join(f"{lk or 'not recorded'}: {sum(1 for c in cpus for _, _, k in spin_bars.get(c, []) if k == lk)}"
                           for lk in sorted(spun, key=lambda x: (x is None, x or "")))
    print(f"timeline: {len(cpus)} CPUs ({idle_rows} idle throughout), {bars} bars, {t0:.3f}-{t1:.3f} us; "
          f"spin bars by lock: {locks_seen or 'none'}; waiters of {', '.join(locks)}; title \"{title}\" -> {out}.png, {out}.pdf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
