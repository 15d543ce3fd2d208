#!/usr/bin/env bash
# What the tests need besides the servers and the container engine (eng/test-engine.sh), from Debian's packages: curl
# and procps (probing, finding and signalling processes), docker-compose (runs the Compose stack) and chromium (the
# dashboard tests drive it with Playwright); and kubectl (renders the kustomize overlay offline).
set -euo pipefail

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] || bash "$(dirname "$0")/install-packages.sh" test-prerequisites "${missing[@]}"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "test-prerequisites: kubectl (with kustomize v5) is needed to render deploy/kubernetes; install it from the Kubernetes package repository." >&2
  exit 1
fi
echo "test-prerequisites: docker-compose $(docker-compose version --short 2>/dev/null), $(kubectl version --client 2>/dev/null | grep -i kustomize)"
