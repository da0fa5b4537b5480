# What every kubepush job template runs: install kubepush, run one command with the job's
# reports, hand the results to GitLab (JUnit, Code Quality, dotenv, MR comment) and exit with
# kubepush's code. The templates embed this file verbatim (a template must stand alone to work
# through include:project, include:local and as a CI/CD catalog component); `python3
# gitlab/sync.py` copies it into them and the tests fail when a copy differs.
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

# kp_run COMMAND: inputs -> flags, kubepush with the reports, results -> dotenv and MR comment.
kp_run() {
  cd "$KP_ROOT/${KP_WORKING_DIRECTORY:-.}" || kp_fail "working-directory '${KP_WORKING_DIRECTORY}' does not exist"
  set +e
  python3 - "$1" "$KP_ROOT/kubepush-reports" <<'PY'
import json, os, pathlib, shlex, subprocess, sys

command, reports = sys.argv[1], pathlib.Path(sys.argv[2])
reports.mkdir(parents=True, exist_ok=True)
# input (KP_<NAME>) -> flag, as the GitHub Action maps them: value, list (one per line or
# comma-separated), paths (one per line), flag (when true), negate (when false), tristate
FLAGS = [("config", "value", "--config"), ("target", "list", "--target"), ("image", "list", "--image"),
         ("kubernetes-version", "value", "--kubernetes-version"), ("strict", "tristate", "strict"),
         ("ignore-missing-schemas", "flag", "--ignore-missing-schemas"), ("crds", "list", "--crd"),
         ("disable", "list", "--disable"), ("context", "value", "--context"),
         ("namespace", "value", "--namespace"), ("ignore-manager", "list", "--ignore-manager"),
         ("fail-on-drift", "tristate", "fail-on-drift"), ("heal", "flag", "--heal"),
         ("timeout", "value", "--timeout"), ("wait", "negate", "--no-wait"),
         ("rollback-on-failure", "flag", "--rollback-on-failure"), ("revision", "value", "--revision"),
         ("from-registry", "flag", "--from-registry"), ("repo", "value", "--repo"), ("base", "value", "--base"),
         ("group", "value", "--group"), ("branch", "value", "--branch"), ("title", "value", "--title"),
         ("labels", "list", "--label"), ("reviewers", "list", "--reviewer"), ("assignees", "list", "--assignee"),
         ("draft", "flag", "--draft"), ("auto-merge", "flag", "--auto-merge"), ("direct", "flag", "--direct"),
         ("dry-run", "flag", "--dry-run"), ("forge", "value", "--forge"), ("forge-url", "value", "--forge-url"),
         ("author", "value", "--author"), ("registry-auth", "list", "--registry-auth"),
         ("insecure-registry", "list", "--insecure-registry"), ("last-applied", "flag", "--last-applied"),
         ("reason", "value", "--reason"), ("commit", "paths", ""), ("paths", "paths", "")]


def value(name):
    given = os.environ.get("KP_" + name.upper().replace("-", "_"), "").strip()
    if not given and name == "forge-url" and value("forge") == "gitlab":
        return os.environ.get("CI_API_V4_URL", "")  # this GitLab's API
    return given


def items(name):
    text = value(name) if name in ("paths", "registry-auth") else value(name).replace(",", "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


argv, positional = [command], []
for name, kind, flag in FLAGS:
    given = value(name)
    if kind == "value" and given:
        argv += [flag, given]
    elif kind == "list":
        for item in items(name):
            argv += [flag, item]
    elif kind == "paths":
        positional += items(name)
    elif given and kind in ("flag", "negate", "tristate") and given not in ("true", "false"):
        print(f"kubepush: input {name}: expected true or false, got {given!r}", file=sys.stderr)
        sys.exit(2)
    elif (kind == "flag" and given == "true") or (kind == "negate" and given == "false"):
        argv.append(flag)
    elif kind == "tristate" and given:
        argv.append(f"--{flag}" if given == "true" else f"--no-{flag}")
argv += shlex.split(value("args"))
if command in ("bump", "revert"):  # their result is JSON on stdout, no findings reports
    argv[1:1] = ["-o", "json"]
else:
    argv += ["--report", f"junit={reports}/{command}.junit.xml", "--report",
             f"codequality={reports}/{command}.codequality.json", "--report", f"json={reports}/{command}.json",
             "--summary-md", f"{reports}/{command}.md"]
argv += ["--", *positional] if positional else []
for stale in reports.glob(f"{command}.*"):  # never an earlier run's result
    stale.unlink()
proc = subprocess.run(["kubepush", *argv], stdout=subprocess.PIPE if command in ("bump", "revert") else None,
                      text=True)
code = proc.returncode

# The dotenv report, KUBEPUSH_<COMMAND>_<OUTPUT> (a job may need several kubepush jobs); the
# outputs are the GitHub Action's: exit-code, errors, warnings, drifted, changed, pr-url, ...
out = {"exit-code": code}
if command in ("bump", "revert"):
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = {}
    # a revert is one branch and one merge request
    groups = result.get("groups", []) if command == "bump" else [result] if result else []
    prs = [g["pullRequest"] for g in groups if g.get("pullRequest")]
    out.update({"changed": bool(result.get("changed")), "pr-number": prs[0]["number"] if prs else "",
                "pr-url": prs[0]["url"] if prs else "", "branches": [g["branch"] for g in groups],
                "findings": len(result.get("findings", []))})
    if command == "revert" and result:
        print(f"revert {result['commit'][:12]} ({result['subject']}) on {result['base']}")
    for group in groups:
        for u in group.get("updates", []):
            print(f"{u['file']}:{u['line']}: {u['image']} {u['old']} -> {u['new']}")
        pr = group.get("pullRequest")
        print(f"{group['branch']}: {group['status']}" + (f", merge request !{pr['number']} {pr['url']}" if pr else ""))
    for f in result.get("findings", []):
        print(f"{f.get('file') or 'kubepush'}:{f.get('line') or 0}: {f['severity']}: {f['message']} [{f['rule']}]")
else:
    try:
        data = json.loads((reports / f"{command}.json").read_text())
    except (OSError, ValueError):
        data = {}
    counts, rules = data.get("summary", {}), {f.get("rule") for f in data.get("findings", [])}
    drift = {"drift", "missing", "extra"}
    out.update({"errors": counts.get("errors", 0), "warnings": counts.get("warnings", 0),
                "findings": counts.get("errors", 0) + counts.get("warnings", 0)})
    if command in ("diff", "drift"):
        out["drifted"] = bool(rules & drift)
        out["drift-count"] = sum(f.get("rule") in drift for f in data.get("findings", []))
    if command in ("diff", "apply"):
        out["changed"] = bool(rules & (drift if command == "diff" else
                                       {"created", "configured", "recreated", "pruned", "healed"}))
prefix = f"KUBEPUSH_{command.upper()}_"
env = {prefix + k.upper().replace("-", "_"):
       " ".join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v)
       for k, v in out.items()}
(reports / "kubepush.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
print("kubepush outputs (dotenv):", " ".join(f"{k}={v}" for k, v in env.items()))

# comment: true -> this command's section of the target's sticky merge request comment.
# Not commenting (no MR, an old kubepush, a refused token) warns: the result stands.
summary = reports / f"{command}.md"
if value("comment") == "true" and command not in ("bump", "revert"):
    target = ", ".join(items("target")) or "all"
    if not os.environ.get("CI_MERGE_REQUEST_IID"):
        print("kubepush: comment: not a merge request pipeline, no comment")
    elif subprocess.run(["kubepush", "comment", "--help"], capture_output=True).returncode:
        print("kubepush: comment: this kubepush has no 'comment' command, no comment (upgrade kubepush-source)")
    elif summary.exists() and subprocess.run(["kubepush", "comment", "--target", target, "--section", command,
                                              "--from", str(summary)]).returncode:
        print("kubepush: comment: could not post the comment (see above); the reports are the job's artifacts")
# fail-on-findings: false -> findings (exit 1) are reported, the job passes
sys.exit(0 if code == 1 and value("fail-on-findings") == "false" else code)
PY
  KP_EXIT=$?
  set -e
  cd "$KP_ROOT"
}

# The job's result: 0 ok, 1 findings/drift, 2 usage or environment error.
kp_finish() { exit "$KP_EXIT"; }
