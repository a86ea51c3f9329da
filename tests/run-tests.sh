#!/usr/bin/env bash
# The README's test command. Installs what the tests need on a fresh Debian machine
# (chromium for the browser test of the report; Debian's python3-torch and python3-torchvision, which write
# the PyTorch reference files of the model parity tests; PowerShell 7 as a local dotnet tool for run.ps1),
# then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || missing+=(python3-torch python3-torchvision)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
dotnet tool restore

dotnet test GradCamAudit.sln -c Release "$@"
