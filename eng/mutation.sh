#!/usr/bin/env bash
# Test strength of the unit-testable core, measured with Stryker.NET (a local dotnet tool) against the unit tests only:
# the parser and batch logic and Worker/Health in Worker, and ServiceDefaults/Probes. Writes the score per folder and
# every surviving mutant into bench/MUTATION.md (between its markers); the HTML reports stay under TestResults/mutation.
set -euo pipefail
cd "$(dirname "$0")/.."
# Stryker is installed into its own path rather than the repository's tool manifest: a manifest holding it beside the
# RID-specific Aspire CLI fails to restore with the .NET 10 SDK ("the commands contained in the package are aspire").
tools=TestResults/tools
[ -x "$tools/dotnet-stryker" ] || dotnet tool install dotnet-stryker --version 5.1.0 --tool-path "$tools" >/dev/null
run() {
  local project=$1 config=$2 name=$3
  # From the project's folder: at the root, Stryker would take Solution.sln as its context and refuse a test project.
  (cd "$project" && "../$tools/dotnet-stryker" --config-file "../$config" --output "../TestResults/mutation/$name") >"TestResults/mutation-$name.log" 2>&1 \
    || { tail -n 40 "TestResults/mutation-$name.log" >&2; exit 1; }
  grep -E "The final mutation score is" "TestResults/mutation-$name.log" | tail -n 1 || true
}
mkdir -p TestResults
rm -rf TestResults/mutation
run Worker eng/stryker-worker.json worker
run ServiceDefaults eng/stryker-servicedefaults.json servicedefaults
command -v python3 >/dev/null 2>&1 || bash eng/install-packages.sh mutation python3
python3 eng/mutation-report.py .
