"""Helpers for the cluster-stage tests: write manifests, run the CLI in-process, act as a controller."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kubepush.cli import main


def crd(group: str = "example.com") -> dict[str, Any]:
    """The CRD of a namespaced custom resource kind ``Backup`` in ``group``."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"backups.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": "Backup", "plural": "backups", "singular": "backup", "listKind": "BackupList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "schedule": {"type": "string"}}}}}}}]},
    }


CRD = crd()


def backup(name: str, namespace: str, group: str = "example.com") -> dict[str, Any]:
    return {"apiVersion": f"{group}/v1", "kind": "Backup", "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedule": "0 3 * * *"}}


def secret(name: str, namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "stringData": {"password": "hunter2"}}


def write(directory: Path, name: str, *objs: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump_all(objs, sort_keys=False))
    return path


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data or {"k": "v"}}


def deployment(name: str = "web", namespace: str = "default", replicas: int = 2, image: str = "nginx:1.25",
               app: str | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    app = app or name
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    """``kubepush ARGS`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, *args, "-o", "json")
    return code, json.loads(out), err


class Controller:
    """Stands in for a cluster controller: once an object appears (at a generation it has not
    seen), do what the test says - polling with a deadline, never sleeping on hope."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def when_applied(self, fake: Any, kind: str, namespace: str | None, name: str,
                     action: Callable[[], Any], timeout: float = 20.0, after_generation: int = 0) -> None:
        def applied() -> bool:
            try:
                obj = fake.get(kind, namespace, name)
            except KeyError:
                return False
            return obj is not None and obj["metadata"].get("generation", 1) > after_generation

        self.when(applied, action, timeout, f"{kind} {namespace}/{name} never appeared")

    def when(self, condition: Callable[[], bool], action: Callable[[], Any], timeout: float = 20.0,
             what: str = "the condition never held") -> None:
        """Run ``action`` once ``condition()`` holds (checked every 20 ms, in a thread)."""
        def loop() -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if condition():
                    try:
                        action()
                    except BaseException as exc:  # noqa: BLE001 - reported by join()
                        self.errors.append(exc)
                    return
                time.sleep(0.02)
            self.errors.append(TimeoutError(what))

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)
        assert not self.errors, self.errors


def inventory(fake: Any, namespace: str, target: str = "default") -> dict[str, Any] | None:
    """The inventory parent of ``target`` in ``namespace``: ``kubepush-<target>-<hash>`` (one per source)."""
    found = [s for s in fake.list("Secret", namespace)
             if s["metadata"]["name"].startswith(f"kubepush-{target}-")]
    assert len(found) <= 1, [s["metadata"]["name"] for s in found]
    return found[0] if found else None


def scale(kubeconfig: str, namespace: str, name: str, replicas: int, manager: str) -> None:
    """Set a Deployment's replicas through its ``/scale`` subresource as ``manager`` - an Update,
    which is how an HPA (kube-controller-manager) or ``kubectl scale`` changes them."""
    from kubepush.cluster.client import Cluster

    cluster = Cluster(kubeconfig)
    try:
        info = cluster.resource("apps/v1", "Deployment")
        cluster.request("PATCH", info.path(namespace, name) + "/scale", query={"fieldManager": manager},
                        body={"spec": {"replicas": replicas}}, content_type="application/merge-patch+json")
    finally:
        cluster.close()


def config_repo(root: Path, name: str, objects: list[dict[str, Any]], origin: str, namespace: str,
                target: str = "staging", **config: Any) -> Path:
    """A clone (origin ``origin``) of a config repository whose kubepush.yaml has one pruning
    target ``target`` in ``namespace`` holding ``objects`` (in ``app/m.yaml``)."""
    from tests.support.git_fixtures import git, make_remote

    files = {"kubepush.yaml": yaml.safe_dump({**config, "targets": [
        {"name": target, "path": "app", "namespace": namespace, "prune": True}]}),
        "app/m.yaml": yaml.safe_dump_all(objects, sort_keys=False)}
    remote = make_remote(root / "srv", name, files)
    work = root / name
    git("clone", "--quiet", remote.url, str(work))
    git("remote", "set-url", "origin", origin, cwd=work)
    return work


def legacy_inventory(apply: Callable[[dict[str, Any]], Any], namespace: str, target: str,
                     *members: dict[str, Any]) -> str:
    """What an earlier kubepush left: Secret ``kubepush-<target>`` and ``members`` labelled with its
    id, written through ``apply`` (server-side apply as kubepush); returns the id."""
    from kubepush.cluster.inventory import ID_LABEL, PART_OF_LABEL, TOOLING, Parent

    parent = Parent(f"kubepush-{target}", namespace)
    apply({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": parent.name, "namespace": namespace, "labels": {ID_LABEL: parent.id},
        "annotations": {TOOLING: "kubepush/v0.1.0", "applyset.kubernetes.io/contains-group-kinds": "ConfigMap"}}})
    for obj in members:
        obj["metadata"]["labels"] = {PART_OF_LABEL: parent.id}
        apply(obj)
    return parent.id


#: Taint effects that keep a pod without tolerations off a node (NoExecute also evicts it).
BLOCKING_TAINTS = ("NoSchedule", "NoExecute")


def pods_cannot_run(cluster: Any) -> str:
    """Why no pod of these tests could be scheduled on the cluster, or '' when one node can take it.

    A control-plane-only cluster (API server and controller-manager) has no Node objects at all;
    a cordoned node (``spec.unschedulable``), one whose Ready condition is not True, and one with
    a NoSchedule/NoExecute taint (the tests' pods tolerate none) take no new pod either - the
    scheduler's NodeUnschedulable, NodeReady-taint and TaintToleration filters
    (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
    """
    from kubepush.cluster.errors import ClusterError

    try:
        nodes = cluster.list(cluster.resource("v1", "Node"))
    except ClusterError as exc:
        return f"cannot tell whether pods can run: listing Nodes failed ({exc})"
    if not nodes:
        return "the cluster has no Node objects (control plane only): pods are never scheduled"
    why = []
    for node in nodes:
        name, spec = node["metadata"]["name"], node.get("spec") or {}
        ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"),
                     None)
        taints = [f"{t.get('key')}:{t.get('effect')}" for t in spec.get("taints") or []
                  if t.get("effect") in BLOCKING_TAINTS]
        if spec.get("unschedulable"):
            why.append(f"{name} is cordoned")
        elif not ready or ready.get("status") != "True":
            why.append(f"{name} is not Ready")
        elif taints:
            why.append(f"{name} is tainted {', '.join(taints)}")
        else:
            return ""
    return "no node can take a pod: " + "; ".join(why)


def other_ca(key: Any = None) -> bytes:
    """A fresh CA certificate (PEM) that signed no server's certificate; ``key`` (an elliptic-curve
    private key, fresh when None) is its key, for a test that signs with this CA itself."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "some other CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
