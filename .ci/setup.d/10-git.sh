#!/usr/bin/env bash
# The git-layer tests (tests/unit/gitops/) run the real git: over file:// and
# over smart HTTP through git's own CGI, git-http-backend (Debian ships it in the
# git package). kubepush needs git >= 2.31 (GIT_CONFIG_COUNT environment config).
set -euo pipefail
if command -v git >/dev/null && [ -x "$(git --exec-path)/git-http-backend" ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
apt-get install -y --no-install-recommends git ca-certificates
