#!/usr/bin/env bash
# The preview's HTML report (kubepush diff --base ... --report html=FILE) is opened by
# tests/unit/report/test_html.py in Debian's headless chromium and checked through its DOM
# (what a reviewer's browser shows, and that no manifest string runs as script).
set -euo pipefail
if command -v chromium >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
apt-get install -y --no-install-recommends chromium fonts-dejavu-core
