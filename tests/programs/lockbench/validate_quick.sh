#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# CI check: `aiosim validate --quick --out DIR` regenerates the report from
# scratch: exit status 0 (every comparison agrees), report.md with its four
# sections, the CSV data, and either the figure or the note saying why not.
# Usage: validate_quick.sh AIOSIM DIR
set -eu
aiosim=$1
dir=$2
rm -rf "$dir"
"$aiosim" validate --quick --quiet --out "$dir"
for f in report.md open.csv closed.csv closed_model.csv collapse.csv collapse_model.csv little.csv; do
  test -s "$dir/$f" || { echo "missing $dir/$f"; exit 1; }
done
for h in "## (a) Open system" "## (b) Closed system" "## (c) The ticket-lock collapse" "## (d) Little's law" \
         "All " "comparisons agree"; do
  grep -q "$h" "$dir/report.md" || { echo "report.md lacks: $h"; exit 1; }
done
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  test -s "$dir/validation.png" && test -s "$dir/validation.pdf" || { echo "no figure although matplotlib is there"; exit 1; }
  grep -q "](validation.png)" "$dir/report.md"
else
  grep -q "^No figure: " "$dir/report.md"
fi
echo "validate --quick: report regenerated in $dir"
