"""A cluster shared by many repositories and targets: one inventory never touches another's objects.

Two config repositories (different ``origin``) each with a target ``staging`` in one namespace,
two plain directories, two targets sharing a CRD, ``--take-over`` and the migration of the
inventories of earlier versions (``kubepush-<target>``) - against the fake apiserver.
"""

from __future__ import annotations

import sys

import pytest
import yaml

from tests.support import cluster_helpers as helpers
from tests.support.cluster_helpers import CRD, backup, configmap, deployment, run, run_json, secret, write

PART_OF = "applyset.kubernetes.io/part-of"


def app_objects(prefix):
    return [deployment(f"{prefix}-web", "shop"), configmap(f"{prefix}-cfg", "shop"), secret(f"{prefix}-db", "shop"),
            backup(f"{prefix}-nightly", "shop")]


def config_repo(root, name, objects, origin):
    return helpers.config_repo(root, name, objects, origin, "shop")


def apply_in(capsys, monkeypatch, fake, where, *args):
    monkeypatch.chdir(where)
    return run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--no-wait", *args)


def names(report, rule):
    return sorted(f["object"]["name"] for f in report["findings"] if f["rule"] == rule)


@pytest.fixture
def shop(fake_kube):
    fake_kube.create(CRD)
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    return fake_kube


