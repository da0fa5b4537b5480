"""A bounded coverage-guided fuzz run of every atheris target, as part of CI.

Each target runs in its own process for a few seconds (libFuzzer ``-max_total_time``),
seeded with its regression corpus; ``-timeout`` and ``-rss_limit_mb`` make a hang
or runaway memory a failure like a traceback. The seed is fixed so that CI is
reproducible and never fails on someone else's unrelated change; exploring new
inputs is the job of a longer run: the same command with a bigger budget and no
seed (see tests/fuzz/harness.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris not installed (.ci/setup.d/30-fuzz.sh installs it)")

FUZZ = Path(__file__).parent
SECONDS = 4


@pytest.mark.parametrize("target", ["yaml", "reference", "edit"])
def test_bounded_fuzz_run_finds_nothing(target: str, tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    proc = subprocess.run(
        [sys.executable, str(FUZZ / "harness.py"), target, f"-max_total_time={SECONDS}", "-timeout=10",
         "-rss_limit_mb=2048", "-seed=20261126", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
         str(new), str(FUZZ / "corpus" / target)],
        capture_output=True, text=True, timeout=SECONDS + 90, check=False, cwd=tmp_path,
    )
    crashes = sorted(p for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-", "leak-")))
    detail = "\n".join(f"{p.name}: {p.read_bytes()!r}" for p in crashes)
    assert proc.returncode == 0 and not crashes, f"{detail}\n{proc.stderr[-4000:]}"
    runs = re.search(r"Done (\d+) runs", proc.stderr)
    assert runs and int(runs.group(1)) > 100, proc.stderr[-2000:]
