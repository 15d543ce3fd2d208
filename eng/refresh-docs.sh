#!/usr/bin/env bash
# Refreshes the pictures in docs/ from a run of the dashboard test, which takes them in headless chromium (tests
# write under TestResults/ only), and the bench's charts from bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh
bash eng/test-prerequisites.sh
dotnet test Worker.Tests --filter "FullyQualifiedName~DashboardTests" --results-directory TestResults
cp TestResults/dashboard.png TestResults/trace.png docs/
dotnet run --project bench/Bench -c Release -- --charts
echo "refresh-docs: docs/dashboard.png, docs/trace.png and the charts refreshed"
