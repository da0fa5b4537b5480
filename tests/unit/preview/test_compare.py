"""The object comparison of the rendered preview (pure): identity across API versions, list-maps by
the API server's keys, values as YAML typed them, renames, and what a prune note says."""

from __future__ import annotations

from typing import Any

from kubepush.preview.compare import Placed, Pruning, compare
from kubepush.preview.keys import keys_for


def placed(obj: dict[str, Any], file: str = "a.yaml") -> dict[tuple[str, str, str, str], Placed]:
    meta = obj["metadata"]
    group = obj["apiVersion"].rpartition("/")[0]
    return {(group, obj["kind"], meta.get("namespace", ""), meta["name"]): Placed(obj, file, 1)}


def deploy(api: str = "apps/v1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"}, "spec": spec}


def test_the_api_servers_list_map_keys_are_used_and_unknown_kinds_fall_back_to_names() -> None:
    keys = keys_for(deploy())
    assert keys(("spec", "template", "spec", "containers", 0, "ports"), [{}]) == ("containerPort", "protocol")
    assert keys(("spec", "template", "spec", "containers", 0, "args"), ["a"]) is None
    custom = keys_for({"apiVersion": "example.com/v1", "kind": "Widget"})
    assert custom(("spec", "parts"), [{"name": "a"}, {"name": "b"}]) == ("name",)
    assert custom(("spec", "parts"), [{"name": "a"}, {"name": "a"}]) is None  # not a map: positions count


def test_an_api_version_upgrade_of_the_same_object_is_one_configure() -> None:
    old, new = placed(deploy("apps/v1beta2", replicas=1)), placed(deploy("apps/v1", replicas=1))
    changes, unchanged = compare("t", old, new, Pruning())
    assert [(c.action, [(f.path, f.old, f.new) for f in c.fields]) for c in changes] == [
        ("configure", [(("apiVersion",), "apps/v1beta2", "apps/v1")])]


def test_true_and_1_and_1_point_0_are_three_values() -> None:
    for before, after in ((1, True), (1, 1.0), ("1", 1)):
        changes, _ = compare("t", placed(deploy(replicas=before)), placed(deploy(replicas=after)), Pruning())
        assert [(f.path, f.old, f.new) for f in changes[0].fields] == [(("spec", "replicas"), before, after)]


def test_a_list_map_entry_added_and_one_removed_are_named_by_their_head_and_base_positions() -> None:
    def with_env(*names: str) -> dict[str, Any]:
        return deploy(template={"spec": {"containers": [{"name": "web", "env": [{"name": n} for n in names]}]}})

    changes, _ = compare("t", placed(with_env("A", "B", "C")), placed(with_env("C", "D", "A")), Pruning())
    env = ("spec", "template", "spec", "containers", 0, "env")
    assert [(f.path, f.change) for f in changes[0].fields] == [((*env, 1), "added"), ((*env, 1), "removed")]
    assert "-        - name: B" in changes[0].diff and "+        - name: D" in changes[0].diff
    assert "-        - name: A" not in changes[0].diff and "+        - name: A" not in changes[0].diff  # A did not move


def test_a_rename_needs_nearly_the_same_content_and_a_prune_says_what_prune_does() -> None:
    big = {f"k{i}": f"value {i}" for i in range(30)}
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "ns"}, "data": big}
    renamed = {**old, "metadata": {"name": "new", "namespace": "ns"}}
    other = {**old, "metadata": {"name": "other", "namespace": "ns"}, "data": {"x": "y"}}
    changes, _ = compare("t", placed(old), placed(renamed), Pruning(enabled=True))
    assert [(c.action, c.ref.name, c.before.name if c.before else "") for c in changes] == [("rename", "new", "old")]
    assert changes[0].note == "an apply creates new and prunes old"
    changes, _ = compare("t", placed(old), placed(other), Pruning())
    assert sorted(c.action for c in changes) == ["create", "prune"]
    prune = next(c for c in changes if c.action == "prune")
    assert prune.note == "removed from Git: it stays in the cluster (prune is off for this target)"
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}
    changes, _ = compare("t", placed(namespace), {}, Pruning(enabled=True))
    assert changes[0].note == "removed from Git: it stays in the cluster (prune.namespaces is off for this target)"
