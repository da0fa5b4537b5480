"""Benchmark ``kubepush validate`` end to end, as a user runs it, beside the tools one would run instead.

Two generated corpora (deterministic):

- ``mixed``: ``--docs`` documents in ``--files`` files - Deployments, Services, ConfigMaps and
  custom resources with their CRD (the default: 10,000 documents in 501 files);
- ``scripts``: 10,000 documents in 100 files of Deployments, Services and ConfigMaps whose block
  scalars hold what real ones do - a shell script (``#!/bin/sh``, ``<<EOF``, globs), an nginx
  configuration, folded descriptions.

Each is validated ``--runs`` times in a subprocess (strict, the newest bundled Kubernetes); the
medians of wall time and of kubepush's own CPU seconds (all its processes) are printed, with the
load average at the time: the figures mean little on a busy machine, say how busy it was. Then
the latency of one small file (interpreter start included) beside a bare ``python -c pass``, and
peak memory at two corpus sizes (flat: reports stream, workers hold one file at a time).

Side by side, in the same run: ``kubeconform`` when it is on PATH (same corpus, same schemas cut
into its layout); ``check-jsonschema`` when installed - it checks one file against one given
schema (no kind dispatch, no API-server rules, no CRDs), so it is timed on the one small file only.
kubepush's bytecode is compiled first, as installing a package does.

    python benchmarks/validate.py [--docs 10000] [--files 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def scripted_deployment(i: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: team-{i % 5}
  labels:
    app.kubernetes.io/name: web-{i}
  annotations:
    description: >
      Serves the storefront of team {i % 5}; the
      description is folded over two lines.
spec:
  replicas: {1 + i % 4}
  selector:
    matchLabels:
      app.kubernetes.io/name: web-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web-{i}
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:2.{i % 30}.1
        command: ["/bin/sh", "-c"]
        args:
        - |
          set -e
          [ -f /etc/web/ready ] || echo "starting web {i}"
          exec /app/server --port=8080 --config /etc/web/*.conf
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: MODE
          value: production
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
          limits: {{memory: 128Mi}}
        volumeMounts:
        - name: scripts
          mountPath: /etc/web
      volumes:
      - name: scripts
        configMap:
          name: web-{i}
"""


def scripted_configmap(i: int) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: web-{i}
  namespace: team-{i % 5}
