"""Git layer speed: commit + push of one image bump in a 5,000-file config repository.

    python benchmarks/git_push.py [--files 5000] [--repeat 5] [-v]

Builds a bare repository of FILES manifests (about 1 KiB each, in 100
directories), serves it with the real ``git http-backend`` behind Basic auth on
127.0.0.1 (the test fixture in tests/git_fixtures.py), and times
:func:`kubepush.gitops.publish` for a one-line tag change, each run with a new
tag so every run commits and force-pushes the bot branch:

- ``checkout``: in an existing clone (the CI case) - sync (ls-remote + fetch),
  checkout, stage, commit, push;
- ``clone``: the same from ``workspace(url=...)``, i.e. including the shallow
  clone into a temporary directory and its removal.

The bump target is <= 1 s wall for the whole bump (edit + commit + push), so the
git part must leave room for discovery and editing. Prints the median and max.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubepush.gitops import PUSHED, Credentials, publish, workspace
from tests.support.git_fixtures import TOKEN, USER, GitHTTPServer, git, make_remote

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
  namespace: team-{team}
  labels: {{app.kubernetes.io/name: app-{n}, app.kubernetes.io/part-of: shop}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app.kubernetes.io/name: app-{n}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: app-{n}}}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/app-{n}:1.0.0
        ports: [{{containerPort: 8080, name: http}}]
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{memory: 256Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
"""

TARGET = "team-42/app-4207.yaml"


def apply_for(tag: str):
    def apply(root: Path) -> list[str]:
        path = root / TARGET
        path.write_text(path.read_text().replace("app-4207:1.0.0", f"app-4207:{tag}"))
        return [TARGET]
    return apply


def timed(runs: int, start: int, one) -> list[float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        result = one(f"1.0.{start + i + 1}")
        times.append(time.perf_counter() - t0)
        assert result.status == PUSHED, result
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-v", "--verbose", action="store_true", help="log each git command with its time")
    args = parser.parse_args()
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="kubepush-bench-") as tmp:
        root = Path(tmp) / "srv"
        root.mkdir()
        files = {f"team-{n // 100}/app-{n}.yaml": MANIFEST.format(n=n, team=n // 100) for n in range(args.files)}
        if TARGET not in files:
            files[TARGET] = MANIFEST.format(n=4207, team=42)
        remote = make_remote(root, "cfg.git", files)
        server = GitHTTPServer(root).start()
        creds = Credentials(USER, TOKEN)
        url = server.url(remote)
        branch = "kubepush/prod/ghcr.io/example/app-4207"
        checkout = Path(tmp) / "checkout"
        git("-c", f"http.extraHeader={creds.header()}", "clone", "--quiet", url, str(checkout))

        def in_checkout(tag: str):
            with workspace(checkout, credentials=creds) as repo:
                return publish(repo, apply_for(tag), message=f"bump app-4207 to {tag}\n", branch=branch)

        def in_clone(tag: str):
            with workspace(url=url, branch=branch, credentials=creds) as repo:
                return publish(repo, apply_for(tag), message=f"bump app-4207 to {tag}\n", branch=branch)

        try:
            results = {"checkout": timed(args.repeat, 0, in_checkout),
                       "clone": timed(args.repeat, args.repeat, in_clone)}
        finally:
            server.stop()
    print(f"{len(files)} files, {args.repeat} runs each, commit + force-push of one edited file "
          "over smart HTTP (git http-backend on 127.0.0.1):")
    for mode, times in results.items():
        print(f"  {mode:8s}  median {statistics.median(times) * 1000:6.0f} ms   max {max(times) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