def test_two_repositories_with_target_staging_never_prune_each_other(shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", app_objects("one"), "https://github.com/acme/one.git")
    two = config_repo(tmp_path, "two", app_objects("two"), "git@github.com:acme/two.git")
    code, report, err = apply_in(capsys, monkeypatch, shop, one)
    assert code == 0, err
    code, report, err = apply_in(capsys, monkeypatch, shop, two)
    assert code == 0, err
    assert names(report, "pruned") == [] and names(report, "kept") == []
    for kind, name in (("Deployment", "one-web"), ("ConfigMap", "one-cfg"), ("Secret", "one-db")):
        assert shop.get(kind, "shop", name) is not None, f"{kind} {name} was pruned by the other repository"
    assert shop.get("Backup", "shop", "one-nightly", "example.com/v1") is not None
    code, report, err = apply_in(capsys, monkeypatch, shop, one)
    assert code == 0, err
    assert names(report, "pruned") == []
    assert shop.get("ConfigMap", "shop", "two-cfg") is not None and shop.get("Secret", "shop", "two-db") is not None
    # each repository's drift sees only its own set
    monkeypatch.chdir(two)
    code, report, err = run_json(capsys, "drift", "--kubeconfig", shop.kubeconfig_path)
    assert code == 0, err
    assert names(report, "extra") == []
    # the parents say who owns them
    parents = [s for s in shop.list("Secret", "shop") if s["metadata"]["name"].startswith("kubepush-staging-")]
    assert len(parents) == 2
    sources = {p["metadata"]["annotations"]["kubepush.dev/repository"] for p in parents}
    assert sources == {"github.com/acme/one", "github.com/acme/two"}
    assert {p["metadata"]["annotations"]["kubepush.dev/target"] for p in parents} == {"staging"}


def test_two_plain_directories_do_not_see_each_other_as_extra(fake_kube, tmp_path, capsys):
    a = write(tmp_path / "dirA", "m.yaml", configmap("a1"), configmap("a2"))
    b = write(tmp_path / "dirB", "m.yaml", configmap("b1"))
    base = ("--kubeconfig", fake_kube.kubeconfig_path)
    for path in (a.parent, b.parent):
        code, _, err = run(capsys, "apply", *base, "--no-validate", "--no-wait", str(path))
        assert code == 0, err
    code, report, err = run_json(capsys, "drift", *base, str(a.parent))
    assert code == 0, err
    assert names(report, "extra") == [] and names(report, "in-sync") == ["a1", "a2"]


def test_an_object_of_another_set_is_refused_before_any_write_and_take_over_is_explicit(
        shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", [configmap("cfg", "shop", owner="one")], "https://github.com/acme/one")
    two = config_repo(tmp_path, "two", [configmap("cfg", "shop", owner="two"), configmap("mine", "shop")],
                      "https://github.com/acme/two")
    assert apply_in(capsys, monkeypatch, shop, one)[0] == 0
    owner_label = shop.get("ConfigMap", "shop", "cfg")["metadata"]["labels"][PART_OF]
    shop.reset_requests()
    code, report, err = apply_in(capsys, monkeypatch, shop, two)
    assert code == 1, err
    refused = [f for f in report["findings"] if f["rule"] == "owned-elsewhere"]
    assert [f["object"]["name"] for f in refused] == ["cfg"]
    message = refused[0]["message"]
    assert "kubepush-staging-" in message and "github.com/acme/one" in message
    assert "--take-over" in refused[0]["hint"] and "shared:" in refused[0]["hint"]
    assert shop.count(method="PATCH") == 0 and shop.count(method="DELETE") == 0  # nothing written
    assert shop.get("ConfigMap", "shop", "mine") is None

    code, report, err = apply_in(capsys, monkeypatch, shop, two, "--take-over")
    assert code == 0, err
    taken = next(f for f in report["findings"] if f["object"]["name"] == "cfg")
    assert "taken over from" in taken["message"] and "github.com/acme/one" in taken["message"]
    live = shop.get("ConfigMap", "shop", "cfg")
    assert live["metadata"]["labels"][PART_OF] != owner_label and live["data"] == {"owner": "two"}

    # the first repository now sees it as owned by another set, not as drift blaming Git
    monkeypatch.chdir(one)
    code, report, _ = run_json(capsys, "drift", "--kubeconfig", shop.kubeconfig_path)
    assert code == 1
    finding = next(f for f in report["findings"] if f["object"]["name"] == "cfg")
    assert finding["rule"] == "owned-elsewhere" and "github.com/acme/two" in finding["message"]
    code, report, _ = run_json(capsys, "diff", "--kubeconfig", shop.kubeconfig_path)
    assert next(f for f in report["findings"] if f["object"]["name"] == "cfg")["rule"] == "owned-elsewhere"
    # and its apply neither prunes nor takes it back
    code, report, _ = apply_in(capsys, monkeypatch, shop, one)
    assert code == 1 and names(report, "owned-elsewhere") == ["cfg"]
    assert shop.get("ConfigMap", "shop", "cfg")["data"] == {"owner": "two"}


def two_targets(tmp_path, shared=None):
    """Two targets (two namespaces of one cluster) that both render the same CRD, relabelled per target."""
    for env in ("staging", "production"):
        crd = yaml.safe_load(yaml.safe_dump(CRD))
        crd["metadata"]["labels"] = {"env": env}
        write(tmp_path / env, "m.yaml", crd, configmap("app", env, env=env))
    config = {"targets": [{"name": env, "path": env, "namespace": env,
                           "prune": {"enabled": True, "customResourceDefinitions": True}}
                          for env in ("staging", "production")]}
    if shared is not None:
        config["shared"] = shared
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump(config))


def test_an_object_two_targets_declare_is_a_conflict_before_any_write(fake_kube, tmp_path, capsys, monkeypatch):
    for env in ("staging", "production"):
        fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": env}})
    two_targets(tmp_path)
    monkeypatch.chdir(tmp_path)
    fake_kube.reset_requests()
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate",
                                 "--no-wait")
    assert code == 1, err
    conflicts = [f for f in report["findings"] if f["rule"] == "declared-twice"]
    assert conflicts and all(f["object"]["name"] == "backups.example.com" for f in conflicts)
    assert all("staging" in f["message"] and "production" in f["message"] for f in conflicts)
    assert "shared: [{kind: CustomResourceDefinition, name: backups.example.com}]" in conflicts[0]["hint"]
    assert fake_kube.count(method="PATCH") == 0 and fake_kube.count(method="DELETE") == 0


