"""Files that appear whole or not at all (images edits, reports, the schema cache)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kubepush.atomic import AtomicFile, write_atomic


def test_write_atomic_cleans_up_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.yaml"
    target.write_bytes(b"old\n")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_a_new_file_is_readable_by_others_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    new = tmp_path / "report.json"
    write_atomic(new, b"{}")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644, "mkstemp's 0600 would hide it from other CI steps"
    os.chmod(new, 0o600)
    write_atomic(new, b"[]")
    assert new.read_bytes() == b"[]" and stat.S_IMODE(new.stat().st_mode) == 0o600


def test_nothing_appears_until_commit_and_an_exception_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), AtomicFile(target) as file:
        file.stream.write("half")
        assert target.read_text() == "old\n"
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with AtomicFile(target) as file:
        file.stream.write("new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
