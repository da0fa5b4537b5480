"""Known secrets in, zero hits out: every command, every report format, git state and commit metadata.

Each command runs with a known git/forge token, registry password, cluster token
and Secret values - on success and on failure paths - and everything a CI log or
artifact could carry is searched for them: stdout, stderr, every ``-o`` format,
every ``--report`` file, the Markdown step summary, the git config and reflogs of
the checkout, the remote's config and every commit's metadata. The values are
searched raw, base64-encoded and URL-quoted, because each of those forms reaches a
different layer (Secret ``data``, HTTP Basic auth, URLs).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from tests.support.cluster_helpers import run, write
from tests.support.config_repo import env_with
from tests.support.git_fixtures import git
from tests.support.kubepush_cli import kubepush

pytest_plugins = ["tests.support.git_fixtures", "tests.support.config_repo"]

REGISTRY_PASSWORD = "regPw-KNOWN-5b7c1e"
SECRET_STRING = "dbPassword-KNOWN-a4f0c9"
SECRET_NUMBER = 7319462850117  # a wrongly typed Secret value still is a secret
SECRET_DATA = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
               "type": "Opaque",
               "data": {"password": base64.b64encode(SECRET_STRING.encode()).decode(), "pin": SECRET_NUMBER},
               "stringData": {"dsn": f"postgres://app:{SECRET_STRING}@db/app", "port": SECRET_NUMBER,
                              "nested": {"k": SECRET_STRING}}}
FORMATS = ("text", "json", "junit", "sarif", "codequality", "github", "tap", "markdown")


def forms(secret: str) -> set[str]:
    """The spellings under which a secret could leak."""
    return {secret, base64.b64encode(secret.encode()).decode(), urllib.parse.quote(secret, safe="")}


class Sweep:
    """Collects every text a run produced and fails on any known secret in any form."""

    def __init__(self, *secrets: str) -> None:
        self.needles = set().union(*(forms(s) for s in secrets))
        self.searched: list[str] = []

    def text(self, where: str, text: str) -> None:
        self.searched.append(where)
        hits = sorted(n for n in self.needles if n in text)
        assert not hits, f"secret {hits} leaked into {where}:\n{text[:3000]}"

    def files(self, where: str, *paths: Path) -> None:
        for path in paths:
            for file in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())):
                self.text(f"{where} {file}", file.read_bytes().decode("utf-8", "replace"))


def report_flags(tmp: Path, formats: tuple[str, ...] = FORMATS) -> list[str]:
    flags = [f"--report={fmt}={tmp / ('report.' + fmt)}" for fmt in formats]
    return [*flags, "--summary-md", str(tmp / "summary.md")]


def test_validate_never_echoes_secret_data(tmp_path: Path) -> None:
    """Regression: a wrongly typed Secret value was printed in the finding ('got integer 7319...')."""
    write(tmp_path / "m", "secret.yaml", SECRET_DATA)
    sweep = Sweep(SECRET_STRING, str(SECRET_NUMBER))
    for fmt in FORMATS:
        reports = tmp_path / fmt
        reports.mkdir()
        proc = kubepush("validate", "-o", fmt, str(tmp_path / "m"), *report_flags(reports))
        assert proc.returncode == 1, proc.stderr  # the wrong types are findings ...
        assert "stringData.port" in proc.stdout or fmt in ("junit", "codequality", "sarif", "tap")
        sweep.text(f"validate -o {fmt} stdout", proc.stdout)
        sweep.text(f"validate -o {fmt} stderr", proc.stderr)
        sweep.files("validate reports", reports)
    assert len(sweep.searched) >= 8 * 2 + 8 * 9


def test_bump_leaks_no_token_on_success_or_failure(github_rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    sweep = Sweep(fake.token, REGISTRY_PASSWORD)
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    common = ("--forge", "github", "--forge-url", fake.url, "--registry-auth",
              f"127.0.0.1:9=robot:{REGISTRY_PASSWORD}", "--insecure-registry", "127.0.0.1:9")
    env = env_with(GITHUB_TOKEN=fake.token)
    runs = {
        "pr opened": ("--repo", server.url(remote), "--image", "ghcr.io/acme/shop:1.5.0", "-o", "json"),
        "pr updated, text": ("--repo", server.url(remote), "--image", "ghcr.io/acme/shop:1.5.1", "-v", "-v"),
    }
    codes = {}
    for name, args in runs.items():
        proc = kubepush("bump", *args, *common, env=env)
        codes[name] = proc.returncode
        sweep.text(f"bump {name}", proc.stdout + proc.stderr)
    fake.fail("pulls/update", 500, times=5)
    proc = kubepush("bump", "--repo", server.url(remote), "--image", "ghcr.io/acme/shop:1.5.2", *common, env=env)
    codes["forge 500"] = proc.returncode
    sweep.text("bump forge 500", proc.stdout + proc.stderr)
    server.cut_next("git-receive-pack")
    proc = kubepush("bump", "--repo", server.url(remote), "--image", "ghcr.io/acme/shop:1.5.3", *common, env=env)
    codes["push cut"] = proc.returncode
    sweep.text("bump push cut", proc.stdout + proc.stderr)
    proc = kubepush("bump", "--repo", server.url(remote), "--image", "nginx:1.27.0", *common,
                    env=env_with(GITHUB_TOKEN="ghp_" + fake.token[::-1]))
    codes["wrong token"] = proc.returncode
    sweep.text("bump wrong token", proc.stdout + proc.stderr)
    # A CI checkout whose origin is the authenticated HTTP remote: the token must not stick to it.
    git("-C", str(checkout), "remote", "set-url", "origin", server.url(remote))
    proc = kubepush("bump", "--checkout", str(checkout), "--image", "nginx:1.27.1", *common, env=env)
    codes["checkout"] = proc.returncode
    sweep.text("bump checkout", proc.stdout + proc.stderr)
    registry = kubepush("bump", "--from-registry", "--dry-run", "--checkout", str(checkout), *common[4:], env=env)
    sweep.text("bump registry down", registry.stdout + registry.stderr)

    assert codes == {"pr opened": 0, "pr updated, text": 0, "forge 500": 2, "push cut": 2, "wrong token": 2,
                     "checkout": 0}, codes
    sweep.files("checkout git state", checkout / ".git" / "config", checkout / ".git" / "logs",
                checkout / ".git" / "FETCH_HEAD")
    sweep.files("remote git config", remote.path / "config")
    for ref in git("--git-dir", str(remote.path), "for-each-ref", "--format=%(refname)").split():
        sweep.text(f"commit metadata {ref}", "\n".join(remote.log(ref, "%an %ae %cn %ce %B%n%N")))
    sweep.text("forge API bodies", json.dumps(fake.pulls))
    assert all(fake.token not in r.target for r in server.requests)


KUBE_TOKEN = "kubeTok-KNOWN-0e9d8c7b6a"
EDITED = "editedLive-KNOWN-77aa"


def test_apply_diff_drift_mask_secret_data_and_never_show_the_cluster_token(make_fake_kube, tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    fake = make_fake_kube(tls=True, token=KUBE_TOKEN)
    manifests = write(tmp_path / "m", "all.yaml", {**SECRET_DATA, "data": {"password": SECRET_DATA["data"]["password"]},
                                                   "stringData": {"dsn": SECRET_DATA["stringData"]["dsn"]}})
    sweep = Sweep(KUBE_TOKEN, SECRET_STRING, EDITED)
    kube = ("--kubeconfig", fake.kubeconfig_path)
    (tmp_path / "apply").mkdir()
    code, out, err = run(capsys, "apply", *kube, "--revision", "r1", "-v", "-v", str(manifests),
                         *report_flags(tmp_path / "apply"))
    assert code == 0, err
    sweep.text("apply", out + err)
    sweep.files("apply reports", tmp_path / "apply")
    # Someone edits the Secret in the cluster: drift and diff must say so without showing either value.
    fake.edit("Secret", "default", "db", {"data": {"password": base64.b64encode(EDITED.encode()).decode()}})
    for command in ("diff", "drift"):
        reports = tmp_path / command
        reports.mkdir()
        for fmt in FORMATS:
            code, out, err = run(capsys, command, *kube, "-o", fmt, str(manifests), *report_flags(reports))
            assert code == (0 if command == "diff" else 1), (command, fmt, err)  # the edit is seen (diff: planned)
            sweep.text(f"{command} -o {fmt}", out + err)
        assert "password" in (reports / "report.text").read_text()  # ... and named, masked
        sweep.files(f"{command} reports", reports)
    # Failure paths: a wrong token and a cluster that answers 500 for Secrets.
    bad = tmp_path / "bad-kubeconfig"
    bad.write_text(Path(fake.kubeconfig_path).read_text().replace(KUBE_TOKEN, KUBE_TOKEN[::-1]))
    code, out, err = run(capsys, "apply", "--kubeconfig", str(bad), "--revision", "r2", str(manifests))
    assert code == 2, out + err
    sweep.text("apply wrong token", out + err)
    fake.inject("patch", "/secrets/db", status=500, times=3)
    code, out, err = run(capsys, "apply", *kube, "--revision", "r3", "--no-wait", str(manifests))
    assert code == 1, err
    sweep.text("apply 500", out + err)
    assert len(sweep.searched) >= 46  # 1 + 9 apply, 2 x (8 formats + 9 reports), 2 failures


def run_action(command: str, inputs: dict[str, str], tmp: Path, **env: str) -> tuple[subprocess.CompletedProcess[str],
                                                                                      str]:
    """The GitHub Action entry point as a workflow step runs it; returns the step and its files."""
    files = {name: tmp / f"{name}.txt" for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    proc = subprocess.run(
        [sys.executable, "-m", "kubepush.ci.github"], capture_output=True, text=True, timeout=120, check=False,
        env=env_with(KUBEPUSH_COMMAND=command, KUBEPUSH_INPUTS=json.dumps(inputs), RUNNER_TEMP=str(tmp),
                     **{k: str(v) for k, v in files.items()}, **env))
    written = "".join(p.read_text() for p in files.values() if p.exists())
    return proc, written


def unmasked(log: str) -> str:
    """The step log without ``::add-mask::`` commands: those lines are how the runner learns what to hide."""
    return "\n".join(line for line in log.splitlines() if not line.startswith("::add-mask::"))


def test_github_action_steps_leak_nothing_into_logs_outputs_or_step_summary(github_rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    sweep = Sweep(SECRET_STRING, str(SECRET_NUMBER), fake.token, REGISTRY_PASSWORD)
    write(tmp_path / "m", "secret.yaml", SECRET_DATA)
    proc, written = run_action("validate", {"paths": str(tmp_path / "m")}, tmp_path / "validate")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    sweep.text("action validate log", proc.stdout + proc.stderr)
    sweep.text("action validate outputs and summary", written)
    proc, written = run_action("bump", {"repo": server.url(remote), "forge": "github", "forge-url": fake.url,
                                        "image": "ghcr.io/acme/shop:1.5.0",
                                        "registry-auth": f"127.0.0.1:9=robot:{REGISTRY_PASSWORD}"},
                               tmp_path / "bump", GITHUB_TOKEN=fake.token)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"::add-mask::{REGISTRY_PASSWORD}" in proc.stdout  # hidden by the runner from here on ...
    sweep.text("action bump log", unmasked(proc.stdout) + proc.stderr)  # ... and never printed otherwise
    sweep.text("action bump outputs and summary", written)
    assert "pr-number" in written and len(fake.pulls) == 1


SOPS_PLAINTEXT = "sopsPlain-KNOWN-6c4e2a19"
SOPS_EDITED = "sopsEdited-KNOWN-0b7d55"


def test_sops_plaintext_and_the_age_key_never_appear_in_any_output(make_fake_kube, tmp_path: Path, monkeypatch,
                                                                   capsys: pytest.CaptureFixture[str], age_key,
                                                                   other_age_key) -> None:
    """Encrypted in Git, decrypted in memory: validate, apply, diff and drift in every format and report, a
    tampered file, a wrong and a missing key - neither the plaintext nor the private key is ever shown."""
    from tests.support.sops_keys import encrypt, no_keys, secret

    fake = make_fake_kube(tls=True, token=KUBE_TOKEN)
    manifests = tmp_path / "m"
    encrypt(manifests, "secret.yaml", secret(password=SOPS_PLAINTEXT, dsn=f"postgres://app:{SOPS_PLAINTEXT}@db"),
            recipient=age_key.recipient)
    encrypt(manifests, "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg",
                                   "namespace": "default"}, "data": {"token": SOPS_PLAINTEXT, "port": 99999999}},
            recipient=age_key.recipient, regex="^data$")
    no_keys(monkeypatch, tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY", age_key.private)
    sweep = Sweep(SOPS_PLAINTEXT, SOPS_EDITED, age_key.private, other_age_key.private, KUBE_TOKEN)
    kube = ("--kubeconfig", fake.kubeconfig_path)
    for fmt in FORMATS:  # the ConfigMap's number where a string must be is a finding about a decrypted value
        reports = tmp_path / "validate" / fmt
        reports.mkdir(parents=True)
        code, out, err = run(capsys, "validate", "-o", fmt, str(manifests), *report_flags(reports))
        assert code == 1, err
        sweep.text(f"validate -o {fmt}", out + err)
        sweep.files("validate reports", reports)
    (tmp_path / "apply").mkdir()
    code, out, err = run(capsys, "apply", *kube, "--revision", "r1", "-v", "-v", "--no-validate", str(manifests),
                         *report_flags(tmp_path / "apply"))
    assert code == 0, err
    assert fake.get("ConfigMap", "default", "cfg")["data"]["token"] == SOPS_PLAINTEXT  # arrived decrypted
    sweep.text("apply", out + err)
    sweep.files("apply reports", tmp_path / "apply")
    fake.edit("Secret", "default", "db", {"data": {"password": base64.b64encode(SOPS_EDITED.encode()).decode()}})
    fake.edit("ConfigMap", "default", "cfg", {"data": {"token": SOPS_EDITED}})
    for command in ("diff", "drift"):
        reports = tmp_path / command
        reports.mkdir()
        for fmt in FORMATS:
            code, out, err = run(capsys, command, *kube, "-o", fmt, str(manifests), *report_flags(reports))
            assert code == (0 if command == "diff" else 1), (command, fmt, err)  # diff: a plan
            sweep.text(f"{command} -o {fmt}", out + err)
        assert "password" in (reports / "report.text").read_text() and "cfg" in (reports / "report.text").read_text()
        sweep.files(f"{command} reports", reports)
    # Failure paths: the server refuses the Secret, a wrong key, no key, a tampered file.
    fake.inject("patch", "/secrets/db", status=500, times=3)
    code, out, err = run(capsys, "apply", *kube, "--revision", "r2", "--no-wait", "--no-validate", str(manifests))
    assert code == 1, err
    sweep.text("apply 500", out + err)
    monkeypatch.setenv("SOPS_AGE_KEY", other_age_key.private)
    code, out, err = run(capsys, "apply", *kube, "--revision", "r3", "--no-validate", str(manifests))
    assert code == 2 and "none of the keys given" in err, err
    sweep.text("apply wrong key", out + err)
    monkeypatch.delenv("SOPS_AGE_KEY")
    code, out, err = run(capsys, "drift", *kube, str(manifests))
    assert code == 2 and "no key" in err, err
    sweep.text("drift no key", out + err)
    code, out, err = run(capsys, "validate", str(manifests))
    assert code == 1 and "data.port: expected string, got an encrypted integer" in out, out + err  # no key: structure
    sweep.text("validate no key", out + err)
    monkeypatch.setenv("SOPS_AGE_KEY", age_key.private)
    tampered = manifests / "secret.yaml"
    tampered.write_text(tampered.read_text().replace("type: Opaque", "type: Other"))
    code, out, err = run(capsys, "apply", *kube, "--revision", "r4", "--no-validate", str(manifests))
    assert code == 1 and "MAC mismatch" in out + err, out + err
    sweep.text("apply tampered", out + err)
    assert len(sweep.searched) >= 8 * 10 + 1 + 9 + 2 * (8 + 9) + 5