def test_a_shared_object_is_applied_by_both_targets_pruned_by_none_and_not_drift(fake_kube, tmp_path, capsys,
                                                                                 monkeypatch):
    for env in ("staging", "production"):
        fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": env}})
    two_targets(tmp_path)
    monkeypatch.chdir(tmp_path)
    base = ("--kubeconfig", fake_kube.kubeconfig_path)
    # one target at a time, the other's apply is refused: the object is the first one's
    assert run_json(capsys, "apply", *base, "--no-validate", "--no-wait", "-t", "production")[0] == 0
    code, report, _ = run_json(capsys, "apply", *base, "--no-validate", "--no-wait", "-t", "staging")
    assert code == 1 and names(report, "owned-elsewhere") == ["backups.example.com"]
    assert "(target production of " in report["findings"][0]["message"]
    # declared shared: both apply it, and the production set's label goes
    two_targets(tmp_path, shared=[{"kind": "CustomResourceDefinition", "name": "backups.example.com"}])
    code, report, err = run_json(capsys, "apply", *base, "--no-validate", "--no-wait")
    assert code == 0, err
    live = fake_kube.get("CustomResourceDefinition", None, "backups.example.com")
    assert PART_OF not in (live["metadata"].get("labels") or {})
    for order in (["-t", "staging"], ["-t", "production"]):
        code, report, err = run_json(capsys, "apply", *base, "--no-validate", "--no-wait", *order)
        assert code == 0, err
        assert names(report, "pruned") == [] and names(report, "kept") == []
        for target in ("staging", "production"):
            code, report, err = run_json(capsys, "drift", *base, "-t", target)
            assert code == 0, (target, report)
            assert names(report, "extra") == []
    # the preview shows what the other target's apply will do to the shared labels: diff and apply never disagree
    code, report, err = run_json(capsys, "diff", *base, "-t", "staging")
    preview = [f for f in report["findings"] if f["object"]["name"] == "backups.example.com"]
    assert preview and preview[0]["rule"] == "configure", report
    assert [f["path"] for f in preview[0]["fields"]] == ["metadata.labels.env"], report
    # a change by hand on the shared object is still drift
    fake_kube.edit("CustomResourceDefinition", None, "backups.example.com", {"metadata": {"labels": {"env": "x"}}})
    code, report, _ = run_json(capsys, "drift", *base, "-t", "staging")
    assert code == 1 and names(report, "drift") == ["backups.example.com"]


def legacy_inventory(fake, namespace, target, *members):
    return helpers.legacy_inventory(lambda obj: fake.apply(obj, manager="kubepush"), namespace, target, *members)


