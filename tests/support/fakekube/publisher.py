"""The ``kube-root-ca.crt`` ConfigMap in every namespace, always on (not a test switch).

A real cluster's kube-controller-manager runs the root CA certificate publisher
(kubernetes/kubernetes pkg/controller/certificates/rootcacertpublisher/publisher.go): for
every namespace - the built-in ones and every one created later - it creates a ConfigMap
``kube-root-ca.crt`` with ``data: {ca.crt: <cluster CA>}`` and the annotation
``kubernetes.io/description``; it re-creates it when deleted and writes the data and
annotation back when someone changes them. So every namespace a tool looks into holds one
ConfigMap that no repository declared, and a tool that lists ConfigMaps must leave it alone.

The fake publishes synchronously with the namespace write (the real controller lags by a
few milliseconds), which is the stricter case: the ConfigMap is always already there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .api import Call
from .schema import ResourceType

if TYPE_CHECKING:
    from .fake import FakeKube

ROOT_CA = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")
#: The controller-manager's clients write with its user agent, hence this field manager.
MANAGER = "kube-controller-manager"


def _ca_pem() -> str:
    from .tls import certificate

    return certificate()[2].decode()


def on_write(fake: FakeKube, rt: ResourceType, obj: dict[str, Any], event: str) -> None:
    """Called (under the store lock) after every persisted write or delete: keep the ConfigMap published."""
    meta = obj["metadata"]
    if rt.kind == "Namespace" and event in ("ADDED", "MODIFIED") and not meta.get("deletionTimestamp"):
        _ensure(fake, meta["name"])
    elif rt.kind == "ConfigMap" and rt.group == "" and meta.get("name") == ROOT_CA:
        _ensure(fake, meta["namespace"])


def _ensure(fake: FakeKube, namespace: str) -> None:
    if fake.get("Namespace", None, namespace) is None:
        return  # the namespace itself is going away
    want = {"ca.crt": _ca_pem()}
    live = fake.get("ConfigMap", namespace, ROOT_CA)
    if live is None:
        fake.create({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": ROOT_CA, "namespace": namespace,
                                  "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                     "data": want}, manager=MANAGER)
        return
    annotations = live["metadata"].get("annotations") or {}
    if live.get("data") == want and annotations.get(DESCRIPTION_ANNOTATION):
        return
    live["data"] = want
    live["metadata"]["annotations"] = {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION}
    rt = fake.store.by_kind("ConfigMap", "v1")
    fake.api.update(Call("update", rt, namespace, ROOT_CA, None, {"fieldManager": MANAGER},
                         json.dumps(live).encode()))
