#!/usr/bin/env bash
# Installs what the AppHost needs on a fresh Debian or Ubuntu machine that has the .NET SDK:
# when no container engine answers, the three servers from the distribution's packages.
# --local-servers: install them even where an engine answers (the tests run both modes).
set -euo pipefail
local_servers=false
[ "${1:-}" = --local-servers ] && local_servers=true

if ! command -v dotnet >/dev/null 2>&1; then
  echo "prerequisites: the .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first." >&2
  exit 1
fi

runtime="${ASPIRE_CONTAINER_RUNTIME:-docker}"
if ! $local_servers && command -v "$runtime" >/dev/null 2>&1 && timeout 10 "$runtime" info >/dev/null 2>&1; then
  echo "prerequisites: the $runtime engine answers; the backing services will run as containers."
  exit 0
fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
{ [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && command -v epmd >/dev/null 2>&1; } || missing+=(rabbitmq-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "prerequisites: redis-server, postgresql and rabbitmq-server are installed; without a container engine they run as local processes."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "prerequisites: no container engine answers and these servers are missing: ${missing[*]}. Install them, or start a container engine." >&2
  exit 1
fi

echo "prerequisites: the servers run as local processes where no container engine answers."
bash "$(dirname "$0")/install-packages.sh" prerequisites "${missing[@]}"
echo "prerequisites: installed ${missing[*]}."
