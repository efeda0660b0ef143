#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs a single-node Slurm (slurmctld, slurmd, the client tools) and munge
# from Debian 12's packages, for the `slurm` ctest (tests/app/sweep/slurm_test.sh)
# and `aiosim sweep --backend slurm`. Idempotent and quiet when all is there.
# The packages' own services are not started: the test runs private daemons
# (see /work/shared/notes/slurm-single-node.md, tools/slurm-local.sh).
set -euo pipefail

packages=(slurmctld slurmd slurm-client munge)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-slurm: need root to install: ${missing[*]} (the slurm test will skip)" >&2
  exit 0
fi
echo "install-slurm: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Without systemd, the packages' postinst cannot start services: keep them from trying.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
