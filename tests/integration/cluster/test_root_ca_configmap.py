"""The ``kube-root-ca.crt`` ConfigMap a real cluster puts in every namespace is nobody's in Git.

kube-controller-manager publishes it in each namespace, including the ones an apply creates
(tests/support/fakekube/publisher.py cites the source). kubepush must never prune it, call it extra
or drifted, or write to it - whatever the target's prune setting.
"""

from __future__ import annotations

import yaml

from tests.support.cluster_helpers import configmap, run_json, write
from tests.support.fakekube.publisher import ROOT_CA

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def named(report: dict) -> set[str]:
    return {f["object"]["name"] for f in report["findings"]}


def test_prune_drift_and_diff_leave_the_published_root_ca_alone(fake_kube, tmp_path, capsys, monkeypatch):
    write(tmp_path / "shop", "m.yaml", NAMESPACE, configmap("keep", "shop"), configmap("gone", "shop"))
    write(tmp_path / "plain", "m.yaml", configmap("plain"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "shop", "path": "shop", "namespace": "shop", "prune": True}]}))
    monkeypatch.chdir(tmp_path)
    base = ("--kubeconfig", fake_kube.kubeconfig_path)
    code, report, err = run_json(capsys, "apply", *base, "--no-validate", "--no-wait", "--revision", "one")
    assert code == 0, err
    assert ROOT_CA not in named(report)
    code, report, err = run_json(capsys, "apply", *base, "--no-validate", "--no-wait", "--revision", "p",
                                 str(tmp_path / "plain"))
    assert code == 0, err
    published = {ns: fake_kube.get("ConfigMap", ns, ROOT_CA) for ns in ("shop", "default")}
    assert all(published.values())  # the new namespace got one too
    fake_kube.reset_requests()

    write(tmp_path / "shop", "m.yaml", NAMESPACE, configmap("keep", "shop"))
    code, report, err = run_json(capsys, "apply", *base, "--no-validate", "--no-wait", "--revision", "two")
    assert code == 0, err
    assert {f["object"]["name"]: f["rule"] for f in report["findings"]}["gone"] == "pruned"
    assert ROOT_CA not in named(report)
    for command in ("drift", "diff"):
        for where in ((), (str(tmp_path / "plain"),)):
            code, report, err = run_json(capsys, command, *base, *where)
            assert code == 0, (command, where, err, report)
            assert ROOT_CA not in named(report), (command, where)
    assert fake_kube.count(path=f"/{ROOT_CA}$", method="PATCH") == 0
    assert fake_kube.count(path=f"/{ROOT_CA}$", method="DELETE") == 0
    assert fake_kube.count(path=f"/{ROOT_CA}$", method="PUT") == 0
    for ns, before in published.items():
        assert fake_kube.get("ConfigMap", ns, ROOT_CA)["metadata"]["resourceVersion"] == \
            before["metadata"]["resourceVersion"], ns
