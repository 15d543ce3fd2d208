#!/usr/bin/env bash
# Builds and runs every test against real servers, then checks that no server outlived them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh
bash eng/test-prerequisites.sh
# The dashboard test asserts that the dashboard opens without a certificate error, as eng/run.sh makes it.
bash eng/dev-certificate.sh

results=TestResults
rm -rf "$results"
status=0
dotnet test Solution.sln --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" --blame-hang --blame-hang-timeout 10m "$@" || status=$?

bash eng/check-leftovers.sh || status=1
exit "$status"
