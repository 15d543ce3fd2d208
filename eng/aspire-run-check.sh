#!/usr/bin/env bash
# Proves that `aspire run` (the Aspire CLI, a local dotnet tool) runs this AppHost as ./eng/run.sh does, processes
# mode included: the worker answers ready 204 on port 8000, then a SIGTERM stops the whole app and its servers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh >/dev/null
bash eng/dev-certificate.sh
dotnet tool restore >/dev/null
log=$(mktemp)
dotnet tool run aspire run --non-interactive >"$log" 2>&1 &
app=$!
status=1
for _ in $(seq 1 240); do
  if ! kill -0 "$app" 2>/dev/null; then
    echo "aspire-run-check: aspire run exited early:" >&2
    tail -n 30 "$log" >&2
    break
  fi
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://localhost:8000/internal/ready)" = "204" ]; then
    echo "aspire-run-check: ready 204 from the worker that aspire run started"
    status=0
    break
  fi
  sleep 1
done
# As docker stop and Kubernetes do: the CLI, the AppHost and the orchestrator then stop the servers.
pkill -TERM -P "$app" 2>/dev/null || true
kill -TERM "$app" 2>/dev/null || true
for _ in $(seq 1 90); do kill -0 "$app" 2>/dev/null || break; sleep 1; done
if kill -0 "$app" 2>/dev/null; then
  echo "aspire-run-check: aspire run did not stop within 90 s of SIGTERM" >&2
  status=1
fi
bash eng/check-leftovers.sh || status=1
[ "$status" -eq 0 ] || tail -n 40 "$log" >&2
rm -f "$log"
exit "$status"
