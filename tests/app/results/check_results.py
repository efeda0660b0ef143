#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: one name per metric. Every result.json the runs below produce
validates against schemas/result.schema.json (closed objects: an undeclared
key fails); docs/results.md is what tools/results-doc.py makes of the
schema; the columns of a run's summary.csv and of compare's comparison.csv
are result.json's dotted names, with its values in its units.

    check_results.py AIOSIM SOURCE_DIR

Runs: an AIO run with every optional part on (latency CDF, eventfd lock,
the profile), the mm-parent design (no completion_lock) and lazy-cancel
(with one), a lock micro-benchmark, and a two-run compare.
"""

import copy
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def load_doc_tool(source):
    spec = importlib.util.spec_from_file_location("results_doc", os.path.join(source, "tools", "results-doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def name_patterns(doc, schema):
    out = []
    for root in ("aio", "lockbench"):
        for n, *_ in doc.rows(schema, schema["$defs"][root], ""):
            parts = re.split(r"<[a-z]+>", n)  # <lock>, <cpu>...: any one name part
            out.append(re.compile("^" + "[^.]+".join(re.escape(p) for p in parts) + "$"))
    return out


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def get(result, dotted):
    v = result
    for part in dotted.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v


def main():
    aiosim, source = sys.argv[1], sys.argv[2]
    with open(os.path.join(source, "schemas", "result.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    doc = load_doc_tool(source)
    r = subprocess.run([sys.executable, os.path.join(source, "tools", "results-doc.py"), "--check"], capture_output=True, text=True)
    check(r.returncode == 0, f"docs/results.md is what tools/results-doc.py writes from the schema {r.stderr.strip()}")
    patterns = name_patterns(doc, schema)

    def documented(name):
        return any(p.match(name) for p in patterns)

    mixed = os.path.join(source, "experiments", "mixed.toml")
    runs = {
        "every part": [mixed, "--set", "workload.kiocbs=3000", "--set", "output.latency_cdf=true",
                       "--set", "workload.eventfd_fraction=0.3"],
        "mm-parent": [mixed, "--set", "workload.kiocbs=3000", "--set", "kioctx.design=mm-parent"],
        "lazy-cancel": [mixed, "--set", "workload.kiocbs=3000", "--set", "kioctx.design=lazy-cancel"],
        "io_uring buffered": [os.path.join(source, "experiments", "buffered-io_uring.toml"), "--set", "workload.kiocbs=3000"],
        "lockbench": [os.path.join(source, "experiments", "lockbench.toml"), "--set", "bench.duration=1ms",
                      "--set", "bench.warmup=100us", "--set", "machine.cores_per_socket=4"],
    }
    with tempfile.TemporaryDirectory(prefix="aiosim-results-test-") as tmp:
        results = {}
        for label, args in runs.items():
            out = os.path.join(tmp, re.sub(r"\W", "_", label))
            p = subprocess.run([aiosim, "run", *args, "--quiet", "--out", out], capture_output=True, text=True)
            check(p.returncode == 0, f"{label}: runs (exit {p.returncode}: {p.stderr.strip()[:300]})")
            if p.returncode != 0:
                continue
            with open(os.path.join(out, "result.json")) as f:
                result = json.load(f)
            results[label] = result
            errors = sorted(validator.iter_errors(result), key=lambda e: list(e.absolute_path))
            check(not errors, f"{label}: result.json validates against the schema" +
                  "".join(f"\n      {'.'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]))
            # A run's summary.csv: result.json's names and values.
            rows = read_csv(os.path.join(out, "summary.csv"))
            check(len(rows) == 1, f"{label}: summary.csv has one row")
            cols = [c for c in rows[0] if c != "scenario"]
            undocumented = [c for c in cols if not documented(c)]
            check(not undocumented, f"{label}: summary.csv's columns are documented names ({undocumented})")
            for c in cols:
                v = rows[0][c]
                try:
                    want = get(result, c)
                except (KeyError, TypeError):
                    check(v == "" or c.startswith("speedup."), f"{label}: summary.csv {c} is empty where result.json has no value ({v!r})")
                    continue
                if want is None:
                    continue
                if isinstance(want, (dict, list)):
                    check(False, f"{label}: summary.csv {c} names a scalar of result.json")
                    continue
                if isinstance(want, str):
                    check(v == want, f"{label}: summary.csv {c} = {v} as result.json ({want})")
                else:
                    tol = 0.051 + 1e-5 * abs(want) if not c.startswith("cpu_share") else 6e-6
                    check(abs(float(v) - want) <= tol, f"{label}: summary.csv {c} = {v} as result.json ({want})")

        if "every part" in results:
            r = results["every part"]
            check("latency_cdf" in r and "eventfd_wqh_lock" in r["locks"] and "profile" in r,
                  "the run with every part has the latency CDF, the eventfd lock and the profile")
            # The schema is strict: a key it does not declare, or a share in percent, fails.
            bad = copy.deepcopy(r)
            bad["throughput"]["completions_per_s"] = 1.0
            check(not validator.is_valid(bad), "an undeclared key (throughput.completions_per_s) fails validation")
            bad = copy.deepcopy(r)
            bad["cpu_share"]["spinning"] = "13%"
            check(not validator.is_valid(bad), "a share as text fails validation")
            bad = copy.deepcopy(r)
            del bad["locks"]["ctx_lock"]
            check(not validator.is_valid(bad), "a missing ctx_lock fails validation")
        if "lazy-cancel" in results and "mm-parent" in results:
            check("completion_lock" in results["lazy-cancel"]["locks"] and "completion_lock" not in results["mm-parent"]["locks"],
                  "lazy-cancel (the seed) has a completion_lock, mm-parent none (both validated)")

        # compare: comparison.csv's columns are documented names; its runs validate.
        spec = os.path.join(tmp, "cmp.toml")
        with open(spec, "w") as f:
            f.write(f'[compare]\nbase = "{mixed}"\nvary = "kioctx.design"\nvalues = ["mm-parent", "lazy-cancel"]\n'
                    '[[compare.point]]\nlabel = "small"\nset = ["workload.kiocbs=2000"]\n')
        out = os.path.join(tmp, "cmp")
        p = subprocess.run([aiosim, "compare", spec, "--out", out, "-j", "2"], capture_output=True, text=True)
        check(p.returncode == 0, f"compare runs (exit {p.returncode}: {p.stderr.strip()[:300]})")
        if p.returncode == 0:
            rows = read_csv(os.path.join(out, "comparison.csv"))
            cols = [c for c in rows[0] if c not in ("point", "kioctx.design")]
            undocumented = [c for c in cols if not documented(c)]
            check(not undocumented and "cpu_share.spinning" in cols, f"comparison.csv's columns are documented names ({cols})")
            n = 0
            for root, _, files in os.walk(out):
                if "result.json" in files:
                    with open(os.path.join(root, "result.json")) as f:
                        res = json.load(f)
                    n += validator.is_valid(res)
                    share = [float(r["cpu_share.spinning"]) for r in rows if r["kioctx.design"] == res["design"]["name"]]
                    check(len(share) == 1 and abs(share[0] - res["cpu_share"]["spinning"]) <= 6e-6,
                          f"comparison.csv's cpu_share.spinning is result.json's share 0..1 ({share})")
            check(n == 2, f"both compare runs' result.json validate ({n})")


main()
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
