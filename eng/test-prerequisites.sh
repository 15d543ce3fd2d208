#!/usr/bin/env bash
# What the deployment tests need besides the servers: docker-compose (Debian's package, validates Compose files
# offline) and kubectl (renders the kustomize overlay offline).
set -euo pipefail

if ! command -v docker-compose >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "test-prerequisites: installing docker-compose from the distribution's packages"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends docker-compose
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "test-prerequisites: kubectl (with kustomize v5) is needed to render deploy/kubernetes; install it from the Kubernetes package repository." >&2
  exit 1
fi
echo "test-prerequisites: docker-compose $(docker-compose version --short 2>/dev/null), $(kubectl version --client 2>/dev/null | grep -i kustomize)"
