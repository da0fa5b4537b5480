"""Micro-benchmark: µs per document for kubepush.validate.rules.check_document.

Runs the per-document rules (and the duplicate tracker) over a generated mix of
typical documents - Deployments, Services, ConfigMaps, plus some StatefulSets,
CronJobs and Ingresses - and prints the mean cost per document. Not a test: run
``python benchmarks/rules.py [N]``. The budget is well under 20 µs per document
(kubepush validate must do >= 20,000 documents/s end to end on 2 cores).
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

from kubepush.model import ObjectRef
from kubepush.validate.rules import DuplicateTracker, check_document


def _deployment(i: int) -> dict:
    labels = {"app.kubernetes.io/name": f"app{i}", "app.kubernetes.io/part-of": "shop"}
    container = {
        "name": "server",
        "image": f"ghcr.io/example/app{i}:1.{i % 10}.0",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}],
        "env": [{"name": f"VAR_{j}", "value": str(j)} for j in range(6)],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
        "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"app{i}", "namespace": "shop", "labels": dict(labels)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "serviceAccountName": f"app{i}",
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": f"app{i}"}}],
                },
            },
        },
    }


def _service(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"app{i}", "namespace": "shop", "labels": {"app.kubernetes.io/name": f"app{i}"}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": f"app{i}"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"},
            ],
        },
    }


def _configmap(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"app{i}", "namespace": "shop"},
        "data": {"config.yaml": "log: info\n", "FEATURE": "on"},
    }


def _statefulset(i: int) -> dict:
    doc = _deployment(i)
    doc["kind"] = "StatefulSet"
    doc["spec"]["serviceName"] = f"app{i}"
    doc["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    return doc


def _cronjob(i: int) -> dict:
    pod = copy.deepcopy(_deployment(i)["spec"]["template"])
    pod["spec"]["restartPolicy"] = "OnFailure"
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": f"job{i}", "namespace": "shop"},
        "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {"template": pod}}},
    }


def _ingress(i: int) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": f"app{i}", "namespace": "shop"},
        "spec": {
            "rules": [
                {
                    "host": f"app{i}.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": f"app{i}", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }


#: A repository-like mix: 30% Deployments, 30% Services, 25% ConfigMaps, 15% others.
_MIX = [_deployment] * 6 + [_service] * 6 + [_configmap] * 5 + [_statefulset, _cronjob, _ingress]


def generate(n: int) -> list[dict]:
    """``n`` documents of the mix (also used by the tests as known-valid input)."""
    return [_MIX[i % len(_MIX)](i) for i in range(n)]


def bench(n: int, rounds: int = 3, chunk: int = 100) -> dict[str, float]:
    """Best-of-``rounds`` mean µs per document, for the whole mix and per kind.

    Like the validate pipeline (parse, then check right away), documents are created in
    small chunks just before they are checked, so they are as warm in the CPU cache as
    freshly parsed ones; only the rules and the duplicate tracker are timed, in CPU time
    (other processes on the box do not count).
    """
    check_document(_MIX[0](0), kubernetes_version=(1, 37))  # load the schema index outside the timing
    groups = {"all": _MIX, **{maker(0)["kind"]: [maker] for maker in dict.fromkeys(_MIX)}}
    best: dict[str, float] = {}
    for name, makers in groups.items():
        for _ in range(rounds):
            tracker = DuplicateTracker()
            spent = 0.0
            for first in range(0, n, chunk):
                docs = [makers[i % len(makers)](i) for i in range(first, first + chunk)]
                refs = [
                    ObjectRef(d["apiVersion"], d["kind"], d["metadata"]["namespace"], d["metadata"]["name"])
                    for d in docs
                ]
                start = time.thread_time()
                for i, doc in enumerate(docs):
                    check_document(doc, kubernetes_version=(1, 37))
                    tracker.add(i + first, refs[i], "")
                spent += time.thread_time() - start
            best[name] = min(best.get(name, float("inf")), spent / (n - n % chunk or n) * 1e6)
    return best


def bench_corpus(root: Path, rounds: int = 5) -> dict[str, float]:
    """Best-of-``rounds`` µs per document over every manifest under ``root`` (real-world shapes)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[dict] = []
    for path in sorted(root.rglob("*.y*ml")):
        try:
            docs += [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
    by_kind: dict[str, list[dict]] = {"all": docs}
    for doc in docs:
        by_kind.setdefault(str(doc.get("kind")), []).append(doc)
    best: dict[str, float] = {}
    for name, group in by_kind.items():
        for _ in range(rounds):
            start = time.thread_time()
            for doc in group:
                check_document(doc, kubernetes_version=(1, 37))
            best[name] = min(best.get(name, float("inf")), (time.thread_time() - start) / len(group) * 1e6)
    return {name: best[name] for name in ["all", "Deployment", "Service", "ConfigMap"] if name in best}


def main() -> None:
    """``python benchmarks/rules.py [N] [CORPUS_DIR]``: generated mix of N documents, then a corpus.

    CORPUS_DIR defaults to ``corpus/real`` of the test data (``$KUBEPUSH_TEST_DATA``, CONTRIBUTING.md).
    """
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    start = time.perf_counter()
    check_document(generate(1)[0], kubernetes_version=(1, 37))
    print(f"first call (loads the OpenAPI index): {(time.perf_counter() - start) * 1e3:.1f} ms")
    print(f"generated mix of {n} documents:")
    for name, us in sorted(bench(n).items(), key=lambda item: item[0] != "all"):
        print(f"{name:>14}: {us:6.2f} µs/document")
    data = os.environ.get("KUBEPUSH_TEST_DATA")
    corpus = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(data, "corpus", "real") if data else None
    if corpus is not None and corpus.is_dir():
        print(f"manifests under {corpus}:")
        for name, us in bench_corpus(corpus).items():
            print(f"{name:>14}: {us:6.2f} µs/document")


if __name__ == "__main__":
    main()
