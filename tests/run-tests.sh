#!/usr/bin/env bash
# The README's test command. Installs what the tests need on a fresh Debian machine
# (chromium for the browser test of the report; Debian's python3-torch and python3-torchvision, which write
# the PyTorch reference files of the model parity tests; slurm-wlm and munge for the one-node Slurm cluster of the
# deploy test, installed without starting any service: the test starts its own daemons and stops them by PID;
# node's npm for the offline Kubernetes manifest check; PowerShell 7 as a local dotnet tool for run.ps1),
# then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || missing+=(python3-torch python3-torchvision)
services=()
command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 || services+=(slurm-wlm munge)
if [ ${#missing[@]} -gt 0 ] || [ ${#services[@]} -gt 0 ]; then
  echo "installing Debian packages for the tests: ${missing[*]} ${services[*]}"
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#services[@]} -gt 0 ]; then
  # No package may start its daemon here (munged, slurmctld, slurmd): a policy-rc.d of our own while installing.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${services[@]}" >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
# The Kubernetes manifest check's schema package (npm: kubernetes-models, with yaml), into tests/k8s/node_modules.
if command -v npm >/dev/null 2>&1 && [ ! -d tests/k8s/node_modules/kubernetes-models ]; then
  (cd tests/k8s && npm install --no-audit --no-fund --silent)
fi
dotnet tool restore

dotnet test GradCamAudit.sln -c Release "$@"
