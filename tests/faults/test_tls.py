"""TLS is verified by default at every client a command uses; insecure only for a host the pipeline names.

One HTTPS server with a self-signed certificate stands in for a git remote, a
registry and a cluster (a man in the middle, as far as kubepush can tell): each
command must refuse it with a message about the certificate, and send nothing.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.config_repo import DEPLOY, env_with
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.https_server"]

TLS_WORDS = ("certificate", "tls", "ssl")


def host_of(url: str) -> str:
    return url.split("/")[2]


def says_tls(text: str) -> bool:
    return any(word in text.lower() for word in TLS_WORDS)


def test_git_remote_with_an_untrusted_certificate_is_refused(https_forge) -> None:  # noqa: F811
    url, _ = https_forge
    proc = kubepush("bump", "--repo", f"https://{host_of(url)}/octo/app.git", "--image", "nginx:1.27.0", "--no-pr",
                    env=env_with(GITHUB_TOKEN="ghp_tlsTestToken0000"))
    assert proc.returncode == 2 and says_tls(proc.stderr), proc.stderr
    assert_no_traceback(proc)
    assert "ghp_tlsTestToken0000" not in proc.stdout + proc.stderr


def test_registry_with_an_untrusted_certificate_is_refused_unless_named_insecure(https_forge, tmp_path: Path) -> None:  # noqa: F811
    url, _ = https_forge
    host = host_of(url)
    (tmp_path / "d.yaml").write_text(DEPLOY.replace("ghcr.io/acme/shop", f"{host}/acme/shop"))
    (tmp_path / "kubepush.yaml").write_text(
        f"bump:\n  policies:\n    - {{image: '{host}/acme/shop', kind: semver, range: '^1'}}\n")
    strict = kubepush("bump", "--from-registry", "--dry-run", cwd=tmp_path, env=env_with())
    assert strict.returncode == 1 and says_tls(strict.stdout + strict.stderr), strict.stdout + strict.stderr
    assert_no_traceback(strict)
    named = kubepush("bump", "--from-registry", "--dry-run", "--insecure-registry", host, cwd=tmp_path, env=env_with())
    assert_no_traceback(named)
    assert not says_tls(named.stdout + named.stderr), named.stdout + named.stderr  # got past TLS to the API


def test_cluster_with_an_untrusted_certificate_is_refused(make_fake_kube, tmp_path: Path) -> None:
    fake = make_fake_kube(tls=True)
    config = yaml.safe_load(Path(fake.kubeconfig_path).read_text())
    for cluster in config["clusters"]:
        cluster["cluster"].pop("certificate-authority-data", None)  # the CA kubepush should not trust
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n")
    for command in ("apply", "diff", "drift"):
        proc = kubepush(command, "--kubeconfig", str(kubeconfig), str(tmp_path / "m"))
        assert proc.returncode == 2 and says_tls(proc.stdout + proc.stderr), (command, proc.stdout, proc.stderr)
        assert_no_traceback(proc)
    assert fake.count(method="PATCH") == 0
