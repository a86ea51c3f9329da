#!/usr/bin/env bash
# The README's test command. Installs what the tests need on a fresh Debian machine
# (chromium for the browser test of the report, PowerShell 7 as a local dotnet tool for run.ps1),
# then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the report's browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
dotnet tool restore

dotnet test GradCamAudit.sln -c Release "$@"
