#!/usr/bin/env bash
# Fails when a server started by the AppHost (its data lives under worker-apphost/) or a port mapper outlives the app,
# or when the tests' private container engine (dockerd, its containerd and shims, under /run/worker-test-engine/) or
# the registry that served the worker's base image (eng/worker-image.sh) outlives the test run. A port mapper counts
# whether the app started it (`epmd -address 127.0.0.1 -port`) or an Erlang VM of the broker did (`epmd -daemon`, with
# the run directory in its environment). CHECK_LEFTOVERS_SECONDS (60) is how long they get to end.
set -uo pipefail
pattern='worker-apphost/|epmd -address 127\.0\.0\.1 -port|/run/worker-test-engine/|worker-registry\.'
port_mappers() {
  local pid
  for pid in $(pgrep -x epmd); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -q 'worker-apphost/'; then
      echo "$pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | sed 's/ $//')"
    fi
  done
}
for _ in $(seq 1 "${CHECK_LEFTOVERS_SECONDS:-60}"); do
  left=$( (pgrep -af "$pattern"; port_mappers) | grep -v -e pgrep -e check-leftovers | sort -u || true)
  [ -z "$left" ] && { echo "leftovers: none"; exit 0; }
  sleep 1
done
echo "leftovers: these processes outlived the app:" >&2
echo "$left" >&2
exit 1
