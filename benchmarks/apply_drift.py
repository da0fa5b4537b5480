"""Benchmark ``kubepush apply`` and ``kubepush drift`` on N objects against the fake apiserver.

The fake runs in this process with a per-request latency (30 ms mimics a real apiserver's
round trip); kubepush and kubectl run as subprocesses, as in CI, so interpreter start and
imports are included. Prints wall time and API calls per object for: a first apply
(creates), a second apply (no-op), drift in sync, drift with 5% of the objects edited, a first
apply of the same objects spread over ``--waves`` waves (``kubepush.dev/wave``: what ordering
costs), and the same with ``kubectl apply --server-side`` and ``kubectl diff`` when kubectl is on
PATH (``--kubectl`` names another one).

    python benchmarks/apply_drift.py [--objects 300] [--latency 0.03] [--runs 3] [--waves 3]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fakekube.fake import FakeKube  # noqa: E402 - importable only once the repository root is on the path


def manifests(directory: Path, count: int, namespace: str, waves: int = 0) -> None:
    """A Namespace and ``count - 1`` ConfigMaps; with ``waves``, the ConfigMaps spread over that many."""
    docs = [f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"]
    for i in range(count - 1):
        wave = f"  annotations:\n    kubepush.dev/wave: \"{i % waves}\"\n" if waves else ""
        docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:04d}\n  namespace: {namespace}\n"
                    f"{wave}  labels:\n    app: bench\ndata:\n  index: \"{i}\"\n  payload: value-{i}\n")
    (directory / "objects.yaml").write_text("---\n".join(docs))


def timed(fake: FakeKube, argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, int, float]:
    """Wall seconds, API requests and CPU seconds of one command (CPU time shows what the
    command costs itself when the machine is busy with other work)."""
    fake.reset_requests()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "KUBECONFIG": fake.kubeconfig_path}
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}:\n{proc.stderr[-2000:]}"
                         f"{proc.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, len(fake.requests), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per API request (default 0.03)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--waves", type=int, default=3, help="waves of the ordered apply (0: leave it out)")
    parser.add_argument("--kubectl", default=shutil.which("kubectl"), help="the kubectl to compare with")
    args = parser.parse_args()
    kubepush = [sys.executable, "-m", "kubepush.cli"]
    kubectl = args.kubectl
    rows: dict[str, list[tuple[float, int, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            fake = FakeKube(latency=args.latency, kubeconfig_dir=tmp).start()
            try:
                directory = Path(tmp) / f"m{run}"
                directory.mkdir()
                manifests(directory, args.objects, "bench")
                path = str(directory)
                common = ["--no-wait", "-q", "--revision", "bench"]
                rows.setdefault("kubepush apply (create)", []).append(
                    timed(fake, [*kubepush, "apply", path, *common]))
                rows.setdefault("kubepush apply (no-op)", []).append(
                    timed(fake, [*kubepush, "apply", path, *common]))
                rows.setdefault("kubepush drift (in sync)", []).append(
                    timed(fake, [*kubepush, "drift", path, "-q"]))
                for i in range(0, args.objects - 1, 20):
                    fake.edit("ConfigMap", "bench", f"cm-{i:04d}", {"data": {"payload": "edited"}})
                rows.setdefault("kubepush drift (5% drifted)", []).append(
                    timed(fake, [*kubepush, "drift", path, "-q"], ok=(1,)))
                if args.waves:
                    ordered = Path(tmp) / f"w{run}"
                    ordered.mkdir()
                    manifests(ordered, args.objects, "waves", args.waves)
                    rows.setdefault(f"kubepush apply (create, {args.waves} waves)", []).append(
                        timed(fake, [*kubepush, "apply", str(ordered), *common]))
                if kubectl:
                    fake2 = FakeKube(latency=args.latency, kubeconfig_dir=tempfile.mkdtemp(dir=tmp)).start()
                    try:
                        rows.setdefault("kubectl apply --server-side (create)", []).append(
                            timed(fake2, [kubectl, "apply", "--server-side", "-f", path]))
                        rows.setdefault("kubectl diff --server-side (in sync)", []).append(
                            timed(fake2, [kubectl, "diff", "--server-side", "-f", path]))
                    finally:
                        fake2.stop()
            finally:
                fake.stop()
    print(f"{args.objects} objects, {args.latency * 1000:g} ms per request, median of {args.runs} runs "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; kubectl {kubectl})")
    for name, samples in rows.items():
        wall = statistics.median(s[0] for s in samples)
        calls = statistics.median(s[1] for s in samples)
        cpu = statistics.median(s[2] for s in samples)
        print(f"  {name:40} {wall:6.2f} s wall  {cpu:5.2f} s CPU  {calls / args.objects:5.2f} API calls/object")
    ratio = [("kubepush apply (create)", "kubectl apply --server-side (create)"),
             ("kubepush drift (in sync)", "kubectl diff --server-side (in sync)")]
    for ours, theirs in ratio:
        if ours in rows and theirs in rows:
            a = statistics.median(s[0] for s in rows[ours])
            b = statistics.median(s[0] for s in rows[theirs])
            print(f"  {ours} / {theirs}: {a / b:.2f}x")


if __name__ == "__main__":
    main()
