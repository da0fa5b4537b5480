"""Inventory identity: every clone of one repository names the same inventory, two repositories
(or two kubepush.yaml of one monorepo, or two directories) never share one."""

from __future__ import annotations

import pytest
import yaml

from kubepush.cluster import identity
from kubepush.gitops.origin import normalise
from tests.support.cluster_helpers import run
from tests.support.git_fixtures import git, make_remote


@pytest.mark.parametrize("url", [
    "https://github.com/acme/config.git",
    "https://x-access-token:ghs_SECRET@GitHub.com/acme/config",
    "git@github.com:acme/config.git",
    "ssh://git@github.com/acme/config/",
    "http://github.com/acme/config",
])
def test_every_clone_url_of_a_repository_normalises_alike_without_credentials(url):
    assert normalise(url) == "github.com/acme/config"


def test_ports_and_local_paths_are_kept():
    assert normalise("https://gitlab-ci-token:tok@git.example.com:8443/g/sub/repo.git") == "git.example.com:8443/g/sub/repo"
    assert normalise("file:///srv/git/one.git") == "/srv/git/one"


def checkout(tmp_path, name, files, origin=None):
    remote = make_remote(tmp_path / "srv", name, files)
    work = tmp_path / name
    git("clone", "--quiet", remote.url, str(work))
    if origin is None:
        git("remote", "remove", "origin", cwd=work)
    else:
        git("remote", "set-url", "origin", origin, cwd=work)
    return work


def test_names_depend_on_repository_and_config_path(tmp_path):
    files = {"kubepush.yaml": "targets: []\n", "team/kubepush.yaml": "targets: []\n"}
    ssh = checkout(tmp_path, "a", files, "git@github.com:acme/config.git")
    https = checkout(tmp_path, "b", files, "https://token:x@github.com/acme/config")
    other = checkout(tmp_path, "c", files, "https://github.com/acme/other")
    name = identity.parent_name
    assert name("staging", identity.of_config(str(ssh / "kubepush.yaml"), None)) == \
        name("staging", identity.of_config(str(https / "kubepush.yaml"), None))
    assert name("staging", identity.of_config(str(ssh / "kubepush.yaml"), None)) != \
        name("staging", identity.of_config(str(other / "kubepush.yaml"), None))
    assert name("staging", identity.of_config(str(ssh / "kubepush.yaml"), None)) != \
        name("staging", identity.of_config(str(ssh / "team/kubepush.yaml"), None))
    explicit = identity.of_config(str(other / "kubepush.yaml"), "github.com/acme/config")
    assert explicit.repository == "github.com/acme/config" and explicit.path == "kubepush.yaml"
    assert name("my_target", explicit).startswith("kubepush-my-target-")


def test_directories_and_local_paths(tmp_path):
    repo = checkout(tmp_path, "a", {"x/m.yaml": "", "y/m.yaml": ""}, "https://github.com/acme/config")
    both = identity.of_paths([str(repo / "y"), str(repo / "x")])
    assert (both.repository, both.path, both.local) == ("github.com/acme/config", "x,y", False)
    assert identity.of_paths([str(repo / "x")]).digest != both.digest
    (tmp_path / "adhoc").mkdir()
    local = identity.of_paths([str(tmp_path / "adhoc")])
    assert local.local and local.path == str(tmp_path / "adhoc")


def test_a_checkout_without_origin_needs_repository_or_inventory_name(tmp_path, capsys, monkeypatch, fake_kube):
    config = {"targets": [{"name": "staging", "path": "app"}]}
    repo = checkout(tmp_path, "a", {"kubepush.yaml": yaml.safe_dump(config), "app/m.yaml": ""})
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 2
    assert "has no origin remote" in err and "repository:" in err and "inventory.name" in err
    assert "Traceback" not in err
    assert fake_kube.requests == []
    (repo / "kubepush.yaml").write_text(yaml.safe_dump({**config, "repository": "github.com/acme/config"}))
    code, _, err = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 0, err
    config["targets"][0]["inventory"] = {"name": "kubepush-staging"}
    (repo / "kubepush.yaml").write_text(yaml.safe_dump(config))
    code, _, err = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 0, err


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="needs to give the checkout to another user")
def test_a_checkout_git_will_not_read_is_an_error_not_another_identity(tmp_path):
    import os

    from kubepush.errors import UsageError

    repo = checkout(tmp_path, "a", {"kubepush.yaml": "targets: []\n"}, "https://github.com/acme/config")
    for root, dirs, files in os.walk(repo):
        for name in (*dirs, *files):
            os.chown(os.path.join(root, name), 65534, 65534)
    os.chown(repo, 65534, 65534)
    with pytest.raises(UsageError, match="dubious ownership.*safe.directory"):
        identity.of_config(str(repo / "kubepush.yaml"), None)