data:
  LOG_LEVEL: info
  entrypoint.sh: |
    #!/bin/sh
    set -eu
    cat <<EOF > /tmp/web.conf
    listen=8080
    EOF
    for f in /etc/web/*.conf; do [ -r "$f" ] && . "$f"; done
    exec "$@"
  nginx.conf: |-
    server {{
      listen 8080;
      location / {{ proxy_pass http://127.0.0.1:9000; }}
    }}
"""


def scripted_service(i: int) -> str:
    return service(i).replace("app-", "web-").replace(f"namespace: team-{i % 7}", f"namespace: team-{i % 5}")


SCRIPTED = (scripted_deployment, scripted_service, scripted_configmap)


def generate(root: Path, docs: int, files: int, kinds: tuple[Callable[[int], str], ...] = KINDS) -> None:
    """``docs`` documents spread over ``files`` multi-document files (plus the CRD for the mixed kinds)."""
    root.mkdir(parents=True, exist_ok=True)
    if kinds is KINDS:
        (root / "crd.yaml").write_text(CRD)
    per_file = max(1, docs // files)
    n = 0
    for f in range(files):
        chunk = [kinds[(n + k) % len(kinds)](n + k) for k in range(min(per_file, docs - n))]
        n += len(chunk)
        (root / f"part-{f:05d}.yaml").write_text("---\n".join(chunk))
        if n >= docs:
            break


def timed(command: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of the child and its children, exit code, peak RSS in MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, max(after.ru_maxrss, before.ru_maxrss) // 1024


def medians(command: list[str], runs: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of ``runs`` runs, and the last exit code."""
    results = [timed(command) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), results[-1][2])


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def kubepush_command(*args: str) -> list[str]:
    """The console script installed beside this interpreter, as a user runs it. Not the first
    ``kubepush`` on PATH: a version manager's shim there (pyenv's is a bash script) would add its own
    start-up to every figure, and ``python -c pass`` beside it is timed without one."""
    script = Path(sys.executable).with_name("kubepush")
    if script.is_file():
        return [str(script), "validate", *args]
    return [sys.executable, "-m", "kubepush.cli", "validate", *args]


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


#: kubeconform v0.7.0 as the issue measured it on a quiet 2-core machine; printed, labelled, only when
#: kubeconform cannot run here: never a side-by-side figure.
KUBECONFORM_CLAIM = {"mixed": "1.43 s", "scripts": "1.53 s wall, 2.73 CPU-s", "small": "0.019 s"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import kubepush
    from kubepush.validate.schemas import resolve_version

    compileall.compile_dir(os.path.dirname(kubepush.__file__), quiet=1)
    version = resolve_version(None)
    kubeconform = shutil.which("kubeconform")
    with tempfile.TemporaryDirectory(prefix="kubepush-bench-") as tmp:
        location = kubeconform_schemas(Path(tmp, "schemas"), version) if kubeconform else ""
        corpora = {"mixed": (args.docs, args.files, KINDS), "scripts": (10_000, 100, SCRIPTED)}
        for name, (docs, files, kinds) in corpora.items():
            corpus = Path(tmp, name)
            generate(corpus, docs, files, kinds)
            wall, cpu, code = medians(kubepush_command(str(corpus)), args.runs)
            count = len(list(corpus.iterdir()))
            print(f"{name}: {docs} documents in {count} files, Kubernetes {version}, strict; {load()}")
            print(f"  kubepush validate: {wall:.3f} s wall, {cpu:.2f} CPU-s (medians of {args.runs}) "
                  f"-> {docs / wall:,.0f} docs/s, exit {code}")
            if kubeconform:
                kc = [kubeconform, "-strict", "-summary", "-kubernetes-version", version,
                      "-schema-location", location, "-ignore-missing-schemas", str(corpus)]
                kc_wall, kc_cpu, _ = medians(kc, args.runs)
                print(f"  kubeconform -strict: {kc_wall:.3f} s wall, {kc_cpu:.2f} CPU-s -> "
                      f"{docs / kc_wall:,.0f} docs/s; kubepush has {kc_wall / wall:.2f}x its throughput")
            else:
                print(f"  kubeconform: not on PATH, not run (the issue's figure for it, another machine: "
                      f"{KUBECONFORM_CLAIM[name]})")

        big = Path(tmp, "big")
        generate(big, args.docs * 4, args.files * 4)
        _, _, _, rss = timed(kubepush_command(str(Path(tmp, "mixed"))))
        _, _, _, rss_big = timed(kubepush_command(str(big)))
        print(f"peak RSS: {rss} MiB at {args.docs} docs, {rss_big} MiB at {args.docs * 4} docs "
              "(largest process; flat means streaming works)")

        small = Path(tmp, "small.yaml")
        small.write_text(deployment(1))
        runs = max(7, args.runs)
        wall, cpu, _ = medians(kubepush_command(str(small)), runs)
        bare_wall, bare_cpu, _ = medians([sys.executable, "-c", "pass"], runs)
        print(f"one small file: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (medians of {runs}), interpreter "
              f"start included; a bare `python -c pass`: {bare_wall * 1000:.0f} ms wall, {bare_cpu * 1000:.0f} ms CPU; "
              f"{load()}")
        checker = shutil.which("check-jsonschema")
        if checker:
            import orjson

            from kubepush.validate.schemas import BuiltinSchemas

            store = BuiltinSchemas(version, strict=True)
            schema = Path(tmp, "deployment.json")
            schema.write_bytes(orjson.dumps(store.standalone(store.definition_name("apps", "v1", "Deployment") or "")))
            cj_wall, cj_cpu, _ = medians([checker, "--schemafile", str(schema), str(small)], runs)
            print(f"  check-jsonschema (that file against the Deployment schema only): {cj_wall * 1000:.0f} ms wall, "
                  f"{cj_cpu * 1000:.0f} ms CPU")
        if not kubeconform:
            print(f"  kubeconform: not on PATH, not run (the issue's figure for it: {KUBECONFORM_CLAIM['small']})")


if __name__ == "__main__":
    main()
