#!/usr/bin/env bash
# Runs the whole system (RabbitMQ, Redis, PostgreSQL and the worker) with the Aspire dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/prerequisites.sh
bash eng/dev-certificate.sh
exec dotnet run --project AppHost --launch-profile http "$@"
