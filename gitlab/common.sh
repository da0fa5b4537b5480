# What every kubepush job template runs: install kubepush, run one command with the job's
# reports, hand the results to GitLab (JUnit, Code Quality, dotenv, MR comment) and exit with
# kubepush's code. The templates embed this file verbatim (a template must stand alone to work
# through include:project, include:local and as a CI/CD catalog component); `python -m
# kubepush.ci.generate` copies it into them and the tests fail when a copy differs.
# Inputs arrive as KP_<INPUT> job variables - values, never shell text - with the names and
# meaning of the GitHub Action's inputs. Nothing here prints a variable that may hold a secret.
kp_fail() { echo "kubepush: $*" >&2; exit 2; }

kp_install() {
  KP_ROOT="$PWD"  # the checkout: where GitLab starts the job (CI_PROJECT_DIR)
  if [ -n "${KP_KUBEPUSH_SOURCE:-}" ]; then
    KP_VENV="$(mktemp -d)/venv"
    # The image's pip (when it has one) installs into the venv: no second pip to set up.
    kp_venv_flags=--system-site-packages
    python3 -m pip --version >/dev/null 2>&1 && kp_venv_flags="$kp_venv_flags --without-pip"
    # shellcheck disable=SC2086
    python3 -m venv $kp_venv_flags "$KP_VENV" || kp_fail "cannot create a venv: the image needs python3 (>= 3.11) with venv"
    # shellcheck disable=SC2086 # pip-args is a list of flags
    "$KP_VENV/bin/python" -m pip install --quiet --disable-pip-version-check ${KP_PIP_ARGS:-} "$KP_KUBEPUSH_SOURCE" \
      || kp_fail "pip could not install '$KP_KUBEPUSH_SOURCE' (input kubepush-source)"
    PATH="$KP_VENV/bin:$PATH"  # pip adds no kubepush there when the image's site-packages satisfy it
  fi
  command -v kubepush >/dev/null || kp_fail "kubepush is not installed: set the input kubepush-source"
  kubepush --version
}

# kp_run COMMAND: inputs -> flags, kubepush with the reports, results -> dotenv and MR comment,
# all in kubepush's own runner (python -m kubepush.ci.gitlab: the mapping every integration shares).
kp_run() {
  cd "$KP_ROOT/${KP_WORKING_DIRECTORY:-.}" || kp_fail "working-directory '${KP_WORKING_DIRECTORY}' does not exist"
  set +e
  "${KP_VENV:+$KP_VENV/bin/}python3" -m kubepush.ci.gitlab "$1" "$KP_ROOT/kubepush-reports"
  KP_EXIT=$?
  set -e
  cd "$KP_ROOT"
}

# The job's result: 0 ok, 1 findings/drift, 2 usage or environment error.
kp_finish() { exit "$KP_EXIT"; }
