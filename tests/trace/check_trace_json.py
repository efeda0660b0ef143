#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: `aiosim trace`'s trace.json against the Chrome trace-event format
and what Perfetto's JSON importer needs to load it without warnings.

    check_trace_json.py --aiosim BUILD/app/aiosim --source SRC

No Perfetto trace processor is installable here (Debian 12 packages none; the
npm registry has no perfetto package), so this checks the documented format
(the "Trace Event Format" document of the Chromium project) and the import
rules of Perfetto's JSON tokenizer and parser, each stated below:

  top level   an object with a "traceEvents" array; no "displayTimeUnit"
              (Perfetto reads "ns" there as the unit of ts; the format says ts
              is in microseconds); "otherData" an object.
  every event "ph" one of B E X i I C M; "pid" and "tid" integers (strings are
              a non-standard extension); pid 0 not used (Perfetto's idle
              process); a tid belongs to one pid only (Perfetto matches
              threads by tid, as Linux tids are unique); "name" a string;
              "args" an object; no array value in an event (Perfetto's
              tokenizer refuses a dictionary holding one when it looks for
              "ts"); no \\u escape in the event text (its tokenizer does not
              parse them).
  timed       "ts" a number of microseconds (>= 0 here); X has "dur" >= 0;
              i has "s" in g/p/t; C has numeric args; M names are
              process_name, process_sort_index, thread_name,
              thread_sort_index with args.name / args.sort_index.
  nesting     per thread, X and i events in the order Perfetto sorts them
              (ts in whole ns, llround(ts * 1000), stable) nest properly: an
              event that starts inside an open slice ends inside it; B/E pair
              up per thread, E after its B.
  metadata    every pid and tid used has a process_name / thread_name.

The checker is also run on hand-made broken traces, each of which it must
reject for the stated reason.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FAILURES = []
PHASES = set("BEXiIC M".replace(" ", ""))
META = {"process_name": "name", "thread_name": "name", "process_sort_index": "sort_index",
        "thread_sort_index": "sort_index"}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def ns(us):
    """Perfetto's conversion of a microsecond ts to whole nanoseconds."""
    x = us * 1000.0
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def validate(text):
    """The problems of a trace.json text (empty list: none)."""
    errs = []
    try:
        top = json.loads(text)
    except ValueError as e:
        return [f"not JSON: {e}"]
    if not isinstance(top, dict) or not isinstance(top.get("traceEvents"), list):
        return ["top level: not an object with a traceEvents array"]
    if "displayTimeUnit" in top:
        errs.append("displayTimeUnit present: Perfetto takes it as the unit of ts")
    if "otherData" in top and not isinstance(top["otherData"], dict):
        errs.append("otherData is not an object")
    body = text[text.index('"traceEvents"'):]
    if "\\u" in body:
        errs.append("a \\u escape in the events")
    owner = {}
    named_p, named_t, used = set(), set(), set()
    per_thread = {}
    for i, e in enumerate(top["traceEvents"]):
        where = f"event {i} ({e.get('name')!r}, ph {e.get('ph')!r})"
        if not isinstance(e, dict):
            errs.append(f"event {i}: not an object")
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            errs.append(f"{where}: phase not in B E X i I C M")
            continue
        if not isinstance(e.get("name"), str):
            errs.append(f"{where}: name is not a string")
        pid, tid = e.get("pid"), e.get("tid")
        if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(tid, int) or isinstance(tid, bool):
            errs.append(f"{where}: pid/tid are not integers")
            continue
        if pid == 0:
            errs.append(f"{where}: pid 0 (Perfetto's idle process)")
        if owner.setdefault(tid, pid) != pid:
            errs.append(f"{where}: tid {tid} used by pids {owner[tid]} and {pid}")
        if "args" in e and not isinstance(e["args"], dict):
            errs.append(f"{where}: args is not an object")
        if any(isinstance(v, list) for v in e.values()) or any(isinstance(v, list) for v in e.get("args", {}).values()):
            errs.append(f"{where}: an array value")
        if ph == "M":
            key = META.get(e["name"])
            if key is None or key not in e.get("args", {}):
                errs.append(f"{where}: unknown metadata or no args.{key}")
            elif e["name"] == "process_name":
                named_p.add(pid)
            elif e["name"] == "thread_name":
                named_t.add((pid, tid))
            continue
        used.add((pid, tid))
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or isinstance(ts, bool) or ts < 0:
            errs.append(f"{where}: ts is not a number of microseconds >= 0")
            continue
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                errs.append(f"{where}: X without a dur >= 0")
                continue
            per_thread.setdefault((pid, tid), []).append((ns(ts), ns(dur), i, "X"))
        elif ph in "iI":
            if e.get("s", "t") not in ("g", "p", "t"):
                errs.append(f"{where}: instant scope not g/p/t")
            if e.get("s", "t") == "t":
                per_thread.setdefault((pid, tid), []).append((ns(ts), 0, i, "i"))
        elif ph == "C":
            a = e.get("args", {})
            if not a or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in a.values()):
                errs.append(f"{where}: counter args are not all numbers")
        elif ph in "BE":
            per_thread.setdefault((pid, tid), []).append((ns(ts), None, i, ph))
    for (pid, tid), evs in per_thread.items():
        evs.sort(key=lambda x: x[0])  # Perfetto's sorter: by ts, stable
        stack = []  # end times of open slices (None: an open B)
        for ts, dur, i, ph in evs:
            if ph == "E":
                while stack and stack[-1] is not None and stack[-1] <= ts:
                    stack.pop()
                if not stack or stack[-1] is not None:
                    errs.append(f"event {i}: E without an open B on thread {tid}")
                else:
                    stack.pop()
                continue
            while stack and stack[-1] is not None and stack[-1] <= ts:
                stack.pop()
            if ph == "B":
                stack.append(None)
                continue
            end = ts + dur
            if stack and stack[-1] is not None and end > stack[-1]:
                errs.append(f"event {i}: [{ts}, {end}] ns overlaps the open slice ending at {stack[-1]} ns "
                            f"on thread {tid} (not nested)")
                continue
            stack.append(end)
        if any(s is None for s in stack):
            errs.append(f"thread {tid}: a B without its E")
    for pid, tid in sorted(used):
        if pid not in named_p:
            errs.append(f"pid {pid}: no process_name")
        if (pid, tid) not in named_t and not any(p == pid for p, _ in named_t):
            errs.append(f"pid {pid}: no thread_name")
    return errs


