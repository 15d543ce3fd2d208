#!/usr/bin/env bash
# A first run should open a dashboard without a red "No trusted development certificate" error: create the ASP.NET
# development certificate when there is none, and trust it where .NET can (on Linux, for .NET's own clients; a browser
# keeps its own store). `aspire run` does the same.
set -uo pipefail
if dotnet dev-certs https --check >/dev/null 2>&1; then
  exit 0
fi
echo "dev-certificate: creating the ASP.NET development certificate"
dotnet dev-certs https --trust >/dev/null 2>&1 || dotnet dev-certs https >/dev/null 2>&1 || echo "dev-certificate: could not create one; the dashboard will say so" >&2
