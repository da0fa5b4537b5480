"""Run the real ``kubepush`` CLI in a subprocess, as CI does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def kubepush(*args: str, cwd: Path | None = None, stdin: str | None = None, timeout: float = 120,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubepush.cli", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False, env=env,
    )


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
