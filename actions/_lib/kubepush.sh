#!/usr/bin/env bash
# The shell half of every kubepush composite action (the other half is the Python module
# kubepush.ci.github). Three phases, one per composite step:
#   prepare  mask the token, check Python, compute the venv path and its cache key
#   install  create the venv under $RUNNER_TEMP and pip install kubepush from this checkout
#   run      run kubepush.ci.github in that venv
# Inputs arrive through the environment only (KUBEPUSH_*), never as shell text.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"   # the action's own checkout

case "${1:-}" in
  prepare)
    # First thing, before anything can print it: the runner hides these from now on.
    while IFS= read -r line; do
      [ -n "$line" ] && echo "::add-mask::$line"
    done <<< "${KUBEPUSH_TOKEN:-}"
    python="$(command -v python3 || true)"
    if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "::error title=kubepush::kubepush needs Python >= 3.11 on the runner (found: ${python:-none});" \
           "add actions/setup-python with python-version: '3.12' before this step"
      exit 2
    fi
    # One venv per kubepush version (its sources) and Python: cached per action version.
    sum="$(cd "$root" && find pyproject.toml src -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z \
           | xargs -0 sha256sum | sha256sum | cut -c1-16)"
    pyver="$("$python" -c 'import platform; print(platform.python_version())')"
    venv="${RUNNER_TEMP:?}/kubepush-venv-$sum"
    {
      echo "venv=$venv"
      echo "key=kubepush-venv-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-py$pyver-$sum"
      # an earlier use in this job finished installing (a half-made venv is not reused)
      if [ -e "$venv/.kubepush-ready" ]; then echo "present=true"; else echo "present=false"; fi
    } >> "$GITHUB_OUTPUT"
    ;;
  install)
    venv="${KUBEPUSH_VENV:?}"
    rm -rf "$venv"
    echo "Installing kubepush from $root into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$root[cluster,github-app,sops]"
    "$venv/bin/python" -m kubepush.cli --version
    touch "$venv/.kubepush-ready"
    ;;
  run)
    exec "${KUBEPUSH_VENV:?}/bin/python" -m kubepush.ci.github
    ;;
  *)
    echo "usage: $0 prepare|install|run" >&2
    exit 2
    ;;
esac
