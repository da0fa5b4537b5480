"""Run the fake apiserver standalone: ``python -m tests.support.fakekube --port 8080`` (for benchmarks)."""

from __future__ import annotations

import argparse
import signal
import threading

from .fake import FakeKube


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fakekube", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--token", help="bearer token clients must send (default: random)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--kubeconfig", help="where to write the kubeconfig (default: a temp dir)")
    parser.add_argument("--tls", action="store_true", help="serve https (kubectl only sends tokens over TLS)")
    args = parser.parse_args()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    fake = FakeKube(port=args.port, token=args.token, latency=args.latency, tls=args.tls).start()
    if args.kubeconfig:
        fake.kubeconfig_path = fake.write_kubeconfig(args.kubeconfig)
    print(f"fakekube listening on {fake.url}", flush=True)
    print(f"kubeconfig: {fake.kubeconfig_path}", flush=True)
    done.wait()
    fake.stop()


if __name__ == "__main__":
    main()
