#!/usr/bin/env bash
# Measures the figures of bench/RESULTS.md: bench/run.sh for the full run, bench/run.sh --smoke for CI's quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh
if ! command -v wrk >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "bench: installing wrk from the distribution's packages"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends wrk
fi
exec dotnet run --project bench/Bench -c Release -- "$@"
