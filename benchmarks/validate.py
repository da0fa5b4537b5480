"""Benchmark ``kubepush validate`` end to end, as a user runs it.

Generates a mixed corpus (Deployments, Services, ConfigMaps and custom
resources with their CRD), then times the real command in a subprocess and
prints documents per second, the latency of one small file (interpreter start
included), and peak memory at two corpus sizes (it should stay flat: reports
stream and workers hold one file at a time). When a ``kubeconform`` binary is
on PATH it is run on the same corpus with the same schemas, side by side.

    python benchmarks/validate.py [--docs 10000] [--files 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.bench.example.com
spec:
  group: bench.example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
              port: {x-kubernetes-int-or-string: true}
"""


def deployment(i: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{i % 7}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: bench
spec:
  replicas: {1 + i % 3}
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{i}
      annotations:
        prometheus.io/scrape: "true"
    spec:
      serviceAccountName: app-{i}
      containers:
      - name: app
        image: registry.example.com/team/app-{i}:1.{i % 20}.{i % 7}
        imagePullPolicy: IfNotPresent
        args: ["--port=8080", "--log-level=info"]
        ports:
        - name: http
          containerPort: 8080
          protocol: TCP
        env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: MODE
          value: production
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{memory: 256Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
          periodSeconds: 10
        volumeMounts:
        - name: config
          mountPath: /etc/app
      volumes:
      - name: config
        configMap:
          name: app-{i}
"""


def service(i: int) -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{i % 7}
spec:
  selector:
    app.kubernetes.io/name: app-{i}
  ports:
  - name: http
    port: 80
    targetPort: http
"""


def configmap(i: int) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
  namespace: team-{i % 7}
data:
  LOG_LEVEL: info
  FEATURE_X: "true"
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
"""


def widget(i: int) -> str:
    return f"""apiVersion: bench.example.com/v1
kind: Widget
metadata:
  name: widget-{i}
  namespace: team-{i % 7}
spec:
  size: {i % 10}
  color: blue
  port: http
"""


KINDS = (deployment, service, configmap, widget)


def generate(root: Path, docs: int, files: int) -> None:
    """``docs`` documents spread over ``files`` multi-document files, plus the CRD."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "crd.yaml").write_text(CRD)
    per_file = max(1, docs // files)
    n = 0
    for f in range(files):
        chunk = [KINDS[(n + k) % len(KINDS)](n + k) for k in range(min(per_file, docs - n))]
        n += len(chunk)
        (root / f"part-{f:05d}.yaml").write_text("---\n".join(chunk))
        if n >= docs:
            break


def timed(command: list[str]) -> tuple[float, int, int]:
    """(wall seconds, exit code, peak RSS in MiB of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, proc.returncode, max(peak, before) // 1024


def kubepush_command(*args: str) -> list[str]:
    exe = shutil.which("kubepush")
    return [exe, "validate", *args] if exe else [sys.executable, "-m", "kubepush.cli", "validate", *args]


def kubeconform_schemas(dest: Path, version: str) -> str:
    """Standalone per-kind schemas in kubeconform's layout, cut from the bundled ones."""
    import orjson

    from kubepush.validate.schemas import BuiltinSchemas

    folder = dest / f"v{version}-standalone-strict"
    folder.mkdir(parents=True, exist_ok=True)
    store = BuiltinSchemas(version, strict=True)
    for group, ver, kind in store.kinds():
        name = store.definition_name(group, ver, kind)
        suffix = f"-{group.split('.')[0]}-{ver}" if group else f"-{ver}"
        (folder / f"{kind.lower()}{suffix}.json").write_bytes(orjson.dumps(store.standalone(name)))
    return str(dest / ("{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
                       "{{ .ResourceKind }}{{ .KindSuffix }}.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from kubepush.validate.schemas import resolve_version

    version = resolve_version(None)
    with tempfile.TemporaryDirectory(prefix="kubepush-bench-") as tmp:
        corpus = Path(tmp, "corpus")
        generate(corpus, args.docs, args.files)
        print(f"corpus: {args.docs} documents in {args.files + 1} files, Kubernetes {version}, strict")
        walls = []
        for _ in range(args.runs):
            wall, code, rss = timed(kubepush_command(str(corpus)))
            walls.append(wall)
        best = min(walls)
        print(f"kubepush validate: {best:.3f} s best of {args.runs} "
              f"(median {statistics.median(walls):.3f} s) -> {args.docs / best:,.0f} docs/s, exit {code}")

        big = Path(tmp, "big")
        generate(big, args.docs * 4, args.files * 4)
        _, _, rss_big = timed(kubepush_command(str(big)))
        print(f"peak RSS: {rss} MiB at {args.docs} docs, {rss_big} MiB at {args.docs * 4} docs "
              "(largest process; flat means streaming works)")

        small = Path(tmp, "small.yaml")
        small.write_text(deployment(1))
        latencies = sorted(timed(kubepush_command(str(small)))[0] for _ in range(7))
        print(f"one small file: {statistics.median(latencies) * 1000:.0f} ms median "
              f"(min {latencies[0] * 1000:.0f} ms), interpreter start included")

        kubeconform = shutil.which("kubeconform")
        if kubeconform:
            location = kubeconform_schemas(Path(tmp, "schemas"), version)
            kc = [kubeconform, "-strict", "-summary", "-kubernetes-version", version,
                  "-schema-location", location, "-ignore-missing-schemas", str(corpus)]
            kc_walls = [timed(kc)[0] for _ in range(args.runs)]
            kc_best = min(kc_walls)
            print(f"kubeconform -strict: {kc_best:.3f} s -> {args.docs / kc_best:,.0f} docs/s; "
                  f"kubepush is {kc_best / best:.2f}x its throughput")
        else:
            print("kubeconform not on PATH: no side-by-side figure "
                  "(reference on this machine class: ~10,000 docs/s strict)")
        print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
