"""Discovery speed: files per second over a generated 5,000-file GitOps repository.

    python benchmarks/discover.py [--files 5000] [--repeat 3] [PATH ...]

Without PATH it writes a repository shaped like a real config repo into a
temporary directory: per app a Deployment with a sidecar, a Service, a
ConfigMap, an HPA and a kustomization with an ``images:`` override, plus Helm
values files and Flux HelmReleases - about half the files hold no image at all,
as in practice. The bump target is <= 1 s wall for one image end to end in such
a repository, so discovery over all of it must take well under that.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from kubepush.images.discover import discover_paths

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: team-{team}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/part-of: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
      initContainers:
      - name: migrate
        image: ghcr.io/example/{app}-migrate:1.{n}.0
        args: ["--wait", "60s"]
      containers:
      - name: app
        image: ghcr.io/example/{app}:1.{n}.0 # {{"$imagepolicy": "flux-system:{app}"}}
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: LOG_LEVEL
          value: info
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef: {{name: {app}-db, key: url}}
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{memory: 256Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
      - name: proxy
        image: "docker.io/envoyproxy/envoy:v1.30.{n}"
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: team-{team}
spec:
  selector:
    app.kubernetes.io/name: {app}
  ports:
  - name: http
    port: 80
    targetPort: http
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: team-{team}
data:
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
    features: [a, b, c]
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: team-{team}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {app}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: team-{team}
resources:
- deployment.yaml
- service.yaml
- configmap.yaml
- hpa.yaml
images:
- name: ghcr.io/example/{app}
  newTag: 1.{n}.1
"""
VALUES = """\
replicaCount: 2
image:
  registry: docker.io
  repository: bitnami/{app}
  tag: 2.{n}.0-debian-12-r0
  digest: ""
  pullPolicy: IfNotPresent
metrics:
  enabled: true
  image:
    registry: docker.io
    repository: bitnami/{app}-exporter
    tag: 0.{n}.0
redis:
  repository: docker.io/redis
  tag: 7.2.{n}
service:
  type: ClusterIP
  port: 80
"""
RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app}
  namespace: team-{team}
spec:
  interval: 10m
  chart:
    spec:
      chart: {app}
      version: 1.{n}.0
      sourceRef: {{kind: HelmRepository, name: example, namespace: flux-system}}
  values:
    image:
      repository: ghcr.io/example/{app}
      tag: 3.{n}.0 # {{"$imagepolicy": "flux-system:{app}:tag"}}
"""
#: one app = these files (4 of 8 hold images)
LAYOUT = [
    ("deployment.yaml", DEPLOYMENT), ("service.yaml", SERVICE), ("configmap.yaml", CONFIGMAP),
    ("hpa.yaml", HPA), ("kustomization.yaml", KUSTOMIZATION), ("values.yaml", VALUES),
    ("release.yaml", RELEASE), ("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{team}\n"),
]


def generate(root: str, files: int) -> None:
    """Write ``files`` files under ``root`` (apps of len(LAYOUT) files each)."""
    written = 0
    app = 0
    while written < files:
        team = app % 17
        directory = os.path.join(root, "apps", f"team-{team}", f"svc{app}")
        os.makedirs(directory, exist_ok=True)
        for name, template in LAYOUT:
            if written >= files:
                break
            with open(os.path.join(directory, name), "w", encoding="utf-8") as fh:
                fh.write(template.format(app=f"svc{app}", team=team, n=app % 50))
            written += 1
        app += 1


def measure(paths: list[str], repeat: int, jobs: int | None) -> tuple[float, float, int, int, int]:
    """Best wall and CPU seconds over ``repeat`` runs (CPU time of this process only)."""
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = discover_paths(paths, jobs=jobs)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best, best_cpu, result.files, result.parsed, len(result.sites)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="directories to scan instead of a generated repository")
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: what discover_paths picks)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.paths
        if not paths:
            generate(tmp, args.files)
            paths = [tmp]
        for jobs in ([args.jobs] if args.jobs else [1, None]):
            seconds, cpu, files, parsed, sites = measure(paths, args.repeat, jobs)
            label = f"jobs={jobs}" if jobs else "jobs=auto"
            print(f"{label}: {files} files ({parsed} parsed), {sites} image sites in {seconds:.3f} s wall, "
                  f"{cpu:.3f} s CPU in this process (best of {args.repeat}): {files / seconds:,.0f} files/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
