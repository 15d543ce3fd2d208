#!/usr/bin/env bash
# Measures the figures of bench/RESULTS.md: bench/run.sh for the full run, bench/run.sh --smoke for CI's quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh
command -v wrk >/dev/null 2>&1 || bash eng/install-packages.sh bench wrk
exec dotnet run --project bench/Bench -c Release -- "$@"
