#!/usr/bin/env bash
# Builds and runs every test against real servers, in both modes: as local processes, and as containers on a container
# engine (the machine's own, or a private dockerd started for this run only, eng/test-engine.sh) from images built
# from Debian's packages (eng/images/build.sh, eng/worker-image.sh). Then checks that no server outlived the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh --local-servers
bash eng/test-prerequisites.sh
# The dashboard tests assert that the dashboard opens without a certificate error, as eng/run.sh makes it; with the
# certificate, Aspire gives the containers' Redis TLS, as on a developer's machine.
bash eng/dev-certificate.sh

results=TestResults
rm -rf "$results"
status=0
# Whatever happens, even an interrupted start, the engine ends with the run (stop is a no-op where none was started
# here), and then no server, engine, registry or port mapper may be left.
finish() {
  local rc=$1
  bash eng/test-engine.sh stop || status=1
  bash eng/check-leftovers.sh || status=1
  [ "$status" -ne 0 ] || status=$rc
  exit "$status"
}
trap 'finish $?' EXIT
engine=$(bash eng/test-engine.sh start)
eval "$engine"

started=$SECONDS
bash eng/images/build.sh
bash eng/worker-image.sh
echo "test: the engine and its images were ready in $((SECONDS - started)) s"

dotnet test Solution.sln --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" --blame-hang --blame-hang-timeout 10m "$@" || status=$?
