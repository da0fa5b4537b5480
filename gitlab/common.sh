# What every kubepush job template runs: install kubepush, run one command with the job's
# reports, hand the results to GitLab (JUnit, Code Quality, dotenv) and exit with kubepush's code.
# The templates embed this file verbatim (a template must stand alone to work through
# include:project, include:local and as a CI/CD catalog component); `python3 gitlab/sync.py`
# copies it into them and the tests fail when a copy differs.
# Inputs arrive as KP_* job variables (values, never code); nothing here prints a variable
# that may hold a secret, and no `set -x`.
kp_fail() { echo "kubepush: $*" >&2; exit 2; }

kp_install() {
  if [ -n "${KP_SOURCE:-}" ]; then
    KP_VENV="$(mktemp -d)/venv"
    # The image's pip (when it has one) installs into the venv: no second pip to set up.
    kp_venv_flags=--system-site-packages
    python3 -m pip --version >/dev/null 2>&1 && kp_venv_flags="$kp_venv_flags --without-pip"
    # shellcheck disable=SC2086
    python3 -m venv $kp_venv_flags "$KP_VENV" || kp_fail "cannot create a venv: the image needs python3 (>= 3.11) with venv"
    # shellcheck disable=SC2086 # pip_args is a list of flags
    "$KP_VENV/bin/python" -m pip install --quiet --disable-pip-version-check ${KP_PIP_ARGS:-} "$KP_SOURCE" \
      || kp_fail "pip could not install '$KP_SOURCE' (input kubepush_source)"
    PATH="$KP_VENV/bin:$PATH"
  fi
  command -v kubepush >/dev/null || kp_fail "kubepush is not installed: set the input kubepush_source"
  kubepush --version
  KP_ROOT="$PWD"  # the checkout: where GitLab starts the job (CI_PROJECT_DIR)
  KP_REPORTS="$KP_ROOT/kubepush-reports"
  mkdir -p "$KP_REPORTS"
}

# kp_run COMMAND [FLAG...]: the template's own flags; the shared inputs are added here.
kp_run() {
  KP_COMMAND=$1
  shift
  set -f  # list inputs are split on whitespace, never globbed
  [ -n "${KP_CONFIG:-}" ] && set -- "$@" --config "$KP_CONFIG"
  for kp_word in ${KP_TARGETS:-}; do set -- "$@" --target "$kp_word"; done
  for kp_word in ${KP_IMAGES:-}; do set -- "$@" --image "$kp_word"; done
  # shellcheck disable=SC2086 # args is a list of extra flags
  set -- "$@" ${KP_ARGS:-}
  for kp_word in ${KP_PATHS:-}; do
    if [ "$KP_COMMAND" = bump ]; then set -- "$@" --path "$kp_word"; else set -- "$@" "$kp_word"; fi
  done
  set +f
  cd "$KP_ROOT/${KP_WORKING_DIRECTORY:-.}" || kp_fail "working_directory '${KP_WORKING_DIRECTORY}' does not exist"
  set +e
  if [ "$KP_COMMAND" = bump ]; then
    kubepush bump -o json "$@" >"$KP_REPORTS/bump.json"
  else
    kubepush "$KP_COMMAND" "$@" --report "junit=$KP_REPORTS/$KP_COMMAND.junit.xml" \
      --report "codequality=$KP_REPORTS/$KP_COMMAND.codequality.json" \
      --report "json=$KP_REPORTS/$KP_COMMAND.json" --summary-md "$KP_REPORTS/$KP_COMMAND.md"
  fi
  KP_EXIT=$?
  set -e
  cd "$KP_ROOT"
  kp_outputs
}

# The dotenv report: what the next job (needs: [this job]) acts on.
kp_outputs() {
  python3 - "$KP_COMMAND" "$KP_EXIT" "$KP_REPORTS" <<'PY'
import json, pathlib, sys
command, code, reports = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
try:
    data = json.loads((reports / f"{command}.json").read_text())
except (OSError, ValueError):
    data = {}
out = {"EXIT_CODE": code}  # named KUBEPUSH_<COMMAND>_<KEY>: a job may need several kubepush jobs
if command == "bump":
    out.update(CHANGED=str(bool(data.get("changed"))).lower(), PR_URL=data.get("prUrl") or "",
               PR_NUMBER=data.get("prNumber") or "",
               BRANCH=" ".join(g["branch"] for g in data.get("groups", []) if g.get("branch")))
    for group in data.get("groups", []):
        pr = group.get("pullRequest") or {}
        print(f"kubepush bump: {group.get('branch')}: {group.get('status')} {pr.get('url', '')}".rstrip())
else:
    summary, rules = data.get("summary", {}), [f.get("rule") for f in data.get("findings", [])]
    out.update(ERRORS=summary.get("errors", ""), WARNINGS=summary.get("warnings", ""))
    if command in ("diff", "drift"):
        out["DRIFTED"] = sum(r in ("drift", "missing", "extra") for r in rules)
    if command in ("apply", "drift"):
        changes = sum(r in ("created", "configured", "recreated", "pruned", "healed") for r in rules)
        out.update(CHANGES=changes, CHANGED=str(changes > 0).lower())
prefix = f"KUBEPUSH_{command.upper()}_"
with open(reports / "kubepush.env", "w") as env:
    env.writelines(f"{prefix}{k}={str(v).replace(chr(10), ' ')}\n" for k, v in out.items())
print("kubepush outputs (dotenv):", " ".join(f"{prefix}{k}={v}" for k, v in out.items()))
PY
}

# kp_comment: the Markdown summary as this command's section of the sticky merge request comment
# (input comment; one comment per target). Failing to comment is a warning: the result stands.
kp_comment() {
  if [ -z "${CI_MERGE_REQUEST_IID:-}" ]; then
    echo "kubepush: comment: not a merge request pipeline, no comment"
  elif ! kubepush comment --help >/dev/null 2>&1; then
    echo "kubepush: comment: this kubepush has no 'comment' command, no comment (upgrade kubepush_source)"
  elif [ -f "$KP_REPORTS/$KP_COMMAND.md" ]; then
    kubepush comment --target "${KP_TARGETS:-all}" --section "$KP_COMMAND" --from "$KP_REPORTS/$KP_COMMAND.md" \
      || echo "kubepush: comment: could not post the comment" >&2
  fi
}

# The job's result is kubepush's exit code: 0 ok, 1 findings/drift, 2 usage or environment error.
kp_finish() { exit "$KP_EXIT"; }
