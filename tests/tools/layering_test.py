#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""tools/check-layering.py on small trees built here: it passes a tree whose
floors include only downwards, and fails, naming file and line, on an
include that reaches up a floor or is not named from the root; then it
passes the repository itself."""

import subprocess
import sys
import tempfile
from pathlib import Path

CHECK = Path(sys.argv[1])
ROOT = Path(sys.argv[2])


def tree(files):
    d = Path(tempfile.mkdtemp(prefix="layering-"))
    for rel, text in files.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    return d


def run(root):
    p = subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True, text=True)
    return p.returncode, p.stderr


GOOD = {
    "sim/time.hpp": "#pragma once\n#include <cstdint>\n",
    "models/aio/aio.hpp": '#pragma once\n#include "sim/time.hpp"\n',
    "programs/aio/run.cpp": '#include "models/aio/aio.hpp"\n#include "sim/time.hpp"\n',
    "app/main.cpp": '#include "programs/aio/run.cpp"\n#include "version.hpp"\n',
    "tests/x_test.cpp": '#include "app/main.cpp"\n',
}
failures = []
rc, err = run(tree(GOOD))
if rc != 0:
    failures.append(f"a clean tree failed: {err}")

up = dict(GOOD)
up["models/aio/aio.hpp"] = '#pragma once\n#include "sim/time.hpp"\n#include "programs/aio/run.cpp"\n'
rc, err = run(tree(up))
if rc != 1 or "models/aio/aio.hpp:3: models/ may not include programs/aio/run.cpp" not in err:
    failures.append(f"models/ including programs/: rc {rc}, {err!r}")

engine_up = dict(GOOD)
engine_up["sim/time.hpp"] = '#pragma once\n#include "app/main.cpp"\n'
rc, err = run(tree(engine_up))
if rc != 1 or "sim/time.hpp:2: sim/ may not include app/main.cpp" not in err:
    failures.append(f"sim/ including app/: rc {rc}, {err!r}")

relative = dict(GOOD)
relative["programs/aio/run.cpp"] = '#include "../../models/aio/aio.hpp"\n#include "aio.hpp"\n'
rc, err = run(tree(relative))
if rc != 1 or 'programs/aio/run.cpp:2: "aio.hpp" is not a path from the repository root' not in err:
    failures.append(f"a relative include: rc {rc}, {err!r}")

rc, err = run(ROOT)
if rc != 0:
    failures.append(f"the repository itself: {err}")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