def test_legacy_inventory_migrates_without_refusal_and_is_dropped_when_empty(shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", [configmap("cfg", "shop")], "https://github.com/acme/one")
    legacy_inventory(shop, "shop", "staging", configmap("cfg", "shop"))
    monkeypatch.chdir(one)
    code, report, err = run_json(capsys, "drift", "--kubeconfig", shop.kubeconfig_path)
    assert code == 0 and names(report, "in-sync") == ["cfg"], report  # a member of the old set is not drift
    code, report, err = apply_in(capsys, monkeypatch, shop, one)
    assert code == 0, err
    assert "kubepush-staging" in err and "earlier" in err
    parent = next(s for s in shop.list("Secret", "shop") if s["metadata"]["name"].startswith("kubepush-staging-"))
    assert shop.get("ConfigMap", "shop", "cfg")["metadata"]["labels"][PART_OF] == \
        parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
    assert shop.get("Secret", "shop", "kubepush-staging") is None  # no member left: the old parent is gone


def test_legacy_members_not_in_git_are_kept_unless_adopted(shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", [configmap("cfg", "shop")], "https://github.com/acme/one")
    legacy_inventory(shop, "shop", "staging", configmap("cfg", "shop"), configmap("old", "shop"))
    code, report, err = apply_in(capsys, monkeypatch, shop, one)
    assert code == 0, err
    assert shop.get("ConfigMap", "shop", "old") is not None  # may be another repository's: never pruned
    assert shop.get("Secret", "shop", "kubepush-staging") is not None
    assert "ConfigMap/shop/old" in err and "--adopt-inventory" in err
    code, report, err = apply_in(capsys, monkeypatch, shop, one, "--adopt-inventory")
    assert code == 0, err
    assert names(report, "pruned") == ["old"]
    assert shop.get("ConfigMap", "shop", "old") is None and shop.get("Secret", "shop", "kubepush-staging") is None


def test_without_permission_to_list_across_namespaces_the_other_parent_is_looked_for_in_the_members_namespace(
        shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", [configmap("cfg", "shop")], "https://github.com/acme/one")
    two = config_repo(tmp_path, "two", [configmap("cfg", "shop")], "https://github.com/acme/two")
    assert apply_in(capsys, monkeypatch, shop, one)[0] == 0
    other = shop.get("ConfigMap", "shop", "cfg")["metadata"]["labels"][PART_OF]
    shop.inject("get", "^/api/v1/(secrets|configmaps)$", status=403, times=2)  # no cluster-wide list
    code, report, err = apply_in(capsys, monkeypatch, shop, two)
    assert code == 1, err
    assert "belongs to another inventory, Secret shop/kubepush-staging-" in report["findings"][0]["message"]
    shop.inject("get", "^/api/v1/(namespaces/shop/)?secrets$", status=403, times=2)  # the parent, a Secret: nowhere
    code, report, err = apply_in(capsys, monkeypatch, shop, two)
    assert code == 1, err
    assert f"the ApplySet {other} (its parent Secret/ConfigMap was not found)" in report["findings"][0]["message"]


def test_an_ownership_check_the_server_refuses_applies_nothing(shop, tmp_path, capsys, monkeypatch):
    one = config_repo(tmp_path, "one", [configmap("cfg", "shop")], "https://github.com/acme/one")
    two = config_repo(tmp_path, "two", [configmap("cfg", "shop", owner="two")], "https://github.com/acme/two")
    assert apply_in(capsys, monkeypatch, shop, one)[0] == 0
    shop.reset_requests()
    shop.inject("get", "^/api/v1/namespaces/shop/configmaps$", status=403)  # may not list: cannot prove ownership
    code, report, err = apply_in(capsys, monkeypatch, shop, two)
    assert code == 2
    assert "cannot tell whether another inventory owns some of the objects" in err and "Traceback" not in err
    assert names(report, "not-applied") == ["cfg"]
    assert shop.count(method="PATCH") == 0 and shop.get("ConfigMap", "shop", "cfg")["data"] == {"k": "v"}


def test_the_declared_twice_check_reads_the_kubeconfig_and_runs_no_credential_plugin(tmp_path):
    """Learning which cluster a target goes to needs only its server URL: no client, no exec plugin."""
    from kubepush.cluster.shared import destination
    from kubepush.cluster.spec import TargetSpec

    ran = tmp_path / "plugin-ran"
    plugin = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                       "args": ["-c", f"open({str(ran)!r}, 'w').write('x')"]}}
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ci",
        "clusters": [{"name": "prod", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "bot", "user": plugin}],
        "contexts": [{"name": "ci", "context": {"cluster": "prod", "user": "bot", "namespace": "shop"}}]}))
    spec = TargetSpec(name="staging", paths=["."], kubeconfig=str(kubeconfig))
    assert destination(spec) == ("https://127.0.0.1:6443", "shop")
    spec.namespace = "staging"
    assert destination(spec) == ("https://127.0.0.1:6443", "staging")
    assert not ran.exists()
    kubeconfig.write_text("[]")  # a kubeconfig that cannot work takes no part: its own run reports it
    assert destination(spec) is None
