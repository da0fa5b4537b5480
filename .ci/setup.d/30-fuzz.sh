#!/usr/bin/env bash
# Coverage-guided fuzzing in CI (tests/fuzz/test_atheris.py runs each target of
# tests/fuzz/harness.py for a few seconds). atheris ships manylinux wheels for
# CPython 3.11 with libFuzzer built in, so no compiler is needed.
set -euo pipefail
if python3 -c "import atheris" 2>/dev/null; then
  exit 0
fi
python3 -m pip install --quiet "atheris>=2.3"
