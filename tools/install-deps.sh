#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs what aiosim needs from Debian 12's packages. Idempotent, and quiet
# when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsimgrid-dev libboost-dev libfmt-dev catch2
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libsqlite3-dev              # a sweep's results.sqlite
  python3 python3-matplotlib python3-pandas
  python3-jsonschema          # the results test validates result.json against schemas/result.schema.json
  chromium                    # aiosim report's test loads the report in a real (headless) browser
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