def broken_cases():
    """(description, trace) pairs the checker must reject."""
    base = lambda evs, **top: json.dumps(dict({"traceEvents": [
        {"name": "process_name", "ph": "M", "pid": 1, "tid": 1000, "args": {"name": "cpu0"}},
        {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1001, "args": {"name": "task"}}] + evs}, **top))
    x = lambda ts, dur, tid=1001, pid=1, name="f": {"name": name, "ph": "X", "pid": pid, "tid": tid, "ts": ts, "dur": dur}
    return [
        ("displayTimeUnit", base([x(1, 1)], displayTimeUnit="ns")),
        ("overlapping slices on one thread", base([x(1.0, 2.0), x(2.0, 2.0)])),
        ("overlap after Perfetto's rounding to whole ns (nested in ps)", base([x(1.0004, 0.0024), x(1.0010, 0.0016)])),
        ("pid 0", base([x(1, 1, pid=0, tid=1)])),
        ("a tid shared by two pids", base([x(1, 1), {"name": "process_name", "ph": "M", "pid": 2, "tid": 1001,
                                                      "args": {"name": "cpu1"}}])),
        ("a string pid", base([dict(x(1, 1), pid="p")])),
        ("an unknown phase", base([dict(x(1, 1), ph="Q")])),
        ("a negative dur", base([x(1, -1)])),
        ("a counter with a string value", base([{"name": "c", "ph": "C", "pid": 1, "tid": 1001, "ts": 1,
                                                   "args": {"waiters": "two"}}])),
        ("an E without a B", base([{"name": "f", "ph": "E", "pid": 1, "tid": 1001, "ts": 1}])),
        ("an array in an event", base([dict(x(1, 1), args={"v": [1, 2]})])),
        ("a \\u escape", base([x(1, 1, name="a\u0001b")])),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aiosim", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    for what, text in broken_cases():
        errs = validate(text)
        check(bool(errs), f"the checker rejects {what} ({errs[:1]})")
    ok_text = json.dumps({"otherData": {"a": [1, 2]}, "traceEvents": [
        {"name": "process_name", "ph": "M", "pid": 1, "tid": 1000, "args": {"name": "cpu0"}},
        {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1001, "args": {"name": "task"}},
        {"name": "outer", "ph": "X", "pid": 1, "tid": 1001, "ts": 1.0, "dur": 3.0},
        {"name": "inner", "ph": "X", "pid": 1, "tid": 1001, "ts": 1.0, "dur": 1.0},
        {"name": "mark", "ph": "i", "s": "t", "pid": 1, "tid": 1001, "ts": 2.5},
        {"name": "next", "ph": "X", "pid": 1, "tid": 1001, "ts": 4.0, "dur": 0.5}]})
    check(validate(ok_text) == [], f"the checker accepts a well-nested trace ({validate(ok_text)[:1]})")

    with tempfile.TemporaryDirectory(prefix="aiosim-trace-json-") as tmp:
        cases = [("mm-parent", ["--set", "kioctx.design=mm-parent"]),
                 ("lazy-cancel with loads", ["--set", "kioctx.design=lazy-cancel", "--json-loads"]),
                 ("usb races counted", ["--set", "kioctx.design=mm-parent", "--set", "workload.usb_fraction=0.2",
                                        "--set", "usb.cancel_fraction=0.5"])]
        for name, extra in cases:
            out = os.path.join(tmp, name.replace(" ", "-"))
            r = subprocess.run([a.aiosim, "trace", os.path.join(a.source, "experiments", "mixed.toml"), "--from", "300us",
                                "--to", "315us", "--out", out, "--quiet"] + extra, capture_output=True, text=True)
            check(r.returncode == 0, f"{name}: aiosim trace exits 0 ({r.stderr.strip()[-200:]})")
            if r.returncode != 0:
                continue
            text = open(os.path.join(out, "trace.json"), encoding="utf-8").read()
            errs = validate(text)
            check(not errs, f"{name}: trace.json is a clean Chrome trace for Perfetto ({len(errs)} problems: {errs[:3]})")
            evs = json.loads(text)["traceEvents"]
            phases = {e["ph"] for e in evs}
            check({"X", "i", "C", "M"} <= phases, f"{name}: slices, instants, counters and metadata ({sorted(phases)})")
            xs = [e for e in evs if e["ph"] == "X"]
            check(all(abs(e["ts"] * 1000 - round(e["ts"] * 1000)) < 1e-6 for e in xs),
                  f"{name}: ts at whole nanoseconds (microsecond units)")
            check(min(e["ts"] for e in xs) >= 300.0 and max(e["ts"] + e["dur"] for e in xs) <= 315.0 + 1e-9,
                  f"{name}: every slice within the 300-315 us window (microseconds)")
        # The same symbols in trace.txt, the explorer and a run's violation report.
        txt = open(os.path.join(tmp, "lazy-cancel-with-loads", "trace.txt"), encoding="utf-8").read()
        check("ki_cancel: NULL -> KIOCB_CANCELLED" in txt and "ki_cancel: NULL -> -1" not in txt,
              "trace.txt: aio_complete's xchg reads NULL -> KIOCB_CANCELLED (as the kernel spells it)")
        r = subprocess.run([a.aiosim, "explore", "async-cancel-irq", "--design", "broken-plain-cancel-early"],
                           capture_output=True, text=True)
        out = r.stdout + r.stderr
        check(r.returncode == 3 and "-> KIOCB_CANCELLED" in out, "explore: the same symbol KIOCB_CANCELLED")
        check("hw:hw" not in out and "hardware  (hw)" in out, "explore: the device context is not printed as hw:hw")
        check(" ns" not in out.split("details:")[-1], "explore: no simulated time ('at 0.000 ns') in the details")
        # lazy_list without zero_alloc: a recycled kiocb still holds LIST_POISON1
        # and aio_complete's list_del stops the run (docs/findings.md).
        r = subprocess.run([a.aiosim, "run", os.path.join(a.source, "experiments", "mixed.toml"), "--set", "workload.kiocbs=20000",
                            "--set", "kioctx.zero_alloc=false"], capture_output=True, text=True, timeout=240)
        steps = r.stderr.split("last steps:")[-1]
        check(r.returncode == 3 and "last steps:" in r.stderr, "run: a violation stops the run with a report")
        check("0x" not in steps and "ki_list.next         LIST_POISON1" in steps,
              "run: the report's last steps name the kernel's symbol (LIST_POISON1), no host address")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
