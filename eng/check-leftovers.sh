#!/usr/bin/env bash
# Fails when a server started by the AppHost (its data lives under worker-apphost/) or its epmd outlives the app, or
# when the tests' private container engine (dockerd, its containerd and shims, under /run/worker-test-engine/) or the
# registry that served the worker's base image (eng/worker-image.sh) outlives the test run.
set -uo pipefail
pattern='worker-apphost/|epmd -address 127\.0\.0\.1 -port|/run/worker-test-engine/|worker-registry\.'
for _ in $(seq 1 60); do
  left=$(pgrep -af "$pattern" | grep -v -e pgrep -e check-leftovers || true)
  [ -z "$left" ] && { echo "leftovers: none"; exit 0; }
  sleep 1
done
echo "leftovers: these processes outlived the app:" >&2
echo "$left" >&2
exit 1
