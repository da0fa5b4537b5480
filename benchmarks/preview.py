"""Benchmark the rendered preview (``kubepush diff --base main``) beside plain ``kubectl kustomize``.

A config repository of 20 kustomize targets (overlays of one base, each in its own namespace) that
render 1,000 objects, with real git history: ``main`` and a branch with the change. Two changes:
one to the shared base (it touches every target: 20 targets rendered and compared at both
revisions) and one to a single overlay (1 target). kubepush runs as a subprocess, as in CI, so
interpreter start, imports, git, the worktree and kustomize are all in its time; its CPU seconds
include the kustomize processes it runs. Beside it, in the same run, the same targets built with
plain ``kubectl kustomize``, one after another at both revisions (what a script would do), and two
at a time. Medians of ``--runs`` runs, and the load average, since the machine may be shared.

    python benchmarks/preview.py [--runs 5] [--kubectl PATH] [--targets 20] [--objects 1000]
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.test", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.test"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def deployment(i: int, image: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i:02d}\nspec:\n  replicas: 2\n"
            f"  selector:\n    matchLabels: {{app: app-{i:02d}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: app-{i:02d}}}\n    spec:\n      containers:\n        - name: app\n"
            f"          image: {image}\n          env:\n            - {{name: MODE, value: fast}}\n"
            f"          ports:\n            - {{containerPort: 8080}}\n")


def configmaps(prefix: str, count: int, value: str = "v") -> str:
    return "---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {prefix}-{i:03d}\n"
                        f"data:\n  key: {value}-{i}\n  other: x\n" for i in range(count))


def build_repo(root: Path, targets: int, per_target: int) -> Path:
    """``main`` with the repository, branch ``all`` changing the base, branch ``one`` one overlay."""
    repo = root / "config"
    shared, own = per_target // 2, per_target - per_target // 2
    deployments = max(1, shared // 5)
    files = {"base/kustomization.yaml": KUSTOMIZE + "resources: [deploy.yaml, config.yaml]\n",
             "base/deploy.yaml": "---\n".join(deployment(i, "registry.example/app:1.0.0") for i in range(deployments)),
             "base/config.yaml": configmaps("shared", shared - deployments),
             "kubepush.yaml": "targets:\n" + "".join(f"  - {{name: t{t:02d}, path: overlays/t{t:02d}}}\n"
                                                      for t in range(targets))}
    for t in range(targets):
        files[f"overlays/t{t:02d}/kustomization.yaml"] = (KUSTOMIZE + f"namespace: t{t:02d}\n"
                                                          "resources: [../../base, own.yaml]\n")
        files[f"overlays/t{t:02d}/own.yaml"] = configmaps("own", own)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "all")
    path = repo / "base/deploy.yaml"
    path.write_text(path.read_text().replace("registry.example/app:1.0.0", "registry.example/app:1.1.0", 1))
    git(repo, "commit", "-qam", "a new image for every target")
    git(repo, "checkout", "-q", "-b", "one", "main")
    path = repo / "overlays/t07/own.yaml"
    path.write_text(path.read_text().replace("key: v-3\n", "key: changed-3\n"))
    git(repo, "commit", "-qam", "one overlay")
    return repo


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the process and the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def plain_kustomize(kubectl: str, directories: list[Path], parallel: int) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(lambda d: subprocess.run([kubectl, "kustomize", str(d)], check=True, capture_output=True),
                      directories))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--objects", type=int, default=1000, help="rendered objects over all targets")
    parser.add_argument("--kubectl", default=shutil.which("kubectl") or "kubectl")
    args = parser.parse_args()
    kubectl = str(Path(args.kubectl).resolve())
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout.split("\n")[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
           "PATH": f"{Path(kubectl).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("KUBECONFIG", None)
    env.pop("KUBEPUSH_CACHE_DIR", None)
    with tempfile.TemporaryDirectory(prefix="kubepush-bench-preview-") as tmp:
        repo = build_repo(Path(tmp), args.targets, args.objects // args.targets)
        base = Path(tmp) / "base-tree"
        git(repo, "worktree", "add", "-q", "--detach", str(base), "main")
        print(f"{args.targets} targets, {args.objects} rendered objects; {version}; {os.cpu_count()} cores; "
              f"medians of {args.runs} runs")
        for branch, touched in (("all", list(range(args.targets))), ("one", [7])):
            git(repo, "checkout", "-q", branch)
            command = [sys.executable, "-m", "kubepush.cli", "diff", "--base", "main", "-q", "-o", "json"]
            timed(command, repo, env)  # warm the page cache and .pyc files
            cold = median([timed(command, repo, env) for _ in range(args.runs)])
            kept = {**env, "KUBEPUSH_CACHE_DIR": str(Path(tmp) / f"cache-{branch}")}
            timed(command, repo, kept)  # the first run keeps the base's render
            warm = median([timed(command, repo, kept) for _ in range(args.runs)])
            directories = [d / "overlays" / f"t{t:02d}" for t in touched for d in (base, repo)]
            sequential = median([plain_kustomize(kubectl, directories, 1) for _ in range(args.runs)])
            two = median([plain_kustomize(kubectl, directories, 2) for _ in range(args.runs)])
            load = os.getloadavg()
            print(f"\nchange touching {len(touched)} target{'s' if len(touched) > 1 else ''} "
                  f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}):")
            print(f"  kubepush diff --base main          {cold[0]:6.2f} s wall  {cold[1]:6.2f} s CPU  "
                  "(render both revisions + compare + report)")
            print(f"    base render kept (cache)         {warm[0]:6.2f} s wall  {warm[1]:6.2f} s CPU  "
                  "(render the head + compare + report)")
            print(f"  kubectl kustomize x{len(directories):<3d} one by one  {sequential[0]:6.2f} s wall  "
                  f"{sequential[1]:6.2f} s CPU  (render only)")
            print(f"  kubectl kustomize x{len(directories):<3d} two at once  {two[0]:6.2f} s wall  {two[1]:6.2f} s CPU")
        git(repo, "worktree", "remove", "--force", str(base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
