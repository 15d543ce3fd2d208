#!/usr/bin/env bash
# eng/install-packages.sh [--no-start] WHO PACKAGE...: installs Debian packages, through sudo unless root, saying who
# asked and what. --no-start: the packages' services must not run as the machine's own (a container engine, a registry
# on every interface): nothing is started during the install (a policy-rc.d that refuses, where none is in place), and
# where systemd runs, the units of every package this call newly installed are disabled.
set -euo pipefail
no_start=false
[ "${1:-}" = --no-start ] && { no_start=true; shift; }
who=$1
shift
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
installed() { dpkg-query -W -f '${Package} ${Status}\n' 2>/dev/null | awk '$4 == "installed" { print $1 }' | sort; }

policy=/usr/sbin/policy-rc.d
placed=false
before=$(installed)
if $no_start && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 0755 "$policy"
  placed=true
fi
trap '! $placed || "${sudo[@]}" rm -f "$policy"' EXIT

echo "$who: installing from the distribution's packages: $*"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"

if $no_start && [ -d /run/systemd/system ]; then
  for package in $(comm -13 <(echo "$before") <(installed)); do
    units=$(dpkg -L "$package" | grep -E '^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer)$' | xargs -r -n1 basename || true)
    # shellcheck disable=SC2086 # a list of unit names
    [ -z "$units" ] || "${sudo[@]}" systemctl disable --now $units >/dev/null 2>&1 || true
  done
fi
