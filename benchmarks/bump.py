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
  manifest lookup included), in an existing checkout; a newer tag of the same image
  each run, so from the second run on the reference is already ``tag@sha256:...``.

Beside each kubepush row, in the same run, the same work done by hand with git and sed
(what a pipeline step would do instead: ``git grep`` the image, ``sed`` the tag, commit,
push a branch; with a ``git clone --depth 1`` first for the clone row). Printed: median and
minimum wall, median CPU seconds (the command and its children, git included), the ratio
to the git row, and the load average: the machine may be shared, compare within one run.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from kubepush.gitops import Credentials  # noqa: E402
from kubepush.gitops.repo import clone_parent  # noqa: E402 - where kubepush clones
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


Sample = tuple[float, float]  # wall seconds, CPU seconds (children included)


def timed(argv: list[str], cwd: Path | None, env: dict[str, str]) -> tuple[Sample, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime), proc


def kubepush(*args: str, cwd: Path | None = None) -> Sample:
    command = [sys.executable, "-m", "kubepush.cli"]  # this tree's kubepush, not whichever is on PATH
    env = {**os.environ, "GITHUB_TOKEN": TOKEN,
           "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed kubepush has its bytecode compiled
    sample, proc = timed([*command, "bump", *args], cwd, env)
    if proc.returncode != 0 or '"pushed"' not in proc.stdout:
        sys.exit(f"kubepush bump failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return sample


def by_hand(url: str, header: str, image: str, tag: str, checkout: Path | None, clone_into: Path | None) -> Sample:
    """The same bump with git and sed in one shell step: find the files, edit, commit, push a branch."""
    auth = f"-c http.extraHeader='{header}'"
    script = (f"git grep -l -F '{image}:' -- . | xargs sed -i 's#{image}:[^ @]*#{image}:{tag}#' && "
              f"git -c user.name=bench -c user.email=bench@example.com commit -q -am 'bump {tag}' && "
              f"git {auth} push -q --force '{url}' HEAD:refs/heads/by-hand/{tag}")
    if clone_into is not None:
        script = f"git {auth} clone -q --depth 1 '{url}' '{clone_into}' && cd '{clone_into}' && {script}"
    sample, proc = timed(["bash", "-c", script], checkout, dict(os.environ))
    if proc.returncode != 0:
        sys.exit(f"the git reference failed ({proc.returncode}):\n{proc.stderr}")
    if checkout is not None:
        git("reset", "-q", "--hard", "HEAD~1", cwd=checkout)
    return sample


def report(label: str, samples: list[Sample], reference: list[Sample] | None = None) -> None:
    walls = [s[0] for s in samples]
    line = (f"  {label:40s} median {statistics.median(walls) * 1000:6.0f} ms   min {min(walls) * 1000:6.0f} ms   "
            f"{statistics.median(s[1] for s in samples):5.2f} CPU-s")
    if reference:
        ratio = statistics.median(walls) / statistics.median(s[0] for s in reference)
        line += f"   {ratio:5.2f}x git"
    print(line)


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
        image = f"{registry_host}/{IMAGE_REPO}"
        load_before = os.getloadavg()[0]
        rows: list[tuple[str, list[Sample], list[Sample] | None]] = []
        try:
            ours, theirs = [], []
            for i in range(args.runs):  # alternating, so both see the same load
                ours.append(kubepush("--image", f"{image}:1.0.{i + 2}", *common, cwd=checkout))
                theirs.append(by_hand(url, header, image, f"1.0.{i + 50}", checkout, None))
            rows += [("--image, in a checkout", ours, theirs), ("  git grep + sed + commit + push", theirs, None)]
            ours, theirs = [], []
            # the clone by hand goes where kubepush puts its own (tmpfs when roomy): the same disk for both
            clones = Path(tempfile.mkdtemp(prefix="kubepush-bench-by-hand-", dir=clone_parent()))
            for i in range(args.runs):
                ours.append(kubepush("--image", f"{image}:1.0.{i + 20}", "--repo", url, *common))
                theirs.append(by_hand(url, header, image, f"1.0.{i + 80}", None, clones / f"clone-{i}"))
            shutil.rmtree(clones)
            rows += [("--image, --repo (shallow clone)", ours, theirs),
                     ("  git clone --depth 1 + the same", theirs, None)]
            if registry_ctx is not None:
                samples = []
                for i in range(args.runs):
                    pusher.image(IMAGE_REPO, f"1.2.{i}")  # a newer tag each run, so each run pushes
                    samples.append(kubepush("--from-registry", "--insecure-registry", registry_host, *common,
                                            cwd=checkout))
                rows.append(("--from-registry + digest, in a checkout", samples, None))
            print(f"{len(files)} files, {args.runs} runs each, start to pushed branch, {os.cpu_count()} CPUs, load "
                  f"average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after:")
            for label, samples, reference in rows:
                report(label, samples, reference)
            if registry_ctx is None:
                print("  (docker-registry not installed: --from-registry not measured)")
        finally:
            server.stop()
            if registry_ctx is not None:
                registry_ctx.__exit__(None, None, None)


if __name__ == "__main__":
    main()
