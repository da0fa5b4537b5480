"""Files that appear whole or not at all: written beside the target, renamed into place.

A reader (a CI step uploading a report, kubectl reading a manifest) or a crash sees the old
file or the new one, never half of one: the data goes to a temporary file in the target's
directory (same filesystem, so the rename is atomic on POSIX), is flushed to disk, and
replaces the target only on :meth:`AtomicFile.commit`. An existing target keeps its mode
and, where permitted, its owner; a new one gets 0644 (mkstemp's 0600 would hide a report
from other CI steps). A symlink is followed, so the link itself stays a link.
"""

from __future__ import annotations

import os
import tempfile
from types import TracebackType
from typing import IO, Any

NEW_FILE_MODE = 0o644


class AtomicFile:
    """A text (or ``binary``) file that replaces ``path`` only on :meth:`commit`.

    As a context manager it commits on success and aborts on an exception. Errors are
    ``OSError``; what they mean to the user is the caller's to say.
    """

    def __init__(self, path: str | os.PathLike[str], *, binary: bool = False) -> None:
        self.path = os.fspath(path)
        self.target = os.path.realpath(self.path)
        try:
            self._existing: os.stat_result | None = os.stat(self.target)
        except FileNotFoundError:
            self._existing = None
        fd, self.tmp = tempfile.mkstemp(dir=os.path.dirname(self.target) or ".",
                                        prefix=f".{os.path.basename(self.target)}.", suffix=".tmp")
        self.stream: IO[Any] = (os.fdopen(fd, "wb") if binary else
                                os.fdopen(fd, "w", encoding="utf-8", newline="\n"))

    def commit(self) -> None:
        """Flush to disk and move into place; on failure the target is left as it was."""
        try:
            self.stream.flush()
            fd = self.stream.fileno()
            os.fsync(fd)
            if self._existing is None:
                os.fchmod(fd, NEW_FILE_MODE)
            else:
                os.fchmod(fd, self._existing.st_mode & 0o7777)
                try:
                    os.fchown(fd, self._existing.st_uid, self._existing.st_gid)
                except PermissionError:
                    pass  # not ours to give away; the mode is what matters
            self.stream.close()
            os.replace(self.tmp, self.target)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop the unfinished file; the target is left as it was."""
        if not self.stream.closed:
            self.stream.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see the module docstring)."""
    with AtomicFile(path, binary=True) as file:
        file.stream.write(data)
