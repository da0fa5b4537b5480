"""Benchmark ``kubepush bump`` end to end, as a pipeline runs it.

    python benchmarks/bump.py [--files 5000] [--runs 3]

Builds a config repository of FILES manifests, serves it with the real ``git
http-backend`` behind Basic auth on 127.0.0.1 and, when Debian's
``docker-registry`` is installed, a real registry holding the image's tags. Then
times the ``kubepush`` command in a subprocess (interpreter start included), from
start to pushed branch, pull request excluded (``--no-pr``):

- ``--image`` (an application pipeline) in an existing checkout, and with
  ``--repo`` (shallow clone into a temporary directory included);
- ``--from-registry`` with a semver policy and digest pinning (tag listing and
  manifest lookup included), in an existing checkout.

The target is <= 1 s wall for one image in a 5,000-file repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubepush.gitops import Credentials  # noqa: E402
from tests.support.git_fixtures import TOKEN, GitHTTPServer, git, make_remote  # noqa: E402

IMAGE_REPO = "acme/app-4207"


def manifest(n: int, registry: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
  labels: {{app.kubernetes.io/name: app-{n}}}
spec:
  selector:
    matchLabels: {{app.kubernetes.io/name: app-{n}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: app-{n}}}
    spec:
      containers:
      - name: app
        image: {registry}/acme/app-{n}:1.0.0
        ports: [{{containerPort: 8080, name: http}}]
"""


def kubepush(*args: str, cwd: Path | None = None) -> float:
    exe = shutil.which("kubepush")
    command = [exe] if exe else [sys.executable, "-m", "kubepush.cli"]
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    start = time.perf_counter()
    proc = subprocess.run([*command, "bump", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0 or '"pushed"' not in proc.stdout:
        sys.exit(f"kubepush bump failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall


def report(label: str, walls: list[float]) -> None:
    print(f"  {label:38s} median {statistics.median(walls) * 1000:6.0f} ms   min {min(walls) * 1000:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    registry_ctx = None
    with tempfile.TemporaryDirectory(prefix="kubepush-bench-bump-") as tmp:
        registry_host = "registry.example.com"
        if shutil.which("docker-registry") or Path("/usr/bin/docker-registry").exists():
            from tests.support.registry_fixtures import start_registry

            registry_ctx = start_registry(Path(tmp) / "registry")
            registry = registry_ctx.__enter__()
            registry_host = registry.host
            pusher = registry.pusher()
            for tag in ("1.0.0", "1.0.1", "1.1.0", "2.0.0"):
                pusher.image(IMAGE_REPO, tag)
        root = Path(tmp) / "srv"
        root.mkdir()
        files = {f"team-{n // 100}/app-{n}.yaml": manifest(n, registry_host) for n in range(args.files)}
        files["kubepush.yaml"] = (f"bump:\n  policies:\n    - image: {registry_host}/{IMAGE_REPO}\n"
                                  "      kind: semver\n      range: '^1'\n      pinDigest: true\n")
        remote = make_remote(root, "octo/cfg.git", files)
        server = GitHTTPServer(root, user="x-access-token").start()
        url = server.url(remote)
        checkout = Path(tmp) / "checkout"
        header = Credentials("x-access-token", TOKEN).header()
        git("-c", f"http.extraHeader={header}", "clone", "--quiet", url, str(checkout))
        common = ("--forge", "github", "--no-pr", "-o", "json")
        print(f"{len(files)} files, {args.runs} runs each, kubepush bump in a subprocess, start to pushed branch:")
        try:
            report("--image, in a checkout", [
                kubepush("--image", f"{registry_host}/{IMAGE_REPO}:1.0.{i + 2}", *common, cwd=checkout)
                for i in range(args.runs)])
            report("--image, --repo (shallow clone)", [
                kubepush("--image", f"{registry_host}/{IMAGE_REPO}:1.0.{i + 20}", "--repo", url, *common)
                for i in range(args.runs)])
            if registry_ctx is not None:
                walls = []
                for i in range(args.runs):
                    pusher.image(IMAGE_REPO, f"1.2.{i}")  # a newer tag each run, so each run pushes
                    walls.append(kubepush("--from-registry", "--insecure-registry", registry_host, *common,
                                          cwd=checkout))
                report("--from-registry + digest, in a checkout", walls)
            else:
                print("  (docker-registry not installed: --from-registry not measured)")
        finally:
            server.stop()
            if registry_ctx is not None:
                registry_ctx.__exit__(None, None, None)


if __name__ == "__main__":
    main()
