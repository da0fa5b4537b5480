#!/usr/bin/env bash
# The GitLab CI templates (gitlab/, examples/gitlab/) are executed by tests/integration/ci/test_gitlab.py
# with gitlab-ci-local's shell executor. 4.73.0 is the last release that runs on Node 20;
# it copies the project with rsync. check-jsonschema (pip, test extra) lints them.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v rsync >/dev/null; then
  [ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
  apt-get install -y --no-install-recommends rsync
fi
if ! command -v npm >/dev/null; then
  [ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
  apt-get install -y --no-install-recommends nodejs npm
fi
if [ "$(gitlab-ci-local --version 2>/dev/null || true)" != "4.73.0" ]; then
  npm install -g --no-audit --no-fund gitlab-ci-local@4.73.0
fi
