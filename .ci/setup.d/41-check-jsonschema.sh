#!/usr/bin/env bash
# tests/integration/ci/test_action_lint.py lints action.yml, actions/*/action.yml and examples/github/*.yml
# with check-jsonschema against the SchemaStore schemas it vendors
# (--builtin-schema vendor.github-actions / vendor.github-workflows).
set -euo pipefail
if command -v check-jsonschema >/dev/null; then
  exit 0
fi
python3 -m pip install --quiet 'check-jsonschema>=0.39,<1'
