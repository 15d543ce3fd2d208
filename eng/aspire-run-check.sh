#!/usr/bin/env bash
# Proves that `aspire run` (the Aspire CLI, a local dotnet tool) runs this AppHost as ./eng/run.sh does, processes
# mode included: with port 8000 free before, ready answers 204 there, then a SIGTERM stops the whole app, its servers
# and the orchestrator (DCP, which runs in a session of its own). The app runs in a process group of its own, killed
# on any exit, and so is any DCP it started, so nothing outlives this check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh >/dev/null
{ command -v curl && command -v pgrep; } >/dev/null || bash eng/install-packages.sh aspire-run-check curl procps
bash eng/dev-certificate.sh
dotnet tool restore >/dev/null
if curl -s -o /dev/null --max-time 2 http://localhost:8000/; then
  echo "aspire-run-check: something already answers on port 8000; stop it first" >&2
  exit 1
fi

dcp_pattern='aspire\.hosting\.orchestration.*/tools/dcp '
dcp_before=$(pgrep -f "$dcp_pattern" || true)
ours_dcp() { pgrep -f "$dcp_pattern" | grep -vxF -e "${dcp_before:-none}" || true; }
log=$(mktemp)
setsid dotnet tool run aspire run --non-interactive >"$log" 2>&1 &
group=$!
alive() { pgrep -g "$group" >/dev/null 2>&1 || [ -n "$(ours_dcp)" ]; }
trap 'pkill -KILL -g "$group" 2>/dev/null || true; for pid in $(ours_dcp); do kill -KILL "$pid" 2>/dev/null || true; done; rm -f "$log"' EXIT

status=1
for _ in $(seq 1 240); do
  if ! kill -0 "$group" 2>/dev/null; then
    echo "aspire-run-check: aspire run exited early:" >&2
    tail -n 30 "$log" >&2
    break
  fi
  # Port 8000 was free before the start, so the answer is this app's (through DCP's proxy, as under dotnet run).
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://localhost:8000/internal/ready)" = "204" ]; then
    echo "aspire-run-check: ready 204 from the worker that aspire run started"
    status=0
    break
  fi
  sleep 1
done

# As docker stop and Kubernetes do: SIGTERM to the CLI, which stops the AppHost, DCP and the servers.
kill -TERM "$group" 2>/dev/null || true
for _ in $(seq 1 90); do alive || break; sleep 1; done
if alive; then
  echo "aspire-run-check: the app did not stop within 90 s of SIGTERM:" >&2
  { pgrep -a -g "$group"; for pid in $(ours_dcp); do ps -o pid=,args= -p "$pid"; done; } >&2 || true
  status=1
fi
bash eng/check-leftovers.sh || status=1
[ "$status" -eq 0 ] || tail -n 40 "$log" >&2
exit "$status"
